package mp3

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// TestSpeedCPU measures decode speed by the thread's CPU time rather than
// wall time, so that it means something on a loaded machine. Run with
// MP3_SPEED=1.
func TestSpeedCPU(t *testing.T) {
	if os.Getenv("MP3_SPEED") == "" {
		t.Skip("set MP3_SPEED=1")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	fs := frames(t, encode(t, noiseSrc, "-c:a", "libmp3lame", "-b:a", "320k"))
	d := NewDecoder()
	out := make([]float32, 2304)
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for round := range 3 {
		start := cpu()
		samples := 0
		for range 20 {
			for _, f := range fs {
				n, _ := d.DecodeFrame(f, out)
				samples += n / 2
			}
		}
		el := cpu() - start
		t.Logf("round %d: %.0f× realtime (CPU time %v for %.1f s of audio)", round, float64(samples)/44100/el.Seconds(), el, float64(samples)/44100)
	}
}
