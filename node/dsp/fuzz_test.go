package dsp

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
)

// FuzzChain decodes arbitrary filter JSON; whatever Validate accepts must
// build a chain whose output stays finite on loud, awkward input, through
// an update and a reset, without panicking.
func FuzzChain(f *testing.F) {
	for _, s := range []string{
		`{}`,
		`{"volume":5,"equalizer":[{"band":0,"gain":1},{"band":14,"gain":1}]}`,
		`{"karaoke":{"level":1,"monoLevel":1,"filterBand":23999,"filterWidth":0.0001}}`,
		`{"timescale":{"speed":10,"pitch":0.1,"rate":10}}`,
		`{"timescale":{"speed":0.1,"pitch":10,"rate":0.1}}`,
		`{"tremolo":{"frequency":24000,"depth":1},"vibrato":{"frequency":14,"depth":1}}`,
		`{"distortion":{"sinOffset":1e4,"sinScale":1e4,"cosOffset":-1e4,"cosScale":1e4,"tanOffset":1e4,"tanScale":1e4,"offset":1e4,"scale":1e4}}`,
		`{"rotation":{"rotationHz":-24000},"channelMix":{"leftToLeft":1,"leftToRight":1,"rightToLeft":1,"rightToRight":1},"lowPass":{"smoothing":1e300}}`,
	} {
		f.Add([]byte(s), int16(100))
	}
	in := make([]float32, 2*960)
	for i := range in {
		// Full-scale square-ish wave with a DC offset: worst case for
		// clipping and resonators.
		in[i] = float32(math.Copysign(1, math.Sin(float64(i)*0.37)))
	}
	f.Fuzz(func(t *testing.T, data []byte, vol int16) {
		var flt Filters
		if json.Unmarshal(data, &flt) != nil {
			return
		}
		c, err := NewChainWith(flt, QualityLow)
		if err != nil {
			if !errors.Is(err, ErrInvalidFilter) {
				t.Fatalf("NewChainWith: %v", err)
			}
			return
		}
		c.SetVolume(int(vol))
		out := make([]float32, 2*960)
		check := func() {
			for range 3 {
				_, n := c.Process(in, out)
				for i, v := range out[:n] {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Fatalf("sample %d = %v", i, v)
					}
				}
			}
		}
		check()
		if err := c.Update(Filters{Volume: flt.Volume}); err != nil {
			t.Fatal(err)
		}
		check()
		c.Reset()
		check()
	})
}

// FuzzResampler drives a resampler through ratio changes and ragged buffer
// sizes: it must keep making progress, never index out of range, and keep
// a bounded signal bounded.
func FuzzResampler(f *testing.F) {
	f.Add(44100.0, 0.5, 3.0, uint16(882), uint16(960), byte(0))
	f.Add(96000.0, 4.0, 0.01, uint16(1), uint16(1), byte(1))
	f.Add(8000.0, 100.0, 1.0, uint16(4000), uint16(7), byte(2))
	f.Fuzz(func(t *testing.T, inRate, r1, r2 float64, inLen, outLen uint16, q byte) {
		rs, err := NewResampler(inRate, 48000, Quality(q%3))
		if err != nil {
			if !errors.Is(err, ErrBadRate) {
				t.Fatal(err)
			}
			return
		}
		in := sine(int(inLen%5000)+1, 48000, 1000, 3000, 1)
		out := make([]float32, 2*(int(outLen%3000)+1))
		for step, r := range []float64{r1, r2, 1} {
			if err := rs.SetRatio(48000*r, 48000); err != nil {
				if !errors.Is(err, ErrBadRate) {
					t.Fatal(err)
				}
				continue
			}
			rest := in
			for guard := 0; len(rest) > 0; guard++ {
				a, b := rs.Process(rest, out)
				if a == 0 && b == 0 {
					t.Fatalf("step %d: no progress", step)
				}
				for _, v := range out[:b] {
					// A windowed sinc overshoots a little, never much.
					if !(v > -1.5 && v < 1.5) {
						t.Fatalf("step %d: sample %v", step, v)
					}
				}
				rest = rest[a:]
			}
		}
	})
}
