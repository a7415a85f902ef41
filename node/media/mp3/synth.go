package mp3

import "math"

// synthState is one channel's polyphase filterbank history: the V
// vector of 11172-3 Annex A (Figure A.2) as a ring of 1024 values.
type synthState struct {
	v   [1024]float32
	off int // where V[0] lives in v
}

// synthD is the window D[i] as float32.
var synthD = func() (d [512]float32) {
	for i, v := range synthWindow {
		d[i] = float32(v)
	}
	return
}()

// dctFactors[N] holds 1/(2cos(π(2n+1)/(2N))) for Lee's DCT split of
// size N (N = 32, 16, 8, 4, 2).
var dctFactors = func() (f [33][]float32) {
	for n := 2; n <= 32; n *= 2 {
		f[n] = make([]float32, n/2)
		for i := range n / 2 {
			f[n][i] = float32(1 / (2 * math.Cos(math.Pi*float64(2*i+1)/float64(2*n))))
		}
	}
	return
}()

// dct2 computes in place the unnormalised DCT-II
// X[k] = Σ x[n]·cos(π(2n+1)k/2N) of len(x) = N (a power of two) by
// Lee's recursive even/odd split; tmp must hold N values.
func dct2(x, tmp []float32) {
	n := len(x)
	if n == 1 {
		return
	}
	h := n / 2
	f := dctFactors[n]
	a, b := tmp[:h], tmp[h:n]
	for i := range h {
		u, v := x[i], x[n-1-i]
		a[i] = u + v
		b[i] = (u - v) * f[i]
	}
	dct2(a, x[:h])
	dct2(b, x[h:n])
	for k := range h {
		x[2*k] = a[k]
	}
	for k := 0; k < h-1; k++ {
		x[2*k+1] = b[k] + b[k+1]
	}
	x[n-1] = b[h-1]
}

// synthesize runs the 18 time slots of d.hybOut through channel ch's
// filterbank, writing 576 samples to dst (interleaved stereo; a mono
// stream is written to both channels).
func (d *Decoder) synthesize(ch int, dst []float32, nch int) {
	s := &d.synth[ch]
	a := &d.dctA
	for t := range 18 {
		for sb := range 32 {
			a[sb] = d.hybOut[sb][t]
		}
		dct2(a[:], d.dctTmp[:32])
		s.off = (s.off - 64) & 1023
		v := &s.v
		o := s.off
		// V[i] from the DCT (see the derivation in the package tests).
		for i := range 16 {
			v[(o+i)&1023] = a[16+i]
		}
		v[(o+16)&1023] = 0
		for i := 17; i < 48; i++ {
			v[(o+i)&1023] = -a[48-i]
		}
		for i := 48; i < 64; i++ {
			v[(o+i)&1023] = -a[i-48]
		}
		out := dst[t*64 : t*64+64]
		for j := range 32 {
			var sum float32
			for i := range 8 {
				sum += v[(o+i*128+j)&1023] * synthD[i*64+j]
				sum += v[(o+i*128+96+j)&1023] * synthD[i*64+32+j]
			}
			if nch == 1 {
				out[2*j] = sum
				out[2*j+1] = sum
			} else {
				out[2*j+ch] = sum
			}
		}
	}
}
