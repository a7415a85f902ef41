package media

import (
	"context"
	"errors"
	"io"
	"math"
	"os"
	"testing"
	"time"

	"github.com/audionode/audionode/node/audio"
)

// Offset and Skip start an unseekable stream part-way (HLS opened at a
// segment boundary): the position counts from Offset+Skip and the skipped
// audio is decoded and dropped.
func TestOffsetSkip(t *testing.T) {
	cases := map[string]struct {
		file         string
		offset, skip time.Duration
		err          error
		packets      bool // Opus: lands on the packet holding the target
	}{
		"wav 44.1 kHz": {file: "s16_44k.wav", offset: 2 * time.Second, skip: 500 * time.Millisecond},
		"mp3":          {file: "tone.mp3", offset: 4 * time.Second, skip: 730 * time.Millisecond},
		"offset only":  {file: "tone.mp3", offset: 6 * time.Second},
		"opus":         {file: "tone.opus", offset: 3 * time.Second, skip: 500 * time.Millisecond, packets: true},
		"opus in webm": {file: "tone.webm", skip: 1100 * time.Millisecond, packets: true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(media(t, c.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			opts := DefaultOptions()
			opts.Offset, opts.Skip = c.offset, c.skip
			s, err := Open(context.Background(), struct{ io.Reader }{f}, opts)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if p := s.Position(); p != c.offset+c.skip && !(c.packets && p <= c.offset+c.skip && p > c.offset+c.skip-audio.FrameDuration) {
				t.Errorf("position %v, want %v", p, c.offset+c.skip)
			}
			whole := openFile(t, c.file, DefaultOptions())
			all, _ := decodeAll(t, whole, 0, nil)
			pcm, _ := decodeAll(t, s, 0, nil)
			// Skipping shortens the track by exactly the skip (±1 frame).
			if d := len(all) - len(pcm) - int(c.skip.Seconds()*48000)*2; math.Abs(float64(d)) > 960*2 {
				t.Errorf("%d samples, whole %d, skip %v", len(pcm)/2, len(all)/2, c.skip)
			}
			if f := dominant(channel(pcm, 1)[4800:]); math.Abs(f-1000) > 5 {
				t.Errorf("right channel %v Hz", f)
			}
		})
	}
}

// An MP3 stream opens on the bytes that have arrived, without waiting for
// 64 KiB (a live HLS stream or a slow radio would stall the start).
func TestMP3StreamOpensEarly(t *testing.T) {
	b, err := os.ReadFile(media(t, "tone.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	go pw.Write(b[:8000]) // about a third of a second
	done := make(chan error, 1)
	go func() {
		s, err := Open(context.Background(), pr, DefaultOptions())
		if err == nil {
			s.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Open waited for more than the bytes that arrived")
	}
	pw.Close()
}
