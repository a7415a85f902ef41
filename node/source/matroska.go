package source

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// ebmlVint reads an EBML variable-length integer; keepMarker keeps the
// length marker bit (element IDs) or strips it (sizes).
func ebmlVint(b []byte, keepMarker bool) (v uint64, n int, unknown bool, ok bool) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0, false, false
	}
	n = 1
	for mask := byte(0x80); b[0]&mask == 0; mask >>= 1 {
		n++
	}
	if n > 8 || len(b) < n {
		return 0, 0, false, false
	}
	v = uint64(b[0])
	if !keepMarker {
		v &= uint64(0xFF >> n)
	}
	allOnes := v == uint64(0xFF>>n)
	for i := 1; i < n; i++ {
		v = v<<8 | uint64(b[i])
		allOnes = allOnes && b[i] == 0xFF
	}
	return v, n, allOnes && !keepMarker, true
}

// ebmlElement reads an element header at off.
func ebmlElement(s src, off int64) (id uint64, body int64, size int64, ok bool) {
	h, err := read(s, off, 12)
	if err != nil {
		return 0, 0, 0, false
	}
	id, n, _, ok := ebmlVint(h, true)
	if !ok {
		return 0, 0, 0, false
	}
	sz, m, unknown, ok := ebmlVint(h[n:], false)
	if !ok {
		return 0, 0, 0, false
	}
	if unknown || sz > 1<<56 {
		return id, off + int64(n+m), -1, true
	}
	return id, off + int64(n+m), int64(sz), true
}

const (
	ebmlSegment   = 0x18538067
	ebmlInfo      = 0x1549A966
	ebmlTimescale = 0x2AD7B1
	ebmlDuration  = 0x4489
	ebmlTitle     = 0x7BA9
	ebmlTracks    = 0x1654AE6B
	ebmlEntry     = 0xAE
	ebmlCodecID   = 0x86
	ebmlCluster   = 0x1F43B675
	ebmlHeader    = 0x1A45DFA3
	ebmlDocType   = 0x4282
)

func probeMatroska(s src, r *probeResult) error {
	id, body, size, ok := ebmlElement(s, 0)
	if !ok || id != ebmlHeader || size < 0 {
		return fmt.Errorf("%w: bad EBML header", ErrUnknownFormat)
	}
	off := body + size
	id, body, size, ok = ebmlElement(s, off)
	if !ok || id != ebmlSegment {
		return fmt.Errorf("%w: no Matroska segment", ErrUnknownFormat)
	}
	end := body + size
	if size < 0 {
		end = math.MaxInt64
	}
	var (
		scale    = 1000000.0
		duration = -1.0
		codecs   []string
	)
	visited := 0
	for off = body; off < end && visited < maxBoxes; visited++ {
		id, b, sz, ok := ebmlElement(s, off)
		if !ok || sz < 0 || id == ebmlCluster {
			break
		}
		switch id {
		case ebmlInfo, ebmlTracks:
			if sz > tagLimit {
				break
			}
			data, err := read(s, b, int(sz))
			if err != nil {
				return err
			}
			walkEBML(data, func(cid uint64, v []byte) {
				switch cid {
				case ebmlTimescale:
					if u := ebmlUint(v); u > 0 {
						scale = float64(u)
					}
				case ebmlDuration:
					switch len(v) {
					case 4:
						duration = float64(math.Float32frombits(binary.BigEndian.Uint32(v)))
					case 8:
						duration = math.Float64frombits(binary.BigEndian.Uint64(v))
					}
				case ebmlTitle:
					r.title = string(v)
				case ebmlCodecID:
					codecs = append(codecs, string(v))
				}
			})
		}
		off = b + sz
	}
	if len(codecs) > 0 {
		supported := false
		for _, c := range codecs {
			if c == "A_OPUS" || c == "A_VORBIS" || strings.HasPrefix(c, "A_AAC") {
				supported = true
			}
		}
		if !supported {
			return fmt.Errorf("%w: no supported audio track in Matroska file", ErrUnsupported)
		}
	}
	if size >= 0 && duration > 0 && !math.IsInf(duration, 0) && duration*scale/1e6 < 1<<53 {
		r.length = int64(duration * scale / 1e6)
	}
	return nil
}

// walkEBML calls f for every leaf of the master elements Info, Tracks and
// TrackEntry found in b.
func walkEBML(b []byte, f func(id uint64, v []byte)) {
	for len(b) > 0 {
		id, n, _, ok := ebmlVint(b, true)
		if !ok {
			return
		}
		sz, m, unknown, ok := ebmlVint(b[n:], false)
		if !ok || unknown || sz > uint64(len(b)-n-m) {
			return
		}
		v := b[n+m : n+m+int(sz)]
		if id == ebmlEntry {
			walkEBML(v, f)
		} else {
			f(id, v)
		}
		b = b[n+m+int(sz):]
	}
}

func ebmlUint(v []byte) uint64 {
	if len(v) > 8 {
		return 0
	}
	var u uint64
	for _, c := range v {
		u = u<<8 | uint64(c)
	}
	return u
}
