package mp3

import "math"

// IMDCT windows by block type (11172-3 2.4.3.4.10.3); index 2 holds the
// 12-point short window.
var imdctWin = func() (w [4][36]float32) {
	for i := range 36 {
		w[0][i] = float32(math.Sin(math.Pi / 36 * (float64(i) + 0.5)))
	}
	for i := range 36 {
		switch {
		case i < 18:
			w[1][i] = w[0][i]
		case i < 24:
			w[1][i] = 1
		case i < 30:
			w[1][i] = float32(math.Sin(math.Pi / 12 * (float64(i-18) + 0.5)))
		}
		switch {
		case i < 6:
		case i < 12:
			w[3][i] = float32(math.Sin(math.Pi / 12 * (float64(i-6) + 0.5)))
		case i < 18:
			w[3][i] = 1
		default:
			w[3][i] = w[0][i]
		}
	}
	for i := range 12 {
		w[2][i] = float32(math.Sin(math.Pi / 12 * (float64(i) + 0.5)))
	}
	return w
}()

// imdctCos36[j][k] = cos(π/72·(2i+1+18)(2k+1)) for the 18 outputs i
// (0..8 and 18..26) that determine all 36: x[17-i] = -x[i] and
// x[35-i] = x[18+i] for i < 9, since the cosine arguments sum to π(2k+1)
// and 2π(2k+1).
// It is stored transposed, [k][j], so that imdct36 keeps 18 independent
// sums.
var imdctCos36 = func() (c [18][18]float32) {
	for j := range 18 {
		i := j
		if j >= 9 {
			i = j + 9
		}
		for k := range 18 {
			c[k][j] = float32(math.Cos(math.Pi / 72 * float64(2*i+1+18) * float64(2*k+1)))
		}
	}
	return c
}()

var imdctCos12 = func() (c [12][6]float32) {
	for i := range 12 {
		for k := range 6 {
			c[i][k] = float32(math.Cos(math.Pi / 24 * float64(2*i+1+6) * float64(2*k+1)))
		}
	}
	return c
}()

// hybrid runs reordering, alias reduction, IMDCT with overlap-add and
// frequency inversion for one channel, leaving subband samples in
// d.hybOut.
func (d *Decoder) hybrid(g *granule, ch, sri int) {
	xr := &d.xr[ch]
	short := g.winSwitch && g.blockType == 2
	if short {
		d.reorder(g, ch, sri)
	}
	nz := d.nz[ch]
	// Alias reduction across subband boundaries.
	if !short || g.mixed {
		bounds := 32
		if short {
			bounds = 2
		}
		for sb := 1; sb < bounds && 18*sb-8 < nz; sb++ {
			for i := range 8 {
				a, b := 18*sb-1-i, 18*sb+i
				bu, bd := xr[a], xr[b]
				xr[a] = bu*aliasCS[i] - bd*aliasCA[i]
				xr[b] = bd*aliasCS[i] + bu*aliasCA[i]
			}
		}
		if !short {
			nz = min(576, ((nz+17)/18)*18+8)
		}
	}
	if short {
		nz = 576
	}
	sblimit := min(32, (nz+17)/18)
	ov := &d.overlap[ch]
	var raw [36]float32
	for sb := range 32 {
		out := &d.hybOut[sb]
		if sb >= sblimit {
			*out = ov[sb]
			ov[sb] = [18]float32{}
		} else {
			bt := g.blockType
			if !g.winSwitch || (g.mixed && sb < 2) {
				bt = 0
			}
			in := xr[18*sb : 18*sb+18]
			if bt == 2 {
				imdct12(in, &raw)
			} else {
				imdct36(in, &raw, &imdctWin[bt])
			}
			for i := range 18 {
				out[i] = raw[i] + ov[sb][i]
				ov[sb][i] = raw[18+i]
			}
		}
		if sb&1 == 1 {
			for i := 1; i < 18; i += 2 {
				out[i] = -out[i]
			}
		}
	}
}

// reorder turns short-block lines from window-major within each band
// into frequency-major order (3 windows interleaved).
func (d *Decoder) reorder(g *granule, ch, sri int) {
	xr := &d.xr[ch]
	short := sfbShort[sri][:]
	sfb0 := 0
	if g.mixed {
		sfb0 = 3
	}
	lo := 3 * int(short[sfb0])
	for sfb := sfb0; sfb < 13; sfb++ {
		s := 3 * int(short[sfb])
		width := int(short[sfb+1]) - int(short[sfb])
		for w := range 3 {
			for j := range width {
				d.tmp[s+3*j+w] = xr[s+w*width+j]
			}
		}
	}
	copy(xr[lo:], d.tmp[lo:576])
}

// imdct36 computes the windowed 36-point IMDCT of 18 lines.
func imdct36(in []float32, out *[36]float32, win *[36]float32) {
	x := (*[18]float32)(in[:18])
	var acc [18]float32
	for k, xk := range x {
		if xk == 0 {
			continue // high lines are often zero
		}
		c := &imdctCos36[k]
		for j := range acc {
			acc[j] += xk * c[j]
		}
	}
	for j := range 9 {
		out[j] = acc[j] * win[j]
		out[17-j] = -acc[j] * win[17-j]
	}
	for j := 9; j < 18; j++ {
		i := j + 9
		out[i] = acc[j] * win[i]
		out[53-i] = acc[j] * win[53-i]
	}
}

// imdct12 computes the three windowed 12-point IMDCTs of a short block
// and overlaps them into the 36-sample layout.
func imdct12(in []float32, out *[36]float32) {
	*out = [36]float32{}
	win := &imdctWin[2]
	for w := range 3 {
		for i := range 12 {
			c := &imdctCos12[i]
			var s float32
			for k := range 6 {
				s += in[3*k+w] * c[k]
			}
			out[6+6*w+i] += s * win[i]
		}
	}
}
