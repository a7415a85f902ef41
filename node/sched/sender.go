package sched

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"io"
	"sync/atomic"

	"github.com/audionode/audionode/node/audio"
)

// FrameTransformer changes an Opus frame before transport encryption; the
// DAVE frame encryptor implements it. TransformFrame writes the result to
// dst (len(dst) >= len(frame)+MaxTransformOverhead) and returns its length.
// ok false means "do not send this frame" (for example DAVE not ready);
// the frame is counted as nulled. It runs on a shard goroutine and must not
// block, lock or allocate.
type FrameTransformer interface {
	TransformFrame(dst, frame []byte) (n int, ok bool)
}

// MaxTransformOverhead bounds what a FrameTransformer may add to a frame.
const MaxTransformOverhead = 64

// rtpHeaderLen is the header a bot sends: V=2, no CSRC, no extension.
const rtpHeaderLen = 12

// maxPacket is header + transformed frame + AEAD tag + 4-byte nonce.
const maxPacket = rtpHeaderLen + audio.MaxOpusFrame + MaxTransformOverhead + 16 + 4

// silenceFrames is how many F8 FF FE frames end a burst of audio.
const silenceFrames = 5

// keepaliveTicks is how often an idle sender refreshes its UDP binding
// (5 s at 20 ms per tick, as songbird does).
const keepaliveTicks = 250

// speakingDelayTicks is how many ticks after op 5 was written the first
// packet waits, so op 5 (TCP) is surely processed before the audio (UDP).
const speakingDelayTicks = 2

// Errors from NewSender and the Scheduler.
var (
	ErrBadConfig = errors.New("sched: bad sender config")
	ErrClosed    = errors.New("sched: scheduler closed")
	ErrAdded     = errors.New("sched: sender already added")
)

// SenderConfig describes one voice connection's media path.
type SenderConfig struct {
	Source audio.FrameSource
	// Conn carries the packets: a UDP socket connected to the voice
	// server's media address (any io.Writer in tests). Write must not block
	// for long; UDP writes do not.
	Conn io.Writer
	SSRC uint32
	// AEAD is the rtpsize transport cipher (AES-256-GCM or
	// XChaCha20-Poly1305); its nonce is the 4-byte counter zero-padded.
	AEAD cipher.AEAD
	// Transform, when set, is applied to every frame before AEAD (DAVE).
	Transform FrameTransformer
	// Speaking receives a signal (never blocking; capacity 1 suffices)
	// whenever the sender wants the speaking flag changed. The owner then
	// calls SpeakingRequest, sends op 5 and calls SpeakingSent.
	Speaking chan<- struct{}
	// Seq, Timestamp and Nonce are the starting values (random is best).
	Seq       uint16
	Timestamp uint32
	Nonce     uint32
}

// Sender state, owned by the shard goroutine.
const (
	stateIdle = iota
	stateWaitSpeaking
	stateSpeaking
	stateTail
)

// SenderStats are cumulative counters of one sender.
type SenderStats struct {
	Ticks      uint64 // scheduler ticks while added
	Sent       uint64 // audio and silence packets written
	Nulled     uint64 // ticks where the source (or transform) had no frame
	Silence    uint64 // silence frames sent
	Keepalives uint64
	Errors     uint64 // failed writes
}

// Deficit is ticks that neither sent nor counted as nulled (speaking
// handshake, silence tail), as Lavalink's frameStats reports it.
func (s SenderStats) Deficit() uint64 {
	d := s.Ticks - s.Sent - s.Nulled
	if d > s.Ticks {
		return 0
	}
	return d
}

// Sender is one connection's packetiser. All of its mutable state is
// owned by the shard it is added to; the owner talks to it through the
// atomics below.
type Sender struct {
	cfg    SenderConfig
	shard  *shard
	index  int // position in shard.senders
	added  atomic.Bool
	frozen atomic.Bool
	failed atomic.Bool

	// Speaking handshake: the shard publishes a request (generation<<1 |
	// on) in want; the owner stores the same value in acked once op 5
	// with that flag was written. Generations make stale ACKs harmless.
	want  atomic.Uint64
	acked atomic.Uint64
	gen   uint64 // shard-owned

	ticks, sent, nulled, silence, keepalives, errs atomic.Uint64

	// Shard-owned.
	state      int
	waitTicks  int
	held       int
	silenceN   int
	offPending bool
	idleTicks  int
	seq        uint16
	ts         uint32
	nonce      uint32
	kaCount    uint32
	nonceSize  int
	nonceBuf   [24]byte
	hdr        [rtpHeaderLen]byte
	frame      [audio.MaxOpusFrame]byte
	xform      [audio.MaxOpusFrame + MaxTransformOverhead]byte
	pkt        [maxPacket]byte
	keepalive  [8]byte
}

// NewSender checks cfg and preallocates the packet buffers.
func NewSender(cfg SenderConfig) (*Sender, error) {
	if cfg.Source == nil || cfg.Conn == nil || cfg.AEAD == nil || cfg.Speaking == nil {
		return nil, ErrBadConfig
	}
	ns := cfg.AEAD.NonceSize()
	if ns < 4 || ns > 24 || cfg.AEAD.Overhead() > 16 {
		return nil, ErrBadConfig
	}
	s := &Sender{cfg: cfg, seq: cfg.Seq, ts: cfg.Timestamp, nonce: cfg.Nonce, nonceSize: ns}
	binary.BigEndian.PutUint32(s.keepalive[:], cfg.SSRC)
	return s, nil
}

