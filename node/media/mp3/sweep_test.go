package mp3

import (
	"fmt"
	"os"
	"testing"
)

// TestSweep (SWEEP=1, ~10 s) compares 48 more encodings with ffmpeg:
// three noise seeds, pink and bursty white noise, CBR/VBR/LSF/2.5/mono.
func TestSweep(t *testing.T) {
	if os.Getenv("SWEEP") == "" {
		t.Skip()
	}
	cfgs := [][]string{{"-b:a", "320k"}, {"-b:a", "128k"}, {"-q:a", "0"}, {"-q:a", "6"}, {"-b:a", "32k", "-ar", "16000"}, {"-b:a", "8k", "-ar", "8000"}, {"-b:a", "48k", "-ar", "22050", "-ac", "1"}, {"-b:a", "160k", "-ar", "32000"}}
	for seed := 1; seed <= 3; seed++ {
		for _, c := range cfgs {
			for _, src := range []string{
				fmt.Sprintf("anoisesrc=d=2:a=0.7:r=44100:c=pink:seed=%d,aformat=channel_layouts=stereo", seed),
				fmt.Sprintf("anoisesrc=d=2:a=0.3:r=44100:c=white:seed=%d,aformat=channel_layouts=stereo,volume='if(lt(mod(t\\,0.3)\\,0.02)\\,1\\,0.01)':eval=frame", seed),
			} {
				b := encode(t, src, append([]string{"-c:a", "libmp3lame"}, c...)...)
				got := decodeAll(t, b)
				ref := ffmpegDecode(t, b)
				_, h, _ := FindFrame(b[ID3v2Size(b):])
				got = got[2*h.Samples:]
				if s := snr(got, ref); s < 90 {
					t.Errorf("seed %d %v %s: SNR %.1f", seed, c, src[:30], s)
				}
			}
		}
	}
}
