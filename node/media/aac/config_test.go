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

// TestParseConfigPCE builds an AudioSpecificConfig whose channels come from
// a program_config_element: front SCE + CPE, back CPE, one LFE = 6.
func TestParseConfigPCE(t *testing.T) {
	var w bitWriter
	w.put(2, 5)  // AAC-LC
	w.put(4, 4)  // 44.1 kHz
	w.put(0, 4)  // channelConfiguration 0: PCE follows
	w.put(0, 3)  // frameLength, dependsOnCoreCoder, extension
	w.put(0, 4)  // element_instance_tag
	w.put(1, 2)  // object_type
	w.put(4, 4)  // sampling_frequency_index
	w.put(2, 4)  // front elements
	w.put(0, 4)  // side
	w.put(1, 4)  // back
	w.put(1, 2)  // lfe
	w.put(0, 3)  // assoc data
	w.put(0, 4)  // cc
	w.put(0, 3)  // no mixdowns
	w.put(0, 5)  // front SCE 0
	w.put(16, 5) // front CPE 0
	w.put(17, 5) // back CPE 1
	w.put(0, 4)  // lfe 0
	for w.n%8 != 0 {
		w.put(0, 1)
	}
	w.put(0, 8) // comment length
	c, err := ParseConfig(w.b)
	if err != nil || c.Channels != 6 || c.ChannelConfig != 0 {
		t.Fatalf("%+v, %v", c, err)
	}
	if _, err := ParseConfig(w.b[:len(w.b)-2]); !errors.Is(err, ErrMalformed) {
		t.Fatalf("truncated PCE: %v", err)
	}
}
