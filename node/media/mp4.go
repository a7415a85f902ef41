package media

import (
	"fmt"
	"io"
	"sort"
)

// mp4 demuxes the first audio track of an ISO BMFF (MP4/M4A) file,
// regular or fragmented (ISO/IEC 14496-12). A fragmented input is read
// box by box, so an HLS init segment followed by media segments plays as
// a stream.
type mp4 struct {
	in    *input
	t     *mp4Track
	cur   int // next sample (regular) or next sample of the fragment
	buf   []byte
	moof  []byte
	first int64 // offset of the first box after moov
	sidx  []sidxRef

	// The current fragment's samples.
	fOff    []int64
	fSize   []uint32
	fDts    []int64 // len(fOff)+1: the last is the fragment's end
	nextBox int64   // where the box after the current fragment starts, -1: end
	endDts  int64   // end of the last fragment read, for a traf without tfdt
}

func openMP4(in *input) (*mp4, error) {
	m := &mp4{in: in, buf: make([]byte, 0, 4096), nextBox: -1}
	for {
		start := in.pos
		typ, size, hdr, err := readBoxHeader(in)
		if err == io.EOF {
			return nil, fmt.Errorf("%w: MP4 without moov", ErrMalformed)
		}
		if err != nil {
			return nil, err
		}
		switch typ {
		case boxMoov:
			if size < 0 || size > maxMoovLen || (in.size >= 0 && start+size > in.size) {
				return nil, fmt.Errorf("%w: moov of %d bytes", ErrMalformed, size)
			}
			moov, err := readBody(in, size-int64(hdr), nil)
			if err != nil {
				return nil, err
			}
			if m.t, err = parseMoov(moov, in.size); err != nil {
				return nil, err
			}
			m.first = in.pos
			if !m.t.fragmented && len(m.t.off) == 0 {
				return nil, fmt.Errorf("%w: MP4 track without samples", ErrMalformed)
			}
			m.nextBox = m.first
			if m.t.fragmented && in.seekable() {
				m.loadSidx()
			}
			return m, nil
		case boxMdat:
			if !in.seekable() {
				return nil, fmt.Errorf("%w: MP4 with moov after mdat needs a seekable input (remux with -movflags +faststart)", ErrUnsupported)
			}
			fallthrough
		default:
			if size < 0 {
				return nil, fmt.Errorf("%w: MP4 without moov", ErrMalformed)
			}
			if err := in.skip(size - int64(hdr)); err != nil {
				return nil, fmt.Errorf("%w: truncated MP4 box: %w", ErrMalformed, err)
			}
		}
	}
}

func (m *mp4) timescale() int64 { return m.t.timescale }

// readAt reads n bytes at off into m.buf, seeking when the input can and
// skipping forward otherwise.
func (m *mp4) readAt(off int64, n uint32) ([]byte, error) {
	if n > maxAULen {
		return nil, fmt.Errorf("%w: MP4 sample of %d bytes", ErrMalformed, n)
	}
	if off != m.in.pos {
		var err error
		if m.in.seekable() {
			err = m.in.seek(off)
		} else {
			err = m.in.skip(off - m.in.pos)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: MP4 sample at %d: %w", ErrMalformed, off, err)
		}
	}
	if cap(m.buf) < int(n) {
		m.buf = make([]byte, n)
	}
	m.buf = m.buf[:n]
	if err := m.in.readFull(m.buf); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, io.EOF // a cut file ends at its last whole sample
		}
		return nil, err
	}
	return m.buf, nil
}

func (m *mp4) next() ([]byte, int64, error) {
	if !m.t.fragmented {
		if m.cur >= len(m.t.off) {
			return nil, 0, io.EOF
		}
		i := m.cur
		b, err := m.readAt(m.t.off[i], m.t.size[i])
		if err != nil {
			return nil, 0, err
		}
		m.cur++
		return b, m.t.dts[i], nil
	}
	for m.cur >= len(m.fOff) {
		if err := m.nextFragment(); err != nil {
			return nil, 0, err
		}
	}
	i := m.cur
	b, err := m.readAt(m.fOff[i], m.fSize[i])
	if err != nil {
		return nil, 0, err
	}
	m.cur++
	return b, m.fDts[i], nil
}

