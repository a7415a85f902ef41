package mp3

import (
	"testing"
)

// frames splits an MP3 file into its frames (tag frame included).
func frames(t testing.TB, b []byte) [][]byte {
	b = b[ID3v2Size(b):]
	var fs [][]byte
	for {
		off, h, ok := FindFrame(b)
		if !ok || off+h.FrameSize > len(b) {
			return fs
		}
		fs = append(fs, b[off:off+h.FrameSize])
		b = b[off+h.FrameSize:]
	}
}

// BenchmarkDecode decodes 320 kbit/s stereo 44.1 kHz white noise (the
// costliest content: every line coded) frame by frame.
func BenchmarkDecode(b *testing.B) {
	for _, bc := range []struct{ name, src, rate string }{
		{"noise320k", noiseSrc, "320k"},
		{"tone128k", toneSrc, "128k"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			fs := frames(b, encode(b, bc.src, "-c:a", "libmp3lame", "-b:a", bc.rate))
			d := NewDecoder()
			out := make([]float32, 2304)
			b.ReportAllocs()
			i, samples := 0, 0
			for b.Loop() {
				n, err := d.DecodeFrame(fs[i], out)
				if err != nil {
					b.Fatal(err)
				}
				samples += n / 2
				if i++; i == len(fs) {
					i = 0
				}
			}
			b.ReportMetric(float64(samples)/44100/b.Elapsed().Seconds(), "x_realtime")
		})
	}
}

// TestAllocs proves the steady state allocates nothing per frame.
func TestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	fs := frames(t, encode(t, noiseSrc, "-c:a", "libmp3lame", "-b:a", "192k"))
	d := NewDecoder()
	out := make([]float32, 2304)
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := d.DecodeFrame(fs[i], out); err != nil {
			t.Fatal(err)
		}
		i = (i + 1) % len(fs)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per frame, want 0", allocs)
	}
}
