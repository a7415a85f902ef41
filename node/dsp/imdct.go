package dsp

import "math"

// IMDCT is the inverse MDCT of the audio codecs (AAC ISO 14496-3
// §4.6.11.3.2, Vorbis I §1.3.2):
//
//	x[n] = scale · Σ_k X[k] cos(2π/N (n + n0)(k + 1/2)),  n0 = (N/2 + 1)/2,
//
// for n < N, k < N/2 (AAC scales by 2/N, Vorbis by 1), through a DCT-IV of
// size N/2, itself done with an N/4-point complex FFT. N is a power of two
// of at least 8. Transform allocates nothing; an IMDCT is not safe for
// concurrent use.
type IMDCT struct {
	n     int // output length N (2048 or 256)
	fft   fft
	twid  []complex64 // e^{-iπ(k+1/8)/M}, M = N/2: half of the 1/(4M) phase before the FFT, half after
	buf   []complex64 // N/4 work values
	dct   []float32   // N/2 DCT-IV outputs
	scale float32
}

// NewIMDCT returns an IMDCT of output length n.
func NewIMDCT(n int, scale float32) *IMDCT {
	m := n / 2
	t := &IMDCT{n: n, fft: newFFT(n / 4), twid: make([]complex64, m/2), buf: make([]complex64, m/2), dct: make([]float32, m), scale: scale}
	for k := range t.twid {
		a := -math.Pi * (float64(k) + 0.125) / float64(m)
		t.twid[k] = complex(float32(math.Cos(a)), float32(math.Sin(a)))
	}
	return t
}

// Transform writes N outputs to out from N/2 coefficients in.
func (t *IMDCT) Transform(in, out []float32) {
	m := t.n / 2
	in, out = in[:m], out[:t.n]
	h := m / 2
	// DCT-IV: u[m] = Σ_k X[k] cos(π/M (m+1/2)(k+1/2)).
	for k := 0; k < h; k++ {
		t.buf[k] = complex(in[2*k], in[m-1-2*k]) * t.twid[k]
	}
	t.fft.transform(t.buf)
	u := t.dct
	for p := 0; p < h; p++ {
		z := t.buf[p] * t.twid[p]
		u[2*p] = real(z) * t.scale
		u[m-1-2*p] = -imag(z) * t.scale
	}
	// Unfold: x[n] = u[n+N/4] with u[j] = −u[N−1−j] and u[j+N] = −u[j].
	q := t.n / 4
	for i := 0; i < m-q; i++ { // j = n+q in [q, m)
		out[i] = u[i+q]
	}
	for i := m - q; i < t.n-q; i++ { // j in [m, N)
		out[i] = -u[t.n-1-(i+q)]
	}
	for i := t.n - q; i < t.n; i++ { // j in [N, N+q)
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
	bitsN := 0
	for 1<<bitsN < n {
		bitsN++
	}
	for i := range f.rev {
		r := 0
		for b := 0; b < bitsN; b++ {
			if i&(1<<b) != 0 {
				r |= 1 << (bitsN - 1 - b)
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
	// First stage needs no multiplications.
	for i := 0; i+1 < f.n; i += 2 {
		a, b := x[i], x[i+1]
		x[i], x[i+1] = a+b, a-b
	}
	for size := 4; size <= f.n; size <<= 1 {
		half := size / 2
		tw := f.stage[half:size] // this stage's twiddles, contiguous
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
