package media

import (
	"fmt"
)

// Codecs carried by the MP4, MPEG-TS and ADTS demuxers.
const (
	codecAAC = iota + 1
	codecMP3
	codecOpus
)

// auSource yields the access units (coded frames) of one audio track of a
// container, with decode timestamps in the track's timescale.
type auSource interface {
	// next returns the next access unit (valid until the following call)
	// and its timestamp; io.EOF at the end.
	next() (au []byte, ts int64, err error)
	// seek positions before the access unit holding ts (or the nearest
	// one before it) and returns that unit's timestamp.
	seek(ts int64) (int64, error)
	// timescale is the number of timestamp units per second.
	timescale() int64
}

// trackInfo describes the audio track a demuxer found.
type trackInfo struct {
	codec    int
	config   []byte // AudioSpecificConfig (AAC) or OpusHead (Opus)
	rate     int
	channels int
	// skip is the number of decoded samples (at rate) to drop at the start
	// (encoder priming from an edit list), and total the number of samples
	// to play after it, -1 when unknown.
	skip  int64
	total int64
}

// errNoAAC is returned for AAC tracks until an AAC decoder is wired in.
var errNoAAC = fmt.Errorf("%w: AAC audio (no AAC decoder in this build)", ErrUnsupported)
