package source

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"unicode/utf16"
)

// id3Tag holds the ID3v2 frames we use.
type id3Tag struct {
	title, artist, isrc string
	lengthMs            int64 // TLEN
}

func syncsafe(b []byte) int64 {
	return int64(b[0]&0x7F)<<21 | int64(b[1]&0x7F)<<14 | int64(b[2]&0x7F)<<7 | int64(b[3]&0x7F)
}

// readID3 parses the ID3v2 tag at the start of s and returns it with the
// offset where the audio starts.
func readID3(s src) (id3Tag, int64, error) {
	h, err := read(s, 0, 10)
	if err != nil || len(h) < 10 {
		return id3Tag{}, 0, err
	}
	size := syncsafe(h[6:10])
	end := 10 + size
	if h[5]&0x10 != 0 && h[3] == 4 {
		end += 10 // footer
	}
	var tag id3Tag
	if size <= tagLimit {
		b, err := read(s, 10, int(size))
		if err != nil {
			return id3Tag{}, 0, err
		}
		tag = parseID3Frames(h[3], h[5], b)
	}
	return tag, end, nil
}

// parseID3Frames walks the frames of an ID3v2.2/2.3/2.4 tag body.
func parseID3Frames(version, flags byte, b []byte) id3Tag {
	var t id3Tag
	if flags&0x80 != 0 && version < 4 {
		b = unsync(b) // whole-tag unsynchronisation (v2.2/2.3)
	}
	if flags&0x40 != 0 && len(b) >= 4 && version >= 3 { // extended header
		n := int64(binary.BigEndian.Uint32(b))
		if version == 3 {
			n += 4
		} else {
			n = syncsafe(b)
		}
		if n < 0 || n > int64(len(b)) {
			return t
		}
		b = b[n:]
	}
	idLen, hdrLen := 4, 10
	if version == 2 {
		idLen, hdrLen = 3, 6
	}
	for len(b) >= hdrLen && b[0] != 0 {
		id := string(b[:idLen])
		var n int64
		switch version {
		case 2:
			n = int64(b[3])<<16 | int64(b[4])<<8 | int64(b[5])
		case 3:
			n = int64(binary.BigEndian.Uint32(b[4:]))
		default:
			n = syncsafe(b[4:8])
		}
		if n < 0 || n > int64(len(b)-hdrLen) {
			break
		}
		body := b[hdrLen : int64(hdrLen)+n]
		if version == 4 {
			ff := b[9]
			if ff&0x0C != 0 { // compressed or encrypted
				body = nil
			} else {
				if ff&0x01 != 0 && len(body) >= 4 { // data length indicator
					body = body[4:]
				}
				if ff&0x02 != 0 {
					body = unsync(body)
				}
			}
		} else if version == 3 && b[9]&0xC0 != 0 { // compressed or encrypted
			body = nil
		}
		b = b[int64(hdrLen)+n:]
		if body == nil {
			continue
		}
		switch id {
		case "TIT2", "TT2":
			t.title = id3Text(body)
		case "TPE1", "TP1":
			t.artist = id3Text(body)
		case "TSRC", "TRC":
			t.isrc = id3Text(body)
		case "TLEN", "TLE":
			if ms, err := strconv.ParseInt(id3Text(body), 10, 64); err == nil && ms > 0 {
				t.lengthMs = ms
			}
		}
	}
	return t
}

func unsync(b []byte) []byte {
	if !bytes.Contains(b, []byte{0xFF, 0x00}) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		out = append(out, b[i])
		if b[i] == 0xFF && i+1 < len(b) && b[i+1] == 0x00 {
			i++
		}
	}
	return out
}

// id3Text decodes the first string of a text frame.
func id3Text(b []byte) string {
	if len(b) < 1 {
		return ""
	}
	enc, b := b[0], b[1:]
	switch enc {
	case 0: // ISO-8859-1
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i]
		}
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r)
	case 1, 2: // UTF-16 with BOM / UTF-16BE
		be := enc == 2
		if len(b) >= 2 && enc == 1 {
			switch {
			case b[0] == 0xFE && b[1] == 0xFF:
				be, b = true, b[2:]
			case b[0] == 0xFF && b[1] == 0xFE:
				b = b[2:]
			}
		}
		u := make([]uint16, 0, len(b)/2)
		for i := 0; i+1 < len(b); i += 2 {
			var c uint16
			if be {
				c = uint16(b[i])<<8 | uint16(b[i+1])
			} else {
				c = uint16(b[i+1])<<8 | uint16(b[i])
			}
			if c == 0 {
				break
			}
			u = append(u, c)
		}
		return string(utf16.Decode(u))
	default: // 3: UTF-8
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i]
		}
		return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
	}
}