// SpeakingRequest returns the sender's current speaking request: an
// opaque token for SpeakingSent and the flag to send in op 5.
func (s *Sender) SpeakingRequest() (req uint64, on bool) {
	req = s.want.Load()
	return req, req&1 == 1
}

// SpeakingSent tells the sender that op 5 for req has been written.
func (s *Sender) SpeakingSent(req uint64) { s.acked.Store(req) }

func (s *Sender) requestSpeaking(on bool) {
	s.gen++
	req := s.gen << 1
	if on {
		req |= 1
	}
	s.want.Store(req)
	s.notify()
}

// Freeze stops sending (and pulling frames) without removing the sender,
// for example while the gateway is away for good; Unfreeze undoes it.
func (s *Sender) Freeze(on bool) { s.frozen.Store(on) }

// Failed reports whether the sender was stopped by a panic in its frame
// source or transform.
func (s *Sender) Failed() bool { return s.failed.Load() }

// Stats returns the sender's counters.
func (s *Sender) Stats() SenderStats {
	return SenderStats{
		Ticks: s.ticks.Load(), Sent: s.sent.Load(), Nulled: s.nulled.Load(),
		Silence: s.silence.Load(), Keepalives: s.keepalives.Load(), Errors: s.errs.Load(),
	}
}

func (s *Sender) notify() {
	select {
	case s.cfg.Speaking <- struct{}{}:
	default:
	}
}

// tick runs once per 20 ms on the shard goroutine. It must not allocate.
func (s *Sender) tick() (sent, nulled uint64) {
	s.ticks.Add(1)
	if s.frozen.Load() {
		return 0, 0
	}
	switch s.state {
	case stateIdle:
		if s.offPending {
			s.offPending = false
			s.requestSpeaking(false)
		}
		n, ok := s.cfg.Source.ReadFrame(s.frame[:])
		if !ok {
			s.idleTicks++
			if s.idleTicks >= keepaliveTicks {
				s.idleTicks = 0
				s.sendKeepalive()
			}
			s.nulled.Add(1)
			return 0, 1
		}
		// Hold the frame until op 5 has gone out.
		s.held = n
		s.state, s.waitTicks = stateWaitSpeaking, 0
		s.requestSpeaking(true)
		return 0, 0
	case stateWaitSpeaking:
		if s.acked.Load() != s.want.Load() {
			s.waitTicks = 0
			return 0, 0
		}
		s.waitTicks++
		if s.waitTicks <= speakingDelayTicks {
			return 0, 0
		}
		s.state = stateSpeaking
		return s.send(s.frame[:s.held])
	case stateSpeaking:
		n, ok := s.cfg.Source.ReadFrame(s.frame[:])
		if ok {
			return s.send(s.frame[:n])
		}
		// Underrun or stop: the tail's first silence frame goes out now.
		s.state, s.silenceN = stateTail, silenceFrames
		return s.sendSilence()
	default: // stateTail: finish it without pulling, then speaking 0
		return s.sendSilence()
	}
}

func (s *Sender) sendSilence() (uint64, uint64) {
	sent, nulled := s.send(audio.SilenceFrame[:])
	s.silence.Add(1)
	s.silenceN--
	if s.silenceN <= 0 {
		// Speaking 0 goes out on the next tick, so it cannot overtake the
		// last silence packet.
		s.state, s.idleTicks, s.offPending = stateIdle, 0, true
	}
	return sent, nulled
}

// send transforms, packetises, seals and writes one frame.
func (s *Sender) send(frame []byte) (sent, nulled uint64) {
	if t := s.cfg.Transform; t != nil {
		n, ok := t.TransformFrame(s.xform[:], frame)
		if !ok || n > len(s.xform) {
			s.nulled.Add(1)
			return 0, 1
		}
		frame = s.xform[:n]
	}
	h := s.hdr[:]
	h[0], h[1] = 0x80, 0x78
	binary.BigEndian.PutUint16(h[2:], s.seq)
	binary.BigEndian.PutUint32(h[4:], s.ts)
	binary.BigEndian.PutUint32(h[8:], s.cfg.SSRC)
	binary.BigEndian.PutUint32(s.nonceBuf[:4], s.nonce)
	copy(s.pkt[:], h)
	out := s.cfg.AEAD.Seal(s.pkt[:rtpHeaderLen], s.nonceBuf[:s.nonceSize], frame, h)
	out = append(out, s.nonceBuf[:4]...)
	s.seq++
	s.ts += audio.FrameSamples
	s.nonce++
	s.idleTicks = 0
	if _, err := s.cfg.Conn.Write(out); err != nil {
		s.errs.Add(1)
		return 0, 0
	}
	s.sent.Add(1)
	return 1, 0
}

func (s *Sender) sendKeepalive() {
	s.kaCount++
	binary.BigEndian.PutUint32(s.keepalive[4:], s.kaCount)
	if _, err := s.cfg.Conn.Write(s.keepalive[:]); err != nil {
		s.errs.Add(1)
		return
	}
	s.keepalives.Add(1)
}
