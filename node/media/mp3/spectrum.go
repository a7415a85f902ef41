package mp3

import "fmt"

// huffman decodes one granule's big_values and count1 lines into
// d.xr[ch] as signed |x|^(4/3), stopping at bit limit.
func (d *Decoder) huffman(r *bitReader, g *granule, ch, limit, sri int) error {
	xr := &d.xr[ch]
	bv := 2 * g.bigValues
	var r1, r2 int
	if g.winSwitch && g.blockType == 2 {
		// Region 0 is the first 3 short bands of every window.
		r1 = 3 * int(sfbShort[sri][3])
		r2 = 576
	} else {
		r1 = int(sfbLong[sri][min(g.region0+1, 22)])
		r2 = int(sfbLong[sri][min(g.region0+g.region1+2, 22)])
	}
	r1, r2 = min(r1, bv), min(r2, bv)
	i := 0
	for reg, stop := range [3]int{r1, r2, bv} {
		t := &bigTables[g.tableSelect[reg]]
		if t.lut == nil {
			if g.tableSelect[reg] == 0 {
				for ; i < stop; i++ {
					xr[i] = 0
				}
				continue
			}
			return fmt.Errorf("%w: Huffman table %d does not exist", ErrMalformed, g.tableSelect[reg])
		}
		lb := t.linbits
		for ; i < stop; i += 2 {
			e, ok := t.decode(r)
			if !ok {
				return fmt.Errorf("%w: bad Huffman code at line %d", ErrMalformed, i)
			}
			// LAME sometimes overruns part2_3_length by a few bits in the
			// last pairs; like ffmpeg, decode on (the buffer is padded)
			// and let count1 see no bits left.
			x := int(e >> 8 & 0xFF)
			y := int(e >> 16 & 0xFF)
			var fx, fy float32
			if x != 0 {
				if x == 15 {
					x += r.bits(lb)
				}
				fx = pow43[x]
				if r.bit() == 1 {
					fx = -fx
				}
			}
			if y != 0 {
				if y == 15 {
					y += r.bits(lb)
				}
				fy = pow43[y]
				if r.bit() == 1 {
					fy = -fy
				}
			}
			xr[i] = fx
			xr[i+1] = fy
		}
	}
	// count1: quadruples until the granule's bits run out.
	t := &count1Tables[g.count1Table]
	for i+4 <= 576 && r.pos < limit {
		e, _ := t.decode(r) // tables A and B are complete
		v := int(e >> 8 & 0xF)
		var q [4]float32
		for k := range 4 {
			if v&(8>>k) != 0 {
				q[k] = 1
				if r.bit() == 1 {
					q[k] = -1
				}
			}
		}
		if r.pos > limit {
			break // the last quadruple ran past the data: drop it
		}
		xr[i], xr[i+1], xr[i+2], xr[i+3] = q[0], q[1], q[2], q[3]
		i += 4
	}
	d.nz[ch] = i
	clear(xr[i:])
	return nil
}

// requantize scales the lines by global gain, scale factors and
// subblock gain (11172-3 2.4.3.4.7.1).
func (d *Decoder) requantize(g *granule, ch, sri int) {
	xr := &d.xr[ch]
	nz := d.nz[ch]
	shift := 2 * (1 + g.sfScale) // quarter steps per scale factor unit
	base := g.globalGain - 210
	long := sfbLong[sri][:]
	if !(g.winSwitch && g.blockType == 2) {
		for sfb := 0; sfb < 22 && int(long[sfb]) < nz; sfb++ {
			q := base - shift*(d.sfL[ch][sfb]+g.preflag*int(pretab[sfb]))
			gn := gain(q)
			for i := int(long[sfb]); i < min(int(long[sfb+1]), nz); i++ {
				xr[i] *= gn
			}
		}
		return
	}
	short := sfbShort[sri][:]
	sfb0 := 0
	if g.mixed {
		for sfb := 0; int(long[sfb]) < 36; sfb++ {
			q := base - shift*(d.sfL[ch][sfb]+g.preflag*int(pretab[sfb]))
			gn := gain(q)
			for i := int(long[sfb]); i < min(int(long[sfb+1]), 36, nz); i++ {
				xr[i] *= gn
			}
		}
		sfb0 = 3
	}
	for sfb := sfb0; sfb < 13; sfb++ {
		lo := 3 * int(short[sfb])
		if lo >= nz {
			break
		}
		width := int(short[sfb+1]) - int(short[sfb])
		for w := range 3 {
			q := base - 8*g.subGain[w] - shift*d.sfS[ch][sfb][w]
			gn := gain(q)
			s := lo + w*width
			for i := s; i < min(s+width, nz); i++ {
				xr[i] *= gn
			}
		}
	}
}
