package mp3

import "fmt"

// Decoder decodes Layer III frames one at a time. Frames must be passed
// in stream order: the bit reservoir and the filterbank carry state from
// one frame to the next.
type Decoder struct{}

// NewDecoder returns a Decoder ready for the first frame of a stream.
func NewDecoder() *Decoder { return &Decoder{} }

// Reset forgets all state carried between frames (after a seek).
func (d *Decoder) Reset() {}

// DecodeFrame decodes one complete frame (header included) into dst as
// interleaved stereo and returns the number of float32 values written
// (2 × Samples). dst must hold 2 × 1152 values.
func (d *Decoder) DecodeFrame(frame []byte, dst []float32) (int, error) {
	return 0, fmt.Errorf("%w: not yet", ErrUnsupported)
}