// nextFragment reads boxes up to the next moof and loads its samples.
func (m *mp4) nextFragment() error {
	for {
		if m.nextBox < 0 {
			return io.EOF
		}
		if err := m.goTo(m.nextBox); err != nil {
			return err
		}
		start := m.in.pos
		typ, size, hdr, err := readBoxHeader(m.in)
		if err != nil {
			return err
		}
		if size < 0 {
			m.nextBox = -1
		} else {
			m.nextBox = start + size
		}
		if typ != boxMoof {
			continue
		}
		if size < 0 || size > maxMoofLen {
			return fmt.Errorf("%w: moof of %d bytes", ErrMalformed, size)
		}
		if m.moof, err = readBody(m.in, size-int64(hdr), m.moof); err != nil {
			return err
		}
		if err := m.parseMoof(m.moof, start); err != nil {
			return err
		}
		// Step into the mdat that follows, so a stream reads on.
		if p, _ := m.in.peek(8); len(p) == 8 && fourCCAt(p[4:]) == boxMdat {
			mstart := m.in.pos
			_, msize, _, err := readBoxHeader(m.in)
			if err != nil {
				return err
			}
			m.nextBox = -1
			if msize >= 0 {
				m.nextBox = mstart + msize
			}
		}
		m.cur = 0
		return nil
	}
}

// goTo moves to off: by seeking, or forward by skipping on a stream.
func (m *mp4) goTo(off int64) error {
	if off == m.in.pos {
		return nil
	}
	if m.in.seekable() {
		if m.in.size >= 0 && off >= m.in.size {
			return io.EOF
		}
		return m.in.seek(off)
	}
	if off < m.in.pos {
		return fmt.Errorf("%w: MP4 box behind the read position", ErrMalformed)
	}
	if err := m.in.skip(off - m.in.pos); err != nil {
		return io.EOF
	}
	return nil
}

func fourCCAt(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// seek finds the sample at or before ts (track timescale).
func (m *mp4) seek(ts int64) (int64, error) {
	if !m.t.fragmented {
		n := len(m.t.off)
		i := sort.Search(n, func(i int) bool { return m.t.dts[i+1] > ts })
		i = min(i, n-1)
		m.cur = i
		return m.t.dts[i], nil
	}
	// Walk the moof boxes (each is small) from the first, or from the
	// sidx entry before ts: the entry's time only picks where to start,
	// tfdt gives the real one, so step back while the fragment there
	// starts after ts.
	at, atTS := m.first, int64(0)
	for i := sort.Search(len(m.sidx), func(i int) bool { return m.sidx[i].ts > ts }) - 1; i >= 0; i-- {
		m.nextBox, m.endDts = m.sidx[i].off, m.sidx[i].ts
		if err := m.nextFragment(); err == nil && len(m.fOff) > 0 && m.fDts[0] <= ts {
			at, atTS = m.sidx[i].off, m.sidx[i].ts
			break
		}
	}
	m.nextBox = at
	m.fOff, m.fSize, m.fDts = m.fOff[:0], m.fSize[:0], m.fDts[:0]
	m.endDts = atTS
	m.cur = 0
	var lastEnd int64
	for {
		if err := m.nextFragment(); err != nil {
			if err == io.EOF {
				m.cur = len(m.fOff)
				return lastEnd, nil
			}
			return 0, err
		}
		n := len(m.fOff)
		if n == 0 {
			continue
		}
		lastEnd = m.fDts[n]
		if ts < m.fDts[n] {
			i := sort.Search(n, func(i int) bool { return m.fDts[i+1] > ts })
			m.cur = min(i, n-1)
			return m.fDts[m.cur], nil
		}
	}
}

// end is where the track ends in its timescale: the edit list's end, else
// the last sample's end; -1 when unknown (a fragmented stream).
func (m *mp4) end() int64 {
	if m.t.editLen >= 0 {
		return m.t.editStart + m.t.editLen
	}
	if !m.t.fragmented {
		return m.t.dts[len(m.t.off)]
	}
	if !m.in.seekable() {
		return -1
	}
	e, err := m.seek(1 << 62)
	if _, err2 := m.seek(0); err != nil || err2 != nil {
		return -1
	}
	return e
}
