package mp3

import (
	"errors"
	"testing"
)

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want Header
		err  error
	}{
		{"v1 128k 44.1k stereo", []byte{0xFF, 0xFB, 0x90, 0x00}, Header{Version: 1, Layer: 3, Bitrate: 128000, SampleRate: 44100, FrameSize: 417, Samples: 1152}, nil},
		{"v1 320k padded joint", []byte{0xFF, 0xFB, 0xE2, 0x40}, Header{Version: 1, Layer: 3, Bitrate: 320000, SampleRate: 44100, Padding: true, Mode: 1, FrameSize: 1045, Samples: 1152}, nil},
		{"v2 64k 22.05k mono crc", []byte{0xFF, 0xF2, 0x80, 0xC0}, Header{Version: 2, Layer: 3, CRC: true, Bitrate: 64000, SampleRate: 22050, Mode: 3, FrameSize: 208, Samples: 576}, nil},
		{"v2.5 8k 8000", []byte{0xFF, 0xE3, 0x18, 0xC0}, Header{Version: 25, Layer: 3, Bitrate: 8000, SampleRate: 8000, Mode: 3, FrameSize: 72, Samples: 576}, nil},
		{"short", []byte{0xFF, 0xFB}, Header{}, ErrMalformed},
		{"no sync", []byte{0x00, 0xFB, 0x90, 0x00}, Header{}, ErrMalformed},
		{"reserved version", []byte{0xFF, 0xEB, 0x90, 0x00}, Header{}, ErrMalformed},
		{"bad bitrate", []byte{0xFF, 0xFB, 0xF0, 0x00}, Header{}, ErrMalformed},
		{"reserved rate", []byte{0xFF, 0xFB, 0x9C, 0x00}, Header{}, ErrMalformed},
		{"free format", []byte{0xFF, 0xFB, 0x00, 0x00}, Header{}, ErrUnsupported},
		{"layer 2", []byte{0xFF, 0xFD, 0x90, 0x00}, Header{}, ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseHeader(tt.b)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || h != tt.want {
				t.Fatalf("got %+v, %v; want %+v", h, err, tt.want)
			}
		})
	}
}
