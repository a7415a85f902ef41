package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/audionode/audionode/node/opus"
)

// Matroska/WebM element ids (the marker bits kept, as written).
const (
	idEBML         = 0x1A45DFA3
	idSegment      = 0x18538067
	idSeekHead     = 0x114D9B74
	idSeek         = 0x4DBB
	idSeekID       = 0x53AB
	idSeekPosition = 0x53AC
	idInfo         = 0x1549A966
	idTimeScale    = 0x2AD7B1
	idDuration     = 0x4489
	idTracks       = 0x1654AE6B
	idTrackEntry   = 0xAE
	idTrackNumber  = 0xD7
	idTrackType    = 0x83
	idCodecID      = 0x86
	idCodecPrivate = 0x63A2
	idCodecDelay   = 0x56AA
	idCues         = 0x1C53BB6B
	idCuePoint     = 0xBB
	idCueTime      = 0xB3
	idCuePositions = 0xB7
	idCueTrack     = 0xF7
	idCueCluster   = 0xF1
	idCluster      = 0x1F43B675
	idTimestamp    = 0xE7
	idSimpleBlock  = 0xA3
	idBlockGroup   = 0xA0
	idBlock        = 0xA1
	idDiscardPad   = 0x75A2
)

const (
	mkvMaxHeader = 64 << 10 // Info, Tracks, SeekHead, and each of their children
	mkvMaxCues   = 4 << 20
	mkvMaxBlock  = 1 << 20
	mkvMaxLaced  = 64
	sizeUnknown  = -1
)

// mkvOpus reads the Opus track of a WebM/Matroska file as packets. The
// file is walked as a flat sequence of elements: Segment, Cluster and
// BlockGroup are entered, every other element is read or skipped by size,
// so clusters of unknown size (live WebM) work too.
type mkvOpus struct {
	in        *input
	track     uint64
	scale     int64 // ns per timestamp unit
	pre       int
	last      int64
	segData   int64 // offset of the Segment's data (cue positions count from here)
	cuesAt    int64 // from the SeekHead, -1 unknown
	cues      []mkvCue
	cuesRead  bool
	firstClus int64
	clusterTS int64
	block     []byte
	frames    [mkvMaxLaced][2]int // offsets into block
	nframes   int
	frame     int
	gran      int64
	buf       [8]byte
	gain      float32 // OpusHead output gain
	group     []byte  // a BlockGroup's payload
	// vorbisPriv is the CodecPrivate of an A_VORBIS track (nil for Opus):
	// the Stream then decodes it as PCM (vorbis.go).
	vorbisPriv []byte
	// aacPriv is the AudioSpecificConfig of an A_AAC track (mkvaac.go).
	aacPriv []byte
}

type mkvCue struct {
	time int64 // in timestamp units
	pos  int64 // cluster offset from segData
}

var errNotOpusTrack = errors.New("no Opus track")

// vint reads an EBML variable-length integer; id keeps the marker bits.
func (m *mkvOpus) vint(id bool) (int64, int, error) {
	if err := m.in.readFull(m.buf[:1]); err != nil {
		return 0, 0, err
	}
	b := m.buf[0]
	n := 1
	for n <= 8 && b&(0x80>>(n-1)) == 0 {
		n++
	}
	if n > 8 || (id && n > 4) {
		return 0, 0, fmt.Errorf("%w: bad EBML number", ErrMalformed)
	}
	if err := m.in.readFull(m.buf[1:n]); err != nil {
		return 0, 0, fmt.Errorf("%w: truncated EBML number: %w", ErrMalformed, err)
	}
	v := int64(b)
	if !id {
		v &= int64(0xFF >> n)
	}
	allOnes := v == int64(0xFF>>n)
	for _, c := range m.buf[1:n] {
		v = v<<8 | int64(c)
		allOnes = allOnes && c == 0xFF
	}
	if !id && allOnes {
		return sizeUnknown, n, nil
	}
	return v, n, nil
}

func (m *mkvOpus) header() (id, size int64, err error) {
	if id, _, err = m.vint(true); err != nil {
		return 0, 0, err
	}
	if size, _, err = m.vint(false); err != nil {
		return 0, 0, err
	}
	return id, size, nil
}

