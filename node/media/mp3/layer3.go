package mp3

import "fmt"

// decodeMain decodes the granules whose main data starts at byte start
// of d.res (-1: the reservoir is missing, so output silence while still
// running the filterbank to keep it continuous).
func (d *Decoder) decodeMain(h *Header, start int, dst []float32) error {
	nch := h.Channels()
	ngr := 2
	if h.lsf() {
		ngr = 1
	}
	sri := sampleRateIndex(h)
	r := bitReader{b: d.res[:d.resLen+16]}
	end := d.resLen * 8
	r.pos = start * 8
	for gr := range ngr {
		for ch := range nch {
			g := &d.gr[gr][ch]
			if start < 0 {
				clear(d.xr[ch][:])
				d.nz[ch] = 0
				continue
			}
			limit := r.pos + g.part23
			if limit > end {
				return fmt.Errorf("%w: granule data past the frame", ErrMalformed)
			}
			if h.lsf() {
				d.scalefactorsLSF(&r, g, ch, ch == 1 && h.Mode == 1 && h.ModeExt&1 != 0)
			} else {
				d.scalefactors(&r, g, gr, ch)
			}
			if r.pos > limit {
				return fmt.Errorf("%w: scale factors overrun part2_3_length", ErrMalformed)
			}
			if err := d.huffman(&r, g, ch, limit, sri); err != nil {
				return err
			}
			r.pos = limit
			d.requantize(g, ch, sri)
		}
		if nch == 2 && h.Mode == 1 && start >= 0 {
			d.stereo(h, gr, sri)
		}
		for ch := range nch {
			g := &d.gr[gr][ch]
			d.hybrid(g, ch, sri)
			d.synthesize(ch, dst[gr*1152:], nch)
		}
	}
	return nil
}

func sampleRateIndex(h *Header) int {
	i := 0
	switch h.SampleRate {
	case 44100, 22050, 11025:
		i = 0
	case 48000, 24000, 12000:
		i = 1
	default:
		i = 2
	}
	switch h.Version {
	case 2:
		i += 3
	case 25:
		i += 6
	}
	return i
}

// scalefactors reads MPEG-1 scale factors (11172-3 2.4.2.7), reusing
// granule 0's bands where scfsi says so.
func (d *Decoder) scalefactors(r *bitReader, g *granule, gr, ch int) {
	s1, s2 := int(slen1[g.sfCompress]), int(slen2[g.sfCompress])
	sfL := &d.sfL[ch]
	sfS := &d.sfS[ch]
	if g.winSwitch && g.blockType == 2 {
		sfb := 0
		if g.mixed {
			for ; sfb < 8; sfb++ {
				sfL[sfb] = r.bits(s1)
			}
			sfb = 3
		}
		for ; sfb < 12; sfb++ {
			n := s1
			if sfb >= 6 {
				n = s2
			}
			for w := range 3 {
				sfS[sfb][w] = r.bits(n)
			}
		}
		sfS[12] = [3]int{}
		return
	}
	bounds := [5]int{0, 6, 11, 16, 21}
	for k := range 4 {
		if gr == 1 && d.scfsi[ch][k] == 1 {
			continue
		}
		n := s1
		if k >= 2 {
			n = s2
		}
		for sfb := bounds[k]; sfb < bounds[k+1]; sfb++ {
			sfL[sfb] = r.bits(n)
		}
	}
	sfL[21] = 0
}

// scalefactorsLSF reads MPEG-2/2.5 scale factors (13818-3 2.4.3.2);
// isRight marks the intensity-coded right channel, whose factors are
// intensity positions.
func (d *Decoder) scalefactorsLSF(r *bitReader, g *granule, ch int, isRight bool) {
	var slen [4]int
	var tbl int
	sfc := g.sfCompress
	g.preflag = 0
	if !isRight {
		switch {
		case sfc < 400:
			slen = [4]int{(sfc >> 4) / 5, (sfc >> 4) % 5, (sfc & 15) >> 2, sfc & 3}
		case sfc < 500:
			sfc -= 400
			slen = [4]int{(sfc >> 2) / 5, (sfc >> 2) % 5, sfc & 3, 0}
			tbl = 1
		default:
			sfc -= 500
			slen = [4]int{sfc / 3, sfc % 3, 0, 0}
			tbl = 2
			g.preflag = 1
		}
	} else {
		d.isScale = sfc & 1
		isc := sfc >> 1
		switch {
		case isc < 180:
			slen = [4]int{isc / 36, (isc % 36) / 6, (isc % 36) % 6, 0}
			tbl = 3
		case isc < 244:
			isc -= 180
			slen = [4]int{(isc & 63) >> 4, (isc & 15) >> 2, isc & 3, 0}
			tbl = 4
		default:
			isc -= 244
			slen = [4]int{isc / 3, isc % 3, 0, 0}
			tbl = 5
		}
	}
	kind := 0
	if g.winSwitch && g.blockType == 2 {
		kind = 1
		if g.mixed {
			kind = 2
		}
	}
	nr := nrOfSfb[tbl][kind]
	sfL := &d.sfL[ch]
	sfS := &d.sfS[ch]
	*sfL = [22]int{}
	*sfS = [13][3]int{}
	idx := 0
	for k := range 4 {
		n := slen[k]
		max := 1<<n - 1
		for range int(nr[k]) {
			v := r.bits(n)
			switch {
			case kind == 0:
				if idx < 22 {
					sfL[idx] = v
					d.isMaxL[idx] = max
				}
			case kind == 2 && idx < 6:
				sfL[idx] = v
				d.isMaxL[idx] = max
			default:
				j := idx
				sfb := j / 3
				if kind == 2 {
					j -= 6
					sfb = 3 + j/3
				}
				if sfb < 13 {
					sfS[sfb][j%3] = v
					d.isMaxS[sfb] = max
				}
			}
			idx++
		}
	}
	// The last bands carry no factor; intensity uses the previous
	// band's position there (handled in stereo), never an illegal one.
	d.isMaxL[21] = -1
	d.isMaxS[12] = -1
}
