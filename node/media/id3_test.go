package media

import (
	"bytes"
	"context"
	"math"
	"os"
	"testing"

	"github.com/audionode/audionode/node/media/mp3"
)

// id3Tag builds an ID3v2.4 tag with a body of n zero bytes (padding).
func id3Tag(n int, footer bool) []byte {
	flags := byte(0)
	if footer {
		flags = 0x10
	}
	b := []byte{'I', 'D', '3', 4, 0, flags, byte(n >> 21 & 0x7f), byte(n >> 14 & 0x7f), byte(n >> 7 & 0x7f), byte(n & 0x7f)}
	b = append(b, make([]byte, n)...)
	if footer {
		b = append(b, '3', 'D', 'I', 4, 0, flags, b[6], b[7], b[8], b[9])
	}
	return b
}

// TestID3BeforeOtherFormats: a tag in front of FLAC (some taggers write
// one) is skipped instead of the file being taken for MP3, and MP3 keeps
// working with its tag.
func TestID3BeforeOtherFormats(t *testing.T) {
	for _, tc := range []struct {
		name   string
		file   string
		tag    []byte
		stream bool
	}{
		{"flac after a tag", "s16_44k.flac", id3Tag(300, false), false},
		{"flac after a tag with footer", "s16_44k.flac", id3Tag(200, true), false},
		{"flac stream after a tag", "s16_44k.flac", id3Tag(1000, false), true},
		{"mp3 after a tag", "tone.mp3", id3Tag(300, false), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := os.ReadFile(media(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			b := append(append([]byte(nil), tc.tag...), raw...)
			var r interface{ Read([]byte) (int, error) } = bytes.NewReader(b)
			if tc.stream {
				r = struct{ *bytes.Buffer }{bytes.NewBuffer(b)}
			}
			s, err := Open(context.Background(), r, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			pcm, _ := decodeAll(t, s, 0, nil)
			if len(pcm) < 2*48000*2 {
				t.Fatalf("decoded %d samples", len(pcm))
			}
			win := pcm[2*24000 : 2*72000]
			for c, want := range []float64{toneL, toneR} {
				if f := dominant(channel(win, c)); math.Abs(f-want) > 10 {
					t.Errorf("channel %d: dominant %v Hz, want %v", c, f, want)
				}
			}
		})
	}
	if mp3.ID3v2Size([]byte("ID3\x04\x00\x00\x00\x00\x02\x01")) != 10+257 {
		t.Error("id3v2Len mis-decodes the syncsafe size")
	}
	if mp3.ID3v2Size([]byte("ID3\x04\x00\x00\x80\x00\x00\x00")) != 0 {
		t.Error("id3v2Len accepts a size byte with the high bit set")
	}
}
