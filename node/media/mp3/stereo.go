package mp3

import "math"

const invSqrt2 = float32(1 / math.Sqrt2)

// LSF intensity factors: k^p with k = 2^-1/4 (scale 0) or 2^-1/2.
var lsfIS = func() (t [2][32]float32) {
	for s := range 2 {
		for p := range 32 {
			t[s][p] = float32(math.Pow(2, -float64(p)*float64(s+1)/4))
		}
	}
	return
}()

// stereo undoes joint stereo coding for one granule: intensity above the
// right channel's last nonzero band, mid/side below it (or everywhere
// when intensity is off).
func (d *Decoder) stereo(h *Header, gr, sri int) {
	ms := h.ModeExt&2 != 0
	l, r := &d.xr[0], &d.xr[1]
	n := max(d.nz[0], d.nz[1])
	if h.ModeExt&1 == 0 {
		if ms {
			for i := range n {
				m, s := l[i], r[i]
				l[i], r[i] = (m+s)*invSqrt2, (m-s)*invSqrt2
			}
			d.nz[0], d.nz[1] = n, n
		}
		return
	}
	g := &d.gr[gr][1]
	if g.winSwitch && g.blockType == 2 {
		d.intensityShort(h, g, sri, ms)
		return
	}
	long := sfbLong[sri][:]
	last := lastNonzero(r[:], d.nz[1])
	sfb := 0
	for sfb < 22 && int(long[sfb+1]) <= last {
		sfb++
	}
	if last < 0 {
		sfb = 0
	} else {
		sfb++
	}
	msEnd := 576 // lines at or above this are intensity coded
	if sfb < 22 {
		msEnd = int(long[sfb])
	}
	for ; sfb < 22; sfb++ {
		k := sfb
		if sfb == 21 {
			k = 20
		}
		lo, hi := int(long[sfb]), int(long[sfb+1])
		d.intensityBand(h, d.sfL[1][k], d.isMaxL[k], lo, hi, ms)
	}
	if ms {
		for i := range msEnd {
			m, s := l[i], r[i]
			l[i], r[i] = (m+s)*invSqrt2, (m-s)*invSqrt2
		}
	}
	d.nz[0], d.nz[1] = 576, 576
}

// intensityShort handles short blocks window by window.
func (d *Decoder) intensityShort(h *Header, g *granule, sri int, ms bool) {
	l, r := &d.xr[0], &d.xr[1]
	short := sfbShort[sri][:]
	var start [3]int // first intensity band per window
	for w := range 3 {
		start[w] = 0
		for sfb := 12; sfb >= 0; sfb-- {
			width := int(short[sfb+1]) - int(short[sfb])
			lo := 3*int(short[sfb]) + w*width
			nonzero := false
			for i := lo; i < lo+width; i++ {
				if r[i] != 0 {
					nonzero = true
					break
				}
			}
			if nonzero {
				start[w] = sfb + 1
				break
			}
		}
	}
	for sfb := range 13 {
		width := int(short[sfb+1]) - int(short[sfb])
		for w := range 3 {
			lo := 3*int(short[sfb]) + w*width
			if sfb >= start[w] && !(g.mixed && sfb < 3) {
				k := min(sfb, 11)
				d.intensityBand(h, d.sfS[1][k][w], d.isMaxS[k], lo, lo+width, ms)
				continue
			}
			if ms {
				for i := lo; i < lo+width; i++ {
					m, s := l[i], r[i]
					l[i], r[i] = (m+s)*invSqrt2, (m-s)*invSqrt2
				}
			}
		}
	}
	d.nz[0], d.nz[1] = 576, 576
}

// intensityBand applies intensity stereo with position pos to lines
// [lo, hi); an illegal position falls back to mid/side or plain stereo.
func (d *Decoder) intensityBand(h *Header, pos, illegal, lo, hi int, ms bool) {
	l, r := &d.xr[0], &d.xr[1]
	var kl, kr float32
	if !h.lsf() {
		if pos >= 7 {
			if ms {
				for i := lo; i < hi; i++ {
					m, s := l[i], r[i]
					l[i], r[i] = (m+s)*invSqrt2, (m-s)*invSqrt2
				}
			}
			return
		}
		kl, kr = isRatio[pos][0], isRatio[pos][1]
	} else {
		if pos == illegal {
			if ms {
				for i := lo; i < hi; i++ {
					m, s := l[i], r[i]
					l[i], r[i] = (m+s)*invSqrt2, (m-s)*invSqrt2
				}
			}
			return
		}
		kl, kr = 1, 1
		p := min(pos, 31)
		if p&1 == 1 {
			kl = lsfIS[d.isScale][(p+1)/2]
		} else {
			kr = lsfIS[d.isScale][p/2]
		}
	}
	for i := lo; i < hi; i++ {
		x := l[i]
		l[i], r[i] = x*kl, x*kr
	}
}

func lastNonzero(x []float32, n int) int {
	for i := min(n, len(x)) - 1; i >= 0; i-- {
		if x[i] != 0 {
			return i
		}
	}
	return -1
}
