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
