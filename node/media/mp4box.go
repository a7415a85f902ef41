package media

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Limits for MP4: a box read into memory (moov, moof) and the sample
// table, so that a size field never sizes an allocation on its own.
const (
	maxMoovLen = 64 << 20
	maxMoofLen = 16 << 20
	maxSamples = 1 << 21 // 13 h of AAC at 44.1 kHz
	maxAULen   = 1 << 20
)

// fourCC packs a box type.
func fourCC(s string) uint32 { return binary.BigEndian.Uint32([]byte(s)) }

var (
	boxFtyp     = fourCC("ftyp")
	boxStyp     = fourCC("styp")
	boxMoov     = fourCC("moov")
	boxMoof     = fourCC("moof")
	boxMdat     = fourCC("mdat")
	boxSidx     = fourCC("sidx")
	boxMvhd     = fourCC("mvhd")
	boxTrak     = fourCC("trak")
	boxTkhd     = fourCC("tkhd")
	boxEdts     = fourCC("edts")
	boxElst     = fourCC("elst")
	boxMdia     = fourCC("mdia")
	boxMdhd     = fourCC("mdhd")
	boxHdlr     = fourCC("hdlr")
	boxMinf     = fourCC("minf")
	boxStbl     = fourCC("stbl")
	boxStsd     = fourCC("stsd")
	boxStts     = fourCC("stts")
	boxStsc     = fourCC("stsc")
	boxStsz     = fourCC("stsz")
	boxStz2     = fourCC("stz2")
	boxStco     = fourCC("stco")
	boxCo64     = fourCC("co64")
	boxMvex     = fourCC("mvex")
	boxTrex     = fourCC("trex")
	boxTraf     = fourCC("traf")
	boxTfhd     = fourCC("tfhd")
	boxTfdt     = fourCC("tfdt")
	boxTrun     = fourCC("trun")
	boxMp4a     = fourCC("mp4a")
	boxOpus     = fourCC("Opus")
	boxDOps     = fourCC("dOps")
	boxEsds     = fourCC("esds")
	boxWave     = fourCC("wave")
	boxDotMp3   = fourCC(".mp3")
	handlerSoun = fourCC("soun")
)

// readBoxHeader reads a top-level box header from in and returns the type,
// the whole box size (-1: to the end of the input) and the header length.
func readBoxHeader(in *input) (typ uint32, size int64, hdr int, err error) {
	var h [16]byte
	if err := in.readFull(h[:8]); err != nil {
		if err == io.ErrUnexpectedEOF {
			err = fmt.Errorf("%w: truncated box header", ErrMalformed)
		}
		return 0, 0, 0, err
	}
	typ = binary.BigEndian.Uint32(h[4:])
	size, hdr = int64(binary.BigEndian.Uint32(h[:])), 8
	switch size {
	case 0:
		size = -1
	case 1:
		if err := in.readFull(h[8:16]); err != nil {
			return 0, 0, 0, fmt.Errorf("%w: truncated box header", ErrMalformed)
		}
		size, hdr = int64(binary.BigEndian.Uint64(h[8:])), 16
		if size < 16 {
			return 0, 0, 0, fmt.Errorf("%w: box size %d", ErrMalformed, size)
		}
	default:
		if size < 8 {
			return 0, 0, 0, fmt.Errorf("%w: box size %d", ErrMalformed, size)
		}
	}
	return typ, size, hdr, nil
}

// eachBox calls fn for every child box in b (a box body).
func eachBox(b []byte, fn func(typ uint32, body []byte) error) error {
	for len(b) > 0 {
		if len(b) < 8 {
			return fmt.Errorf("%w: %d stray bytes in a box", ErrMalformed, len(b))
		}
		size := uint64(binary.BigEndian.Uint32(b))
		typ := binary.BigEndian.Uint32(b[4:])
		hdr := uint64(8)
		switch size {
		case 0:
			size = uint64(len(b))
		case 1:
			if len(b) < 16 {
				return fmt.Errorf("%w: truncated box header", ErrMalformed)
			}
			size, hdr = binary.BigEndian.Uint64(b[8:]), 16
		}
		if size < hdr || size > uint64(len(b)) {
			return fmt.Errorf("%w: box size %d in %d bytes", ErrMalformed, size, len(b))
		}
		if err := fn(typ, b[hdr:size]); err != nil {
			return err
		}
		b = b[size:]
	}
	return nil
}

// findBox returns the body of the first child of type typ, nil if none.
func findBox(b []byte, typ uint32) []byte {
	var found []byte
	_ = eachBox(b, func(t uint32, body []byte) error {
		if t == typ && found == nil {
			found = body
		}
		return nil
	})
	return found
}

// be is a bounds-checked big-endian reader over a box body: reads past
// the end return zeros and set bad, checked once at the end.
type be struct {
	b   []byte
	bad bool
}

func (r *be) take(n int) []byte {
	if n < 0 || len(r.b) < n {
		r.bad = true
		r.b = nil
		return make([]byte, max(n, 0)) // only on malformed input
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *be) u8() uint8   { return r.take(1)[0] }
func (r *be) u16() uint16 { return binary.BigEndian.Uint16(r.take(2)) }
func (r *be) u32() uint32 { return binary.BigEndian.Uint32(r.take(4)) }
func (r *be) u64() uint64 { return binary.BigEndian.Uint64(r.take(8)) }

// uv reads a 32- or 64-bit field depending on a full box's version.
func (r *be) uv(version uint8) uint64 {
	if version == 1 {
		return r.u64()
	}
	return uint64(r.u32())
}

// readBody reads an n-byte box body into buf (reused), growing it as the
// bytes arrive so that a false size on a short stream costs no more than
// the bytes that are there.
func readBody(in *input, n int64, buf []byte) ([]byte, error) {
	buf = buf[:0]
	for int64(len(buf)) < n {
		k := int(min(n-int64(len(buf)), 64<<10))
		if cap(buf)-len(buf) < k {
			buf = append(buf[:cap(buf)], make([]byte, k)...)[:len(buf)]
		}
		if err := in.readFull(buf[len(buf) : len(buf)+k]); err != nil {
			return buf, fmt.Errorf("%w: truncated box", ErrMalformed)
		}
		buf = buf[:len(buf)+k]
	}
	return buf, nil
}
