package source

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// oggPage is one parsed Ogg page header.
type oggPage struct {
	granule  int64
	serial   uint32
	segments []byte // lacing values
	bodyOff  int    // offset of the body from the page start
	bodyLen  int
}

func parseOggPage(b []byte) (oggPage, bool) {
	if len(b) < 27 || string(b[:4]) != "OggS" || b[4] != 0 {
		return oggPage{}, false
	}
	n := int(b[26])
	if len(b) < 27+n {
		return oggPage{}, false
	}
	p := oggPage{
		granule:  int64(binary.LittleEndian.Uint64(b[6:])),
		serial:   binary.LittleEndian.Uint32(b[14:]),
		segments: b[27 : 27+n],
		bodyOff:  27 + n,
	}
	for _, l := range p.segments {
		p.bodyLen += int(l)
	}
	return p, true
}

// oggPackets returns the first max packets of the logical stream of the
// first page, reading at most limit bytes.
func oggPackets(s src, max, limit int) ([][]byte, uint32, error) {
	var (
		packets [][]byte
		cur     []byte
		serial  uint32
		off     int64
		first   = true
	)
	for len(packets) < max && off < int64(limit) {
		h, err := read(s, off, 27+255)
		if err != nil {
			return nil, 0, err
		}
		pg, ok := parseOggPage(h)
		if !ok {
			break
		}
		if first {
			serial, first = pg.serial, false
		}
		body, err := read(s, off+int64(pg.bodyOff), pg.bodyLen)
		if err != nil {
			return nil, 0, err
		}
		if pg.serial == serial {
			p := 0
			for _, l := range pg.segments {
				end := min(p+int(l), len(body))
				if len(cur)+end-p > limit {
					return packets, serial, nil
				}
				cur = append(cur, body[p:end]...)
				p = end
				if l < 255 {
					packets = append(packets, cur)
					cur = nil
					if len(packets) == max {
						break
					}
				}
			}
		}
		off += int64(pg.bodyOff + pg.bodyLen)
	}
	return packets, serial, nil
}

func probeOgg(s src, head []byte, r *probeResult) error {
	packets, serial, err := oggPackets(s, 2, tagLimit)
	if err != nil {
		return err
	}
	if len(packets) == 0 {
		return fmt.Errorf("%w: no Ogg packet", ErrUnknownFormat)
	}
	id := packets[0]
	var rate, preskip int64
	var comments []byte
	switch {
	case bytes.HasPrefix(id, []byte("OpusHead")) && len(id) >= 19:
		rate, preskip = 48000, int64(binary.LittleEndian.Uint16(id[10:]))
		if len(packets) > 1 && bytes.HasPrefix(packets[1], []byte("OpusTags")) {
			comments = packets[1][8:]
		}
	case bytes.HasPrefix(id, []byte("\x01vorbis")) && len(id) >= 16:
		rate = int64(binary.LittleEndian.Uint32(id[12:]))
		if len(packets) > 1 && bytes.HasPrefix(packets[1], []byte("\x03vorbis")) {
			comments = packets[1][7:]
		}
	case bytes.HasPrefix(id, []byte("\x7FFLAC")) && len(id) >= 13+34:
		si := id[13+4:] // after the mapping header and "fLaC" + block header
		rate = int64(si[10])<<12 | int64(si[11])<<4 | int64(si[12])>>4
		if len(packets) > 1 && len(packets[1]) > 4 && packets[1][0]&0x7F == 4 {
			comments = packets[1][4:]
		}
	default:
		return fmt.Errorf("%w: unsupported Ogg codec", ErrUnsupported)
	}
	if comments != nil {
		parseVorbisComment(comments, r)
	}
	size := s.Size()
	if size < 0 || rate <= 0 {
		return nil // a live Ogg stream (radio): length unknown
	}
	if g := lastGranule(s, size, serial); g > 0 {
		if g -= preskip; g > 0 {
			r.length = g * 1000 / rate
		}
	}
	return nil
}

// lastGranule finds the granule position of the last page of the stream.
func lastGranule(s src, size int64, serial uint32) int64 {
	start := max(size-tailSize, 0)
	tail, err := read(s, start, int(size-start))
	if err != nil {
		return -1
	}
	for i := len(tail) - 27; i >= 0; i-- {
		if tail[i] != 'O' || !bytes.HasPrefix(tail[i:], []byte("OggS")) {
			continue
		}
		if pg, ok := parseOggPage(tail[i:]); ok && pg.serial == serial && pg.granule >= 0 {
			return pg.granule
		}
	}
	return -1
}
