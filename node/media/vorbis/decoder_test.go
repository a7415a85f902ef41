package vorbis

import (
	"math"
	"testing"
)

// TestMatchesFFmpeg decodes libvorbis files (mono, stereo, 5.1; 22.05 to
// 48 kHz; q0 to q10; tones, noise, bursts that force short blocks,
// silence) and compares them with ffmpeg's float decode.
func TestMatchesFFmpeg(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			p := makeFixture(t, f)
			d, pkts, last := openFixture(t, p)
			got := decodeAll(t, d, pkts, last)
			ref := ffmpegPCM(t, p, d.Channels())
			if len(got) != len(ref) {
				t.Errorf("%d samples, ffmpeg %d", len(got), len(ref))
			}
			var peak float64
			for i := range min(len(got), len(ref)) {
				peak = max(peak, math.Abs(float64(got[i]-ref[i])))
			}
			snr := snrDB(ref, got)
			short := 0
			for _, p := range pkts {
				if !packetLong(d, p) {
					short++
				}
			}
			t.Logf("%s: %d ch, blocks %v, %d of %d packets short, SNR %.1f dB, peak error %.2g", f.name, d.Channels(), d.bs, short, len(pkts), snr, peak)
			if f.expr == burstExpr && short == 0 {
				t.Errorf("no short blocks")
			}
			if f.expr == "0|0" {
				if peak > 1e-6 {
					t.Errorf("silence decodes with peak error %g", peak)
				}
				return
			}
			if snr < 100 {
				t.Errorf("SNR %.1f dB, want ≥ 100", snr)
			}
		})
	}
}

// packetLong reports whether an audio packet's mode uses the long block.
func packetLong(d *Decoder, p []byte) bool {
	var r bitReader
	r.init(p)
	r.read(1)
	m := int(r.read(d.modeBits))
	return m < len(d.modes) && d.modes[m].long
}
