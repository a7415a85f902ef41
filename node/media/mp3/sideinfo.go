package mp3

import "fmt"

// granule is one channel's side information for one granule.
type granule struct {
	part23      int // bits of scale factors + Huffman data
	bigValues   int
	globalGain  int
	sfCompress  int
	winSwitch   bool
	blockType   int
	mixed       bool
	tableSelect [3]int
	subGain     [3]int
	region0     int
	region1     int
	preflag     int
	sfScale     int
	count1Table int
}

// readSideInfo parses the side information in b into d.gr and d.scfsi
// and returns main_data_begin.
func (d *Decoder) readSideInfo(h *Header, b []byte) (int, error) {
	r := bitReader{b: d.sideBuf[:]}
	copy(d.sideBuf[:], b)
	clear(d.sideBuf[len(b):])
	nch := h.Channels()
	ngr := 2
	var begin int
	if h.lsf() {
		ngr = 1
		begin = r.bits(8)
		r.bits(nch) // private bits
	} else {
		begin = r.bits(9)
		if nch == 1 {
			r.bits(5)
		} else {
			r.bits(3)
		}
		for ch := range nch {
			for k := range 4 {
				d.scfsi[ch][k] = r.bit()
			}
		}
	}
	for gr := range ngr {
		for ch := range nch {
			g := &d.gr[gr][ch]
			g.part23 = r.bits(12)
			g.bigValues = r.bits(9)
			if g.bigValues > 288 {
				return 0, fmt.Errorf("%w: big_values %d", ErrMalformed, g.bigValues)
			}
			g.globalGain = r.bits(8)
			if h.lsf() {
				g.sfCompress = r.bits(9)
			} else {
				g.sfCompress = r.bits(4)
			}
			g.winSwitch = r.bit() == 1
			if g.winSwitch {
				g.blockType = r.bits(2)
				if g.blockType == 0 {
					return 0, fmt.Errorf("%w: block_type 0 with window switching", ErrMalformed)
				}
				g.mixed = r.bit() == 1
				g.tableSelect[0] = r.bits(5)
				g.tableSelect[1] = r.bits(5)
				g.tableSelect[2] = 0
				for w := range 3 {
					g.subGain[w] = r.bits(3)
				}
				// Implicit region counts (11172-3 2.4.3.4.10.1).
				if g.blockType == 2 && !g.mixed {
					g.region0 = 8
				} else {
					g.region0 = 7
				}
				g.region1 = 20 - g.region0
			} else {
				g.blockType = 0
				g.mixed = false
				for k := range 3 {
					g.tableSelect[k] = r.bits(5)
				}
				g.subGain = [3]int{}
				g.region0 = r.bits(4)
				g.region1 = r.bits(3)
			}
			if h.lsf() {
				g.preflag = 0 // derived from scalefac_compress later
			} else {
				g.preflag = r.bit()
			}
			g.sfScale = r.bit()
			g.count1Table = r.bit()
		}
	}
	return begin, nil
}
