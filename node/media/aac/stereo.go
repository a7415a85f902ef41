package aac

import (
	"fmt"
	"math"
)

// readCPE reads a channel_pair_element into d.ics[0] and d.ics[1] and applies
// PNS, M/S and intensity stereo (ISO 14496-3 §4.6.8, §4.6.13).
func (d *Decoder) readCPE(br *bitReader) error {
	l, r := &d.ics[0], &d.ics[1]
	common := br.read1()
	msMask := 0
	if common {
		if err := d.readICSInfo(br, &l.info); err != nil {
			return err
		}
		r.info = l.info
		msMask = int(br.read(2))
		switch msMask {
		case 1:
			for g := 0; g < l.info.numGroups; g++ {
				for k := 0; k < l.info.maxSfb; k++ {
					d.msUsed[g][k] = br.read1()
				}
			}
		case 3:
			return fmt.Errorf("%w: reserved ms_mask_present 3", ErrMalformed)
		}
	}
	if err := d.readICS(br, l, common); err != nil {
		return err
	}
	if err := d.readICS(br, r, common); err != nil {
		return err
	}
	if !common {
		d.pns(l, nil, 0)
		d.pns(r, nil, 0)
		return nil
	}
	d.pns(l, nil, 0)
	d.pns(r, l, msMask)
	d.stereo(l, r, msMask)
	return nil
}

func (d *Decoder) used(msMask, g, k int) bool {
	return msMask == 2 || (msMask == 1 && d.msUsed[g][k])
}

// stereo applies M/S to bands both channels code normally, then intensity
// stereo to the right channel's intensity bands.
func (d *Decoder) stereo(l, r *ics, msMask int) {
	win := 0
	for g := 0; g < l.info.numGroups; g++ {
		for k := 0; k < l.info.maxSfb; k++ {
			lo, hi := int(l.info.swb[k]), int(l.info.swb[k+1])
			rcb := r.cb[g][k]
			ms := d.used(msMask, g, k)
			for w := win; w < win+l.info.groupLen[g]; w++ {
				off := 0
				if l.info.numWindows == 8 {
					off = 128 * w
				}
				ls, rs := l.spec[off+lo:off+hi], r.spec[off+lo:off+hi]
				switch {
				case rcb == intensityHCB || rcb == intensityHCB2:
					scale := float32(math.Pow(2, -0.25*float64(r.sf[g][k])))
					// invert_intensity (§4.6.8.2.3) reads ms_used only when
					// ms_mask_present is 1. ffmpeg's decoder also inverts
					// every band when it is 2; we follow the standard.
					if (rcb == intensityHCB2) != (msMask == 1 && ms) {
						scale = -scale
					}
					for i := range rs {
						rs[i] = ls[i] * scale
					}
				case ms && rcb < noiseHCB && l.cb[g][k] < noiseHCB:
					for i := range ls {
						m, s := ls[i], rs[i]
						ls[i], rs[i] = m+s, m-s
					}
				}
			}
		}
		win += l.info.groupLen[g]
	}
}

// pns fills noise bands with scaled random values. With M/S signalled on a
// band where both channels are noise, the right channel reuses the left's
// noise (correlated), as §4.6.13.3 requires.
func (d *Decoder) pns(c, left *ics, msMask int) {
	win := 0
	for g := 0; g < c.info.numGroups; g++ {
		for k := 0; k < c.info.maxSfb; k++ {
			if c.cb[g][k] != noiseHCB {
				continue
			}
			lo, hi := int(c.info.swb[k]), int(c.info.swb[k+1])
			gain := math.Pow(2, 0.25*float64(c.sf[g][k]))
			same := left != nil && left.cb[g][k] == noiseHCB && d.used(msMask, g, k)
			for w := win; w < win+c.info.groupLen[g]; w++ {
				off := 0
				if c.info.numWindows == 8 {
					off = 128 * w
				}
				band := c.spec[off+lo : off+hi]
				if same {
					copy(band, left.spec[off+lo:off+hi])
				} else {
					for i := range band {
						d.noise = d.noise*1664525 + 1013904223
						band[i] = float32(int32(d.noise))
					}
				}
				var e float64
				for _, v := range band {
					e += float64(v) * float64(v)
				}
				if e == 0 {
					continue
				}
				s := float32(gain / math.Sqrt(e))
				for i := range band {
					band[i] *= s
				}
			}
		}
		win += c.info.groupLen[g]
	}
}
