package media

import (
	"bytes"
	"io"
	"testing"
)

// fuzzDemux drives a demuxer directly, as a file and as a stream, with a
// seek, bounded.
func fuzzDemux(t *testing.T, data []byte, seekTo int64, open func(*input) (auSource, error)) {
	fuzzStream(t, data)
	for _, r := range []io.Reader{bytes.NewReader(data), struct{ io.Reader }{bytes.NewReader(data)}} {
		src, err := open(newInput(r))
		if err != nil {
			continue
		}
		for range 2000 {
			if _, _, err := src.next(); err != nil {
				break
			}
		}
		if _, err := src.seek(seekTo); err != nil {
			continue
		}
		for range 20 {
			if _, _, err := src.next(); err != nil {
				break
			}
		}
	}
}

// The seeds are short ffmpeg files in testdata/fuzz (0.3 s of the tone),
// so fuzz workers need no ffmpeg run.

func FuzzMP4(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x08ftyp\x00\x00\x00\x10moov\x00\x00\x00\x08trak"), int64(0))
	f.Fuzz(func(t *testing.T, data []byte, seekTo int64) {
		fuzzDemux(t, data, seekTo, func(in *input) (auSource, error) { return openMP4(in) })
	})
}

func FuzzTS(f *testing.F) {
	f.Add(append([]byte{tsSync, 0, 0, 0x10}, make([]byte, 184)...), int64(0))
	f.Fuzz(func(t *testing.T, data []byte, seekTo int64) {
		fuzzDemux(t, data, seekTo, func(in *input) (auSource, error) { return openTS(in) })
	})
}

func FuzzADTS(f *testing.F) {
	f.Add([]byte{0xFF, 0xF1, 0x50, 0x80, 0x01, 0x1F, 0xFC, 0xFF, 0xF1}, int64(5000))
	f.Fuzz(func(t *testing.T, data []byte, seekTo int64) {
		fuzzDemux(t, data, seekTo, func(in *input) (auSource, error) { return openADTS(in) })
	})
}
