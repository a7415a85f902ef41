package aac

import (
	"errors"
	"testing"
)

func TestParseConfig(t *testing.T) {
	tests := map[string]struct {
		asc  []byte
		want Config
		err  error
	}{
		"lc 44.1 stereo": {[]byte{0x12, 0x10}, Config{ObjectType: 2, SampleRate: 44100, Channels: 2, ChannelConfig: 2}, nil},
		"lc 48 5.1":      {[]byte{0x11, 0xb0}, Config{ObjectType: 2, SampleRate: 48000, Channels: 6, ChannelConfig: 6}, nil},
		"short":          {[]byte{0x12}, Config{}, ErrMalformed},
		"main":           {[]byte{0x0a, 0x10}, Config{}, ErrUnsupported},
		"empty":          {nil, Config{}, ErrMalformed},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseConfig(tc.asc)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v, %v", got, err, tc.want, tc.err)
			}
		})
	}
}
