package aac

import (
	"math"
	"testing"
)

// encodeSCEBody writes a long-window SCE (after id and tag) and END.
func encodeSCEBody(w *bitWriter, info *icsInfo, ch *testChannel, tb [12][]huffCode) []byte {
	var body bitWriter
	encodeICS(&body, info, ch, tb)
	// Splice ics_info in after the 8-bit global_gain.
	br := bitReader{buf: body.b}
	w.put(br.read(8), 8)
	writeICSInfo(w, info, 0)
	for br.pos < body.n {
		n := min(16, body.n-br.pos)
		w.put(br.read(n), n)
	}
	w.put(idEND, 3)
	return w.b
}

// TestPNSAndPulse checks noise band energies (2^(nrg/2)), the first-noise
// 9-bit energy and later Huffman deltas, and pulses (added to coded bands
// only).
func TestPNSAndPulse(t *testing.T) {
	tb := withMadeUpBooks(t)
	d := newTestDecoder(t)
	ch := &testChannel{}
	cbs := []uint8{1, 1, noiseHCB, noiseHCB, noiseHCB, 7, zeroHCB, 11, noiseHCB, 11}
	nrg := []int{0, 0, 20, 35, 30, 0, 0, 0, 12, 0}
	for k, cb := range cbs {
		ch.cb[0][k] = cb
		switch cb {
		case noiseHCB:
			ch.sf[0][k] = nrg[k]
		case zeroHCB:
		default:
			ch.sf[0][k] = 100 + k
		}
	}
	info := testInfo(d, onlyLong, 0, len(cbs))
	for k, cb := range cbs {
		if cb == zeroHCB || cb == noiseHCB {
			continue
		}
		for i := info.swb[k]; i < info.swb[k+1]; i++ {
			ch.q[i] = int(i%3) - 1
			if cb == 11 {
				ch.q[i] = int(i%40) - 20
			}
		}
	}
	// Pulses: bin 1 (band 0, +3), bin 1+23 = 24 (band 6, zero: ignored), bin 24+5=29 (band 7).
	ch.pulse = []uint32{2, 0, 1, 3, 23, 5, 5, 7}
	var w bitWriter
	w.put(idSCE, 3)
	w.put(0, 4)
	au := encodeSCEBody(&w, &info, ch, tb)
	dst := make([]float32, 2048)
	if _, err := d.Decode(au, dst); err != nil {
		t.Fatal(err)
	}
	got := d.ics[0].spec
	q := ch.q
	for _, p := range [][2]int{{1, 3}, {29, 7}} {
		if q[p[0]] > 0 {
			q[p[0]] += p[1]
		} else {
			q[p[0]] -= p[1]
		}
	}
	for k, cb := range cbs {
		lo, hi := int(info.swb[k]), int(info.swb[k+1])
		switch cb {
		case noiseHCB:
			var e float64
			for _, v := range got[lo:hi] {
				e += float64(v) * float64(v)
			}
			if want := math.Pow(2, 0.5*float64(nrg[k])); math.Abs(e-want) > 1e-4*want {
				t.Errorf("noise band %d: energy %v, want %v", k, e, want)
			}
		default:
			for i := lo; i < hi; i++ {
				want := 0.0
				if cb != zeroHCB {
					want = dequant(q[i], ch.sf[0][k])
				}
				if math.Abs(float64(got[i])-want) > 1e-5*math.Abs(want) {
					t.Errorf("band %d bin %d: %v, want %v", k, i, got[i], want)
				}
			}
		}
	}
}
