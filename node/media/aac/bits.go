package aac

import "encoding/binary"

// bitReader reads MSB-first. Reads past the end return zero bits and are
// detected afterwards with overrun, so parsers check once per element
// instead of at every field.
type bitReader struct {
	buf []byte
	pos int // in bits
}

// peek returns the next n (≤ 32) bits without consuming them.
func (br *bitReader) peek(n int) uint32 {
	i := br.pos >> 3
	var v uint64
	if i >= 0 && i+8 <= len(br.buf) {
		v = binary.BigEndian.Uint64(br.buf[i:]) // one load
	} else {
		for k := 0; k < 8; k++ {
			v <<= 8
			if i+k < len(br.buf) && i+k >= 0 {
				v |= uint64(br.buf[i+k])
			}
		}
	}
	v <<= uint(br.pos & 7)
	return uint32(v >> (64 - uint(n)))
}

func (br *bitReader) read(n int) uint32 {
	if n == 0 {
		return 0
	}
	v := br.peek(n)
	br.pos += n
	return v
}

func (br *bitReader) read1() bool { return br.read(1) == 1 }

func (br *bitReader) skip(n int) { br.pos += n }

func (br *bitReader) align() { br.pos = (br.pos + 7) &^ 7 }

func (br *bitReader) overrun() bool { return br.pos > len(br.buf)*8 }
