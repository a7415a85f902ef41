package opus_test

import (
	"errors"
	"fmt"
	"io"

	"github.com/audionode/audionode/node/audio"
	"github.com/audionode/audionode/node/dsp"
	"github.com/audionode/audionode/node/opus"
)

// A player's producer: Opus packets from a demuxer become the frames to
// send, passed through while no filter or volume is set. Filter PATCHes
// reach the producer as messages and are applied with chain.Update between
// frames.
func ExampleSwitcher() {
	// Stand-in for a WebM/Ogg demuxer: five 20 ms CELT silence packets.
	n := 0
	src := func(dst []byte) (int, error) {
		if n == 5 {
			return 0, io.EOF
		}
		n++
		return copy(dst, audio.SilenceFrame[:]), nil
	}
	chain := dsp.NewChain(dsp.QualityLow)
	sw, err := opus.NewSwitcher(src, chain, true, opus.DefaultEncoderOptions())
	if err != nil {
		panic(err)
	}
	defer sw.Close()
	frame := make([]byte, audio.MaxOpusFrame)
	for i := 0; ; i++ {
		if i == 2 {
			chain.SetVolume(50) // a PATCH {"volume":50}
		}
		_, err := sw.ReadFrame(frame)
		if errors.Is(err, io.EOF) {
			break
		}
		fmt.Println(i, "passthrough:", sw.Passthrough())
	}
	// Output:
	// 0 passthrough: true
	// 1 passthrough: true
	// 2 passthrough: false
	// 3 passthrough: false
	// 4 passthrough: false
}
