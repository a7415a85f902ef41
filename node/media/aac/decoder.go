package aac

import "fmt"

// Decoder decodes AAC-LC access units. It is not safe for concurrent use.
type Decoder struct {
	cfg Config
}

// NewDecoder returns a decoder for c; every work buffer is allocated here.
func NewDecoder(c Config) (*Decoder, error) {
	if c.ObjectType != 2 {
		return nil, fmt.Errorf("%w: object type %d", ErrUnsupported, c.ObjectType)
	}
	if rateIndex(c.SampleRate) < 0 {
		return nil, fmt.Errorf("%w: sample rate %d", ErrUnsupported, c.SampleRate)
	}
	return &Decoder{cfg: c}, nil
}

// Decode decodes one access unit (one raw_data_block) into dst as
// interleaved stereo and returns the samples per channel (1024, or 960
// with the frame length flag). len(dst) must be ≥ 2*1024.
func (d *Decoder) Decode(au []byte, dst []float32) (int, error) {
	return 0, fmt.Errorf("%w: not implemented", ErrUnsupported)
}

// Reset forgets overlap state (after a seek).
func (d *Decoder) Reset() {}
