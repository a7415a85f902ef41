package media

import "fmt"

// tfhd and trun flags (ISO/IEC 14496-12 §8.8.7, §8.8.8).
const (
	tfhdBaseOffset      = 0x1
	tfhdDescIndex       = 0x2
	tfhdDefDuration     = 0x8
	tfhdDefSize         = 0x10
	tfhdDefFlags        = 0x20
	trunDataOffset      = 0x1
	trunFirstFlags      = 0x4
	trunSampleDuration  = 0x100
	trunSampleSize      = 0x200
	trunSampleFlags     = 0x400
	trunSampleCTSOffset = 0x800
)

// parseMoof loads the samples of our track from a moof body that started
// at offset start. The sample slices are reused, so a steady stream of
// fragments allocates nothing once they have grown.
func (m *mp4) parseMoof(moof []byte, start int64) error {
	m.fOff, m.fSize, m.fDts = m.fOff[:0], m.fSize[:0], m.fDts[:0]
	dts := m.endDts
	err := eachBox(moof, func(typ uint32, traf []byte) error {
		if typ != boxTraf {
			return nil
		}
		h := be{b: findBox(traf, boxTfhd)}
		flags := h.u32() & 0xFFFFFF
		if h.bad || h.u32() != m.t.id {
			return nil
		}
		base := start
		if flags&tfhdBaseOffset != 0 {
			base = int64(h.u64() & (1<<62 - 1))
		}
		if flags&tfhdDescIndex != 0 {
			h.u32()
		}
		defDur, defSize := m.t.defDuration, m.t.defSize
		if flags&tfhdDefDuration != 0 {
			defDur = h.u32()
		}
		if flags&tfhdDefSize != 0 {
			defSize = h.u32()
		}
		if h.bad {
			return fmt.Errorf("%w: short tfhd", ErrMalformed)
		}
		if b := findBox(traf, boxTfdt); b != nil {
			r := be{b: b}
			v := r.u8()
			r.take(3)
			t := int64(r.uv(v) & (1<<62 - 1))
			if !r.bad {
				dts = t
			}
		}
		off := base
		return eachBox(traf, func(typ uint32, b []byte) error {
			if typ != boxTrun {
				return nil
			}
			r := be{b: b}
			flags := r.u32() & 0xFFFFFF
			n := int(r.u32())
			if flags&trunDataOffset != 0 {
				off = base + int64(int32(r.u32()))
			}
			if flags&trunFirstFlags != 0 {
				r.u32()
			}
			per := 0
			for _, f := range []uint32{trunSampleDuration, trunSampleSize, trunSampleFlags, trunSampleCTSOffset} {
				if flags&f != 0 {
					per += 4
				}
			}
			if r.bad || n < 0 || (per > 0 && n > len(r.b)/per) || len(m.fOff)+n > maxSamples {
				return fmt.Errorf("%w: trun with %d samples", ErrMalformed, n)
			}
			for range n {
				d, s := defDur, defSize
				if flags&trunSampleDuration != 0 {
					d = r.u32()
				}
				if flags&trunSampleSize != 0 {
					s = r.u32()
				}
				if flags&trunSampleFlags != 0 {
					r.u32()
				}
				if flags&trunSampleCTSOffset != 0 {
					r.u32()
				}
				m.fOff = append(m.fOff, off)
				m.fSize = append(m.fSize, s)
				m.fDts = append(m.fDts, dts)
				off += int64(s)
				dts += int64(d)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	m.fDts = append(m.fDts, dts)
	m.endDts = dts
	return nil
}