func (m *mkvOpus) readUint(size int64) (uint64, error) {
	if size < 0 || size > 8 {
		return 0, fmt.Errorf("%w: integer of %d bytes", ErrMalformed, size)
	}
	if err := m.in.readFull(m.buf[:size]); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	var v uint64
	for _, c := range m.buf[:size] {
		v = v<<8 | uint64(c)
	}
	return v, nil
}

func (m *mkvOpus) readBytes(size, limit int64) ([]byte, error) {
	if size < 0 || size > limit {
		return nil, fmt.Errorf("%w: element of %d bytes", ErrMalformed, size)
	}
	b := make([]byte, size)
	if err := m.in.readFull(b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return b, nil
}

func (m *mkvOpus) skip(size int64) error {
	if size < 0 {
		return fmt.Errorf("%w: unknown-size element", ErrMalformed)
	}
	return m.in.skip(size)
}

func openWebM(in *input) (*mkvOpus, error) {
	m := &mkvOpus{in: in, scale: 1000000, last: -1, gain: 1, cuesAt: -1, firstClus: -1, block: make([]byte, 0, 4096)}
	id, size, err := m.header()
	if err != nil || id != idEBML {
		return nil, fmt.Errorf("%w: no EBML header", ErrMalformed)
	}
	if err := m.skip(size); err != nil {
		return nil, err
	}
	var duration float64
	for m.track == 0 || m.firstClus < 0 {
		at := in.pos
		id, size, err := m.header()
		if err != nil {
			return nil, fmt.Errorf("%w: before the first cluster: %w", ErrMalformed, err)
		}
		switch id {
		case idSegment:
			m.segData = in.pos
		case idCluster:
			if m.track == 0 {
				return nil, fmt.Errorf("%w: %w", ErrUnsupported, errNotOpusTrack)
			}
			// The cluster's header is consumed; readBlock walks its children.
			m.firstClus = at
		case idSeekHead, idInfo, idTracks:
			body, err := m.readBytes(size, mkvMaxHeader)
			if err != nil {
				return nil, err
			}
			if err := m.parseChildren(id, body, &duration); err != nil {
				return nil, err
			}
		default:
			if err := m.skip(size); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
			}
		}
	}
	if duration > 0 && !math.IsInf(duration, 0) && duration < 1e15 {
		m.last = int64(duration*float64(m.scale)*48000/1e9) + int64(m.pre)
	}
	return m, nil
}

// parseChildren reads the children of a master element held in memory.
func (m *mkvOpus) parseChildren(parent int64, b []byte, duration *float64) error {
	for len(b) > 0 {
		id, size, n, err := parseHeader(b)
		if err != nil {
			return err
		}
		b = b[n:]
		if size < 0 || size > int64(len(b)) {
			return fmt.Errorf("%w: child element overruns its parent", ErrMalformed)
		}
		body := b[:size]
		b = b[size:]
		switch {
		case parent == idInfo && id == idTimeScale:
			if v := beUint(body); v > 0 && v < 1e12 {
				m.scale = int64(v)
			}
		case parent == idInfo && id == idDuration:
			switch len(body) {
			case 4:
				*duration = float64(math.Float32frombits(binary.BigEndian.Uint32(body)))
			case 8:
				*duration = math.Float64frombits(binary.BigEndian.Uint64(body))
			}
		case parent == idTracks && id == idTrackEntry:
			if m.track == 0 {
				m.parseTrack(body)
			}
		case parent == idSeekHead && id == idSeek:
			var sid, pos uint64
			for c := body; len(c) > 0; {
				cid, csize, cn, err := parseHeader(c)
				if err != nil || csize < 0 || csize > int64(len(c)-cn) {
					break
				}
				switch cid {
				case idSeekID:
					sid = beUint(c[cn : cn+int(csize)])
				case idSeekPosition:
					pos = beUint(c[cn : cn+int(csize)])
				}
				c = c[cn+int(csize):]
			}
			if sid == idCues && pos < 1<<50 {
				m.cuesAt = int64(pos)
			}
		}
	}
	return nil
}

