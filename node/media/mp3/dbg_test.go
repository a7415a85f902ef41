package mp3

import "testing"

func TestDbg(t *testing.T) {
	for _, ar := range []string{"16000", "22050"} {
		b := encode(t, toneSrc, "-c:a", "libmp3lame", "-b:a", "48k", "-ar", ar)
		got := decodeAll(t, b)
		ref := ffmpegDecode(t, b)
		got = got[1152:]
		t.Logf("%s: got %d ref %d", ar, len(got), len(ref))
		for f := 0; f*1152 < min(len(got), len(ref)); f++ {
			e := min((f+1)*1152, len(got), len(ref))
			if s := snr(got[f*1152:e], ref[f*1152:e]); s < 90 {
				t.Logf("frame %d: %.1f dB", f, s)
			}
		}
	}
}
