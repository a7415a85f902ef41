package mp3

import "encoding/binary"

// bitReader reads MSB-first from b. b must end with at least 8 bytes of
// zero padding past the data so that peek never needs a bounds branch;
// reads past the data yield zeros and callers check pos against their
// own limits.
type bitReader struct {
	b   []byte
	pos int // bit position
}

// peek32 returns the next 32 bits, left-aligned.
func (r *bitReader) peek32() uint32 {
	i := r.pos >> 3
	if i+8 > len(r.b) {
		return 0
	}
	v := binary.BigEndian.Uint64(r.b[i:])
	return uint32(v << uint(r.pos&7) >> 32)
}

// bits reads n ≤ 24 bits.
func (r *bitReader) bits(n int) int {
	if n == 0 {
		return 0
	}
	v := r.peek32() >> uint(32-n)
	r.pos += n
	return int(v)
}

func (r *bitReader) bit() int { return r.bits(1) }
