package mp3

import (
	"math"
	"testing"
)

// TestIntensityBand checks the intensity stereo factors against the
// standards' formulas (LAME never writes intensity stereo, so no
// encoded file covers it): MPEG-1 is_pos p gives left/right =
// tan(pπ/12) with left+right = the coded value; LSF gives k^((p+1)/2) on
// the left for odd p and k^(p/2) on the right for even p, k = 2^-1/4 or
// 2^-1/2; the illegal position falls back to mid/side.
func TestIntensityBand(t *testing.T) {
	tests := []struct {
		name       string
		h          Header
		pos, scale int
		ms         bool
		l, r       float64 // for a coded 1 (mid 1, side 0.5 for the fallback)
	}{
		{"mpeg1 p0", Header{Version: 1}, 0, 0, false, 0, 1},
		{"mpeg1 p3", Header{Version: 1}, 3, 0, false, 0.5, 0.5},
		{"mpeg1 p2", Header{Version: 1}, 2, 0, false, math.Tan(math.Pi/6) / (1 + math.Tan(math.Pi/6)), 1 / (1 + math.Tan(math.Pi/6))},
		{"mpeg1 illegal ms", Header{Version: 1}, 7, 0, true, 1.5 / math.Sqrt2, 0.5 / math.Sqrt2},
		{"mpeg1 illegal plain", Header{Version: 1}, 7, 0, false, 1, 0.5},
		{"lsf p0", Header{Version: 2}, 0, 0, false, 1, 1},
		{"lsf p3 k1/4", Header{Version: 2}, 3, 0, false, math.Pow(2, -0.5), 1},
		{"lsf p4 k1/2", Header{Version: 2}, 4, 1, false, 1, math.Pow(2, -1)},
		{"lsf illegal", Header{Version: 2}, 15, 0, true, 1.5 / math.Sqrt2, 0.5 / math.Sqrt2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder()
			d.isScale = tt.scale
			d.xr[0][10], d.xr[1][10] = 1, 0.5
			d.intensityBand(&tt.h, tt.pos, 15, 10, 11, tt.ms)
			l, r := float64(d.xr[0][10]), float64(d.xr[1][10])
			if math.Abs(l-tt.l) > 1e-6 || math.Abs(r-tt.r) > 1e-6 {
				t.Errorf("got %v, %v; want %v, %v", l, r, tt.l, tt.r)
			}
		})
	}
}
