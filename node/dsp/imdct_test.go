package dsp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestIMDCT checks the fast transform against the formula, at AAC's
// block sizes and scale and at Vorbis's.
func TestIMDCT(t *testing.T) {
	for _, tc := range []struct {
		n     int
		scale float64
	}{{2048, 2.0 / 2048}, {256, 2.0 / 256}, {8192, 1}, {64, 1}} {
		n := tc.n
		rng := rand.New(rand.NewPCG(1, uint64(n)))
		in := make([]float32, n/2)
		for i := range in {
			in[i] = float32(rng.NormFloat64() * 1000)
		}
		out := make([]float32, n)
		NewIMDCT(n, float32(tc.scale)).Transform(in, out)
		n0 := (float64(n)/2 + 1) / 2
		var errPow, sigPow float64
		for i := 0; i < n; i++ {
			var s float64
			for k := 0; k < n/2; k++ {
				s += float64(in[k]) * math.Cos(2*math.Pi/float64(n)*(float64(i)+n0)*(float64(k)+0.5))
			}
			s *= tc.scale
			d := s - float64(out[i])
			errPow += d * d
			sigPow += s * s
		}
		if snr := 10 * math.Log10(sigPow/errPow); snr < 120 {
			t.Errorf("N=%d: SNR %.1f dB against the direct formula", n, snr)
		}
	}
}

func BenchmarkIMDCT2048(b *testing.B) {
	t := NewIMDCT(2048, 1.0/1024)
	in := make([]float32, 1024)
	out := make([]float32, 2048)
	for i := range in {
		in[i] = float32(i % 7)
	}
	b.ReportAllocs()
	for b.Loop() {
		t.Transform(in, out)
	}
}
