package mp3

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"

	"testing"
)

// encode runs ffmpeg with args between the input and output and returns
// the MP3 file; the input is lavfi source src.
func encode(t testing.TB, src string, args ...string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "x.mp3")
	cmd := append([]string{"-v", "error", "-f", "lavfi", "-i", src}, args...)
	cmd = append(cmd, "-y", out)
	if b, err := exec.Command("ffmpeg", cmd...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ffmpegDecode decodes with ffmpeg to interleaved stereo float32,
// without its gapless trimming.
func ffmpegDecode(t testing.TB, mp3 []byte) []float32 {
	t.Helper()
	_, h, _ := FindFrame(mp3[ID3v2Size(mp3):])
	ch := h.Channels()
	in := filepath.Join(t.TempDir(), "in.mp3")
	os.WriteFile(in, mp3, 0o644)
	b, err := exec.Command("ffmpeg", "-v", "error", "-flags2", "+skip_manual", "-i", in, "-f", "f32le", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg decode: %v", err)
	}
	pcm := make([]float32, len(b)/4)
	binary.Read(bytes.NewReader(b), binary.LittleEndian, pcm)
	if ch == 1 {
		// ffmpeg's own upmix lowers the level by 3 dB; duplicate instead.
		st := make([]float32, 2*len(pcm))
		for i, v := range pcm {
			st[2*i], st[2*i+1] = v, v
		}
		return st
	}
	return pcm
}

// decodeAll decodes every frame of b with our decoder.
func decodeAll(t testing.TB, b []byte) []float32 {
	t.Helper()
	b = b[ID3v2Size(b):]
	d := NewDecoder()
	var out []float32
	buf := make([]float32, 2304)
	for len(b) >= 4 {
		off, h, ok := FindFrame(b)
		if !ok || off+h.FrameSize > len(b) {
			break
		}
		n, err := d.DecodeFrame(b[off:off+h.FrameSize], buf)
		if err != nil {
			t.Fatalf("frame at %d: %v", off, err)
		}
		out = append(out, buf[:n]...)
		b = b[off+h.FrameSize:]
	}
	return out
}

// snr compares got to ref (the reference) in dB over their common length.
func snr(got, ref []float32) float64 {
	n := min(len(got), len(ref))
	var sig, noise float64
	for i := range n {
		sig += float64(ref[i]) * float64(ref[i])
		e := float64(got[i]) - float64(ref[i])
		noise += e * e
	}
	if noise == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(sig/noise)
}

const (
	toneSrc  = "aevalsrc=0.25118864*sin(2*PI*440*t)|0.25118864*sin(2*PI*1000*t):d=3:s=44100"
	noiseSrc = "anoisesrc=d=3:a=0.5:r=44100:c=white:seed=7,aformat=channel_layouts=stereo"
	// Clicks every 0.25 s over silence force short (and start/stop) blocks.
	transientSrc = "aevalsrc=if(lt(mod(t\\,0.25)\\,0.004)\\,0.8*sin(2*PI*3000*t)\\,0.001*sin(2*PI*200*t))|if(lt(mod(t\\,0.25)\\,0.004)\\,-0.8*sin(2*PI*5000*t)\\,0):d=3:s=44100"
)

// TestDecodeVsFFmpeg decodes LAME encodings of every kind with our
// decoder and with ffmpeg (float output) and requires them to agree.
func TestDecodeVsFFmpeg(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("no ffmpeg")
	}
	lame := []string{"-c:a", "libmp3lame"}
	tests := []struct {
		name string
		src  string
		args []string
	}{
		{"cbr320", toneSrc, []string{"-b:a", "320k"}},
		{"cbr192", toneSrc, []string{"-b:a", "192k"}},
		{"cbr128", toneSrc, []string{"-b:a", "128k"}},
		{"cbr32", toneSrc, []string{"-b:a", "32k"}},
		{"vbr q2", toneSrc, []string{"-q:a", "2"}},
		{"joint stereo noise 128k", noiseSrc, []string{"-b:a", "128k", "-joint_stereo", "1"}},
		{"stereo noise 320k", noiseSrc, []string{"-b:a", "320k", "-joint_stereo", "0"}},
		{"mono", toneSrc, []string{"-b:a", "96k", "-ac", "1"}},
		{"mpeg2 22050", toneSrc, []string{"-b:a", "64k", "-ar", "22050"}},
		{"mpeg2 24000", toneSrc, []string{"-b:a", "64k", "-ar", "24000"}},
		{"mpeg2 16000", toneSrc, []string{"-b:a", "48k", "-ar", "16000"}},
		{"mpeg2.5 11025", toneSrc, []string{"-b:a", "32k", "-ar", "11025"}},
		{"mpeg2.5 8000", toneSrc, []string{"-b:a", "24k", "-ar", "8000"}},
		{"mpeg2.5 8000 mono", toneSrc, []string{"-b:a", "16k", "-ar", "8000", "-ac", "1"}},
		{"transient", transientSrc, []string{"-b:a", "128k"}},
		{"transient lsf", transientSrc, []string{"-b:a", "64k", "-ar", "22050"}},
		{"noise lsf mono 24000", noiseSrc, []string{"-b:a", "48k", "-ar", "24000", "-ac", "1"}},
		{"noise lsf stereo 24000", noiseSrc, []string{"-b:a", "64k", "-ar", "24000", "-joint_stereo", "0"}},
		{"noise lsf joint 24000", noiseSrc, []string{"-b:a", "64k", "-ar", "24000"}},
		{"noise 48000", noiseSrc, []string{"-b:a", "192k", "-ar", "48000"}},
		{"noise 32000", noiseSrc, []string{"-b:a", "128k", "-ar", "32000"}},
		{"noise 16000", noiseSrc, []string{"-b:a", "48k", "-ar", "16000"}},
		{"noise 12000", noiseSrc, []string{"-b:a", "32k", "-ar", "12000"}},
		{"noise 11025", noiseSrc, []string{"-b:a", "32k", "-ar", "11025"}},
		{"noise 8000", noiseSrc, []string{"-b:a", "24k", "-ar", "8000"}},
		{"transient 8000", transientSrc, []string{"-b:a", "24k", "-ar", "8000"}},
		{"transient 48000", transientSrc, []string{"-b:a", "256k", "-ar", "48000"}},
		// Seed 11 makes LAME overrun part2_3_length in frame 37.
		{"noise lsf joint 24000 overrun", "anoisesrc=d=3:a=0.5:r=44100:c=white:seed=11,aformat=channel_layouts=stereo", []string{"-b:a", "64k", "-ar", "24000"}},
		{"noise lsf joint 22050", noiseSrc, []string{"-b:a", "96k", "-ar", "22050"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := encode(t, tt.src, append(lame, tt.args...)...)
			got := decodeAll(t, b)
			ref := ffmpegDecode(t, b)
			// ffmpeg does not output the Xing/Info frame.
			_, h, _ := FindFrame(b[ID3v2Size(b):])
			got = got[2*h.Samples:]
			if d := len(got) - len(ref); d < 0 || d > 2*h.Samples {
				t.Errorf("%d samples, ffmpeg %d", len(got), len(ref))
			}
			s := snr(got, ref)
			t.Logf("SNR %.1f dB over %d samples", s, len(ref)/2)
			worst, wi := 0.0, 0
			for i := range min(len(got), len(ref)) {
				if e := math.Abs(float64(got[i] - ref[i])); e > worst {
					worst, wi = e, i
				}
			}
			t.Logf("worst error %g at sample %d (frame %d)", worst, wi/2, wi/2/h.Samples)
			if s < 90 {
				t.Errorf("SNR %.1f dB, want ≥ 90", s)
			}
		})
	}
}

func lookFFmpeg() (string, error) { return exec.LookPath("ffmpeg") }

// TestTransientHasShortBlocks makes sure the transient fixtures exercise
// what they are for: short blocks and the start/stop windows.
func TestTransientHasShortBlocks(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("no ffmpeg")
	}
	for _, args := range [][]string{{"-b:a", "128k"}, {"-b:a", "64k", "-ar", "22050"}} {
		fs := frames(t, encode(t, transientSrc, append([]string{"-c:a", "libmp3lame"}, args...)...))
		d := NewDecoder()
		out := make([]float32, 2304)
		var types [4]int
		mixed := 0
		for _, f := range fs {
			h, _ := ParseHeader(f)
			d.DecodeFrame(f, out)
			ngr := 2
			if h.lsf() {
				ngr = 1
			}
			for gr := range ngr {
				for ch := range h.Channels() {
					types[d.gr[gr][ch].blockType]++
					if d.gr[gr][ch].mixed {
						mixed++
					}
				}
			}
		}
		t.Logf("%v: block types %v, mixed %d", args, types, mixed)
		if types[1] == 0 || types[2] == 0 || types[3] == 0 {
			t.Errorf("%v: block types %v, want all of start/short/stop", args, types)
		}
	}
}
