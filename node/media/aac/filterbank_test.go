package aac

import (
	"math"
	"math/rand/v2"
	"testing"
)

// mdct is the forward transform matching imdct (direct formula):
// X[k] = 2 Σ_n x[n] cos(2π/N (n + n0)(k + 1/2)).
func mdct(x []float64) []float32 {
	n := len(x)
	n0 := (float64(n)/2 + 1) / 2
	out := make([]float32, n/2)
	for k := range out {
		var s float64
		for i, v := range x {
			s += v * math.Cos(2*math.Pi/float64(n)*(float64(i)+n0)*(float64(k)+0.5))
		}
		out[k] = float32(2 * s) // the scale at which the standard's 2/N synthesis reconstructs
	}
	return out
}

// window returns the full analysis/synthesis window of a long-block
// sequence, or of short window j, as the filterbank applies it.
func fullWindow(seq, prevShape, shape int) []float64 {
	w := make([]float64, 2048)
	lw, rw := longWin[prevShape][:], longWin[shape][:]
	ls, rs := shortWin[prevShape][:], shortWin[shape][:]
	for n := range w {
		switch {
		case n < 1024 && (seq == onlyLong || seq == longStart):
			w[n] = float64(lw[n])
		case n < 448:
		case n < 576 && seq == longStop:
			w[n] = float64(ls[n-448])
		case n < 1024:
			w[n] = 1
		case seq == onlyLong || seq == longStop:
			w[n] = float64(rw[2047-n])
		case n < 1472:
			w[n] = 1
		case n < 1600:
			w[n] = float64(rs[1599-n])
		}
	}
	return w
}

// TestFilterbankReconstruction runs a random signal through MDCT analysis
// with every window sequence and shape switch, then through the decoder's
// synthesis: the output must equal the input one frame later.
func TestFilterbankReconstruction(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const frames = 10
	sig := make([]float64, 1024*(frames+1))
	for i := range sig {
		sig[i] = rng.NormFloat64() * 3000
	}
	seqs := []int{onlyLong, longStart, eightShort, eightShort, longStop, onlyLong, longStart, longStop, onlyLong, onlyLong}
	shapes := []int{0, 1, 1, 0, 1, 0, 0, 1, 1, 0}
	fb := newFilterbank()
	var st channelState
	out := make([]float32, 1024)
	prevShape := 0
	spec := make([]float32, 1024)
	for f := 0; f < frames; f++ {
		block := sig[1024*f : 1024*f+2048] // frame f covers samples [1024(f-1), 1024(f+1)) of the delayed signal
		seq, shape := seqs[f], shapes[f]
		if seq == eightShort {
			for j := 0; j < 8; j++ {
				x := make([]float64, 256)
				for n := range x {
					var w float64
					if n < 128 {
						left := shape
						if j == 0 {
							left = prevShape
						}
						w = float64(shortWin[left][n])
					} else {
						w = float64(shortWin[shape][255-n])
					}
					x[n] = block[448+128*j+n] * w
				}
				copy(spec[128*j:], mdct(x))
			}
		} else {
			w := fullWindow(seq, prevShape, shape)
			x := make([]float64, 2048)
			for n := range x {
				x[n] = block[n] * w[n]
			}
			copy(spec, mdct(x))
		}
		fb.synth(&st, spec, seq, shape, out)
		prevShape = shape
		if f == 0 {
			continue // no overlap yet
		}
		for n, v := range out {
			want := sig[1024*f+n]
			if math.Abs(float64(v)-want) > 0.05 {
				t.Fatalf("frame %d (seq %d) sample %d: %v, want %v", f, seq, n, v, want)
			}
		}
	}
}
