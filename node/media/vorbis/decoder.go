package vorbis

import (
	"fmt"
	"math"

	"github.com/audionode/audionode/node/dsp"
)

// Decoder decodes one Vorbis stream. Feed it the three header packets
// with ReadHeader, then audio packets with DecodeInto. It is not safe for
// concurrent use.
type Decoder struct {
	headers  int // header packets read, 0..3
	ch, rate int
	bs       [2]int // short and long block sizes

	books    []codebook
	floors   []*floor1
	residues []*residue
	maps     []mapping
	modes    []mode
	modeBits uint

	r         bitReader
	spec      [][]float32 // per channel: n/2 spectral values
	prev      [][]float32 // per channel: windowed second half of the last block
	prevN     int         // size of the last block, 0 before the first
	ys        [][]int32   // per channel: floor 1 amplitudes
	cls       [][]uint8   // per channel: residue classifications
	floorUsed []bool
	skip      []bool // no residue for the channel
	subVecs   [][]float32
	subSkip   []bool
	pcm       []float32 // one block's IMDCT output
	imdct     [2]*dsp.IMDCT
	win       [2][]float32 // rising window slope for half of each block size
}

// NewDecoder returns a decoder waiting for the identification header.
func NewDecoder() *Decoder { return &Decoder{} }

// Channels returns the channel count from the identification header.
func (d *Decoder) Channels() int { return d.ch }

// SampleRate returns the sample rate from the identification header.
func (d *Decoder) SampleRate() int { return d.rate }

// BlockSizes returns the short and long block sizes.
func (d *Decoder) BlockSizes() (short, long int) { return d.bs[0], d.bs[1] }

// HeadersRead reports whether all three headers have been read.
func (d *Decoder) HeadersRead() bool { return d.headers == 3 }

// BufferSize is the most samples (all channels) DecodeInto returns for
// one packet: half a long block per channel.
func (d *Decoder) BufferSize() int { return d.ch * d.bs[1] / 2 }

// Reset forgets the previous block, as after a seek: the next packet
// returns no samples.
func (d *Decoder) Reset() { d.prevN = 0 }

// ReadHeader reads the identification, comment and setup headers in
// that order. An identification header always starts the stream afresh
// (a chained Ogg link).
func (d *Decoder) ReadHeader(p []byte) error {
	if len(p) < 7 || string(p[1:7]) != "vorbis" {
		return fmt.Errorf("%w: not a Vorbis header", ErrMalformed)
	}
	if p[0] == 1 {
		*d = Decoder{}
		if err := d.readIdent(p); err != nil {
			return err
		}
		d.headers = 1
		return nil
	}
	want := []byte{1, 3, 5}
	if d.headers >= 3 || p[0] != want[d.headers] {
		return fmt.Errorf("%w: header type %d after %d headers", ErrMalformed, p[0], d.headers)
	}
	var err error
	if p[0] == 3 {
		err = checkComment(p)
	} else {
		err = d.readSetup(p)
	}
	if err != nil {
		return err
	}
	d.headers++
	return nil
}

// SkipComment stands for the comment header when a container skips it
// unread (an Ogg comment packet can hold megabytes of cover art).
func (d *Decoder) SkipComment() error {
	if d.headers != 1 {
		return fmt.Errorf("%w: comment header after %d headers", ErrMalformed, d.headers)
	}
	d.headers++
	return nil
}

// slope is the rising half of the Vorbis power-sine window over n
// samples (§4.3.1): sin(π/2 · sin²((i + ½)/n · π/2)).
func slope(n int) []float32 {
	w := make([]float32, n)
	for i := range w {
		s := math.Sin((float64(i) + 0.5) / float64(n) * math.Pi / 2)
		w[i] = float32(math.Sin(math.Pi / 2 * s * s))
	}
	return w
}
