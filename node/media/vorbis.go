package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/audionode/audionode/node/media/vorbis"
)

// Ogg Vorbis: our Ogg demuxer feeds packets to our own decoder
// (node/media/vorbis), which decodes into our buffer without allocating.
// Granules count samples per channel; seeking bisects on them like Ogg
// Opus.

const (
	vorbisMaxChannels = 32
	vorbisMaxRate     = 384000
	// vorbisMaxBad bounds undecodable packets in a row before the track
	// fails.
	vorbisMaxBad = 64
)

type vorbisDecoder struct {
	in         *input
	o          *oggReader
	mk         *mkvOpus // set instead of o for Matroska/WebM A_VORBIS
	mkOff      int64    // Matroska: block timestamp minus output position
	mkOffKnown bool
	dec        *vorbis.Decoder
	sr, ch     int
	mix        *mixer
	out        []float32 // one packet's samples, interleaved
	lo, hi     int       // pending frames in out
	dataStart  int64     // first audio page
	last       int64     // granule of the file's last page, -1 unknown
	cur        int64     // sample where the next packet's output starts; -1 unknown (after a seek)
	drop       int64     // output before this sample is dropped (after a seek)
	bad        int       // undecodable packets in a row
	links      int       // chained streams started after the first
}

// vorbisIdent reads channels and rate from an identification header.
func vorbisIdent(p []byte) (ch, rate int, err error) {
	if len(p) < 30 || p[0] != 1 || string(p[1:7]) != "vorbis" {
		return 0, 0, fmt.Errorf("%w: no Vorbis identification header", ErrMalformed)
	}
	ch = int(p[11])
	rate = int(binary.LittleEndian.Uint32(p[12:]))
	// Block sizes 2^6..2^13, short ≤ long (Vorbis I §4.2.2): the decoder
	// sizes its buffers from them.
	if b0, b1 := p[28]&15, p[28]>>4; b0 < 6 || b1 > 13 || b0 > b1 {
		return 0, 0, fmt.Errorf("%w: vorbis block sizes 2^%d, 2^%d", ErrMalformed, b0, b1)
	}
	if ch < 1 || ch > vorbisMaxChannels || rate < 1000 || rate > vorbisMaxRate {
		return 0, 0, fmt.Errorf("%w: vorbis %d channels at %d Hz", ErrUnsupported, ch, rate)
	}
	return ch, rate, nil
}

func openVorbis(in *input) (*vorbisDecoder, error) {
	o := newOggReader(in)
	head, err := o.packet()
	if err != nil {
		return nil, fmt.Errorf("%w: first Ogg packet: %w", ErrMalformed, err)
	}
	v := &vorbisDecoder{in: in, o: o, last: -1}
	if err := v.start(head); err != nil {
		return nil, err
	}
	// Audio starts on a fresh page (Vorbis I §A.2).
	v.dataStart = o.pageEnd
	o.nsegs, o.seg = 0, 0
	if in.seekable() {
		if g, err := o.lastGranule(); err == nil && g >= 0 {
			v.last = g
		}
	}
	return v, nil
}

// start reads the headers of a (possibly chained) Ogg stream whose
// identification header is head.
func (v *vorbisDecoder) start(head []byte) error {
	ch, rate, err := v.begin(head)
	if err != nil {
		return err
	}
	// The comment header is not needed for decoding: skip it unbuffered.
	if err := v.o.skipPacket(); err != nil {
		return fmt.Errorf("%w: vorbis comment header: %w", ErrMalformed, err)
	}
	if err := vorbisErr(v.dec.SkipComment()); err != nil {
		return err
	}
	setup, err := v.o.packet()
	if err != nil {
		return fmt.Errorf("%w: vorbis setup header: %w", ErrMalformed, err)
	}
	return v.finish(setup, ch, rate)
}

// begin checks and loads an identification header into a fresh decoder.
func (v *vorbisDecoder) begin(ident []byte) (ch, rate int, err error) {
	ch, rate, err = vorbisIdent(ident)
	if err != nil {
		return 0, 0, err
	}
	if v.sr != 0 && rate != v.sr {
		// The resampler downstream is built for one rate.
		return 0, 0, fmt.Errorf("%w: chained Ogg changes the rate from %d to %d Hz", ErrUnsupported, v.sr, rate)
	}
	v.dec = vorbis.NewDecoder()
	return ch, rate, v.header(ident)
}

// finish loads the setup header and sizes the buffers.
func (v *vorbisDecoder) finish(setup []byte, ch, rate int) error {
	if err := v.header(setup); err != nil {
		return err
	}
	if !v.dec.HeadersRead() {
		return fmt.Errorf("%w: vorbis headers out of order", ErrMalformed)
	}
	if ch != v.ch {
		v.mix = newMixer(defaultLayout(ch, true), ch)
	}
	v.sr, v.ch = rate, ch
	if n := v.dec.BufferSize(); n > len(v.out) {
		v.out = make([]float32, n)
	}
	v.cur, v.lo, v.hi = 0, 0, 0
	return nil
}

