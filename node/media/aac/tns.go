package aac

import (
	"fmt"
	"math"
)

// readTNS reads tns_data and turns the quantised reflection coefficients
// into direct-form LPC coefficients (ISO 14496-3 §4.6.9).
func (d *Decoder) readTNS(br *bitReader, c *ics) error {
	t := &c.tns
	if !br.read1() {
		t.nFilt = [8]int{}
		return nil
	}
	short := c.info.seq == eightShort
	nBits, lenBits, ordBits, maxOrder := 2, 6, 5, tnsMaxOrder
	if short {
		nBits, lenBits, ordBits, maxOrder = 1, 4, 3, 7
	}
	var parcor [tnsMaxOrder]float64
	for w := 0; w < c.info.numWindows; w++ {
		t.nFilt[w] = int(br.read(nBits))
		if t.nFilt[w] == 0 {
			continue
		}
		res := 3 + int(br.read(1))
		for f := 0; f < t.nFilt[w]; f++ {
			fl := &t.filt[w][f]
			fl.length = int(br.read(lenBits))
			fl.order = int(br.read(ordBits))
			if fl.order > maxOrder {
				return fmt.Errorf("%w: TNS order %d > %d", ErrMalformed, fl.order, maxOrder)
			}
			if fl.order == 0 {
				continue
			}
			fl.down = br.read1()
			bits := res - int(br.read(1))
			iq := (float64(int(1)<<(res-1)) - 0.5) / (math.Pi / 2)
			iqm := (float64(int(1)<<(res-1)) + 0.5) / (math.Pi / 2)
			for i := 0; i < fl.order; i++ {
				v := int(br.read(bits))
				if v >= 1<<(bits-1) {
					v -= 1 << bits
				}
				if v >= 0 {
					parcor[i] = math.Sin(float64(v) / iq)
				} else {
					parcor[i] = math.Sin(float64(v) / iqm)
				}
			}
			// Step-up recursion from reflection to LPC coefficients.
			var a, b [tnsMaxOrder + 1]float64
			a[0] = 1
			for m := 1; m <= fl.order; m++ {
				for i := 1; i < m; i++ {
					b[i] = a[i] + parcor[m-1]*a[m-i]
				}
				copy(a[1:m], b[1:m])
				a[m] = parcor[m-1]
			}
			for i := 0; i <= fl.order; i++ {
				fl.lpc[i] = float32(a[i])
			}
		}
	}
	if br.overrun() {
		return fmt.Errorf("%w: access unit ends in TNS data", ErrMalformed)
	}
	return nil
}

// applyTNS runs each filter (all-pole) over its spectral range.
func (d *Decoder) applyTNS(c *ics) {
	short := c.info.seq == eightShort
	maxBandsTNS := tnsMaxBandsLong[d.rateIdx]
	if short {
		maxBandsTNS = tnsMaxBandsShort[d.rateIdx]
	}
	limit := min(maxBandsTNS, c.info.maxSfb)
	for w := 0; w < c.info.numWindows; w++ {
		spec := c.spec[w*128:]
		if !short {
			spec = c.spec[:]
		}
		bottom := len(c.info.swb) - 1
		for f := 0; f < c.tns.nFilt[w]; f++ {
			fl := &c.tns.filt[w][f]
			top := bottom
			bottom = max(top-fl.length, 0)
			if fl.order == 0 {
				continue
			}
			start, end := int(c.info.swb[min(bottom, limit)]), int(c.info.swb[min(top, limit)])
			if end <= start {
				continue
			}
			var state [tnsMaxOrder]float32
			n, step := start, 1
			if fl.down {
				n, step = end-1, -1
			}
			for i := start; i < end; i++ {
				y := spec[n]
				for j := 0; j < fl.order; j++ {
					y -= fl.lpc[j+1] * state[j]
				}
				copy(state[1:fl.order], state[:fl.order-1])
				state[0] = y
				spec[n] = y
				n += step
			}
		}
	}
}
