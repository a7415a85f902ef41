//go:build aacdec

// The AAC wiring: built with -tags aacdec until package node/media/aac is
// on main; then drop the build tag (and the tag from aacwire_test.go).

package media

import (
	"fmt"

	"github.com/audionode/audionode/node/media/aac"
)

func init() { newAACDecoder = openAAC }

// openAAC decodes the AAC track as PCM through auPCM. The track's sample
// rate is the core rate the config names (SBR is decoded as its core).
func openAAC(src auSource, info trackInfo, end int64) (pcmDecoder, error) {
	c, err := aac.ParseConfig(info.config)
	if err != nil {
		return nil, fmt.Errorf("AAC config: %w", err)
	}
	d, err := aac.NewDecoder(c)
	if err != nil {
		return nil, fmt.Errorf("AAC decoder: %w", err)
	}
	info.rate = c.SampleRate
	return newAUPCM(src, d, info, end, 1024), nil
}
