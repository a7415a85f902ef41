package opus

import (
	"errors"
	"fmt"
	"io"

	"github.com/audionode/audionode/node/audio"
	"github.com/audionode/audionode/node/dsp"
)

// PacketSource yields a track's Opus packets in order, copying the next
// one into dst (len(dst) ≥ audio.MaxOpusFrame) and returning its length;
// io.EOF at the end. A demuxer's packet reader fits here.
type PacketSource func(dst []byte) (int, error)

// Switcher turns a source of 48 kHz Opus packets into the 20 ms frames a
// player sends. While the chain is an identity and packets are exactly
// 20 ms it passes them through untouched; otherwise it decodes, filters
// and re-encodes. It switches at frame boundaries with no gap and no
// position jump:
//
//   - Into transcoding, the decoder is warmed on the previous packet, the
//     encoder is primed with the audio before the switch, and encoder input
//     runs one lookahead (6.5 ms) ahead of the source so that the encoder's
//     delay lands each transcoded frame exactly on the source's timeline.
//   - Back to passthrough, the next packet sent is the first one whose audio
//     has not been sent yet.
//
// (A timescale stage left at neutral settings is dropped on the way back,
// with the ≈ 55 ms it buffered.) It is used by one goroutine, like the
// chain, which the same goroutine updates between ReadFrame calls.
type Switcher struct {
	src   PacketSource
	chain *dsp.Chain
	dec   *Decoder
	enc   *Encoder
	la    int  // encoder lookahead, samples per channel
	allow bool // passthrough permitted for this source at all

	// Raw packets read ahead, with their start positions in source
	// samples; the head is the first packet not fully sent.
	q    [queueLen]rawPacket
	qh   int
	qn   int
	next int64 // position of the packet after the last queued one
	err  error // sticky source error (io.EOF at the end)
	bad  int   // unusable packets in a row

	transcoding bool
	// hist holds the last packets sent through (oldest first), to warm the
	// decoder and prime the encoder when transcoding starts.
	hist    [histLen]rawPacket
	histN   int
	decoded int   // queued packets (from the head) already decoded
	feedPos int64 // source position of pcm[0]
	pcm     []float32
	pcmN    int // frames in pcm
	out     []float32
	outN    int // frames of chain output waiting to be encoded
	flushed bool
	lastPT  bool
	opts    EncoderOptions
}

const queueLen = 4

// maxBadPackets bounds how many empty or malformed packets in a row are
// skipped before the track fails.
const maxBadPackets = 500

// histLen packets of history prime a fresh encoder: after one frame its
// level still overshoots by ≈ 10 % for a few frames; after three it has
// settled.
const histLen = 3

type rawPacket struct {
	b     [audio.MaxOpusFrame]byte
	n     int
	pos   int64
	samps int
}

// maxPacketSamples is the longest Opus packet: 120 ms.
const maxPacketSamples = 5760

// ErrPacketSource wraps an error from the PacketSource.
var ErrPacketSource = errors.New("opus: packet source")

// NewSwitcher creates a switcher reading src and filtering through chain.
// passthrough says whether the source may be sent untouched at all (a 48
// kHz stereo Opus track); when false it always transcodes. opts configure
// the encoder (start from DefaultEncoderOptions). The codecs and their
// buffers (≈ 190 KB) are created when transcoding first starts, so a track
// that only ever passes through costs ≈ 10 KB.
func NewSwitcher(src PacketSource, chain *dsp.Chain, passthrough bool, opts EncoderOptions) (*Switcher, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return &Switcher{src: src, chain: chain, allow: passthrough, opts: opts}, nil
}

// codecs creates the decoder, encoder and buffers on first use.
func (s *Switcher) codecs() error {
	if s.enc != nil {
		return nil
	}
	dec, err := NewDecoder(audio.SampleRate, audio.Channels)
	if err != nil {
		return err
	}
	enc, err := NewEncoder(audio.SampleRate, audio.Channels, s.opts)
	if err != nil {
		dec.Close()
		return err
	}
	la, err := enc.Lookahead()
	if err != nil {
		dec.Close()
		enc.Close()
		return err
	}
	s.dec, s.enc, s.la = dec, enc, la
	s.pcm = make([]float32, 2*(2*maxPacketSamples+audio.FrameSamples))
	s.out = make([]float32, 2*audio.FrameSamples)
	return nil
}

