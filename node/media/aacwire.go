package media

import (
	"errors"
	"fmt"

	"github.com/audionode/audionode/node/media/aac"
)

// openAAC decodes an AAC track as PCM through auPCM. The track's sample
// rate is the core rate the config names (HE-AAC plays its AAC-LC core:
// SBR and PS are not decoded).
func openAAC(src auSource, info trackInfo, end int64) (pcmDecoder, error) {
	c, err := aac.ParseConfig(info.config)
	if err != nil {
		return nil, fmt.Errorf("AAC config: %w", aacErr(err))
	}
	d, err := aac.NewDecoder(c)
	if err != nil {
		return nil, fmt.Errorf("AAC decoder: %w", aacErr(err))
	}
	info.rate = c.SampleRate
	return newAUPCM(src, aacFrames{d}, info, end, 1024), nil
}

// aacFrames adapts aac.Decoder to frameDecoder with this package's errors.
type aacFrames struct{ d *aac.Decoder }

func (a aacFrames) Decode(au []byte, dst []float32) (int, error) {
	n, err := a.d.Decode(au, dst)
	if err != nil {
		return n, aacErr(err)
	}
	return n, nil
}

func (a aacFrames) Reset() { a.d.Reset() }

// aacErr wraps the aac package's sentinels in ours (that package cannot
// import this one), keeping its message.
func aacErr(err error) error {
	switch {
	case errors.Is(err, aac.ErrUnsupported):
		return fmt.Errorf("%w: %w", ErrUnsupported, err)
	case errors.Is(err, aac.ErrMalformed):
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return err
}