func (m *mkvOpus) parseTrack(b []byte) {
	var num uint64
	var codec string
	var priv []byte
	delay := int64(-1)
	for len(b) > 0 {
		id, size, n, err := parseHeader(b)
		if err != nil || size < 0 || size > int64(len(b)-n) {
			return
		}
		body := b[n : n+int(size)]
		b = b[n+int(size):]
		switch id {
		case idTrackNumber:
			num = beUint(body)
		case idCodecID:
			codec = string(body)
		case idCodecPrivate:
			priv = body
		case idCodecDelay:
			delay = int64(beUint(body) % (1 << 40))
		}
	}
	if codec == "A_VORBIS" && num != 0 && len(priv) > 0 {
		// The three Vorbis headers, Xiph-laced; vorbis.go decodes them.
		m.track, m.vorbisPriv = num, append([]byte(nil), priv...)
		return
	}
	if codec == "A_AAC" && num != 0 && len(priv) >= 2 {
		m.track, m.aacPriv = num, append([]byte(nil), priv...)
		return
	}
	if codec != "A_OPUS" || num == 0 {
		return
	}
	_, pre, err := parseOpusHead(priv)
	if err != nil {
		return
	}
	if delay >= 0 {
		pre = int(delay * 48000 / 1e9)
	}
	m.track, m.pre, m.gain = num, pre, opusHeadGain(priv)
}

func (m *mkvOpus) outputGain() float32 { return m.gain }

// parseHeader reads an element header from memory.
func parseHeader(b []byte) (id, size int64, n int, err error) {
	id, k, err := parseVint(b, true)
	if err != nil {
		return 0, 0, 0, err
	}
	size, k2, err := parseVint(b[k:], false)
	if err != nil {
		return 0, 0, 0, err
	}
	return id, size, k + k2, nil
}

func parseVint(b []byte, id bool) (int64, int, error) {
	if len(b) == 0 {
		return 0, 0, fmt.Errorf("%w: truncated EBML number", ErrMalformed)
	}
	n := 1
	for n <= 8 && b[0]&(0x80>>(n-1)) == 0 {
		n++
	}
	if n > 8 || (id && n > 4) || len(b) < n {
		return 0, 0, fmt.Errorf("%w: bad EBML number", ErrMalformed)
	}
	v := int64(b[0])
	if !id {
		v &= int64(0xFF >> n)
	}
	allOnes := v == int64(0xFF>>n)
	for _, c := range b[1:n] {
		v = v<<8 | int64(c)
		allOnes = allOnes && c == 0xFF
	}
	if !id && allOnes {
		return sizeUnknown, n, nil
	}
	return v, n, nil
}

func beUint(b []byte) uint64 {
	var v uint64
	for _, c := range b[:min(len(b), 8)] {
		v = v<<8 | uint64(c)
	}
	return v
}

func (m *mkvOpus) preSkip() int { return m.pre }
func (m *mkvOpus) end() int64   { return m.last }

// next returns the next Opus frame of the track.
func (m *mkvOpus) next() ([]byte, int64, error) {
	for {
		if m.frame < m.nframes {
			f := m.frames[m.frame]
			m.frame++
			pkt := m.block[f[0]:f[1]]
			if m.vorbisPriv != nil || m.aacPriv != nil {
				// Vorbis, AAC: only a block's first packet has a known start.
				start := int64(-1)
				if m.frame == 1 {
					start = m.gran
				}
				return pkt, start, nil
			}
			n, err := opus.PacketSamples(pkt)
			if err != nil {
				continue
			}
			start := m.gran
			m.gran += int64(n)
			return pkt, start, nil
		}
		if err := m.readBlock(); err != nil {
			return nil, 0, err
		}
	}
}

