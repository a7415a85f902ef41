package media

import (
	"context"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMixerGains checks the coefficient table itself: ITU-R BS.775 gains
// normalised so the louder side sums to 1.
func TestMixerGains(t *testing.T) {
	const c = minus3dB
	tests := []struct {
		name   string
		layout []int
		gl, gr []float32 // before normalisation
	}{
		{"3.0 wave", waveLayouts[3], []float32{1, 0, c}, []float32{0, 1, c}},
		{"3.0 vorbis", vorbisLayouts[3], []float32{1, c, 0}, []float32{0, c, 1}},
		{"quad", waveLayouts[4], []float32{1, 0, c, 0}, []float32{0, 1, 0, c}},
		{"5.0", waveLayouts[5], []float32{1, 0, c, c, 0}, []float32{0, 1, c, 0, c}},
		{"5.1", waveLayouts[6], []float32{1, 0, c, 0, c, 0}, []float32{0, 1, c, 0, 0, c}},
		{"5.1 vorbis", vorbisLayouts[6], []float32{1, c, 0, c, 0, 0}, []float32{0, c, 1, 0, c, 0}},
		{"6.1", waveLayouts[7], []float32{1, 0, c, 0, 0.5, c, 0}, []float32{0, 1, c, 0, 0.5, 0, c}},
		{"7.1", waveLayouts[8], []float32{1, 0, c, 0, c, 0, c, 0}, []float32{0, 1, c, 0, 0, c, 0, c}},
		{"7.1 vorbis", vorbisLayouts[8], []float32{1, c, 0, c, 0, c, 0, 0}, []float32{0, c, 1, 0, c, 0, c, 0}},
		{"4.0 mask", layoutFromMask(0x107, 4), []float32{1, 0, c, 0.5}, []float32{0, 1, c, 0.5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMixer(tc.layout, len(tc.layout))
			var sl, sr float32
			for i := range tc.gl {
				sl += tc.gl[i]
				sr += tc.gr[i]
			}
			norm := max(sl, sr)
			for i := range tc.gl {
				if math.Abs(float64(m.gl[i]-tc.gl[i]/norm)) > 1e-6 || math.Abs(float64(m.gr[i]-tc.gr[i]/norm)) > 1e-6 {
					t.Fatalf("channel %d: gains %v/%v, want %v/%v", i, m.gl[i], m.gr[i], tc.gl[i]/norm, tc.gr[i]/norm)
				}
			}
			// Full scale everywhere cannot clip.
			src := make([]float32, len(tc.layout))
			for i := range src {
				src[i] = 1
			}
			dst := make([]float32, 2)
			m.mix(dst, src, 1)
			if dst[0] > 1.000001 || dst[1] > 1.000001 {
				t.Errorf("full scale mixes to %v", dst)
			}
		})
	}
}

// surround describes a generated multichannel file whose channels carry
// distinct tones at amplitude 0.25.
type surround struct {
	name   string
	layout string // ffmpeg channel layout
	freqs  []float64
	args   []string
	lossy  bool
	// wantL, wantR: expected amplitude per frequency (before the 0.25).
	wantL, wantR map[float64]float64
}

func surroundFile(t *testing.T, sf surround) string {
	t.Helper()
	dir := filepath.Dir(media(t, "s16_44k.wav"))
	out := filepath.Join(dir, sf.name)
	if _, err := os.Stat(out); err == nil {
		return out
	}
	var parts []string
	for _, f := range sf.freqs {
		parts = append(parts, "0.25*sin(2*PI*"+itoa(int(f))+"*t)")
	}
	args := []string{"-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
		"aevalsrc=" + strings.Join(parts, "|") + ":c=" + sf.layout + ":s=48000:d=2"}
	args = append(append(args, sf.args...), "-map_metadata", "-1", out)
	if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return out
}

// TestDownmix decodes 3–8 channel files from each container and measures
// every tone's amplitude on both output sides.
func TestDownmix(t *testing.T) {
	const c = minus3dB
	n51 := 1 + 2*c
	n40 := 1 + c + 0.5
	n71 := 1 + 3*c
	n30 := 1 + c
	fiveOne := []float64{300, 500, 700, 100, 1100, 1300}
	want51L := map[float64]float64{300: 1 / n51, 500: 0, 700: c / n51, 100: 0, 1100: c / n51, 1300: 0}
	want51R := map[float64]float64{300: 0, 500: 1 / n51, 700: c / n51, 100: 0, 1100: 0, 1300: c / n51}
	tests := []surround{
		{name: "s51.wav", layout: "5.1", freqs: fiveOne, args: []string{"-c:a", "pcm_s16le"}, wantL: want51L, wantR: want51R},
		{name: "s51.flac", layout: "5.1", freqs: fiveOne, args: []string{"-c:a", "flac"}, wantL: want51L, wantR: want51R},
		{name: "s51.ogg", layout: "5.1", freqs: fiveOne, args: []string{"-c:a", "libvorbis", "-q:a", "6"}, lossy: true, wantL: want51L, wantR: want51R},
		{name: "s40.wav", layout: "4.0", freqs: []float64{300, 500, 700, 900}, args: []string{"-c:a", "pcm_s16le"},
			wantL: map[float64]float64{300: 1 / n40, 500: 0, 700: c / n40, 900: 0.5 / n40},
			wantR: map[float64]float64{300: 0, 500: 1 / n40, 700: c / n40, 900: 0.5 / n40}},
		{name: "s30.flac", layout: "3.0", freqs: []float64{300, 500, 700}, args: []string{"-c:a", "flac"},
			wantL: map[float64]float64{300: 1 / n30, 500: 0, 700: c / n30},
			wantR: map[float64]float64{300: 0, 500: 1 / n30, 700: c / n30}},
		{name: "s30.ogg", layout: "3.0", freqs: []float64{300, 500, 700}, args: []string{"-c:a", "libvorbis", "-q:a", "6"}, lossy: true,
			wantL: map[float64]float64{300: 1 / n30, 500: 0, 700: c / n30},
			wantR: map[float64]float64{300: 0, 500: 1 / n30, 700: c / n30}},
		{name: "s71.wav", layout: "7.1", freqs: []float64{300, 500, 700, 100, 1100, 1300, 1700, 1900}, args: []string{"-c:a", "pcm_s24le"},
			wantL: map[float64]float64{300: 1 / n71, 500: 0, 700: c / n71, 100: 0, 1100: c / n71, 1300: 0, 1700: c / n71, 1900: 0},
			wantR: map[float64]float64{300: 0, 500: 1 / n71, 700: c / n71, 100: 0, 1100: 0, 1300: c / n71, 1700: 0, 1900: c / n71}},
		{name: "s71.ogg", layout: "7.1", freqs: []float64{300, 500, 700, 100, 1100, 1300, 1700, 1900}, args: []string{"-c:a", "libvorbis", "-q:a", "6"}, lossy: true,
			wantL: map[float64]float64{300: 1 / n71, 500: 0, 700: c / n71, 100: 0, 1100: c / n71, 1300: 0, 1700: c / n71, 1900: 0},
			wantR: map[float64]float64{300: 0, 500: 1 / n71, 700: c / n71, 100: 0, 1100: 0, 1300: c / n71, 1700: 0, 1900: c / n71}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := os.Open(surroundFile(t, tc))
			if err != nil {
				t.Fatal(err)
			}
			s, err := Open(context.Background(), f, DefaultOptions())
			if err != nil {
				f.Close()
				t.Fatal(err)
			}
			defer s.Close()
			if s.pcm.rate() != 48000 {
				t.Fatalf("rate %d", s.pcm.rate())
			}
			pcm := make([]float32, 2*72000)
			for n := 0; n < len(pcm); {
				k, err := s.pcm.read(pcm[n:])
				n += k
				if err == io.EOF {
					t.Fatalf("ended after %d frames", n/2)
				} else if err != nil {
					t.Fatal(err)
				}
			}
			win := pcm[2*24000 : 2*72000] // 1 s: whole cycles of every tone
			for side, want := range []map[float64]float64{tc.wantL, tc.wantR} {
				x := channel(win, side)
				for freq, g := range want {
					amp := 2 * math.Sqrt(goertzel(x, freq)) / float64(len(x)) / 0.25
					tol := 0.002
					if tc.lossy {
						tol = 0.02 * max(g, 0.1)
					}
					if math.Abs(amp-g) > tol {
						t.Errorf("side %d, %v Hz: gain %.4f, want %.4f", side, freq, amp, g)
					}
				}
			}
		})
	}
}
