package aac

import (
	"math"
	"testing"
)

// TestWindows checks the Princen-Bradley condition w[n]² + w[N/2-1-n]²... in
// its half-window form: rising[n]² + rising[len-1-n]² = 1, which makes
// overlap-add reconstruct perfectly.
func TestWindows(t *testing.T) {
	for name, w := range map[string][]float32{
		"sine long": longWin[0][:], "sine short": shortWin[0][:],
		"kbd long": longWin[1][:], "kbd short": shortWin[1][:],
	} {
		for n := range w {
			m := len(w) - 1 - n
			if s := float64(w[n])*float64(w[n]) + float64(w[m])*float64(w[m]); math.Abs(s-1) > 1e-6 {
				t.Fatalf("%s: w[%d]²+w[%d]² = %v", name, n, m, s)
			}
		}
		for n := 1; n < len(w); n++ {
			if w[n] < w[n-1] {
				t.Fatalf("%s: not rising at %d", name, n)
			}
		}
	}
}
