package aac

import "fmt"

// Codebook numbers with special meaning (ISO 14496-3 Table 4.151).
const (
	zeroHCB       = 0
	escHCB        = 11
	noiseHCB      = 13
	intensityHCB2 = 14 // out of phase
	intensityHCB  = 15
)

const maxBands = 64

// ics is one individual_channel_stream being decoded.
type ics struct {
	globalGain int
	info       icsInfo
	cb         [8][maxBands]uint8
	sf         [8][maxBands]int // scale factor, IS position or noise energy per band
	pulse      pulseData
	tns        tnsData
	spec       [1024]float32 // window order: short window w at 128*w
	q          [1024]int16   // quantised values of coded bands, for pulses
}

type icsInfo struct {
	seq, shape, maxSfb int
	numWindows         int
	numGroups          int
	groupLen           [8]int
	swb                []uint16 // band offsets for this window length
}

type pulseData struct {
	present  bool
	n        int
	startSfb int
	offset   [4]int
	amp      [4]int
}

type tnsData struct {
	nFilt [8]int
	filt  [8][3]tnsFilter
}

type tnsFilter struct {
	length, order int
	down          bool
	lpc           [tnsMaxOrder + 1]float32
}

const tnsMaxOrder = 12

func (d *Decoder) readICSInfo(br *bitReader, info *icsInfo) error {
	if br.read1() {
		return fmt.Errorf("%w: ics_reserved_bit set", ErrMalformed)
	}
	info.seq = int(br.read(2))
	info.shape = int(br.read(1))
	if info.seq == eightShort {
		info.maxSfb = int(br.read(4))
		grouping := br.read(7)
		info.numWindows = 8
		info.numGroups = 1
		info.groupLen = [8]int{1}
		for w := 1; w < 8; w++ {
			if grouping&(1<<(6-(w-1))) != 0 {
				info.groupLen[info.numGroups-1]++
			} else {
				info.groupLen[info.numGroups] = 1
				info.numGroups++
			}
		}
		info.swb = swbShort[d.rateIdx]
	} else {
		info.maxSfb = int(br.read(6))
		info.numWindows = 1
		info.numGroups = 1
		info.groupLen = [8]int{1}
		info.swb = swbLong[d.rateIdx]
		if br.read1() {
			return fmt.Errorf("%w: predictor data (Main/LTP profile)", ErrUnsupported)
		}
	}
	if info.maxSfb > len(info.swb)-1 {
		return fmt.Errorf("%w: max_sfb %d > %d bands", ErrMalformed, info.maxSfb, len(info.swb)-1)
	}
	return nil
}

// readICS reads an individual_channel_stream; info is already set when the
// CPE has a common window.
func (d *Decoder) readICS(br *bitReader, c *ics, commonWindow bool) error {
	c.globalGain = int(br.read(8))
	if !commonWindow {
		if err := d.readICSInfo(br, &c.info); err != nil {
			return err
		}
	}
	if err := c.readSections(br); err != nil {
		return err
	}
	if err := c.readScalefactors(br); err != nil {
		return err
	}
	if err := c.readPulse(br); err != nil {
		return err
	}
	if err := d.readTNS(br, c); err != nil {
		return err
	}
	if br.read1() {
		return fmt.Errorf("%w: gain control (SSR profile)", ErrUnsupported)
	}
	if err := c.readSpectrum(br); err != nil {
		return err
	}
	if br.overrun() {
		return fmt.Errorf("%w: access unit ends inside a channel stream", ErrMalformed)
	}
	return nil
}

func (c *ics) readSections(br *bitReader) error {
	bits := 5
	if c.info.seq == eightShort {
		bits = 3
	}
	esc := uint32(1)<<bits - 1
	for g := 0; g < c.info.numGroups; g++ {
		for k := 0; k < c.info.maxSfb; {
			cb := uint8(br.read(4))
			if cb == 12 {
				return fmt.Errorf("%w: reserved codebook 12", ErrMalformed)
			}
			n := 0
			for {
				inc := br.read(bits)
				n += int(inc)
				if inc != esc {
					break
				}
				if br.overrun() || n > maxBands {
					return fmt.Errorf("%w: section length runs past max_sfb", ErrMalformed)
				}
			}
			if k+n > c.info.maxSfb || (n == 0 && !br.overrun()) {
				return fmt.Errorf("%w: section of %d bands at %d, max_sfb %d", ErrMalformed, n, k, c.info.maxSfb)
			}
			if br.overrun() {
				return fmt.Errorf("%w: access unit ends in section data", ErrMalformed)
			}
			for i := k; i < k+n; i++ {
				c.cb[g][i] = cb
			}
			k += n
		}
	}
	return nil
}

func (c *ics) readScalefactors(br *bitReader) error {
	sf := c.globalGain
	isPos := 0
	noise := c.globalGain - 90
	firstNoise := true
	for g := 0; g < c.info.numGroups; g++ {
		for k := 0; k < c.info.maxSfb; k++ {
			switch c.cb[g][k] {
			case zeroHCB:
				c.sf[g][k] = 0
			case intensityHCB, intensityHCB2:
				isPos += scalefactorTable.decode(br) - 60
				c.sf[g][k] = isPos
			case noiseHCB:
				if firstNoise {
					noise += int(br.read(9)) - 256
					firstNoise = false
				} else {
					noise += scalefactorTable.decode(br) - 60
				}
				c.sf[g][k] = noise
			default:
				sf += scalefactorTable.decode(br) - 60
				if sf < 0 || sf > 255 {
					return fmt.Errorf("%w: scale factor %d out of range", ErrMalformed, sf)
				}
				c.sf[g][k] = sf
			}
		}
	}
	// A -1 from decode (no codeword) only happens past the end of the data.
	if br.overrun() {
		return fmt.Errorf("%w: access unit ends in scale factor data", ErrMalformed)
	}
	return nil
}

func (c *ics) readPulse(br *bitReader) error {
	p := &c.pulse
	p.present = br.read1()
	if !p.present {
		return nil
	}
	if c.info.seq == eightShort {
		return fmt.Errorf("%w: pulse data in a short window", ErrMalformed)
	}
	p.n = int(br.read(2)) + 1
	p.startSfb = int(br.read(6))
	if p.startSfb >= len(c.info.swb)-1 {
		return fmt.Errorf("%w: pulse start band %d", ErrMalformed, p.startSfb)
	}
	k := int(c.info.swb[p.startSfb])
	for i := 0; i < p.n; i++ {
		k += int(br.read(5))
		if k >= 1024 {
			return fmt.Errorf("%w: pulse past the spectrum", ErrMalformed)
		}
		p.offset[i] = k
		p.amp[i] = int(br.read(4))
	}
	return nil
}
