package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/audionode/audionode/node/opus"
)

// oggOpus reads Opus packets from an Ogg file (RFC 7845).
type oggOpus struct {
	o         *oggReader
	pre       int
	channels  int
	dataStart int64 // offset of the first audio page
	gran      int64 // start of the next packet
	last      int64 // granule of the last page, -1 when unknown
	gain      float32
}

// parseOpusHead checks an identification header. Channel mapping family 0
// (mono/stereo) and family 1 with at most two channels decode with a plain
// Opus decoder; surround would need the multistream API.
func parseOpusHead(p []byte) (channels, preSkip int, err error) {
	if len(p) < 19 || string(p[:8]) != "OpusHead" {
		return 0, 0, fmt.Errorf("%w: no OpusHead", ErrMalformed)
	}
	if p[8]>>4 != 0 {
		return 0, 0, fmt.Errorf("%w: OpusHead version %d", ErrUnsupported, p[8])
	}
	channels = int(p[9])
	preSkip = int(binary.LittleEndian.Uint16(p[10:]))
	family := p[18]
	if channels < 1 || channels > 2 || family > 1 {
		return 0, 0, fmt.Errorf("%w: Opus with %d channels, mapping family %d", ErrUnsupported, channels, family)
	}
	return channels, preSkip, nil
}

// opusHeadGain converts OpusHead's output gain (Q7.8 dB, RFC 7845 §5.1)
// to a factor; p is at least 19 bytes.
func opusHeadGain(p []byte) float32 {
	q := int16(binary.LittleEndian.Uint16(p[16:]))
	if q == 0 {
		return 1
	}
	return float32(math.Pow(10, float64(q)/(20*256)))
}

func openOggOpus(in *input) (*oggOpus, error) {
	o := newOggReader(in)
	head, err := o.packet()
	if err != nil {
		return nil, fmt.Errorf("%w: first Ogg packet: %w", ErrMalformed, err)
	}
	s := &oggOpus{o: o, last: -1}
	if s.channels, s.pre, err = parseOpusHead(head); err != nil {
		return nil, err
	}
	s.gain = opusHeadGain(head)
	tags, err := o.packet()
	if err != nil {
		return nil, fmt.Errorf("%w: OpusTags: %w", ErrMalformed, err)
	}
	if !bytes.HasPrefix(tags, []byte("OpusTags")) {
		return nil, fmt.Errorf("%w: no OpusTags", ErrMalformed)
	}
	// Audio starts on a fresh page (RFC 7845 §3).
	s.dataStart = o.pageEnd
	o.nsegs, o.seg = 0, 0
	if in.seekable() {
		if g, err := o.lastGranule(); err == nil {
			s.last = g
		}
	}
	return s, nil
}

func (s *oggOpus) preSkip() int { return s.pre }

func (s *oggOpus) outputGain() float32 { return s.gain }
func (s *oggOpus) end() int64          { return s.last }

func (s *oggOpus) next() ([]byte, int64, error) {
	for {
		pkt, err := s.o.packet()
		if err != nil {
			return nil, 0, err
		}
		// Headers of a chained link, empty and broken packets carry no audio.
		if bytes.HasPrefix(pkt, []byte("OpusHead")) {
			if len(pkt) >= 19 {
				s.gain = opusHeadGain(pkt)
			}
			continue
		}
		if bytes.HasPrefix(pkt, []byte("OpusTags")) {
			continue
		}
		n, err := opus.PacketSamples(pkt)
		if err != nil {
			continue
		}
		start := s.gran
		s.gran += int64(n)
		return pkt, start, nil
	}
}

func (s *oggOpus) seek(granule int64) (int64, error) {
	g, err := s.o.seekGranule(granule, s.dataStart, 0)
	if err != nil {
		return 0, err
	}
	s.gran = g
	return g, nil
}
