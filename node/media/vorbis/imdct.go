package vorbis

import "math"

// imdct computes the Vorbis inverse MDCT (§1.3.2, unnormalised)
//
//	y[n] = Σ_k X[k] cos(2π/N (n + 1/2 + N/4)(k + 1/2)),  n < N, k < N/2,
//
// through a DCT-IV of size N/2, itself done with an N/4-point complex
// FFT, like node/media/aac's.
type imdct struct {
	n    int
	fft  fft
	twid []complex64 // e^{-iπ(k+1/8)/M}, M = N/2, applied before and after the FFT
	buf  []complex64
	dct  []float32
}

func newIMDCT(n int) *imdct {
	m := n / 2
	t := &imdct{n: n, fft: newFFT(n / 4), twid: make([]complex64, m/2), buf: make([]complex64, m/2), dct: make([]float32, m)}
	for k := range t.twid {
		a := -math.Pi * (float64(k) + 0.125) / float64(m)
		t.twid[k] = complex(float32(math.Cos(a)), float32(math.Sin(a)))
	}
	return t
}

// transform writes N outputs to out from N/2 coefficients in.
func (t *imdct) transform(in, out []float32) {
	m := t.n / 2
	in, out = in[:m], out[:t.n]
	h := m / 2
	for k := 0; k < h; k++ {
		t.buf[k] = complex(in[2*k], in[m-1-2*k]) * t.twid[k]
	}
	t.fft.transform(t.buf)
	u := t.dct
	for p := 0; p < h; p++ {
		z := t.buf[p] * t.twid[p]
		u[2*p] = real(z)
		u[m-1-2*p] = -imag(z)
	}
	// DCT-IV symmetries: y[n] = u[n+N/4], u[j] = −u[N−1−j], u[j+N] = −u[j].
	q := t.n / 4
	copy(out[:m-q], u[q:])
	for i := m - q; i < t.n-q; i++ {
		out[i] = -u[t.n-1-(i+q)]
	}
	for i := t.n - q; i < t.n; i++ {
		out[i] = -u[i+q-t.n]
	}
}

// fft is an in-place radix-2 complex FFT (forward, e^{-i}).
type fft struct {
	n     int
	rev   []uint16
	stage []complex64 // stage[h+j] = e^{-iπj/h} for the stage of half-size h
}

func newFFT(n int) fft {
	f := fft{n: n, rev: make([]uint16, n), stage: make([]complex64, n)}
	nb := 0
	for 1<<nb < n {
		nb++
	}
	for i := range f.rev {
		r := 0
		for b := 0; b < nb; b++ {
			if i&(1<<b) != 0 {
				r |= 1 << (nb - 1 - b)
			}
		}
		f.rev[i] = uint16(r)
	}
	for h := 1; h < n; h <<= 1 {
		for j := 0; j < h; j++ {
			a := -math.Pi * float64(j) / float64(h)
			f.stage[h+j] = complex(float32(math.Cos(a)), float32(math.Sin(a)))
		}
	}
	return f
}

func (f *fft) transform(x []complex64) {
	x = x[:f.n]
	for i, r := range f.rev {
		if int(r) > i {
			x[i], x[r] = x[r], x[i]
		}
	}
	for i := 0; i+1 < f.n; i += 2 {
		a, b := x[i], x[i+1]
		x[i], x[i+1] = a+b, a-b
	}
	for size := 4; size <= f.n; size <<= 1 {
		half := size / 2
		tw := f.stage[half:size]
		for start := 0; start < f.n; start += size {
			lo, hi := x[start:start+half], x[start+half:start+size]
			for j, w := range tw {
				a := lo[j]
				wr, wi := real(w), imag(w)
				br, bi := real(hi[j]), imag(hi[j])
				b := complex(br*wr-bi*wi, br*wi+bi*wr)
				lo[j], hi[j] = a+b, a-b
			}
		}
	}
}
