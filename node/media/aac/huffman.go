package aac

import "math/bits"

// huffCode is one codeword of a codebook table: the code value right-aligned
// in len bits. Codebook tables list codewords in index order, as in the
// standard's Annex 4.A tables.
type huffCode struct {
	code uint32
	len  uint8
}

// huffTable decodes one codebook with a 9-bit first-level lookup; longer
// codes go through a second-level table keyed by the 9-bit prefix.
type huffTable struct {
	first [1 << lookupBits]uint32
	sub   []uint32
}

const lookupBits = 9

// Entry layout: sym<<8 | len for a leaf; subFlag | offset<<8 | bits for a
// pointer into sub. len 0 marks a bit pattern that is no codeword.
const subFlag = 1 << 31

// newHuffTable builds the lookup tables. It reports false if the codes are
// not prefix-free (a table typing error), which tests check.
func newHuffTable(codes []huffCode) (*huffTable, bool) {
	t := &huffTable{}
	// Longest code per 9-bit prefix decides each subtable's size.
	var subBits [1 << lookupBits]int
	for _, c := range codes {
		if int(c.len) > lookupBits {
			p := c.code >> (uint(c.len) - lookupBits)
			subBits[p] = max(subBits[p], int(c.len)-lookupBits)
		}
	}
	for p, n := range subBits {
		if n > 0 {
			t.first[p] = subFlag | uint32(len(t.sub))<<8 | uint32(n)
			t.sub = append(t.sub, make([]uint32, 1<<n)...)
		}
	}
	for sym, c := range codes {
		l := int(c.len)
		if l == 0 || l > 24 {
			return nil, false
		}
		leaf := uint32(sym)<<8 | uint32(l)
		if l <= lookupBits {
			lo := c.code << uint(lookupBits-l)
			for i := lo; i < lo+1<<uint(lookupBits-l); i++ {
				if t.first[i] != 0 {
					return nil, false
				}
				t.first[i] = leaf
			}
			continue
		}
		p := c.code >> uint(l-lookupBits)
		e := t.first[p]
		off, n := int(e>>8&0x7fffff), int(e&0xff)
		rest := c.code & (1<<uint(l-lookupBits) - 1)
		lo := int(rest) << uint(n-(l-lookupBits))
		for i := lo; i < lo+1<<uint(n-(l-lookupBits)); i++ {
			if t.sub[off+i] != 0 {
				return nil, false
			}
			t.sub[off+i] = leaf
		}
	}
	return t, true
}

// decode reads one codeword and returns its index, or -1 for a bit pattern
// that is no codeword (only possible for incomplete tables or past the end).
func (t *huffTable) decode(br *bitReader) int {
	e := t.first[br.peek(lookupBits)]
	if e&subFlag != 0 {
		off, n := int(e>>8&0x7fffff), int(e&0xff)
		e = t.sub[off+int(br.peek(lookupBits+n)&(1<<uint(n)-1))]
	}
	l := int(e & 0xff)
	if l == 0 {
		return -1
	}
	br.pos += l
	return int(e >> 8)
}

// mustTable is used for the package's own constant tables, which tests
// prove prefix-free; a failure here is a typing error in this package.
func mustTable(codes []huffCode) *huffTable {
	t, ok := newHuffTable(codes)
	if !ok {
		return &huffTable{} // decodes nothing: every lookup yields -1
	}
	return t
}

// scalefactorBook lists the scale-factor codebook as huffCodes.
func scalefactorBook() []huffCode {
	c := make([]huffCode, len(scalefactorCodes))
	for i, v := range scalefactorCodes {
		c[i] = huffCode{v, uint8(max(1, bits.Len32(v)))}
	}
	return c
}

var scalefactorTable = mustTable(scalefactorBook())
