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
		"he-aac core":    {[]byte{0x2b, 0x92, 0x08, 0x00}, Config{ObjectType: 2, SampleRate: 22050, Channels: 2, ChannelConfig: 2, SBR: true, ExtSampleRate: 44100}, nil},
		"960 frames":     {[]byte{0x12, 0x14}, Config{ObjectType: 2, SampleRate: 44100, Channels: 2, ChannelConfig: 2, FrameLength960: true}, nil},
		"ltp":            {[]byte{0x22, 0x10}, Config{}, ErrUnsupported},
		"bad rate index": {[]byte{0x16, 0x90}, Config{}, ErrMalformed},
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

func TestParseADTS(t *testing.T) {
	tests := map[string]struct {
		b    []byte
		want ADTSHeader
		err  error
	}{
		"lc 44.1 stereo no crc":     {[]byte{0xff, 0xf1, 0x50, 0x80, 0x2e, 0x7f, 0xfc}, ADTSHeader{Config: Config{ObjectType: 2, SampleRate: 44100, Channels: 2, ChannelConfig: 2}, HeaderLen: 7, FrameLen: 371, Blocks: 1}, nil},
		"crc, 2 blocks":             {[]byte{0xff, 0xf0, 0x4c, 0x80, 0x2e, 0x7f, 0xfd}, ADTSHeader{Config: Config{ObjectType: 2, SampleRate: 48000, Channels: 2, ChannelConfig: 2}, HeaderLen: 9, FrameLen: 371, Blocks: 2}, nil},
		"no sync":                   {[]byte{0xff, 0xe1, 0x50, 0x80, 0x2e, 0x7f, 0xfc}, ADTSHeader{}, ErrMalformed},
		"short":                     {[]byte{0xff, 0xf1, 0x50}, ADTSHeader{}, ErrMalformed},
		"frame shorter than header": {[]byte{0xff, 0xf1, 0x50, 0x80, 0x00, 0x1f, 0xfc}, ADTSHeader{}, ErrMalformed},
		"main profile":              {[]byte{0xff, 0xf1, 0x10, 0x80, 0x2e, 0x7f, 0xfc}, ADTSHeader{}, ErrUnsupported},
		"rate index 13":             {[]byte{0xff, 0xf1, 0x74, 0x80, 0x2e, 0x7f, 0xfc}, ADTSHeader{}, ErrMalformed},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseADTS(tc.b)
			if !errors.Is(err, tc.err) || (err == nil && got != tc.want) {
				t.Fatalf("got %+v, %v; want %+v, %v", got, err, tc.want, tc.err)
			}
		})
	}
}
