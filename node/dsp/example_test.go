package dsp_test

import (
	"encoding/json"
	"fmt"

	"github.com/audionode/audionode/node/dsp"
)

// Filters arrive in a PATCH; Validate names the bad field for the 400.
func ExampleFilters_Validate() {
	var f dsp.Filters
	_ = json.Unmarshal([]byte(`{"equalizer":[{"band":0,"gain":0.2},{"band":1,"gain":-0.5}]}`), &f)
	fmt.Println(f.Validate())
	// Output: invalid filter: equalizer[1].gain: must be in [-0.25, 1], got -0.5
}

// Resampling a 44.1 kHz decoder's output to 48 kHz in 20 ms chunks.
func ExampleResampler() {
	r, err := dsp.NewResampler(44100, 48000, dsp.QualityLow)
	if err != nil {
		panic(err)
	}
	in := make([]float32, 2*882)   // 20 ms of stereo at 44.1 kHz
	out := make([]float32, 2*1000) // room for a little over 20 ms at 48 kHz
	total := 0
	for range 50 { // one second
		rest := in
		for len(rest) > 0 {
			nIn, nOut := r.Process(rest, out)
			rest = rest[nIn:]
			total += nOut / 2
		}
	}
	// The kernel's look-ahead holds back Latency() input frames.
	fmt.Println(total+r.Latency()*48000/44100 >= 47990)
	// Output: true
}
