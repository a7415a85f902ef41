package vorbis

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// codebook is one entry of the setup header's codebook list (Vorbis I
// §3): a Huffman code over its entries and, for VQ books, a vector of
// dim values per entry.
type codebook struct {
	dim     int
	entries int
	// table maps the next tableBits bits of the stream (first bit lowest)
	// to entry<<6 | length for codewords of at most tableBits bits; 0 for
	// longer codewords, which are looked up in long.
	table     []uint32
	tableBits uint
	long      []longCode // sorted by code
	single    int        // the only used entry of a one-entry book, else -1
	singleLen uint
	values    []float32 // entries×dim VQ values, nil without a lookup
}

// longCode is a codeword longer than the table's reach, left-aligned
// (first bit read is bit 31) so that codewords sort as bit strings.
type longCode struct {
	code  uint32
	len   uint8
	entry int32
}

const (
	maxTableBits = 10
	syncPattern  = 0x564342 // "BCV" read as a 24-bit integer
)

// budget counts the bytes a stream's setup may allocate: a length field
// from the file never sizes an allocation past it.
type budget struct{ left int }

func (b *budget) take(n int, what string) error {
	if n < 0 || n > b.left {
		return fmt.Errorf("%w: %s needs %d bytes beyond the %d-byte budget", ErrUnsupported, what, n, maxSetupBytes)
	}
	b.left -= n
	return nil
}

// parse reads a codebook (Vorbis I §3.2.1) and builds its decoder.
func (c *codebook) parse(r *bitReader, b *budget) error {
	if r.read(24) != syncPattern {
		return fmt.Errorf("%w: codebook sync pattern", ErrMalformed)
	}
	c.dim = int(r.read(16))
	c.entries = int(r.read(24))
	if c.dim == 0 {
		return fmt.Errorf("%w: codebook of dimension 0", ErrMalformed)
	}
	if err := b.take(c.entries, "codebook lengths"); err != nil {
		return err
	}
	lengths := make([]uint8, c.entries)
	if !r.flag() {
		sparse := r.flag()
		for i := range lengths {
			if r.eop {
				break
			}
			if sparse && !r.flag() {
				continue
			}
			lengths[i] = uint8(r.read(5) + 1)
		}
	} else {
		cur, l := 0, int(r.read(5))+1
		for cur < c.entries && !r.eop {
			num := int(r.read(ilog(uint32(c.entries - cur))))
			if num > c.entries-cur || (l > 32 && num > 0) {
				return fmt.Errorf("%w: ordered codebook lengths overrun", ErrMalformed)
			}
			for i := cur; i < cur+num; i++ {
				lengths[i] = uint8(l)
			}
			cur += num
			l++
		}
	}
	if err := c.parseLookup(r, b); err != nil {
		return err
	}
	if r.eop {
		return fmt.Errorf("%w: setup header ends inside a codebook", ErrMalformed)
	}
	return c.build(lengths, b)
}

// parseLookup reads the VQ lookup (§3.2.1 lookup types 0–2) and unpacks
// every entry's vector (§3.2.2).
func (c *codebook) parseLookup(r *bitReader, b *budget) error {
	kind := r.read(4)
	if kind == 0 {
		return nil
	}
	if kind > 2 {
		return fmt.Errorf("%w: codebook lookup type %d", ErrMalformed, kind)
	}
	minV := float32Unpack(r.read(32))
	delta := float32Unpack(r.read(32))
	vbits := uint(r.read(4)) + 1
	seq := r.flag()
	var n int
	if kind == 1 {
		n = lookup1Values(c.entries, c.dim)
	} else {
		n = c.entries * c.dim
	}
	// The multiplicands must be in the packet: this bounds the loop and
	// the allocation by the header's size.
	if n > r.left()/int(vbits) {
		return fmt.Errorf("%w: codebook has %d multiplicands, header too short", ErrMalformed, n)
	}
	if err := b.take(4*(n+c.entries*c.dim), "codebook lookup"); err != nil {
		return err
	}
	mult := make([]uint32, n)
	for i := range mult {
		mult[i] = r.read(vbits)
	}
	c.values = make([]float32, c.entries*c.dim)
	b.left += 4 * n // the multiplicands are dropped below
	for e := range c.entries {
		last := float32(0)
		div := 1
		for i := range c.dim {
			off := e*c.dim + i
			if kind == 1 {
				off = e / div % n
				div *= n
			}
			v := float32(mult[off])*delta + minV + last
			if seq {
				last = v
			}
			c.values[e*c.dim+i] = v
		}
	}
	return nil
}

// lookup1Values is the greatest r with r^dim ≤ entries (§9.2.3).
func lookup1Values(entries, dim int) int {
	if entries <= 0 || dim <= 0 {
		return 0
	}
	r := int(math.Floor(math.Pow(float64(entries), 1/float64(dim))))
	for powAtMost(r+1, dim, entries) {
		r++
	}
	for r > 1 && !powAtMost(r, dim, entries) {
		r--
	}
	return max(r, 1)
}

