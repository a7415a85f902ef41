package aac

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestIMDCT checks the fast transform against the standard's formula.
func TestIMDCT(t *testing.T) {
	for _, n := range []int{2048, 256, 1920, 240} {
		if n%8 != 0 || n&(n-1) != 0 {
			continue // 960-frame transforms are not implemented
		}
		rng := rand.New(rand.NewPCG(1, uint64(n)))
		in := make([]float32, n/2)
		for i := range in {
			in[i] = float32(rng.NormFloat64() * 1000)
		}
		out := make([]float32, n)
		newIMDCT(n).transform(in, out)
		n0 := (float64(n)/2 + 1) / 2
		var errPow, sigPow float64
		for i := 0; i < n; i++ {
			var s float64
			for k := 0; k < n/2; k++ {
				s += float64(in[k]) * math.Cos(2*math.Pi/float64(n)*(float64(i)+n0)*(float64(k)+0.5))
			}
			s *= 2 / float64(n)
			d := s - float64(out[i])
			errPow += d * d
			sigPow += s * s
		}
		if snr := 10 * math.Log10(sigPow/errPow); snr < 120 {
			t.Errorf("N=%d: SNR %.1f dB against the direct formula", n, snr)
		}
	}
}
