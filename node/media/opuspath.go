package media

import (
	"io"
	"time"

	"github.com/audionode/audionode/node/audio"
	"github.com/audionode/audionode/node/dsp"
	"github.com/audionode/audionode/node/opus"
)

// The Opus path keeps its output on the source's 20 ms packet grid so that
// it can hand over between passthrough and transcoding at any packet
// boundary: while transcoding, the encoder's input runs one encoder
// look-ahead (L samples) ahead of its output, so encoded frame k holds the
// same audio as source packet k. Switching to transcoding primes a reset
// encoder with the audio just before the boundary; switching back happens
// when the fifo holds exactly the tail of the last decoded packet past L,
// at which point that packet itself is sent.

// peekPacket loads the look-ahead packet.
func (s *Stream) peekPacket() error {
	if s.haveNext {
		return nil
	}
	p, start, err := s.pkts.next()
	if err != nil {
		return err
	}
	s.next, s.nextStart, s.haveNext = p, start, true
	return nil
}

// takePacket consumes the look-ahead packet and keeps a copy for a later
// switch to passthrough or for warming the decoder.
func (s *Stream) takePacket() []byte {
	s.haveNext = false
	s.haveLast = len(s.next) <= maxPktCopy
	if s.haveLast {
		s.last = append(s.last[:0], s.next...)
		s.lastStart = s.nextStart
	}
	// Keep recent packets to warm a decoder and encoder for a switch.
	if len(s.next) <= cap(s.hist[s.histI]) {
		s.hist[s.histI] = append(s.hist[s.histI][:0], s.next...)
		s.histI = (s.histI + 1) % histPackets
		s.histN = min(s.histN+1, histPackets)
	} else {
		s.histN = 0
	}
	return s.next
}

func (s *Stream) readOpus(dst []byte) (int, error) {
	if n, ok, err := s.tryPass(dst); ok || err != nil {
		return n, err
	}
	if s.passing {
		// Warm a fresh decoder on the packet just sent, whose audio also
		// primes the encoder.
		s.passing = false
		s.passAtom.Store(false)
		s.prevN = 0
		_ = s.dec.Reset()
		for i := range s.histN {
			s.decodePrev(s.hist[(s.histI-s.histN+i+histPackets)%histPackets])
		}
		s.prime = true
	}
	n, err := s.fill()
	if n == 0 {
		return 0, err
	}
	s.pos.Store(s.fifoGran - int64(s.lookahead) - int64(s.pkts.preSkip()))
	return s.encode(n, dst)
}

// tryPass sends a source packet untouched when the chain is the identity
// and the output is on the packet grid.
func (s *Stream) tryPass(dst []byte) (int, bool, error) {
	if s.opts.DisablePassthrough || s.skip > 0 || !s.chain.IsIdentity() || s.outputGain() != 1 {
		return 0, false, nil
	}
	var pkt []byte
	var start int64
	if s.fifoA != s.fifoB {
		// The fifo must hold exactly the last decoded packet's audio past
		// the encoder look-ahead: then the frames sent so far end where
		// that packet starts.
		L := s.lookahead
		if !s.haveLast || s.lastStart != s.lastDec || s.lastDecN != audio.FrameSamples ||
			s.fifoGran != s.lastDec+int64(L) || s.fifoB-s.fifoA != 2*(audio.FrameSamples-L) || len(s.last) > len(dst) {
			return 0, false, nil
		}
		pkt, start = s.last, s.lastStart
		s.fifoA, s.fifoB = 0, 0
	} else {
		if !s.passing && s.encBusy {
			// The encoder holds audio past the fifo: only the aligned
			// hand-over above keeps the timeline.
			return 0, false, nil
		}
		if err := s.peekPacket(); err != nil {
			if s.passing || err != io.EOF {
				return 0, false, err
			}
			return 0, false, nil // let the transcoder flush and report the end
		}
		if n, _ := opus.PacketSamples(s.next); n != audio.FrameSamples || len(s.next) > len(dst) {
			return 0, false, nil
		}
		start = s.nextStart
		pkt = s.takePacket()
	}
	if !s.passing {
		s.passing = true
		s.encBusy = false
		s.passAtom.Store(true)
		if s.hadTimescale {
			// A neutral timescale stage left in the chain buffers audio the
			// passthrough would skip over: start from a clean chain.
			s.chain = dsp.NewChain(s.opts.ResamplingQuality)
			s.hadTimescale = false
		}
	}
	n := copy(dst, pkt)
	s.pos.Store(start + audio.FrameSamples - int64(s.pkts.preSkip()))
	return n, true, nil
}

