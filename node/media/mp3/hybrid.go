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

// imdct36 computes the windowed 36-point IMDCT of 18 lines. The output
// x[i] = Σ X[k]·cos(π/72·(2i+19)(2k+1)) has 18 distinct values, all
// terms of the DCT-IV D[n] = Σ X[k]·cos(π/72·(2n+1)(2k+1)): x[i] = D[i+9]
// for i < 9, x[18+j] = -D[8-j], and x[17-i] = -x[i], x[35-i] = x[18+i].
// D comes from a DCT-II of pre-scaled input (two 9-point halves by Lee's
// split) and a running difference: with θ = π(2n+1)/72,
// 2cosθ·cos2kθ = cos(2k+1)θ + cos(2k-1)θ, so DCT-II(2X·cosθ)[k] =
// D[k] + D[k-1] (D[-1] = D[0]).
func imdct36(in []float32, out *[36]float32, win *[36]float32) {
	x := (*[18]float32)(in[:18])
	var u [18]float32
	for n := range 18 {
		u[n] = x[n] * dct4Pre[n]
	}
	// DCT-II of 18 by Lee's split into two of 9.
	var a, b [9]float32
	for n := range 9 {
		p, q := u[n], u[17-n]
		a[n] = p + q
		b[n] = (p - q) * lee18[n]
	}
	var A, B [9]float32
	for k := range 9 {
		c := &dct9[k]
		var sa, sb float32
		for n := range 9 {
			sa += a[n] * c[n]
			sb += b[n] * c[n]
		}
		A[k], B[k] = sa, sb
	}
	var y [18]float32
	for k := range 9 {
		y[2*k] = A[k]
	}
	for k := range 8 {
		y[2*k+1] = B[k] + B[k+1]
	}
	y[17] = B[8]
	// DCT-IV: D[0] = y[0]/2, D[k] = y[k] - D[k-1].
	var d [18]float32
	d[0] = y[0] / 2
	for k := 1; k < 18; k++ {
		d[k] = y[k] - d[k-1]
	}
	for j := range 9 {
		s := d[j+9]
		out[j] = s * win[j]
		out[17-j] = -s * win[17-j]
	}
	for j := range 9 {
		i := 18 + j
		s := -d[8-j]
		out[i] = s * win[i]
		out[53-i] = s * win[53-i]
	}
}

var (
	dct4Pre = func() (t [18]float32) {
		for n := range t {
			t[n] = float32(2 * math.Cos(math.Pi*float64(2*n+1)/72))
		}
		return
	}()
	lee18 = func() (t [9]float32) {
		for n := range t {
			t[n] = float32(1 / (2 * math.Cos(math.Pi*float64(2*n+1)/36)))
		}
		return
	}()
	dct9 = func() (t [9][9]float32) {
		for k := range 9 {
			for n := range 9 {
				t[k][n] = float32(math.Cos(math.Pi * float64(2*n+1) * float64(k) / 18))
			}
		}
		return
	}()
)

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
