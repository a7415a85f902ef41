package aac

import (
	"fmt"
	"math"
)

// bookInfo describes spectral codebooks 1–11 (ISO 14496-3 Table 4.152):
// values per codeword, whether values carry their sign inside the index,
// and the radix of the index (largest absolute value + 1, doubled minus one
// for signed books).
type bookInfo struct {
	dim    int
	signed bool
	mod    int
}

var books = [12]bookInfo{
	{},
	{4, true, 3}, {4, true, 3}, {4, false, 3}, {4, false, 3},
	{2, true, 9}, {2, true, 9}, {2, false, 8}, {2, false, 8},
	{2, false, 13}, {2, false, 13}, {2, false, 17},
}

// spectralTables holds the decoders for codebooks 1–11.
var spectralTables [12]*huffTable

// unpack holds each codebook index's values (signed books already offset),
// so decoding needs no divisions.
var unpack [12][][4]int8

func init() {
	for cb := 1; cb < len(books); cb++ {
		bk := books[cb]
		n := 1
		for range bk.dim {
			n *= bk.mod
		}
		unpack[cb] = make([][4]int8, n)
		for idx := range n {
			v := idx
			for j := bk.dim - 1; j >= 0; j-- {
				unpack[cb][idx][j] = int8(v % bk.mod)
				if bk.signed {
					unpack[cb][idx][j] -= int8(bk.mod / 2)
				}
				v /= bk.mod
			}
		}
	}
	for i, codes := range spectralCodes {
		if len(codes) > 0 {
			spectralTables[i] = mustTable(codes)
		}
	}
}

// pow43 is |q|^(4/3) for every quantised magnitude the syntax can carry
// (escape values reach 8191).
var pow43 [8192]float32

// sfGain is 2^(0.25·(sf−100)) for scale factors 0..255.
var sfGain [256]float32

func init() {
	for i := range pow43 {
		pow43[i] = float32(math.Pow(float64(i), 4.0/3))
	}
	for i := range sfGain {
		sfGain[i] = float32(math.Pow(2, 0.25*float64(i-100)))
	}
}

// readSpectrum reads spectral_data and writes dequantised, scaled
// coefficients (window order) to c.spec. Pulses are added to the
// quantised values first, as the standard orders it.
func (c *ics) readSpectrum(br *bitReader) error {
	clear(c.spec[:])
	var vals [4]int
	win := 0
	for g := 0; g < c.info.numGroups; g++ {
		for k := 0; k < c.info.maxSfb; k++ {
			cb := int(c.cb[g][k])
			if cb == zeroHCB || cb >= noiseHCB {
				continue
			}
			t := spectralTables[cb] // readSections refused codebook 12
			bk := books[cb]
			up := unpack[cb]
			gain := sfGain[c.sf[g][k]]
			lo, hi := int(c.info.swb[k]), int(c.info.swb[k+1])
			for w := win; w < win+c.info.groupLen[g]; w++ {
				out := c.spec[w*128:]
				base := w * 128
				if c.info.numWindows == 1 {
					out = c.spec[:]
					base = 0
				}
				for i := lo; i < hi; i += bk.dim {
					idx := t.decode(br)
					if idx < 0 || idx >= len(up) {
						return fmt.Errorf("%w: bad codeword in codebook %d", ErrMalformed, cb)
					}
					u := &up[idx]
					if bk.signed {
						for j := 0; j < bk.dim; j++ {
							vals[j] = int(u[j])
						}
					} else {
						// Sign bits of the non-zero values follow, read at once.
						nz := 0
						for j := 0; j < bk.dim; j++ {
							if u[j] != 0 {
								nz++
							}
						}
						signs := br.read(nz) << uint(32-nz)
						for j := 0; j < bk.dim; j++ {
							vals[j] = int(u[j])
							if u[j] != 0 {
								if signs&(1<<31) != 0 {
									vals[j] = -vals[j]
								}
								signs <<= 1
							}
						}
					}
					if cb == escHCB {
						for j := 0; j < 2; j++ {
							if vals[j] != 16 && vals[j] != -16 {
								continue
							}
							n := 0
							for br.read1() {
								n++
								if n > 8 {
									return fmt.Errorf("%w: escape prefix too long", ErrMalformed)
								}
							}
							v := 1<<(n+4) + int(br.read(n+4))
							if vals[j] < 0 {
								v = -v
							}
							vals[j] = v
						}
					}
					for j := 0; j < bk.dim; j++ {
						v := vals[j]
						c.q[base+i+j] = int16(v)
						f := pow43[min(abs(v), len(pow43)-1)] * gain
						if v < 0 {
							f = -f
						}
						out[i+j] = f
					}
				}
			}
			if br.overrun() {
				return fmt.Errorf("%w: access unit ends in spectral data", ErrMalformed)
			}
		}
		win += c.info.groupLen[g]
	}
	if c.pulse.present {
		band := 0
		for i := 0; i < c.pulse.n; i++ {
			k := c.pulse.offset[i]
			for band+1 < len(c.info.swb) && int(c.info.swb[band+1]) <= k {
				band++
			}
			// Pulses only add to coded bands (zero, noise and intensity
			// bands have no quantised values to correct).
			if band >= c.info.maxSfb {
				continue
			}
			if cb := c.cb[0][band]; cb == zeroHCB || cb >= noiseHCB {
				continue
			}
			q := int(c.q[k])
			if q > 0 {
				q += c.pulse.amp[i]
			} else {
				q -= c.pulse.amp[i]
			}
			c.q[k] = int16(q)
			f := pow43[min(abs(q), len(pow43)-1)] * sfGain[c.sf[0][band]]
			if q < 0 {
				f = -f
			}
			c.spec[k] = f
		}
	}
	return nil
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
