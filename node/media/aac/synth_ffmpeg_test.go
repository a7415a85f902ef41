package aac

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestSyntheticFramesVsFFmpeg decodes frames written by this package's
// test encoder — tools ffmpeg's encoder never writes: per-band M/S masks
// with intensity bands in and out of phase, pulse data, escapes up to
// 8191, every grouping, sections of any codebook in any order — with
// ffmpeg and with us, and demands the same PCM. (Noise bands are left
// out: their random values differ by design. ms_mask_present = 2 with
// intensity is left out: there ffmpeg departs from the standard, see
// stereo.go.)
func TestSyntheticFramesVsFFmpeg(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	d := newTestDecoder(t)
	rng := rand.New(rand.NewPCG(11, 12))
	var adts []byte
	var frames [][]byte
	// Legal window order: long, start, short, stop, long ...
	order := []int{onlyLong, onlyLong, longStart, eightShort, eightShort, longStop}
	for i := 0; i < 60; i++ {
		seq := order[i%len(order)]
		raw := syntheticFrame(rng, d, seq)
		frames = append(frames, raw)
		adts = append(adts, adtsFrame(raw)...)
	}
	path := filepath.Join(t.TempDir(), "synthetic.aac")
	if err := os.WriteFile(path, adts, 0o644); err != nil {
		t.Fatal(err)
	}
	want := ffmpegDecode(t, path)
	got := make([]float32, 0, len(want))
	dst := make([]float32, 2048)
	for i, f := range frames {
		n, err := d.Decode(f, dst)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		got = append(got, dst[:2*n]...)
	}
	if len(got) != len(want) {
		t.Fatalf("%d samples, ffmpeg %d", len(got)/2, len(want)/2)
	}
	s, off := snr(want, got)
	t.Logf("SNR %.1f dB against ffmpeg (offset %d)", s, off)
	if s < 100 || off != 0 {
		t.Errorf("SNR %.1f dB at offset %d, want ≥ 100 dB at 0", s, off)
	}
}

// syntheticFrame is a random CPE with a per-band M/S mask, intensity in
// the right channel and pulses in long windows.
func syntheticFrame(rng *rand.Rand, d *Decoder, seq int) []byte {
	grouping := rng.Uint32() & 0x7f
	maxSfb := 49
	if seq == eightShort {
		maxSfb = 14
	}
	info := testInfo(d, seq, grouping, maxSfb)
	l := randomChannel(rng, &info, false)
	r := randomChannel(rng, &info, true)
	// Level the channels (scale factors near 100, escapes below 40) so
	// that every band, and every pulse, weighs in the comparison.
	for _, ch := range []*testChannel{l, r} {
		for g := 0; g < info.numGroups; g++ {
			for k := 0; k < info.maxSfb; k++ {
				switch ch.cb[g][k] {
				case intensityHCB, intensityHCB2:
					ch.sf[g][k] = rng.IntN(21) - 10
				default:
					ch.sf[g][k] = 100 + rng.IntN(9) - 4
				}
			}
		}
		for i, v := range ch.q {
			ch.q[i] = max(min(v, 40), -40)
		}
	}
	if seq != eightShort {
		// Pulses on bands 2..3 (offsets from band 2's start); left coded
		// with a non-zero book there so the pulses land.
		for k := 2; k < 4; k++ {
			if l.cb[0][k] == zeroHCB {
				l.cb[0][k] = 5
				l.sf[0][k] = l.sf[0][k-1]
			}
		}
		l.pulse = []uint32{1, 2, 1, uint32(1 + rng.IntN(15)), 3, uint32(1 + rng.IntN(15))}
	}
	var w bitWriter
	w.put(idCPE, 3)
	w.put(0, 4)
	w.put(1, 1) // common window
	writeICSInfo(&w, &info, grouping)
	w.put(1, 2) // ms_mask_present 1: a mask bit per band
	for g := 0; g < info.numGroups; g++ {
		for k := 0; k < info.maxSfb; k++ {
			w.put(uint32(rng.IntN(2)), 1)
		}
	}
	encodeICS(&w, &info, l, spectralCodes)
	encodeICS(&w, &info, r, spectralCodes)
	w.put(idEND, 3)
	return w.b
}

// adtsFrame wraps a raw_data_block: MPEG-4 AAC LC, 44.1 kHz, stereo, no CRC.
func adtsFrame(raw []byte) []byte {
	var w bitWriter
	w.put(0xfff, 12)
	w.put(0, 1) // MPEG-4
	w.put(0, 2) // layer
	w.put(1, 1) // protection absent
	w.put(1, 2) // LC
	w.put(4, 4) // 44100 Hz
	w.put(0, 1)
	w.put(2, 3) // stereo
	w.put(0, 4)
	w.put(uint32(7+len(raw)), 13)
	w.put(0x7ff, 11)
	w.put(0, 2)
	return append(w.b, raw...)
}
