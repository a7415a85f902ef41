package media

import (
	"bytes"
	"context"
	"io"
	"math"
	"testing"
	"time"
)

// TestRangeReader plays and seeks an Ogg Opus file through RangeReader
// and checks that a seek costs a bounded number of reopenings.
func TestRangeReader(t *testing.T) {
	data := opusBytes(t, 500, 4096) // 10 s
	opens := 0
	open := func(off int64) (io.ReadCloser, error) {
		opens++
		return io.NopCloser(bytes.NewReader(data[off:])), nil
	}
	rr := NewRangeReader(int64(len(data)), open)
	s, err := Open(context.Background(), rr, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if d := s.Duration(); d < 9900*time.Millisecond || d > 10*time.Second {
		t.Errorf("duration %v", d)
	}
	before := opens
	if err := s.Seek(7 * time.Second); err != nil {
		t.Fatal(err)
	}
	pcm, _ := decodeAll(t, s, 10, nil)
	if f := dominant(channel(pcm[2*960:], 0)); math.Abs(f-toneL) > 10 {
		t.Errorf("dominant %v Hz after the seek", f)
	}
	if n := opens - before; n > 20 {
		t.Errorf("%d requests for one seek", n)
	}
	t.Logf("%d requests to open, %d for one seek", before, opens-before)
	if _, err := rr.Seek(-1, io.SeekStart); err == nil {
		t.Error("seek before the start accepted")
	}
}
