package mp3

import "fmt"

// Header is a parsed 4-byte frame header.
type Header struct {
	Version    int // 1 MPEG-1, 2 MPEG-2 LSF, 25 MPEG-2.5
	Layer      int
	CRC        bool // a 16-bit CRC follows the header
	Bitrate    int  // bits per second
	SampleRate int
	Padding    bool
	Mode       int // 0 stereo, 1 joint stereo, 2 dual channel, 3 mono
	ModeExt    int
	FrameSize  int // bytes, header included
	Samples    int // samples per channel: 1152 (MPEG-1) or 576
}

// Channels is 1 for mono, else 2.
func (h Header) Channels() int {
	if h.Mode == 3 {
		return 1
	}
	return 2
}

// sideInfoSize is the side information's length in bytes.
func (h Header) sideInfoSize() int {
	switch {
	case h.Version == 1 && h.Mode == 3:
		return 17
	case h.Version == 1:
		return 32
	case h.Mode == 3:
		return 9
	}
	return 17
}

// lsf reports MPEG-2 or 2.5 (one granule per frame).
func (h Header) lsf() bool { return h.Version != 1 }

// Layer III bitrates in kbit/s by bitrate_index, for MPEG-1 and for LSF.
var (
	bitratesV1  = [15]int{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}
	bitratesLSF = [15]int{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160}
	sampleRates = [3]int{44100, 48000, 32000}
)

// ParseHeader parses the frame header at the start of b.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	if len(b) < 4 {
		return h, fmt.Errorf("%w: short header", ErrMalformed)
	}
	if b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return h, fmt.Errorf("%w: no frame sync", ErrMalformed)
	}
	switch b[1] >> 3 & 3 {
	case 0:
		h.Version = 25
	case 2:
		h.Version = 2
	case 3:
		h.Version = 1
	default:
		return h, fmt.Errorf("%w: reserved version", ErrMalformed)
	}
	h.Layer = 4 - int(b[1]>>1&3)
	if h.Layer == 4 {
		return h, fmt.Errorf("%w: reserved layer", ErrMalformed)
	}
	h.CRC = b[1]&1 == 0
	bi := int(b[2] >> 4)
	si := int(b[2] >> 2 & 3)
	if bi == 15 {
		return h, fmt.Errorf("%w: bad bitrate index", ErrMalformed)
	}
	if si == 3 {
		return h, fmt.Errorf("%w: reserved sample rate", ErrMalformed)
	}
	h.Padding = b[2]&2 != 0
	h.Mode = int(b[3] >> 6)
	h.ModeExt = int(b[3] >> 4 & 3)
	if b[3]&3 == 2 {
		return h, fmt.Errorf("%w: reserved emphasis", ErrMalformed)
	}
	h.SampleRate = sampleRates[si]
	switch h.Version {
	case 2:
		h.SampleRate /= 2
	case 25:
		h.SampleRate /= 4
	}
	if h.Layer != 3 {
		return h, fmt.Errorf("%w: layer %d", ErrUnsupported, h.Layer)
	}
	if bi == 0 {
		return h, fmt.Errorf("%w: free format", ErrUnsupported)
	}
	if h.Version == 1 {
		h.Bitrate = bitratesV1[bi] * 1000
		h.Samples = 1152
	} else {
		h.Bitrate = bitratesLSF[bi] * 1000
		h.Samples = 576
	}
	h.FrameSize = h.Samples / 8 * h.Bitrate / h.SampleRate
	if h.Padding {
		h.FrameSize++
	}
	return h, nil
}
