package media

import (
	"fmt"
	"io"

	"github.com/audionode/audionode/node/media/mp3"
)

const (
	tsPacketLen = 188
	maxPESLen   = 1 << 20
	maxTSProbe  = 4 << 20 // bytes read looking for PAT, PMT and the first frame
	tsClock     = 90000
)

// mpegTS demuxes the first supported audio stream of an MPEG transport
// stream (ISO/IEC 13818-1): AAC in ADTS (stream type 0x0F) or MPEG audio
// (0x03, 0x04). PES packets are split into frames; a frame's timestamp is
// its PES PTS plus the frames before it, relative to the first frame.
type mpegTS struct {
	in     *input
	pkt    [tsPacketLen]byte
	pmtPID int // -1 until the PAT is read
	pid    int // -1 until the PMT is read
	stype  byte
	codec  int

	acc    []byte // PES being assembled
	accPTS int64
	accOn  bool // a PES is in progress and intact
	lastCC int

	done    []byte // the last complete PES, being split
	donePTS int64
	doneOff int
	doneK   int64
	eof     bool

	held   bool // a frame read ahead (open, seek) is returned next
	heldAU []byte
	heldTS int64

	first  adtsHeader // AAC
	rate   int
	spf    int
	pts0   int64 // PTS of the first frame
	auDur  int64 // one frame in 90 kHz ticks
	endRel int64 // end of the last frame, -1 when unknown
}

func openTS(in *input) (*mpegTS, error) {
	t := &mpegTS{in: in, pmtPID: -1, pid: -1, lastCC: -1, endRel: -1,
		acc: make([]byte, 0, 8192), done: make([]byte, 0, 8192)}
	// Find the stream and its first frame.
	for t.pid < 0 || t.rate == 0 {
		if in.pos > maxTSProbe {
			return nil, fmt.Errorf("%w: no audio in the first %d bytes of MPEG-TS", ErrMalformed, maxTSProbe)
		}
		if t.pmtPID == -2 {
			return nil, fmt.Errorf("%w: MPEG-TS audio stream type 0x%02x (only AAC/ADTS and MPEG audio)", ErrUnsupported, t.stype)
		}
		au, pts, ok := t.split()
		if ok {
			t.pts0 = pts
			t.held, t.heldAU, t.heldTS = true, au, pts
			break
		}
		if err := t.readPES(); err != nil {
			if t.pid < 0 && t.stype != 0 {
				return nil, fmt.Errorf("%w: MPEG-TS audio stream type 0x%02x (only AAC/ADTS and MPEG audio)", ErrUnsupported, t.stype)
			}
			return nil, fmt.Errorf("%w: no audio frame in MPEG-TS: %w", ErrMalformed, err)
		}
	}
	t.auDur = int64(t.spf) * tsClock / int64(t.rate)
	if in.seekable() {
		t.findEnd()
	}
	return t, nil
}

func (t *mpegTS) timescale() int64 { return tsClock }

// rel turns a PTS into ticks since the first frame, across a 33-bit wrap.
func (t *mpegTS) rel(pts int64) int64 {
	d := pts - t.pts0
	if d < -(1 << 32) {
		d += 1 << 33
	}
	return d
}

func (t *mpegTS) next() ([]byte, int64, error) {
	for {
		if t.held {
			t.held = false
			return t.heldAU, t.rel(t.heldTS), nil
		}
		if au, pts, ok := t.split(); ok {
			return au, t.rel(pts), nil
		}
		if err := t.readPES(); err != nil {
			return nil, 0, err
		}
	}
}

// split returns the next frame of the complete PES.
func (t *mpegTS) split() ([]byte, int64, bool) {
	b := t.done[t.doneOff:]
	switch t.codec {
	case codecAAC:
		h, ok := parseADTSHeader(b)
		if !ok || h.frameLen > len(b) {
			return nil, 0, false
		}
		if t.rate == 0 {
			t.first, t.rate, t.spf = h, aacRates[h.rateIndex], 1024*h.blocks
		}
		ts := t.donePTS + t.doneK*int64(t.spf)*tsClock/int64(t.rate)
		t.doneOff += h.frameLen
		t.doneK++
		return b[h.headerLen:h.frameLen], ts, true
	case codecMP3:
		h, err := mp3.ParseHeader(b)
		n := h.FrameSize
		if err != nil || n > len(b) {
			return nil, 0, false
		}
		if t.rate == 0 {
			t.rate, t.spf = h.SampleRate, h.Samples
		}
		ts := t.donePTS + t.doneK*int64(t.spf)*tsClock/int64(t.rate)
		t.doneOff += n
		t.doneK++
		return b[:n], ts, true
	}
	return nil, 0, false
}

// readPES reads packets until a PES of the stream is complete and makes
// it the one split into frames.
func (t *mpegTS) readPES() error {
	for {
		if t.eof {
			return io.EOF
		}
		if err := t.readPacket(); err != nil {
			t.eof = true
			if t.accOn && len(t.acc) > 0 {
				t.finish()
				return nil
			}
			return io.EOF
		}
		if t.handle() {
			return nil
		}
	}
}

// finish makes the assembled PES the one to split.
func (t *mpegTS) finish() {
	t.done, t.acc = t.acc, t.done[:0]
	t.donePTS, t.doneOff, t.doneK = t.accPTS, 0, 0
	t.accOn = false
}

// readPacket reads the next packet, resynchronising on 0x47 bytes that
// are a packet length apart.
func (t *mpegTS) readPacket() error {
	for skipped := 0; ; skipped++ {
		if skipped > maxTSProbe {
			return fmt.Errorf("%w: no MPEG-TS sync", ErrMalformed)
		}
		p, err := t.in.peek(tsPacketLen + 1)
		if len(p) < tsPacketLen {
			if err == nil {
				err = io.EOF
			}
			return err
		}
		if p[0] == tsSync && (len(p) == tsPacketLen || p[tsPacketLen] == tsSync) {
			return t.in.readFull(t.pkt[:])
		}
		if err := t.in.skip(1); err != nil {
			return err
		}
	}
}
