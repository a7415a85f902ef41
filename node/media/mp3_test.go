package media

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/audionode/audionode/node/media/mp3"
)

// TestMP3Resync: garbage between frames, a broken frame and trailing
// ID3v1/APE tags do not stop playback or add noise at the end.
func TestMP3Resync(t *testing.T) {
	raw, err := os.ReadFile(media(t, "tone.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	raw = raw[mp3.ID3v2Size(raw):]
	// Split after the 40th frame.
	at := 0
	for range 40 {
		_, h, ok := mp3.FindFrame(raw[at:])
		if !ok {
			t.Fatal("no frames")
		}
		at += h.FrameSize
	}
	garbage := bytes.Repeat([]byte{0xFF, 0xE0, 0x12, 0x00, 0x77}, 100)
	id3v1 := append([]byte("TAG"), make([]byte, 125)...)
	ape := append([]byte("APETAGEX"), make([]byte, 24)...)
	tests := []struct {
		name string
		b    []byte
	}{
		{"garbage between frames", append(append(append([]byte(nil), raw[:at]...), garbage...), raw[at:]...)},
		{"id3v1 at end", append(append([]byte(nil), raw...), id3v1...)},
		{"ape at end", append(append([]byte(nil), raw...), ape...)},
		{"truncated last frame", raw[:len(raw)-100]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(context.Background(), bytes.NewReader(tc.b), DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			pcm, _ := decodeAll(t, s, 0, nil)
			if len(pcm) < 2*48000*(toneSecs-1) {
				t.Fatalf("decoded %d samples", len(pcm))
			}
			win := pcm[2*24000 : 2*72000]
			for c, want := range []float64{toneL, toneR} {
				if f := dominant(channel(win, c)); math.Abs(f-want) > 10 {
					t.Errorf("channel %d: dominant %v Hz, want %v", c, f, want)
				}
			}
			// No burst of noise from tags decoded as audio.
			for i, v := range pcm {
				if math.Abs(float64(v)) > 0.4 {
					t.Fatalf("sample %d = %v", i, v)
				}
			}
		})
	}
}

// TestMP3SeekRepeated seeks the MP3 decoder forwards and back (the VBR
// frame index grows lazily) and checks that the tone starts at the same
// sample as in a decode from the start, to within 1 ms. (It works below
// Stream, on PCM.)
func TestMP3SeekRepeated(t *testing.T) {
	for _, name := range []string{"step_vbr.mp3", "step.mp3", "step_22k.mp3"} {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(media(t, name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			d, err := openMP3(newInput(f))
			if err != nil {
				t.Fatal(err)
			}
			rate := int64(d.rate())
			buf := make([]float32, 4*rate) // 2 s
			onset := func() int64 {
				n, _ := d.read(buf)
				for i := 0; i < n; i += 2 {
					if math.Abs(float64(buf[i])) > 0.05 {
						return int64(i / 2)
					}
				}
				return -1
			}
			want := onset() // from the start: the tone begins within 1 s
			if want < rate*9/10 {
				t.Fatalf("straight decode: onset at %d", want)
			}
			for _, target := range []int64{rate * 5 / 2, rate * 9 / 10, rate * 19 / 10, rate * 95 / 100, 0} {
				got, err := d.seek(target)
				if err != nil || got != target {
					t.Fatalf("seek(%d) = %d, %v", target, got, err)
				}
				if target > rate {
					continue
				}
				if o := onset(); o < 0 || abs64(target+o-want) > rate/1000 {
					t.Errorf("after seek(%d) the tone starts at %d, want %d", target, target+o, want)
				}
			}
		})
	}
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestMP3Gapless: with the LAME tag, the decoder yields exactly the
// encoded samples (encoder delay, the 529-sample decoder delay and the
// padding trimmed) and frames() says so up front.
func TestMP3Gapless(t *testing.T) {
	for _, name := range []string{"tone.mp3", "tone_vbr.mp3", "tone_22k.mp3"} {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(media(t, name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			d, err := openMP3(newInput(f))
			if err != nil {
				t.Fatal(err)
			}
			want := int64(d.rate() * toneSecs)
			if d.frames() != want {
				t.Errorf("frames() = %d, want %d", d.frames(), want)
			}
			buf := make([]float32, 4096)
			var n int64
			var head []float32
			for {
				k, err := d.read(buf)
				if n == 0 {
					head = append(head, buf[:k]...)
				}
				n += int64(k / 2)
				if err != nil {
					break
				}
			}
			if n != want {
				t.Errorf("decoded %d samples, want %d", n, want)
			}
			// The left tone is A·sin(2π·440·t) from sample 0: a trim off by
			// 2 samples would miss by ~0.03.
			for i := 300; i < 340; i++ {
				want := toneAmp * math.Sin(2*math.Pi*toneL*float64(i)/float64(d.rate()))
				if e := math.Abs(float64(head[2*i]) - want); e > 0.015 {
					t.Fatalf("sample %d = %v, want %v (misaligned trim)", i, head[2*i], want)
				}
			}
		})
	}
}

// TestMP3TOCSeek: a VBR seek with the scan limit at zero jumps by the
// Xing TOC (no index is built) and lands near the target; with the
// default limit the same seeks are exact through the frame index. The
// tone steps up 20 Hz every second, so the step after the target shows
// where playback really is.
func TestMP3TOCSeek(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	p := filepath.Join(t.TempDir(), "steps.mp3")
	out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i",
		"aevalsrc=0.25*sin(2*PI*(200+20*floor(t))*t):s=44100:d=60", "-ac", "2",
		"-c:a", "libmp3lame", "-q:a", "4", p).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	for _, tc := range []struct {
		name    string
		minScan int64
		tol     float64 // seconds
	}{
		{"exact", mp3TOCMinScan, 0.010},
		{"toc", 0, 0.100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			d, err := openMP3(newInput(f))
			if err != nil {
				t.Fatal(err)
			}
			saved := mp3TOCMinScan
			mp3TOCMinScan = tc.minScan
			t.Cleanup(func() { mp3TOCMinScan = saved })
			for _, sec := range []float64{45.5, 12.5, 30.5, 58.5, 3.5} {
				step := stepAfterSeek(t, d, sec)
				want := math.Floor(sec) + 1
				t.Logf("seek to %.1f s: step at %.3f s (true %.0f s)", sec, step, want)
				if math.Abs(step-want) > tc.tol {
					t.Errorf("seek to %.1f s: step at %.3f s, want %.0f s ± %.0f ms", sec, step, want, tc.tol*1000)
				}
			}
			if built := len(d.index) > 0; built != (tc.name == "exact") {
				t.Errorf("index of %d frames", len(d.index))
			}
		})
	}
}

// stepAfterSeek seeks d (44.1 kHz) to sec and returns when the next
// second's tone starts: the centre of the first 100 ms window (10 Hz
// resolution) where it outweighs this second's (goertzel counts 48 kHz
// samples, hence the scaling).
func stepAfterSeek(t *testing.T, d *mp3PCM, sec float64) float64 {
	const rate = 44100
	if _, err := d.seek(int64(sec * rate)); err != nil {
		t.Fatal(err)
	}
	buf := make([]float32, 2*rate)
	n, err := d.read(buf)
	for n < len(buf) && err == nil {
		var k int
		k, err = d.read(buf[n:])
		n += k
	}
	x := channel(buf[:n], 0)
	next := 200 + 20*(math.Floor(sec)+1)
	const win, hop = rate / 10, rate / 200
	for i := 0; i+win <= len(x); i += hop {
		w := x[i : i+win]
		if goertzel(w, next*48000/rate) > goertzel(w, (next-20)*48000/rate) {
			return sec + float64(i+win/2)/rate
		}
	}
	return -1
}