// openMkvVorbis decodes the A_VORBIS track of a Matroska/WebM file. Its
// CodecPrivate holds the three headers, Xiph-laced; block timestamps (ms)
// place the audio, so seeks land within a millisecond.
func openMkvVorbis(m *mkvOpus) (*vorbisDecoder, error) {
	p := m.vorbisPriv
	if len(p) < 3 || p[0] != 2 {
		return nil, fmt.Errorf("%w: A_VORBIS CodecPrivate", ErrMalformed)
	}
	var sizes [2]int
	i := 1
	for k := range sizes {
		for {
			if i >= len(p) {
				return nil, fmt.Errorf("%w: A_VORBIS CodecPrivate lacing", ErrMalformed)
			}
			sizes[k] += int(p[i])
			i++
			if p[i-1] != 255 {
				break
			}
		}
	}
	if sizes[0]+sizes[1] > len(p)-i {
		return nil, fmt.Errorf("%w: A_VORBIS CodecPrivate lacing", ErrMalformed)
	}
	ident, comment, setup := p[i:i+sizes[0]], p[i+sizes[0]:i+sizes[0]+sizes[1]], p[i+sizes[0]+sizes[1]:]
	v := &vorbisDecoder{in: m.in, mk: m, last: -1}
	ch, rate, err := v.begin(ident)
	if err != nil {
		return nil, err
	}
	if err := v.header(comment); err != nil {
		return nil, err
	}
	if err := v.finish(setup, ch, rate); err != nil {
		return nil, err
	}
	if m.last >= 0 {
		v.last = m.last * int64(rate) / 48000
	}
	return v, nil
}

func (v *vorbisDecoder) header(p []byte) error {
	return vorbisErr(v.dec.ReadHeader(p))
}

// vorbisErr wraps the decoder's errors in ours.
func vorbisErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, vorbis.ErrUnsupported):
		return fmt.Errorf("%w: %w", ErrUnsupported, err)
	default:
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
}

func (v *vorbisDecoder) decode(p []byte) ([]float32, error) {
	out, err := v.dec.DecodeInto(p, v.out)
	return out, vorbisErr(err)
}

func (v *vorbisDecoder) rate() int { return v.sr }

func (v *vorbisDecoder) frames() int64 { return v.last }

// next decodes one packet into out.
func (v *vorbisDecoder) next() error {
	var pkt []byte
	var err error
	start, end := int64(-1), int64(-1) // where the packet's output starts or ends
	if v.mk != nil {
		pkt, start, err = v.mk.next()
		if start >= 0 {
			start = start * int64(v.sr) / 48000
		}
	} else {
		pkt, err = v.o.packet()
		end = v.o.endGranule()
	}
	if err != nil {
		return err
	}
	if len(pkt) == 0 {
		return nil
	}
	if pkt[0]&1 == 1 && v.o != nil {
		// A header: the first of a new link in a chained stream (Icecast
		// radio starts one per song); stray ones are ignored.
		if pkt[0] == 1 && bytes.HasPrefix(pkt[1:], []byte("vorbis")) {
			v.links++
			return v.start(pkt)
		}
		return nil
	}
	out, err := v.decode(pkt)
	if err != nil {
		v.bad++
		if v.bad > vorbisMaxBad {
			return err
		}
		return nil
	}
	v.bad = 0
	n := len(out) / v.ch
	if start >= 0 && n > 0 {
		// Matroska: millisecond block timestamps sit a little after the
		// output they start (ffmpeg: 3 ms); the offset is learnt while
		// playing from the start and applied after seeks, which then land
		// within a millisecond. (The first packet after a seek only primes
		// the decoder.)
		switch {
		case v.cur >= 0 && !v.mkOffKnown:
			v.mkOff, v.mkOffKnown = start-v.cur, true
		case v.cur < 0:
			v.cur = max(start-v.mkOff, 0)
		}
	}
	if v.cur < 0 {
		// Ogg after a seek: the timeline is known again where a page ends.
		if end >= 0 {
			v.cur = end
		}
		return nil
	}
	start = v.cur
	v.cur += int64(n)
	if end >= 0 && v.o.eos && end < v.cur {
		// The last page's granule trims the encoder's padding.
		n = int(max(end-start, 0))
		v.cur = start + int64(n)
	}
	v.lo, v.hi = 0, n
	if v.drop > start {
		v.lo = int(min(v.drop-start, int64(n)))
	}
	return nil
}

func (v *vorbisDecoder) read(dst []float32) (int, error) {
	for v.lo == v.hi {
		if err := v.next(); err != nil {
			return 0, err
		}
	}
	v.drop = 0
	n := min(len(dst)/2, v.hi-v.lo)
	v.mix.mix(dst, v.out[v.lo*v.ch:], n)
	v.lo += n
	return 2 * n, nil
}

func (v *vorbisDecoder) seek(frame int64) (int64, error) {
	if !v.in.seekable() {
		return 0, errNotSeekable
	}
	frame = max(frame, 0)
	if v.last >= 0 {
		frame = min(frame, v.last)
	}
	if v.mk != nil {
		// From the cue's cluster: the timestamps place the blocks.
		if _, err := v.mk.seek(frame * 48000 / int64(v.sr)); err != nil {
			return 0, err
		}
		v.dec.Reset()
		v.lo, v.hi, v.bad, v.drop, v.cur = 0, 0, 0, frame, -1
		return frame, nil
	}
	// Land a page before the last page at or below the target: decoding
	// restarts there, and its first page end gives the timeline before
	// the target is reached.
	g, err := v.o.seekGranule(frame, v.dataStart, -1)
	if err == nil && g >= 0 {
		g, err = v.o.seekGranule(g-1, v.dataStart, -1)
	}
	if err != nil {
		return 0, err
	}
	v.dec.Reset()
	v.lo, v.hi, v.bad, v.drop = 0, 0, 0, frame
	v.cur = -1
	if g < 0 {
		v.cur = 0 // from the first audio page
	}
	return frame, nil
}