// readBlock walks elements to the next block of the track and splits its
// lacing.
func (m *mkvOpus) readBlock() error {
	for {
		id, size, err := m.header()
		if err != nil {
			if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
				return io.EOF
			}
			return err
		}
		switch id {
		case idBlockGroup:
			if size < 0 || size > mkvMaxBlock {
				continue // enter: the block is read alone, padding unknown
			}
			ok, err := m.readGroup(size)
			if err != nil {
				return err
			}
			if ok {
				return nil
			}
		case idSegment, idCluster:
			continue // enter
		case idTimestamp:
			v, err := m.readUint(size)
			if err != nil {
				return err
			}
			m.clusterTS = int64(v % (1 << 50))
		case idSimpleBlock, idBlock:
			if size < 4 || size > mkvMaxBlock {
				return fmt.Errorf("%w: block of %d bytes", ErrMalformed, size)
			}
			if int64(cap(m.block)) < size {
				m.block = make([]byte, 0, size)
			}
			m.block = m.block[:size]
			if err := m.in.readFull(m.block); err != nil {
				return fmt.Errorf("%w: %w", ErrMalformed, err)
			}
			ok, err := m.parseBlock()
			if err != nil {
				return err
			}
			if ok {
				return nil
			}
		default:
			if err := m.skip(size); err != nil {
				return err
			}
		}
	}
}