// powAtMost reports base^exp ≤ limit without overflowing.
func powAtMost(base, exp, limit int) bool {
	v := 1
	for range exp {
		if v > limit/base {
			return false
		}
		v *= base
	}
	return v <= limit
}

// float32Unpack decodes the spec's 32-bit float (§9.2.2): 21-bit
// mantissa, 10-bit exponent biased by 788, sign bit.
func float32Unpack(x uint32) float32 {
	m := float64(x & 0x1fffff)
	e := int(x&0x7fe00000) >> 21
	if x&0x80000000 != 0 {
		m = -m
	}
	return float32(math.Ldexp(m, e-788))
}

// build assigns codewords in entry order, each the lowest free codeword
// of its length (§3.2.1), and fills the lookup table. Over- and
// underspecified trees are errors, except a book with one used entry.
func (c *codebook) build(lengths []uint8, b *budget) error {
	c.single = -1
	used, maxLen := 0, uint(0)
	for i, l := range lengths {
		if l > 0 {
			used++
			maxLen = max(maxLen, uint(l))
			c.single, c.singleLen = i, uint(l)
		}
	}
	if used <= 1 {
		if used == 0 {
			c.single = -1
		}
		return nil
	}
	c.single = -1
	c.tableBits = min(maxLen, maxTableBits)
	if err := b.take(4<<c.tableBits, "codebook table"); err != nil {
		return err
	}
	c.table = make([]uint32, 1<<c.tableBits)
	// The free part of the code tree is at most one subtree per depth,
	// deeper ones to the left (lower codewords): the lowest free codeword
	// of length l lies in the deepest free subtree no deeper than l.
	var free [33]uint32
	var has [33]bool
	has[0] = true
	nlong := 0
	for e, l8 := range lengths {
		l := uint(l8)
		if l == 0 {
			continue
		}
		z := int(l)
		for z >= 0 && !has[z] {
			z--
		}
		if z < 0 {
			return fmt.Errorf("%w: codebook Huffman tree is overspecified", ErrMalformed)
		}
		has[z] = false
		code := uint32(uint64(free[z]) << (l - uint(z)))
		for d := uint(z) + 1; d <= l; d++ {
			free[d] = code>>(l-d) | 1
			has[d] = true
		}
		if l <= c.tableBits {
			rev := bits.Reverse32(code) >> (32 - l)
			for i := rev; i < 1<<c.tableBits; i += 1 << l {
				c.table[i] = uint32(e)<<6 | uint32(l)
			}
			continue
		}
		if nlong == 0 {
			n := 0
			for _, l := range lengths[e:] {
				if uint(l) > c.tableBits {
					n++
				}
			}
			if err := b.take(8*n, "codebook long codes"); err != nil {
				return err
			}
			c.long = make([]longCode, 0, n)
		}
		nlong++
		c.long = append(c.long, longCode{code: code << (32 - l), len: uint8(l), entry: int32(e)})
	}
	for d := range has {
		if has[d] {
			return fmt.Errorf("%w: codebook Huffman tree is underspecified", ErrMalformed)
		}
	}
	slices.SortFunc(c.long, func(a, b longCode) int { return cmp.Compare(a.code, b.code) })
	return nil
}

// decode reads one codeword and returns its entry, or -1 at the end of
// the packet (eop is then set) or for a book with no used entry.
func (c *codebook) decode(r *bitReader) int {
	if r.n < 32 {
		r.fill()
	}
	if c.table == nil {
		// One used entry (or none): its codeword is all that can follow.
		if c.single < 0 || r.n < c.singleLen {
			r.eop, r.cache, r.n = true, 0, 0
			return -1
		}
		r.cache >>= c.singleLen
		r.n -= c.singleLen
		return c.single
	}
	if e := c.table[r.cache&(1<<c.tableBits-1)]; e != 0 {
		l := uint(e & 63)
		if l > r.n {
			r.eop, r.cache, r.n = true, 0, 0
			return -1
		}
		r.cache >>= l
		r.n -= l
		return int(e >> 6)
	}
	// A prefix code sorted as bit strings: the codeword that prefixes the
	// stream is the greatest one not above it.
	x := bits.Reverse32(uint32(r.cache))
	lo, hi := 0, len(c.long)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if c.long[m].code <= x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		r.eop, r.cache, r.n = true, 0, 0
		return -1
	}
	k := c.long[lo-1]
	l := uint(k.len)
	if (x^k.code)>>(32-l) != 0 || l > r.n {
		r.eop, r.cache, r.n = true, 0, 0
		return -1
	}
	r.cache >>= l
	r.n -= l
	return int(k.entry)
}

// vector decodes one entry and returns its VQ values, nil at the end of
// the packet.
func (c *codebook) vector(r *bitReader) []float32 {
	e := c.decode(r)
	if e < 0 {
		return nil
	}
	return c.values[e*c.dim : e*c.dim+c.dim]
}
