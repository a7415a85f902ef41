package media

import (
	"fmt"
	"io"
)

// adtsHeader is an ADTS frame header (ISO/IEC 14496-3 §1.A.2.2).
type adtsHeader struct {
	headerLen int // 7, or 9 with a CRC
	frameLen  int // header included
	objType   int // profile + 1
	rateIndex int
	channels  int // channel configuration
	blocks    int // raw data blocks in the frame
}

// parseADTSHeader checks and reads the header at the start of b.
func parseADTSHeader(b []byte) (adtsHeader, bool) {
	if len(b) < 7 || !isADTSSync(b) {
		return adtsHeader{}, false
	}
	h := adtsHeader{
		headerLen: 7,
		objType:   int(b[2]>>6) + 1,
		rateIndex: int(b[2] >> 2 & 15),
		channels:  int(b[2]&1)<<2 | int(b[3]>>6),
		frameLen:  int(b[3]&3)<<11 | int(b[4])<<3 | int(b[5]>>5),
		blocks:    int(b[6]&3) + 1,
	}
	if b[1]&1 == 0 {
		h.headerLen = 9
	}
	if h.rateIndex >= len(aacRates) || h.frameLen <= h.headerLen {
		return adtsHeader{}, false
	}
	return h, true
}

// asc is the AudioSpecificConfig equivalent to the header.
func (h adtsHeader) asc() []byte {
	return []byte{byte(h.objType<<3 | h.rateIndex>>1), byte(h.rateIndex<<7 | h.channels<<3)}
}

// maxADTSGarbage bounds the bytes skipped looking for the next frame.
const maxADTSGarbage = 1 << 20

// adtsIndexAtOpen is the largest file indexed whole at open (exact
// duration); over HTTP the index costs a download of the file before the
// first frame, so larger files estimate their duration and index as they
// are read or seeked.
var adtsIndexAtOpen int64 = 4 << 20 // a variable for tests

// adts demuxes a raw AAC (ADTS) file or stream: one access unit per frame.
type adts struct {
	in    *input
	first adtsHeader
	spf   int64 // samples per frame
	frame int64 // index of the next frame
	buf   []byte
	idx   []int64 // offsets of frames found so far (seekable input)
	total int64   // frames, -1 when unknown
}

func openADTS(in *input) (*adts, error) {
	a := &adts{in: in, buf: make([]byte, 8192), total: -1}
	if err := a.sync(); err != nil {
		return nil, fmt.Errorf("%w: no ADTS frame: %w", ErrMalformed, err)
	}
	p, _ := in.peek(9)
	a.first, _ = parseADTSHeader(p)
	a.spf = 1024 * int64(a.first.blocks)
	if in.seekable() {
		a.idx = append(a.idx, in.pos)
		if in.size <= adtsIndexAtOpen {
			// Small enough to index at once: exact duration and seeks.
			if _, err := a.seek(1 << 62); err != nil {
				return nil, err
			}
			a.total = int64(len(a.idx))
			if _, err := a.seek(0); err != nil {
				return nil, err
			}
		} else {
			// Estimate from the frames in the read-ahead buffer.
			p, _ := in.peek(bufSize)
			n, bytes := 0, 0
			for len(p) >= 7 {
				h, ok := parseADTSHeader(p)
				if !ok || h.frameLen > len(p) {
					break
				}
				n, bytes, p = n+1, bytes+h.frameLen, p[h.frameLen:]
			}
			if n > 0 {
				a.total = (in.size - in.pos) * int64(n) / int64(bytes)
			}
		}
	}
	return a, nil
}

func (a *adts) timescale() int64 { return int64(aacRates[a.first.rateIndex]) }

// sync skips to the next frame header whose frame is followed by another
// header (or the end), so garbage and false syncs are passed over.
func (a *adts) sync() error {
	for skipped := 0; skipped < maxADTSGarbage; skipped++ {
		p, err := a.in.peek(9)
		if len(p) < 7 {
			if err == nil || err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			return err
		}
		if h, ok := parseADTSHeader(p); ok {
			q, _ := a.in.peek(h.frameLen + 2)
			if len(q) == h.frameLen || (len(q) >= h.frameLen+2 && isADTSSync(q[h.frameLen:])) {
				return nil
			}
		}
		if err := a.in.skip(1); err != nil {
			return io.EOF
		}
	}
	return fmt.Errorf("%w: no ADTS sync in %d bytes", ErrMalformed, maxADTSGarbage)
}

func (a *adts) next() ([]byte, int64, error) {
	if err := a.sync(); err != nil {
		return nil, 0, err
	}
	if a.in.seekable() && a.frame == int64(len(a.idx)) && len(a.idx) < maxSamples {
		a.idx = append(a.idx, a.in.pos)
	}
	p, _ := a.in.peek(9)
	h, _ := parseADTSHeader(p)
	b := a.buf[:h.frameLen]
	if err := a.in.readFull(b); err != nil {
		return nil, 0, io.EOF
	}
	ts := a.frame * a.spf
	a.frame++
	return b[h.headerLen:], ts, nil
}

// seek goes to the frame holding ts, hopping over frame headers past the
// last known frame.
func (a *adts) seek(ts int64) (int64, error) {
	if !a.in.seekable() {
		return 0, errNotSeekable
	}
	k := max(ts/a.spf, 0)
	if k < int64(len(a.idx)) {
		a.frame = k
		return k * a.spf, a.in.seek(a.idx[k])
	}
	a.frame = int64(len(a.idx) - 1)
	if err := a.in.seek(a.idx[a.frame]); err != nil {
		return 0, err
	}
	for a.frame < k {
		p, _ := a.in.peek(9)
		h, ok := parseADTSHeader(p)
		if !ok {
			break
		}
		if err := a.in.skip(int64(h.frameLen)); err != nil {
			break
		}
		if err := a.sync(); err != nil {
			a.frame++ // past the last frame: at the end
			break
		}
		if len(a.idx) >= maxSamples {
			break
		}
		a.frame++
		a.idx = append(a.idx, a.in.pos)
	}
	if a.frame < int64(len(a.idx)) {
		if err := a.in.seek(a.idx[a.frame]); err != nil {
			return 0, err
		}
	}
	return a.frame * a.spf, nil
}
