package media

import (
	"fmt"
	"io"

	"github.com/audionode/audionode/node/audio"
	"github.com/audionode/audionode/node/media/mp3"
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
	// skip is the span, in the track's timescale, to drop from the start
	// of the decoded audio (encoder priming from an edit list, or a known
	// decoder delay); the end comes separately to openPayload.
	skip int64
	// rebase counts timestamps from the first unit: a stream joined
	// part-way (live HLS fMP4) then starts at position 0.
	rebase bool
}

var errMalformedASC = fmt.Errorf("%w: AudioSpecificConfig", ErrMalformed)

// openPayload turns a demuxed track into what Stream plays: Opus packets
// for passthrough, or PCM from a decoder. end is the end of the track in
// its timescale (the edit list's end when there is one), -1 when unknown.
func openPayload(src auSource, info trackInfo, end int64) (pcmDecoder, packetSource, error) {
	switch info.codec {
	case codecOpus:
		_, pre, err := parseOpusHead(info.config)
		if err != nil {
			return nil, nil, err
		}
		return nil, &auOpus{src: src, pre: pre, gain: opusHeadGain(info.config), endTS: end, rebase: info.rebase}, nil
	case codecMP3:
		d, err := newAUMP3(src, info, end)
		if err != nil {
			return nil, nil, err
		}
		return d, nil, nil
	case codecAAC:
		d, err := openAAC(src, info, end)
		return d, nil, err
	}
	return nil, nil, fmt.Errorf("%w: codec %d", ErrUnsupported, info.codec)
}

// auOpus is the packetSource of Opus in a container with timestamps.
type auOpus struct {
	src    auSource
	pre    int
	gain   float32
	endTS  int64
	rebase bool
	based  bool
	base   int64
}

func (o *auOpus) toGran(ts int64) int64 {
	if sc := o.src.timescale(); sc != audio.SampleRate {
		return ts * audio.SampleRate / sc
	}
	return ts
}

func (o *auOpus) next() ([]byte, int64, error) {
	p, ts, err := o.src.next()
	if err == nil && o.rebase && !o.based {
		o.base, o.based = ts, true
	}
	return p, o.toGran(ts - o.base), err
}

func (o *auOpus) seek(g int64) (int64, error) {
	ts, err := o.src.seek(g * o.src.timescale() / audio.SampleRate)
	return o.toGran(ts), err
}

func (o *auOpus) preSkip() int        { return o.pre }
func (o *auOpus) outputGain() float32 { return o.gain }

func (o *auOpus) end() int64 {
	if o.endTS < 0 {
		return -1
	}
	return o.toGran(o.endTS)
}

// auReader serves the bytes of consecutive access units as a stream, for
// decoders that read their own frames (MP3).
type auReader struct {
	src auSource
	b   []byte
}

func (r *auReader) Read(p []byte) (int, error) {
	for len(r.b) == 0 {
		au, _, err := r.src.next()
		if err != nil {
			return 0, err
		}
		r.b = au
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// auMP3 decodes MPEG audio frames from a container. A seek positions the
// demuxer and restarts the decoder on the frames from there.
type auMP3 struct {
	src   auSource
	d     *mp3PCM
	rate_ int
	skip  int64 // frames to drop (edit list)
	total int64
	pos   int64 // frame of the track the next read returns
	drop  int64
	r     auReader
}

func newAUMP3(src auSource, info trackInfo, end int64) (*auMP3, error) {
	a := &auMP3{src: src, total: -1}
	a.r.src = src
	d, err := openMP3(newInput(&a.r))
	if err != nil {
		return nil, err
	}
	a.d, a.rate_ = d, d.rate()
	sc := src.timescale()
	a.skip = info.skip * int64(a.rate_) / sc
	a.drop = a.skip
	if end >= 0 {
		a.total = max(end*int64(a.rate_)/sc-a.skip, 0)
	}
	return a, nil
}

func (a *auMP3) rate() int     { return a.rate_ }
func (a *auMP3) frames() int64 { return a.total }

func (a *auMP3) read(dst []float32) (int, error) {
	for {
		n, err := a.d.read(dst)
		if a.drop > 0 {
			k := int(min(a.drop, int64(n/2)))
			copy(dst, dst[2*k:n])
			n -= 2 * k
			a.drop -= int64(k)
		}
		if a.total >= 0 && a.pos+int64(n/2) >= a.total {
			n = int(max(a.total-a.pos, 0)) * 2
			err = io.EOF
		}
		a.pos += int64(n / 2)
		if n > 0 || err != nil {
			return n, err
		}
	}
}

func (a *auMP3) seek(frame int64) (int64, error) {
	sc := a.src.timescale()
	want := frame + a.skip
	// Restart two frames early so the bit reservoir is refilled; the
	// Stream drops the audio before the target.
	pre := 2 * 1152 * sc / int64(a.rate_)
	ts, err := a.src.seek(max(want*sc/int64(a.rate_)-pre, 0))
	if err != nil {
		return 0, err
	}
	a.r.b = nil
	d, err := openMP3(newInput(&a.r))
	if err != nil {
		return 0, err
	}
	a.d = d
	got := ts * int64(a.rate_) / sc
	a.drop = max(a.skip-got, 0)
	a.pos = max(got-a.skip, 0)
	return a.pos, nil
}

// isContainer reports the start of an MP4, MPEG-TS or ADTS stream.
func isContainer(head []byte) bool {
	if len(head) >= 8 {
		switch fourCCAt(head[4:]) {
		case boxFtyp, boxStyp, boxMoov, boxMoof:
			return true
		}
	}
	return len(head) >= 2 && (head[0] == tsSync || isADTSSync(head))
}

// isADTSSync matches an ADTS header's syncword and layer 0, which an MPEG
// audio header (layer 1–3) never has.
func isADTSSync(b []byte) bool { return len(b) >= 2 && b[0] == 0xFF && b[1]&0xF6 == 0xF0 }

// openContainer opens an MP4, MPEG-TS or ADTS input for Stream.
func openContainer(in *input, head []byte) (pcmDecoder, packetSource, error) {
	switch {
	case head[0] == tsSync:
		if p, _ := in.peek(2*tsPacketLen + 1); len(p) <= 2*tsPacketLen || p[tsPacketLen] != tsSync || p[2*tsPacketLen] != tsSync {
			return nil, nil, ErrUnknownFormat
		}
		t, err := openTS(in)
		if err != nil {
			return nil, nil, err
		}
		info := trackInfo{codec: t.codec, rate: t.rate}
		if t.codec == codecMP3 {
			// TS has no gapless info; at least the decoder's own delay is
			// known.
			info.skip = mp3.DecoderDelay * tsClock / int64(t.rate)
		}
		if t.codec == codecAAC {
			info.config, info.channels = t.first.asc(), t.first.channels
		}
		return openPayload(t, info, t.endRel)
	case isADTSSync(head): // Stream.open has skipped an ID3v2 tag in front
		a, err := openADTS(in)
		if err != nil {
			return nil, nil, err
		}
		h := a.first
		info := trackInfo{codec: codecAAC, config: h.asc(), rate: aacRates[h.rateIndex], channels: h.channels}
		end := int64(-1)
		if a.total >= 0 {
			end = a.total * a.spf
		}
		return openPayload(a, info, end)
	}
	m, err := openMP4(in)
	if err != nil {
		return nil, nil, err
	}
	info := m.t.info
	info.skip = m.t.editStart
	info.rebase = m.t.fragmented && !in.seekable()
	end := m.end()
	return openPayload(m, info, end)
}

// tsSync is the first byte of every MPEG-TS packet.
const tsSync = 0x47
