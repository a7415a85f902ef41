package media

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/jfreymuth/vorbis"
)

// Ogg Vorbis: our Ogg demuxer feeds packets to github.com/jfreymuth/vorbis
// (MIT, pure Go), which decodes into our buffer. Granules count samples
// per channel; seeking bisects on them like Ogg Opus.

const (
	vorbisMaxChannels = 32
	// vorbisMaxBad bounds undecodable packets in a row before the track
	// fails.
	vorbisMaxBad = 64
)

type vorbisDecoder struct {
	in        *input
	o         *oggReader
	dec       vorbis.Decoder
	sr, ch    int
	mix       *mixer
	out       []float32 // one packet's samples, interleaved
	lo, hi    int       // pending frames in out
	dataStart int64     // first audio page
	last      int64     // granule of the file's last page, -1 unknown
	cur       int64     // sample where the next packet's output starts; -1 unknown (after a seek)
	drop      int64     // output before this sample is dropped (after a seek)
	bad       int       // undecodable packets in a row
	links     int       // chained streams started after the first
}

// vorbisIdent reads channels and rate from an identification header.
func vorbisIdent(p []byte) (ch, rate int, err error) {
	if len(p) < 30 || p[0] != 1 || string(p[1:7]) != "vorbis" {
		return 0, 0, fmt.Errorf("%w: no Vorbis identification header", ErrMalformed)
	}
	ch = int(p[11])
	rate = int(binary.LittleEndian.Uint32(p[12:]))
	if ch < 1 || ch > vorbisMaxChannels || rate < 1000 || rate > maxThirdPartyRate {
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

// start reads the headers of a (possibly chained) stream whose
// identification header is head.
func (v *vorbisDecoder) start(head []byte) error {
	ch, rate, err := vorbisIdent(head)
	if err != nil {
		return err
	}
	if v.sr != 0 && rate != v.sr {
		// The resampler downstream is built for one rate.
		return fmt.Errorf("%w: chained Ogg changes the rate from %d to %d Hz", ErrUnsupported, v.sr, rate)
	}
	v.dec = vorbis.Decoder{}
	if err := v.header(head); err != nil {
		return err
	}
	// The comment header is not needed for decoding: skip it unbuffered.
	if err := v.o.skipPacket(); err != nil {
		return fmt.Errorf("%w: vorbis comment header: %w", ErrMalformed, err)
	}
	setup, err := v.o.packet()
	if err != nil {
		return fmt.Errorf("%w: vorbis setup header: %w", ErrMalformed, err)
	}
	if err := v.header(fixVorbisSetup(setup)); err != nil {
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

// header and decode guard the library, which indexes slices with values
// from the stream: a panic must end only this track.
func (v *vorbisDecoder) header(p []byte) (err error) {
	defer recovered(&err)
	if err := v.dec.ReadHeader(p); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil
}

func (v *vorbisDecoder) decode(p []byte) (out []float32, err error) {
	defer recovered(&err)
	return v.dec.DecodeInto(p, v.out)
}

func (v *vorbisDecoder) rate() int { return v.sr }

func (v *vorbisDecoder) frames() int64 { return v.last }

// next decodes one packet into out.
func (v *vorbisDecoder) next() error {
	pkt, err := v.o.packet()
	if err != nil {
		return err
	}
	if len(pkt) == 0 {
		return nil
	}
	if pkt[0]&1 == 1 {
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
	end := v.o.endGranule()
	if v.cur < 0 {
		// After a seek the timeline is known again where a page ends.
		if end >= 0 {
			v.cur = end
		}
		return nil
	}
	start := v.cur
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
	v.dec.Clear()
	v.lo, v.hi, v.bad, v.drop = 0, 0, 0, frame
	v.cur = -1
	if g < 0 {
		v.cur = 0 // from the first audio page
	}
	return frame, nil
}
