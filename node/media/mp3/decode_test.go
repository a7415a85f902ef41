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
	in := filepath.Join(t.TempDir(), "in.mp3")
	os.WriteFile(in, mp3, 0o644)
	b, err := exec.Command("ffmpeg", "-v", "error", "-flags2", "+skip_manual", "-i", in, "-f", "f32le", "-ac", "2", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg decode: %v", err)
	}
	pcm := make([]float32, len(b)/4)
	binary.Read(bytes.NewReader(b), binary.LittleEndian, pcm)
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

func TestDecodeVsFFmpeg(t *testing.T) {
	tone := "sine=f=440:d=2,aformat=channel_layouts=mono[l];sine=f=1000:d=2[r];[l][r]amerge"
	_ = tone
	b := encode(t, "aevalsrc=0.25*sin(2*PI*440*t)|0.25*sin(2*PI*1000*t):d=2:s=44100", "-c:a", "libmp3lame", "-b:a", "128k")
	got := decodeAll(t, b)
	ref := ffmpegDecode(t, b)
	for _, off := range []int{0, 2304, -2304} {
		g, r := got, ref
		if off > 0 {
			g = g[off:]
		} else if off < 0 {
			r = r[-off:]
		}
		t.Logf("off %d: got %d ref %d SNR %.1f dB", off, len(g), len(r), snr(g, r))
	}
	for i := 2304 + 44100; i < 2304+44100+20; i += 2 {
		t.Logf("%d: %f %f | %f %f", i, got[i], got[i+1], ref[i-2304], ref[i-2303])
	}
}
