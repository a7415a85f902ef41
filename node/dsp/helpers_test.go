package dsp

import "math"

// sine makes frames of interleaved stereo: left at fl, right at fr.
func sine(frames int, rate, fl, fr, amp float64) []float32 {
	x := make([]float32, 2*frames)
	for i := range frames {
		t := float64(i) / rate
		x[2*i] = float32(amp * math.Sin(2*math.Pi*fl*t))
		x[2*i+1] = float32(amp * math.Sin(2*math.Pi*fr*t))
	}
	return x
}

// chan0 extracts one channel as float64.
func chanOf(x []float32, ch int) []float64 {
	out := make([]float64, len(x)/2)
	for i := range out {
		out[i] = float64(x[2*i+ch])
	}
	return out
}

// fitSine least-squares fits a·sin + b·cos + c at freq (rate) and returns
// the amplitude, phase offset and SNR in dB (fit power over residual).
func fitSine(x []float64, rate, freq float64) (amp, snr float64) {
	// Normal equations for [sin, cos, 1].
	var m [3][3]float64
	var v [3]float64
	for i, y := range x {
		w := 2 * math.Pi * freq * float64(i) / rate
		b := [3]float64{math.Sin(w), math.Cos(w), 1}
		for j := range 3 {
			v[j] += b[j] * y
			for k := range 3 {
				m[j][k] += b[j] * b[k]
			}
		}
	}
	c := solve3(m, v)
	var sig, noise float64
	for i, y := range x {
		w := 2 * math.Pi * freq * float64(i) / rate
		f := c[0]*math.Sin(w) + c[1]*math.Cos(w)
		sig += f * f
		e := y - f - c[2]
		noise += e * e
	}
	return math.Hypot(c[0], c[1]), 10 * math.Log10(sig/noise)
}

func solve3(m [3][3]float64, v [3]float64) [3]float64 {
	for i := range 3 {
		p := i
		for j := i + 1; j < 3; j++ {
			if math.Abs(m[j][i]) > math.Abs(m[p][i]) {
				p = j
			}
		}
		m[i], m[p] = m[p], m[i]
		v[i], v[p] = v[p], v[i]
		for j := i + 1; j < 3; j++ {
			f := m[j][i] / m[i][i]
			for k := i; k < 3; k++ {
				m[j][k] -= f * m[i][k]
			}
			v[j] -= f * v[i]
		}
	}
	var x [3]float64
	for i := 2; i >= 0; i-- {
		s := v[i]
		for k := i + 1; k < 3; k++ {
			s -= m[i][k] * x[k]
		}
		x[i] = s / m[i][i]
	}
	return x
}

// amplitudeAt returns the amplitude of the freq component of x (a
// least-squares fit, so other components do not bias it much over long
// windows).
func amplitudeAt(x []float64, rate, freq float64) float64 {
	a, _ := fitSine(x, rate, freq)
	return a
}

func rmsOf(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s / float64(len(x)))
}

func db(x float64) float64 { return 20 * math.Log10(x) }