// decodeNext decodes the next packet into the empty fifo.
func (s *Stream) decodeNext() error {
	for {
		if err := s.peekPacket(); err != nil {
			return err
		}
		start := s.nextStart
		pkt := s.takePacket()
		n, err := s.dec.DecodeFloat(pkt, s.fifo)
		if err != nil {
			// libopus refused the packet: conceal its duration instead.
			d, _ := opus.PacketSamples(pkt)
			if d <= 0 {
				continue
			}
			if n, err = s.dec.DecodeFloat(nil, s.fifo[:2*d]); err != nil {
				continue
			}
		}
		applyGain(s.fifo[:2*n], s.outputGain())
		// Drop the end padding the last page's granule trims (RFC 7845 §4.4).
		if e := s.pkts.end(); e >= 0 && start+int64(n) > e {
			n = int(max(e-start, 0))
		}
		s.fifoA, s.fifoB = 0, 2*n
		s.fifoGran = start
		s.lastDec, s.lastDecN = start, n
		s.dropSkip()
		if s.fifoA < s.fifoB {
			return nil
		}
	}
}

// decodePrev decodes pkt onto the end of the history of decoded audio
// that primes the encoder.
// The fifo is empty whenever this runs, so it serves as scratch.
func (s *Stream) decodePrev(pkt []byte) {
	n, err := s.dec.DecodeFloat(pkt, s.fifo)
	if err != nil {
		return
	}
	applyGain(s.fifo[:2*n], s.outputGain())
	room := len(s.prev) / 2
	if n >= room {
		copy(s.prev, s.fifo[2*(n-room):2*n])
		s.prevN = room
		return
	}
	if drop := s.prevN + n - room; drop > 0 {
		copy(s.prev, s.prev[2*drop:2*s.prevN])
		s.prevN -= drop
	}
	copy(s.prev[2*s.prevN:], s.fifo[:2*n])
	s.prevN += n
}

// primeEncoder resets the encoder and feeds it the frames that end L
// samples into the fifo (history first), so that its next output starts
// at fifoGran with the encoder settled as if it had run all along.
func (s *Stream) primeEncoder() error {
	s.prime = false
	k := min(s.lookahead, (s.fifoB-s.fifoA)/2)
	total := s.prevN + k
	frames := max(1, total/audio.FrameSamples)
	if err := s.enc.Reset(); err != nil {
		return err
	}
	buf := s.primeBuf
	for f := range frames {
		// Frame f of the priming run ends at total-(frames-1-f)·960.
		end := total - (frames-1-f)*audio.FrameSamples
		for i := range audio.FrameSamples {
			j := end - audio.FrameSamples + i
			var l, r float32
			switch {
			case j < 0:
			case j < s.prevN:
				l, r = s.prev[2*j], s.prev[2*j+1]
			default:
				l, r = s.fifo[s.fifoA+2*(j-s.prevN)], s.fifo[s.fifoA+2*(j-s.prevN)+1]
			}
			buf[2*i], buf[2*i+1] = l, r
		}
		if _, err := s.enc.EncodeFloat(buf, s.scratch); err != nil {
			return err
		}
	}
	s.prevN = 0
	s.encBusy = true
	s.fifoA += 2 * k
	s.fifoGran += int64(k)
	return nil
}

// seekOpus moves to the packet holding pos, decoding an 80 ms preroll
// before it so the decoder has converged.
func (s *Stream) seekOpus(pos time.Duration) error {
	pre := int64(s.pkts.preSkip())
	target := int64(pos)*audio.SampleRate/int64(time.Second) + pre
	if _, err := s.pkts.seek(max(target-opusPreroll, 0)); err != nil {
		return err
	}
	s.haveNext, s.haveLast = false, false
	s.skip, s.prevN, s.histN = 0, 0, 0
	s.passing, s.encBusy = false, false
	s.passAtom.Store(false)
	s.prime = true
	_ = s.dec.Reset()
	return s.skipOpus(target)
}

// skipOpus reads on to the packet that holds target (on the granule
// timeline), decoding the packets before it so the decoder has converged.
func (s *Stream) skipOpus(target int64) error {
	pre := int64(s.pkts.preSkip())
	for {
		if err := s.peekPacket(); err != nil {
			if err == io.EOF {
				s.pos.Store(target - pre)
				return nil
			}
			return err
		}
		n, _ := opus.PacketSamples(s.next)
		if s.nextStart+int64(n) > target {
			break
		}
		s.decodePrev(s.takePacket())
	}
	s.pos.Store(s.nextStart - pre)
	return nil
}

// outputGain is the source's OpusHead output gain as a factor. A source
// with a gain is always decoded: passthrough would skip it.
func (s *Stream) outputGain() float32 {
	if g, ok := s.pkts.(interface{ outputGain() float32 }); ok {
		return g.outputGain()
	}
	return 1
}

func applyGain(x []float32, g float32) {
	if g == 1 {
		return
	}
	for i := range x {
		x[i] *= g
	}
}