// readGroup reads a BlockGroup whole, loads its Block and applies its
// DiscardPadding: the end of a stream's last packet that is padding
// becomes the stream's end (granule), so the decoded length is exact.
func (m *mkvOpus) readGroup(size int64) (bool, error) {
	if int64(cap(m.group)) < size {
		m.group = make([]byte, 0, size)
	}
	g := m.group[:size]
	if err := m.in.readFull(g); err != nil {
		return false, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	var block []byte
	var pad int64
	for p := 0; p < len(g); {
		id, sz, n, err := parseHeader(g[p:])
		if err != nil || sz < 0 || sz > int64(len(g)-p-n) {
			return false, fmt.Errorf("%w: bad BlockGroup child", ErrMalformed)
		}
		body := g[p+n : p+n+int(sz)]
		switch id {
		case idBlock:
			block = body
		case idDiscardPad:
			if len(body) >= 1 && len(body) <= 8 {
				v := int64(int8(body[0]))
				for _, c := range body[1:] {
					v = v<<8 | int64(c)
				}
				pad = v
			}
		}
		p += n + int(sz)
	}
	if len(block) < 4 {
		return false, nil
	}
	m.block = append(m.block[:0], block...)
	ok, err := m.parseBlock()
	if !ok || err != nil || pad <= 0 {
		return ok, err
	}
	end := m.gran
	for _, f := range m.frames[:m.nframes] {
		if n, err := opus.PacketSamples(m.block[f[0]:f[1]]); err == nil {
			end += int64(n)
		}
	}
	end -= min(pad, 1e9) * 48000 / 1e9
	if m.last < 0 || end < m.last {
		m.last = max(end, 0)
	}
	return true, nil
}

func (m *mkvOpus) parseBlock() (bool, error) {
	b := m.block
	track, n, err := parseVint(b, false)
	if err != nil || uint64(track) != m.track {
		return false, nil
	}
	if len(b) < n+3 {
		return false, fmt.Errorf("%w: short block", ErrMalformed)
	}
	rel := int64(int16(binary.BigEndian.Uint16(b[n:])))
	flags := b[n+2]
	p := n + 3
	ts := m.clusterTS + rel
	m.gran = max(ts, 0) * m.scale * 48 / 1e6
	m.frame, m.nframes = 0, 0
	lacing := flags >> 1 & 3
	if lacing == 0 {
		m.frames[0] = [2]int{p, len(b)}
		m.nframes = 1
		return true, nil
	}
	if p >= len(b) {
		return false, fmt.Errorf("%w: laced block without a count", ErrMalformed)
	}
	count := int(b[p]) + 1
	p++
	if count > mkvMaxLaced {
		return false, fmt.Errorf("%w: %d laced frames", ErrMalformed, count)
	}
	var sizes [mkvMaxLaced]int
	switch lacing {
	case 1: // Xiph
		for i := 0; i < count-1; i++ {
			for {
				if p >= len(b) {
					return false, fmt.Errorf("%w: truncated lacing", ErrMalformed)
				}
				sizes[i] += int(b[p])
				p++
				if b[p-1] != 255 {
					break
				}
			}
		}
	case 3: // EBML
		v, k, err := parseVint(b[p:], false)
		if err != nil || v < 0 {
			return false, fmt.Errorf("%w: bad EBML lacing", ErrMalformed)
		}
		sizes[0] = int(v)
		p += k
		for i := 1; i < count-1; i++ {
			d, k, err := parseVint(b[p:], false)
			if err != nil || d < 0 {
				return false, fmt.Errorf("%w: bad EBML lacing", ErrMalformed)
			}
			p += k
			d -= 1<<(7*k-1) - 1 // signed difference
			sizes[i] = sizes[i-1] + int(d)
			if sizes[i] < 0 || sizes[i] > len(b) {
				return false, fmt.Errorf("%w: bad EBML lacing", ErrMalformed)
			}
		}
	case 2: // fixed
		if (len(b)-p)%count != 0 {
			return false, fmt.Errorf("%w: uneven fixed lacing", ErrMalformed)
		}
		for i := range count - 1 {
			sizes[i] = (len(b) - p) / count
		}
	}
	for i := range count {
		end := p + sizes[i]
		if i == count-1 {
			end = len(b)
		}
		if end < p || end > len(b) {
			return false, fmt.Errorf("%w: lacing overruns the block", ErrMalformed)
		}
		m.frames[i] = [2]int{p, end}
		p = end
	}
	m.nframes = count
	return true, nil
}

// seek positions at the cluster the cues give for granule (or the first
// cluster) and reads forward to the last block starting at or before it.
func (m *mkvOpus) seek(granule int64) (int64, error) {
	if !m.in.seekable() {
		return 0, errNotSeekable
	}
	m.loadCues()
	from := m.firstClus
	ts := granule * 1e6 / 48 / m.scale // in timestamp units
	if i := sort.Search(len(m.cues), func(i int) bool { return m.cues[i].time > ts }); i > 0 {
		from = m.segData + m.cues[i-1].pos
	}
	if err := m.in.seek(from); err != nil {
		return 0, err
	}
	m.frame, m.nframes, m.gran = 0, 0, 0
	// The Stream reads forward from here to the packet holding its target.
	return m.gran, nil
}

// loadCues reads the Cues element once, from the SeekHead's pointer.
func (m *mkvOpus) loadCues() {
	if m.cuesRead || m.cuesAt < 0 {
		return
	}
	m.cuesRead = true
	back := m.in.pos
	defer m.in.seek(back) //nolint:errcheck // the next read reports it
	if err := m.in.seek(m.segData + m.cuesAt); err != nil {
		return
	}
	id, size, err := m.header()
	if err != nil || id != idCues {
		return
	}
	body, err := m.readBytes(size, mkvMaxCues)
	if err != nil {
		return
	}
	for len(body) > 0 {
		id, size, n, err := parseHeader(body)
		if err != nil || size < 0 || size > int64(len(body)-n) {
			return
		}
		cp := body[n : n+int(size)]
		body = body[n+int(size):]
		if id != idCuePoint {
			continue
		}
		c := mkvCue{time: -1, pos: -1}
		for len(cp) > 0 {
			cid, csize, cn, err := parseHeader(cp)
			if err != nil || csize < 0 || csize > int64(len(cp)-cn) {
				break
			}
			v := cp[cn : cn+int(csize)]
			cp = cp[cn+int(csize):]
			switch cid {
			case idCueTime:
				c.time = int64(beUint(v) % (1 << 50))
			case idCuePositions:
				for len(v) > 0 {
					pid, psize, pn, err := parseHeader(v)
					if err != nil || psize < 0 || psize > int64(len(v)-pn) {
						break
					}
					if pid == idCueCluster {
						c.pos = int64(beUint(v[pn:pn+int(psize)]) % (1 << 50))
					}
					v = v[pn+int(psize):]
				}
			}
		}
		if c.time >= 0 && c.pos >= 0 && len(m.cues) < 1<<16 {
			m.cues = append(m.cues, c)
		}
	}
	sort.Slice(m.cues, func(i, j int) bool { return m.cues[i].time < m.cues[j].time })
}
