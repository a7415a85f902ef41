package source

import (
	"encoding/binary"
	"fmt"
)

// boxHeader reads an MP4 box header at off; end is -1 for "to the end".
func boxHeader(s src, off int64) (typ string, body, end int64, ok bool) {
	h, err := read(s, off, 16)
	if err != nil || len(h) < 8 {
		return "", 0, 0, false
	}
	size := int64(binary.BigEndian.Uint32(h))
	typ, body = string(h[4:8]), off+8
	switch {
	case size == 1:
		if len(h) < 16 {
			return "", 0, 0, false
		}
		size, body = int64(binary.BigEndian.Uint64(h[8:])), off+16
		if size < 16 {
			return "", 0, 0, false
		}
	case size == 0:
		return typ, body, -1, true
	case size < 8:
		return "", 0, 0, false
	}
	return typ, body, off + size, true
}

type mp4State struct {
	visited     int
	movieLen    int64 // from mvhd, ms
	audioLen    int64 // from the sound track's mdhd, ms
	trackLen    int64 // mdhd of the current trak
	trackIsSoun bool
	hasAudio    bool
}

func probeMP4(s src, r *probeResult) error {
	st := &mp4State{movieLen: -1, audioLen: -1}
	end := s.Size()
	if end < 0 {
		end = 1 << 62
	}
	if err := walkMP4(s, 0, end, 0, st, r); err != nil {
		return err
	}
	if st.visited > 0 && !st.hasAudio && st.movieLen >= 0 {
		return fmt.Errorf("%w: MP4 file has no audio track", ErrUnsupported)
	}
	switch {
	case st.audioLen > 0:
		r.length = st.audioLen
	case st.movieLen > 0:
		r.length = st.movieLen
	}
	return nil
}

// walkMP4 visits the boxes between off and end, descending into the
// containers that lead to mvhd, mdhd, hdlr and ilst.
func walkMP4(s src, off, end int64, depth int, st *mp4State, r *probeResult) error {
	for off+8 <= end && depth < 8 {
		st.visited++
		if st.visited > maxBoxes {
			return nil
		}
		typ, body, next, ok := boxHeader(s, off)
		if !ok {
			return nil
		}
		if next < 0 || next > end {
			next = end
		}
		switch typ {
		case "moov", "mdia", "minf", "udta", "ilst":
			if err := walkMP4(s, body, next, depth+1, st, r); err != nil {
				return err
			}
		case "trak":
			st.trackLen, st.trackIsSoun = -1, false
			if err := walkMP4(s, body, next, depth+1, st, r); err != nil {
				return err
			}
			if st.trackIsSoun {
				st.hasAudio = true
				if st.audioLen < 0 {
					st.audioLen = st.trackLen
				}
			}
		case "meta":
			// ISO meta is a full box (4 bytes of version/flags); QuickTime's is not.
			h, _ := read(s, body, 8)
			if len(h) == 8 && string(h[4:8]) != "hdlr" {
				body += 4
			}
			if err := walkMP4(s, body, next, depth+1, st, r); err != nil {
				return err
			}
		case "mvhd", "mdhd":
			b, _ := read(s, body, 32)
			if ms, ok := mp4Duration(b); ok {
				if typ == "mvhd" {
					st.movieLen = ms
				} else {
					st.trackLen = ms
				}
			}
		case "hdlr":
			b, _ := read(s, body, 12)
			if len(b) == 12 && string(b[8:12]) == "soun" {
				st.trackIsSoun = true
			}
		case "\xa9nam", "\xa9ART":
			if next-body <= 64<<10 {
				b, _ := read(s, body, int(next-body))
				if v, ok := mp4DataString(b); ok {
					if typ == "\xa9nam" {
						r.title = v
					} else {
						r.author = v
					}
				}
			}
		}
		off = next
	}
	return nil
}

// mp4Duration reads the timescale and duration of an mvhd/mdhd body.
func mp4Duration(b []byte) (int64, bool) {
	if len(b) < 20 {
		return 0, false
	}
	var scale, dur uint64
	if b[0] == 1 {
		if len(b) < 32 {
			return 0, false
		}
		scale, dur = uint64(binary.BigEndian.Uint32(b[20:])), binary.BigEndian.Uint64(b[24:])
	} else {
		scale, dur = uint64(binary.BigEndian.Uint32(b[12:])), uint64(binary.BigEndian.Uint32(b[16:]))
	}
	if scale == 0 || dur == 0 || dur == 0xFFFFFFFF || dur == 1<<64-1 || dur > 1<<53 {
		return 0, false
	}
	return int64(dur * 1000 / scale), true
}

// mp4DataString reads the UTF-8 "data" box inside an ilst item.
func mp4DataString(b []byte) (string, bool) {
	if len(b) < 16 || string(b[4:8]) != "data" {
		return "", false
	}
	n := int(binary.BigEndian.Uint32(b))
	if n < 16 || n > len(b) {
		return "", false
	}
	return string(b[16:n]), true
}
