package vorbis

// bitReader reads a packet LSB first (Vorbis I §2.1). Reading past the
// end sets eop and yields zeros: the spec gives end-of-packet a meaning
// during audio decode (the rest of the channel or residue is zero).
type bitReader struct {
	p     []byte
	pos   int    // next byte to load into cache
	cache uint64 // unread bits, next bit at bit 0
	n     uint   // valid bits in cache
	eop   bool
}

func (r *bitReader) init(p []byte) {
	*r = bitReader{p: p}
}

// fill loads whole bytes until the cache holds more than 56 bits or the
// packet ends.
func (r *bitReader) fill() {
	for r.n <= 56 {
		if r.pos >= len(r.p) {
			return
		}
		r.cache |= uint64(r.p[r.pos]) << r.n
		r.pos++
		r.n += 8
	}
}

// read returns the next n bits (n ≤ 32) as an unsigned integer.
func (r *bitReader) read(n uint) uint32 {
	if r.n < n {
		r.fill()
		if r.n < n {
			r.eop = true
			r.cache, r.n = 0, 0
			return 0
		}
	}
	v := uint32(r.cache & (1<<n - 1))
	r.cache >>= n
	r.n -= n
	return v
}

func (r *bitReader) flag() bool { return r.read(1) == 1 }

// left reports how many bits remain.
func (r *bitReader) left() int {
	return int(r.n) + 8*(len(r.p)-r.pos)
}

// ilog is the spec's ilog: the position of the highest set bit, 0 for 0.
func ilog(x uint32) uint {
	n := uint(0)
	for ; x > 0; x >>= 1 {
		n++
	}
	return n
}
