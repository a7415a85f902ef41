package mp3

import (
	"errors"
	"fmt"
)

// resMax is the most main data kept for the next frame's
// main_data_begin (9 bits: up to 511 bytes back).
const resMax = 511

// ErrShortDst is returned when dst cannot hold a frame's output (a
// caller's mistake, not bad input).
var ErrShortDst = errors.New("mp3: dst shorter than 2 × samples per frame")

// Decoder decodes Layer III frames one at a time. Frames must be passed
// in stream order: the bit reservoir and the filterbank carry state from
// one frame to the next. All state lives in fixed arrays, so decoding
// allocates nothing.
type Decoder struct {
	sideBuf [40]byte
	gr      [2][2]granule
	scfsi   [2][4]int

	// res holds the reservoir's bytes followed by this frame's main
	// data, then at least 8 zero bytes for the bit reader.
	res    [resMax + 2048 + 16]byte
	resLen int

	sfL     [2][22]int    // long-block scale factors (is_pos for intensity)
	sfS     [2][13][3]int // short-block scale factors by band and window
	isMaxL  [22]int       // LSF: the illegal intensity position per band
	isMaxS  [13]int
	isScale int // LSF intensity_scale
	xr      [2][576]float32
	nz      [2]int // lines after the last possibly nonzero one
	tmp     [576]float32
	overlap [2][32][18]float32
	hybOut  [32][18]float32
	synth   [2]synthState
	dctA    [32]float32
}

// NewDecoder returns a Decoder ready for the first frame of a stream.
func NewDecoder() *Decoder { return &Decoder{} }

// Reset forgets all state carried between frames (after a seek).
func (d *Decoder) Reset() {
	d.resLen = 0
	d.overlap = [2][32][18]float32{}
	d.synth = [2]synthState{}
}

// DecodeFrame decodes one complete frame (header included) into dst as
// interleaved stereo (mono duplicated) and returns the number of float32
// values written, 2 × Samples. dst must hold at least that many. A frame
// whose main data reaches back into bytes the Decoder never saw (the
// first frames after Reset) decodes as silence.
func (d *Decoder) DecodeFrame(frame []byte, dst []float32) (int, error) {
	h, err := ParseHeader(frame)
	if err != nil {
		return 0, err
	}
	if len(frame) < h.FrameSize {
		return 0, fmt.Errorf("%w: frame of %d bytes, header says %d", ErrMalformed, len(frame), h.FrameSize)
	}
	n := 2 * h.Samples
	if len(dst) < n {
		return 0, ErrShortDst
	}
	p := 4
	if h.CRC {
		p += 2
	}
	side := h.sideInfoSize()
	if p+side > h.FrameSize {
		return 0, fmt.Errorf("%w: frame too short for side info", ErrMalformed)
	}
	begin, err := d.readSideInfo(&h, frame[p:p+side])
	if err != nil {
		return 0, err
	}
	main := frame[p+side : h.FrameSize]
	if len(main) > len(d.res)-resMax-16 {
		return 0, fmt.Errorf("%w: frame too large", ErrMalformed)
	}
	// Keep at most resMax old bytes, then append this frame's.
	if d.resLen > resMax {
		copy(d.res[:], d.res[d.resLen-resMax:d.resLen])
		d.resLen = resMax
	}
	missing := begin > d.resLen
	start := d.resLen - begin
	copy(d.res[d.resLen:], main)
	d.resLen += len(main)
	clear(d.res[d.resLen : d.resLen+16])
	if missing {
		start = -1
	}
	if err := d.decodeMain(&h, start, dst); err != nil {
		return 0, err
	}
	return n, nil
}
