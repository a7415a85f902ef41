package media

import (
	"bytes"
	"context"
	"errors"
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

// brokenBody serves data from off and fails with err after limit bytes.
type brokenBody struct {
	data  []byte
	limit int
	err   error
}

func (b *brokenBody) Read(p []byte) (int, error) {
	if len(b.data) == 0 {
		return 0, io.EOF
	}
	if b.limit == 0 {
		return 0, b.err
	}
	n := copy(p[:min(len(p), b.limit)], b.data)
	b.data, b.limit = b.data[n:], b.limit-n
	return n, nil
}

func (b *brokenBody) Close() error { return nil }

// TestRangeReaderResumesBrokenConnections: connections that break mid-file
// are reopened where they stopped, so the track plays exactly as from a
// clean connection; a resource that keeps failing without progress, and a
// cancelled read, end it.
func TestRangeReaderResumesBrokenConnections(t *testing.T) {
	data := opusBytes(t, 250, 4096) // 5 s
	clean, _ := decodeAll(t, openReader(t, bytes.NewReader(data)), 0, nil)
	reset := errors.New("connection reset by peer")

	opens := 0
	rr := NewRangeReader(int64(len(data)), func(off int64) (io.ReadCloser, error) {
		opens++
		if opens%2 == 0 {
			return nil, reset // every other reopen fails too
		}
		return &brokenBody{data: data[off:], limit: 7000, err: reset}, nil
	})
	got, _ := decodeAll(t, openReader(t, rr), 0, nil)
	if len(got) != len(clean) {
		t.Fatalf("decoded %d samples through broken connections, %d clean", len(got), len(clean))
	}
	for i := range got {
		if got[i] != clean[i] {
			t.Fatalf("sample %d differs after reconnections", i)
		}
	}
	if opens < 10 {
		t.Errorf("only %d opens: the connection was not broken often enough", opens)
	}

	for _, tc := range []struct {
		name string
		err  error
		max  int // opens allowed
	}{
		{"dead server", reset, 1 + rangeRetries},
		{"cancelled", context.Canceled, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			rr := NewRangeReader(int64(len(data)), func(off int64) (io.ReadCloser, error) {
				n++
				return &brokenBody{data: data[off:], err: tc.err}, nil
			})
			if _, err := rr.Read(make([]byte, 100)); !errors.Is(err, tc.err) {
				t.Errorf("err = %v, want %v", err, tc.err)
			}
			if n != tc.max {
				t.Errorf("%d opens, want %d", n, tc.max)
			}
		})
	}
}

func openReader(t *testing.T, r io.Reader) *Stream {
	t.Helper()
	s, err := Open(context.Background(), r, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
