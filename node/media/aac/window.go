package aac

import (
	"math"

	"github.com/audionode/audionode/node/dsp"
)

// Window sequences (ISO 14496-3 Table 4.110).
const (
	onlyLong = iota
	longStart
	eightShort
	longStop
)

// Rising window halves, indexed by window_shape (0 sine, 1 KBD). The
// falling half is the rising half reversed.
var (
	longWin  [2][1024]float32
	shortWin [2][128]float32
)

func init() {
	sineWindow(longWin[0][:])
	sineWindow(shortWin[0][:])
	kbdWindow(longWin[1][:], 4)
	kbdWindow(shortWin[1][:], 6)
}

// sineWindow fills the rising half of a 2*len(w) sine window (§4.6.11.3.2).
func sineWindow(w []float32) {
	n := float64(2 * len(w))
	for i := range w {
		w[i] = float32(math.Sin(math.Pi / n * (float64(i) + 0.5)))
	}
}

// kbdWindow fills the rising half of a 2*len(w) Kaiser-Bessel-derived
// window with parameter alpha (§4.6.11.3.2).
func kbdWindow(w []float32, alpha float64) {
	half := len(w)
	kernel := make([]float64, half+1)
	var total float64
	for i := 0; i <= half; i++ {
		r := (float64(i) - float64(half)/2) / (float64(half) / 2)
		kernel[i] = dsp.BesselI0(math.Pi * alpha * math.Sqrt(max(0, 1-r*r)))
		total += kernel[i]
	}
	var sum float64
	for i := 0; i < half; i++ {
		sum += kernel[i]
		w[i] = float32(math.Sqrt(sum / total))
	}
}