// Reset forgets everything buffered, as after the source seeked: the next
// packet read starts a fresh timeline. It also resets the chain.
func (s *Switcher) Reset() {
	s.qh, s.qn, s.histN, s.decoded = 0, 0, 0, 0
	s.next, s.feedPos = 0, 0
	s.pcmN, s.outN = 0, 0
	s.err = nil
	s.transcoding, s.flushed = false, false
	s.chain.Reset()
}

// Passthrough reports whether the last frame was passed through.
func (s *Switcher) Passthrough() bool { return s.lastPT }

// Close frees the codecs. It is idempotent.
func (s *Switcher) Close() error {
	if s.enc != nil {
		s.dec.Close()
		s.enc.Close()
	}
	return nil
}

// fill reads packets until the queue holds want of them or the source ends.
func (s *Switcher) fill(want int) {
	want = min(want, queueLen)
	for s.qn < want && s.err == nil {
		p := &s.q[(s.qh+s.qn)%queueLen]
		n, err := s.src(p.b[:])
		if err != nil {
			if !errors.Is(err, io.EOF) {
				err = fmt.Errorf("%w: %w", ErrPacketSource, err)
			}
			s.err = err
			return
		}
		samps, perr := 0, ErrMalformedPacket
		if n > 0 && n <= len(p.b) {
			samps, perr = PacketSamples(p.b[:n])
		}
		if perr != nil {
			// Empty and malformed packets are skipped, as a decoder would,
			// but a source that yields nothing else is broken.
			if s.bad++; s.bad > maxBadPackets {
				s.err = fmt.Errorf("%w: %d unusable packets in a row", ErrInvalidPacket, s.bad)
				return
			}
			continue
		}
		s.bad = 0
		p.n, p.pos, p.samps = n, s.next, samps
		s.next += int64(samps)
		s.qn++
	}
}

func (s *Switcher) head() *rawPacket { return &s.q[s.qh] }

func (s *Switcher) pop() {
	if s.histN == histLen {
		copy(s.hist[:], s.hist[1:])
		s.histN--
	}
	s.hist[s.histN] = *s.head()
	s.histN++
	s.qh = (s.qh + 1) % queueLen
	s.qn--
	if s.decoded > 0 {
		s.decoded--
	}
}

// ReadFrame writes the next 20 ms frame into dst (len(dst) ≥
// audio.MaxOpusFrame) and returns its length; io.EOF after the last one.
// It does not allocate.
func (s *Switcher) ReadFrame(dst []byte) (int, error) {
	s.fill(2)
	if s.allow && s.chain.IsIdentity() {
		if s.transcoding && s.canResume() {
			s.leaveTranscode()
		}
		if !s.transcoding && s.qn > 0 && s.head().samps == audio.FrameSamples {
			h := s.head()
			n := copy(dst, h.b[:h.n])
			s.pop()
			s.lastPT = true
			return n, nil
		}
	}
	if !s.transcoding {
		if s.qn == 0 {
			return 0, s.err
		}
		if err := s.enterTranscode(); err != nil {
			return 0, err
		}
	}
	s.lastPT = false
	return s.transcode(dst)
}

// enterTranscode starts decoding at the head packet.
func (s *Switcher) enterTranscode() error {
	if err := s.codecs(); err != nil {
		return err
	}
	s.transcoding = true
	s.dec.Reset()
	s.enc.Reset()
	s.pcmN, s.outN, s.decoded = 0, 0, 0
	start := s.head().pos
	s.feedPos = start
	// Warm the decoder on the packets just before (if they lead up to the
	// head) and keep their audio to prime the encoder.
	first := s.histN
	for first > 0 && s.hist[first-1].pos+int64(s.hist[first-1].samps) == s.feedPos {
		first--
		s.feedPos = s.hist[first].pos
	}
	if first < s.histN {
		s.feedPos = s.hist[first].pos
		for i := first; i < s.histN; i++ {
			h := &s.hist[i]
			if _, err := s.decodeInto(h.b[:h.n], h.samps); err != nil {
				return err
			}
		}
	}
	if err := s.decodeNext(); err != nil {
		return err
	}
	// Prime with whole frames ending one lookahead past start, so the
	// encoder's history is the real audio before the switch.
	var scratch [audio.MaxOpusFrame]byte
	for m := histLen; m > 0; m-- {
		off := int(start + int64(s.la) - int64(m*audio.FrameSamples) - s.feedPos)
		if off < 0 || off+audio.FrameSamples > s.pcmN {
			continue
		}
		_, _ = s.enc.EncodeFloat(s.pcm[2*off:2*(off+audio.FrameSamples)], scratch[:])
	}
	// Encoder input runs one lookahead ahead of the source timeline.
	s.consumePCM(int(start + int64(s.la) - s.feedPos))
	return nil
}

