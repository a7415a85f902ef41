package mp3

// A Huffman table decodes by looking up the next 8 bits in a primary
// table; codes longer than 8 bits point to a secondary table indexed by
// the bits that follow. Entries are uint32:
//
//	leaf:    len | x<<8 | y<<16                (flagSub clear)
//	pointer: flagSub | subBits | offset<<8      (into the same slice)
const (
	primaryBits = 8
	flagSub     = 1 << 31
)

type huffTable struct {
	lut     []uint32
	linbits int
}

// bigTables are tables 0..31 (table 0, 4 and 14 code nothing).
var bigTables [32]huffTable

// count1Tables are tables A (0) and B (1), with x<<8 holding vwxy.
var count1Tables [2]huffTable

func init() {
	type src struct {
		hcod []uint16
		hlen []uint8
		n    int
	}
	srcs := map[int]src{
		1: {hcod1, hlen1, 2}, 2: {hcod2, hlen2, 3}, 3: {hcod3, hlen3, 3},
		5: {hcod5, hlen5, 4}, 6: {hcod6, hlen6, 4}, 7: {hcod7, hlen7, 6},
		8: {hcod8, hlen8, 6}, 9: {hcod9, hlen9, 6}, 10: {hcod10, hlen10, 8},
		11: {hcod11, hlen11, 8}, 12: {hcod12, hlen12, 8}, 13: {hcod13, hlen13, 16},
		15: {hcod15, hlen15, 16}, 16: {hcod16, hlen16, 16}, 24: {hcod24, hlen24, 16},
	}
	linbits := [32]int{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		1, 2, 3, 4, 6, 8, 10, 13, 4, 5, 6, 7, 8, 9, 11, 13}
	built := map[int][]uint32{}
	for t := range 32 {
		base := t
		switch {
		case t >= 16 && t < 24:
			base = 16
		case t >= 24:
			base = 24
		}
		s, ok := srcs[base]
		if !ok {
			continue
		}
		if built[base] == nil {
			built[base] = buildLUT(s.hcod, s.hlen, func(i int) uint32 {
				return uint32(i/s.n)<<8 | uint32(i%s.n)<<16
			})
		}
		bigTables[t] = huffTable{lut: built[base], linbits: linbits[t]}
	}
	quad := func(i int) uint32 { return uint32(i) << 8 }
	count1Tables[0] = huffTable{lut: buildLUT(hcodA, hlenA, quad)}
	count1Tables[1] = huffTable{lut: buildLUT(hcodB, hlenB, quad)}
}

// buildLUT builds the two-level lookup; val gives an entry's value bits.
// Unused slots stay 0 (length 0), which decode treats as a bad code.
func buildLUT(hcod []uint16, hlen []uint8, val func(int) uint32) []uint32 {
	lut := make([]uint32, 1<<primaryBits)
	// First pass: the widest suffix under each long prefix sizes its
	// secondary table.
	var subBits [1 << primaryBits]int
	for i, l := range hlen {
		if int(l) > primaryBits {
			p := int(hcod[i]) >> (int(l) - primaryBits)
			subBits[p] = max(subBits[p], int(l)-primaryBits)
		}
	}
	for p, sb := range subBits {
		if sb > 0 {
			lut[p] = flagSub | uint32(sb) | uint32(len(lut))<<8
			lut = append(lut, make([]uint32, 1<<sb)...)
		}
	}
	for i, l := range hlen {
		n := int(l)
		code := int(hcod[i])
		e := uint32(n) | val(i)
		if n <= primaryBits {
			lo := code << (primaryBits - n)
			for k := range 1 << (primaryBits - n) {
				lut[lo+k] = e
			}
			continue
		}
		p := code >> (n - primaryBits)
		sb := int(lut[p] & 0xFF)
		off := int(lut[p] >> 8 & 0x7FFFFF)
		rest := code & (1<<(n-primaryBits) - 1)
		lo := rest << (sb - (n - primaryBits))
		for k := range 1 << (sb - (n - primaryBits)) {
			lut[off+lo+k] = e
		}
	}
	return lut
}

// decode reads one codeword and returns its entry; ok is false for a
// bit pattern that is no codeword.
func (t *huffTable) decode(r *bitReader) (e uint32, ok bool) {
	w := r.peek32()
	e = t.lut[w>>(32-primaryBits)]
	if e&flagSub != 0 {
		sb := e & 0xFF
		off := e >> 8 & 0x7FFFFF
		idx := off + (w<<primaryBits)>>(32-sb)
		if int(idx) >= len(t.lut) {
			return 0, false
		}
		e = t.lut[idx]
	}
	n := int(e & 0xFF)
	if n == 0 {
		return 0, false
	}
	r.pos += n
	return e, true
}
