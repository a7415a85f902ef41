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
	tb := spectralCodes
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

// TestTNS checks one order-3 filter in each direction against a plain
// float64 evaluation of §4.6.9.3: reflection coefficients from the 4-bit
// indices, step-up to LPC, all-pole filtering over the bands the filter
// covers, limited by max_sfb (40 here) below tns_max_bands (42 at 44.1 kHz).
func TestTNS(t *testing.T) {
	for _, down := range []bool{false, true} {
		tb := spectralCodes
		d := newTestDecoder(t)
		ch := &testChannel{}
		const maxSfb = 40
		info := testInfo(d, onlyLong, 0, maxSfb)
		for k := 0; k < maxSfb; k++ {
			ch.cb[0][k] = 5
			ch.sf[0][k] = 100
		}
		for i := 0; i < int(info.swb[maxSfb]); i++ {
			ch.q[i] = (i*7)%9 - 4
		}
		idx := []int{3, -2, 1}
		ch.tns = func(w *bitWriter) {
			w.put(1, 2)  // n_filt
			w.put(1, 1)  // coef_res: 4-bit coefficients
			w.put(20, 6) // length in bands, from the top (49)
			w.put(3, 5)  // order
			w.put(b2u(down), 1)
			w.put(0, 1) // no compression
			for _, v := range idx {
				w.put(uint32(v)&15, 4)
			}
		}
		var w bitWriter
		w.put(idSCE, 3)
		w.put(0, 4)
		au := encodeSCEBody(&w, &info, ch, tb)
		if _, err := d.Decode(au, make([]float32, 2048)); err != nil {
			t.Fatal(err)
		}
		x := make([]float64, 1024)
		for i := range x {
			x[i] = dequant(ch.q[i], 100)
		}
		k := make([]float64, 3)
		for i, v := range idx {
			if v >= 0 {
				k[i] = math.Sin(float64(v) / ((8 - 0.5) / (math.Pi / 2)))
			} else {
				k[i] = math.Sin(float64(v) / ((8 + 0.5) / (math.Pi / 2)))
			}
		}
		a := []float64{1}
		for m := 1; m <= 3; m++ {
			next := make([]float64, m+1)
			next[0] = 1
			for i := 1; i < m; i++ {
				next[i] = a[i] + k[m-1]*a[m-i]
			}
			next[m] = k[m-1]
			a = next
		}
		start, end := int(info.swb[29]), int(info.swb[40])
		want := append([]float64(nil), x...)
		order := make([]int, 0, end-start)
		for i := start; i < end; i++ {
			order = append(order, i)
		}
		if down {
			for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
				order[i], order[j] = order[j], order[i]
			}
		}
		for n, pos := range order {
			y := x[pos]
			for i := 1; i <= 3 && n-i >= 0; i++ {
				y -= a[i] * want[order[n-i]]
			}
			want[pos] = y
		}
		for i := range want {
			if g := float64(d.ics[0].spec[i]); math.Abs(g-want[i]) > 1e-4*(1+math.Abs(want[i])) {
				t.Fatalf("down=%v bin %d: %v, want %v", down, i, g, want[i])
			}
		}
	}
}