// canResume reports whether passthrough can take over: the first queued
// packet that starts at or after the sent position is a 20 ms one. (It
// starts exactly there unless a timescale stage moved the timeline.)
func (s *Switcher) canResume() bool {
	s.fill(queueLen)
	sent := s.feedPos - int64(s.la)
	for i := range s.qn {
		if p := &s.q[(s.qh+i)%queueLen]; p.pos >= sent {
			return p.samps == audio.FrameSamples
		}
	}
	return false
}

// leaveTranscode drops the transcoding state; passthrough resumes at the
// first packet not yet sent.
func (s *Switcher) leaveTranscode() {
	s.transcoding = false
	s.chain.Bypassed()
	sent := s.feedPos - int64(s.la)
	for s.qn > 0 && s.head().pos < sent {
		s.pop()
	}
	s.pcmN, s.outN, s.decoded = 0, 0, 0
	s.flushed = false
}

// decodeInto appends a packet's audio (samps frames by its TOC) to pcm
// and returns its frames.
func (s *Switcher) decodeInto(pkt []byte, samps int) (int, error) {
	room := s.pcm[2*s.pcmN:]
	n, err := s.dec.DecodeFloat(pkt, room[:min(len(room), 2*maxPacketSamples)])
	if err != nil || n != samps {
		// A corrupt packet in the middle of a track: conceal it for its
		// nominal duration rather than end the track, so positions stay
		// on the source's timeline.
		n, err = s.dec.DecodeFloat(nil, room[:2*min(samps, len(room)/2)])
		if err != nil {
			return 0, err
		}
	}
	s.pcmN += n
	return n, nil
}

// decodeNext decodes the first queued packet not decoded yet.
func (s *Switcher) decodeNext() error {
	if s.decoded >= s.qn {
		if s.qn == queueLen && s.decoded > 0 {
			// Packets shorter than the lookahead can fill the queue with
			// audio already decoded; only a later passthrough resume
			// needed them.
			s.pop()
		}
		s.fill(s.decoded + 1)
		if s.decoded >= s.qn {
			return s.err
		}
	}
	p := &s.q[(s.qh+s.decoded)%queueLen]
	if _, err := s.decodeInto(p.b[:p.n], p.samps); err != nil {
		return err
	}
	s.decoded++
	return nil
}

func (s *Switcher) consumePCM(frames int) {
	frames = min(max(frames, 0), s.pcmN)
	copy(s.pcm, s.pcm[2*frames:2*s.pcmN])
	s.pcmN -= frames
	s.feedPos += int64(frames)
	// Packets whose audio is all before the sent position are done.
	sent := s.feedPos - int64(s.la)
	for s.qn > 0 && s.decoded > 0 && s.head().pos+int64(s.head().samps) <= sent {
		s.pop()
	}
}

// transcode produces one frame through the chain and the encoder.
func (s *Switcher) transcode(dst []byte) (int, error) {
	for s.outN < audio.FrameSamples {
		if s.pcmN > 0 {
			a, b := s.chain.Process(s.pcm[:2*s.pcmN], s.out[2*s.outN:])
			s.consumePCM(a / 2)
			s.outN += b / 2
			if a > 0 || b > 0 {
				continue
			}
		}
		// Room is kept for the longest packet after a full buffer.
		if s.pcmN+maxPacketSamples > len(s.pcm)/2 {
			return 0, fmt.Errorf("%w: pcm buffer stalled", ErrInternal)
		}
		err := s.decodeNext()
		if err == nil {
			continue
		}
		if !errors.Is(err, io.EOF) {
			return 0, err
		}
		if !s.flushed {
			// Push the encoder's last lookahead out with silence.
			s.flushed = true
			clear(s.pcm[2*s.pcmN : 2*(s.pcmN+s.la)])
			s.pcmN += s.la
			continue
		}
		if s.outN == 0 {
			// Drain what the chain still holds (timescale) before ending.
			if _, b := s.chain.Process(nil, s.out); b > 0 {
				s.outN = b / 2
				continue
			}
			return 0, io.EOF
		}
		clear(s.out[2*s.outN:])
		s.outN = audio.FrameSamples
	}
	n, err := s.enc.EncodeFloat(s.out[:2*audio.FrameSamples], dst)
	s.outN = 0
	return n, err
}
