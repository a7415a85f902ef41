package media

import (
	"errors"
	"fmt"
	"io"
)

// frameDecoder decodes one access unit into interleaved stereo float32
// and returns the frames (samples per channel) written; aac.Decoder has
// this shape.
type frameDecoder interface {
	Decode(au []byte, dst []float32) (int, error)
	Reset()
}

// maxAUFrames bounds the frames one access unit decodes to (AAC: 1024,
// 960, or 2048 with SBR).
const maxAUFrames = 2048

// auPCM is the pcmDecoder of a frame codec in a container: it trims the
// encoder priming an edit list names (gapless), stops at the edit's end,
// and seeks one unit early so an overlapping transform has settled.
type auPCM struct {
	src   auSource
	dec   frameDecoder
	sr    int
	spf   int64 // frames per unit, for the seek preroll
	skip  int64 // priming frames at the start of the decoded audio
	total int64 // frames to play after skip, -1 when unknown
	pos   int64 // track frame of the next frame read returns
	drop  int64 // decoded frames still to drop
	out   []float32
	outA  int
	outB  int
}

func newAUPCM(src auSource, dec frameDecoder, info trackInfo, end int64, spf int) *auPCM {
	sc := src.timescale()
	p := &auPCM{src: src, dec: dec, sr: info.rate, spf: int64(spf), total: -1, out: make([]float32, 2*maxAUFrames)}
	p.skip = info.skip * int64(p.sr) / sc
	p.drop = p.skip
	if end >= 0 {
		p.total = max(end*int64(p.sr)/sc-p.skip, 0)
	}
	return p
}

func (p *auPCM) rate() int     { return p.sr }
func (p *auPCM) frames() int64 { return p.total }

func (p *auPCM) read(dst []float32) (int, error) {
	for p.outA == p.outB {
		if p.total >= 0 && p.pos >= p.total {
			return 0, io.EOF
		}
		au, _, err := p.src.next()
		if err != nil {
			return 0, err
		}
		n, err := p.dec.Decode(au, p.out)
		if errors.Is(err, ErrUnsupported) {
			// Valid but beyond the decoder (an AAC coupling channel, say):
			// every unit would fail, so the track ends with the reason.
			return 0, err
		}
		if err != nil || n < 0 || n > maxAUFrames {
			// A damaged unit plays as a unit of silence: the timeline holds.
			n = int(p.spf)
			clear(p.out[:2*n])
		}
		p.outA, p.outB = 0, 2*n
		if p.drop > 0 {
			k := min(p.drop, int64(n))
			p.outA += int(2 * k)
			p.drop -= k
		}
	}
	n := min(len(dst), p.outB-p.outA)
	if p.total >= 0 {
		n = int(min(int64(n), 2*(p.total-p.pos)))
	}
	copy(dst, p.out[p.outA:p.outA+n])
	p.outA += n
	p.pos += int64(n / 2)
	if p.total >= 0 && p.pos >= p.total {
		p.outA = p.outB
		return n, io.EOF
	}
	return n, nil
}

func (p *auPCM) seek(frame int64) (int64, error) {
	sc, r := p.src.timescale(), int64(p.sr)
	want := max(frame, 0) + p.skip - p.spf // one unit of preroll
	ts, err := p.src.seek(max(want, 0) * sc / r)
	if err != nil {
		return 0, err
	}
	if ts < 0 {
		return 0, fmt.Errorf("%w: seek landed at %d", ErrMalformed, ts)
	}
	p.dec.Reset()
	p.outA, p.outB = 0, 0
	got := ts * r / sc
	p.drop = max(p.skip-got, 0)
	p.pos = max(got-p.skip, 0)
	return p.pos, nil
}
