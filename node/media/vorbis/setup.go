package vorbis

import (
	"encoding/binary"
	"fmt"

	"github.com/audionode/audionode/node/dsp"
)

// maxSetupBytes caps what one stream's setup may allocate: libvorbis
// streams need well under 1 MiB of books; the rest is per-channel
// buffers.
const maxSetupBytes = 16 << 20

type mapping struct {
	mag, ang []uint8 // coupling steps
	mux      []uint8 // submap of each channel
	floor    []uint8 // per submap
	residue  []uint8 // per submap
}

type mode struct {
	long    bool
	mapping int
}

// readIdent reads the identification header (§4.2.2).
func (d *Decoder) readIdent(p []byte) error {
	if len(p) < 30 {
		return fmt.Errorf("%w: identification header of %d bytes", ErrMalformed, len(p))
	}
	if v := binary.LittleEndian.Uint32(p[7:]); v != 0 {
		return fmt.Errorf("%w: vorbis version %d", ErrMalformed, v)
	}
	ch := int(p[11])
	rate := binary.LittleEndian.Uint32(p[12:])
	b0, b1 := uint(p[28]&15), uint(p[28]>>4)
	switch {
	case ch == 0 || rate == 0:
		return fmt.Errorf("%w: %d channels at %d Hz", ErrMalformed, ch, rate)
	case b0 < 6 || b1 > 13 || b0 > b1:
		return fmt.Errorf("%w: block sizes 2^%d, 2^%d", ErrMalformed, b0, b1)
	case p[29]&1 == 0:
		return fmt.Errorf("%w: identification header framing bit", ErrMalformed)
	}
	d.ch, d.rate = ch, int(rate)
	d.bs = [2]int{1 << b0, 1 << b1}
	return nil
}

// checkComment walks the comment header (§5.2.1) without keeping it.
func checkComment(p []byte) error {
	p = p[7:]
	field := func() bool {
		if len(p) < 4 {
			return false
		}
		n := binary.LittleEndian.Uint32(p)
		if uint64(n) > uint64(len(p)-4) {
			return false
		}
		p = p[4+n:]
		return true
	}
	if !field() || len(p) < 4 {
		return fmt.Errorf("%w: comment header vendor string", ErrMalformed)
	}
	n := binary.LittleEndian.Uint32(p)
	p = p[4:]
	for range n {
		if !field() {
			return fmt.Errorf("%w: comment header of %d comments is short", ErrMalformed, n)
		}
	}
	if len(p) < 1 || p[0]&1 == 0 {
		return fmt.Errorf("%w: comment header framing bit", ErrMalformed)
	}
	return nil
}

// readSetup reads the setup header (§4.2.4) and allocates every buffer
// the audio packets need.
func (d *Decoder) readSetup(p []byte) error {
	r := &d.r
	r.init(p[7:])
	b := &budget{left: maxSetupBytes}
	n := int(r.read(8)) + 1
	if err := b.take(n*96, "codebooks"); err != nil {
		return err
	}
	d.books = make([]codebook, n)
	for i := range d.books {
		if err := d.books[i].parse(r, b); err != nil {
			return fmt.Errorf("codebook %d: %w", i, err)
		}
	}
	for range r.read(6) + 1 {
		if r.read(16) != 0 {
			return fmt.Errorf("%w: time domain transform type", ErrMalformed)
		}
	}
	n = int(r.read(6)) + 1
	d.floors = make([]*floor1, n)
	for i := range d.floors {
		switch t := r.read(16); t {
		case 0:
			return fmt.Errorf("%w: floor type 0", ErrUnsupported)
		case 1:
			f, err := parseFloor1(r, len(d.books), b)
			if err != nil {
				return err
			}
			d.floors[i] = f
		default:
			return fmt.Errorf("%w: floor type %d", ErrMalformed, t)
		}
	}
	n = int(r.read(6)) + 1
	d.residues = make([]*residue, n)
	for i := range d.residues {
		t := int(r.read(16))
		if t > 2 {
			return fmt.Errorf("%w: residue type %d", ErrMalformed, t)
		}
		res, err := parseResidue(r, t, d.books, b)
		if err != nil {
			return err
		}
		d.residues[i] = res
	}
	if err := d.readMappings(r, b); err != nil {
		return err
	}
	n = int(r.read(6)) + 1
	d.modes = make([]mode, n)
	for i := range d.modes {
		m := &d.modes[i]
		m.long = r.flag()
		windowType, transformType := r.read(16), r.read(16)
		if windowType != 0 || transformType != 0 {
			return fmt.Errorf("%w: mode window or transform type", ErrMalformed)
		}
		m.mapping = int(r.read(8))
		if m.mapping >= len(d.maps) {
			return fmt.Errorf("%w: mode mapping %d of %d", ErrMalformed, m.mapping, len(d.maps))
		}
	}
	d.modeBits = ilog(uint32(n - 1))
	if !r.flag() || r.eop {
		return fmt.Errorf("%w: setup header framing bit", ErrMalformed)
	}
	return d.allocate(b)
}

// readMappings reads the mapping configurations (§4.2.4.5).
func (d *Decoder) readMappings(r *bitReader, b *budget) error {
	n := int(r.read(6)) + 1
	d.maps = make([]mapping, n)
	chBits := ilog(uint32(d.ch - 1))
	for i := range d.maps {
		m := &d.maps[i]
		if r.read(16) != 0 {
			return fmt.Errorf("%w: mapping type", ErrMalformed)
		}
		subs := 1
		if r.flag() {
			subs = int(r.read(4)) + 1
		}
		steps := 0
		if r.flag() {
			steps = int(r.read(8)) + 1
		}
		if err := b.take(2*steps+d.ch+2*subs, "mapping"); err != nil {
			return err
		}
		m.mag, m.ang = make([]uint8, steps), make([]uint8, steps)
		for s := range steps {
			mg, an := r.read(chBits), r.read(chBits)
			if mg == an || int(mg) >= d.ch || int(an) >= d.ch {
				return fmt.Errorf("%w: coupling step %d: channels %d and %d", ErrMalformed, s, mg, an)
			}
			m.mag[s], m.ang[s] = uint8(mg), uint8(an)
		}
		if r.read(2) != 0 {
			return fmt.Errorf("%w: mapping reserved bits", ErrMalformed)
		}
		m.mux = make([]uint8, d.ch)
		if subs > 1 {
			for c := range m.mux {
				m.mux[c] = uint8(r.read(4))
				if int(m.mux[c]) >= subs {
					return fmt.Errorf("%w: channel %d in submap %d of %d", ErrMalformed, c, m.mux[c], subs)
				}
			}
		}
		m.floor, m.residue = make([]uint8, subs), make([]uint8, subs)
		for s := range subs {
			r.read(8) // time configuration, unused
			m.floor[s], m.residue[s] = uint8(r.read(8)), uint8(r.read(8))
			if int(m.floor[s]) >= len(d.floors) || int(m.residue[s]) >= len(d.residues) {
				return fmt.Errorf("%w: submap %d: floor %d, residue %d", ErrMalformed, s, m.floor[s], m.residue[s])
			}
		}
	}
	return nil
}

// allocate sizes the per-channel state for the long block size.
func (d *Decoder) allocate(b *budget) error {
	half := d.bs[1] / 2
	maxY, maxParts := 0, 0
	for _, f := range d.floors {
		maxY = max(maxY, len(f.xs))
	}
	for _, res := range d.residues {
		size := half
		if res.kind == 2 {
			size *= d.ch
		}
		maxParts = max(maxParts, size/res.psize+d.books[res.classbook].dim)
	}
	per := 4*(half+half+maxY) + maxParts + 64
	if err := b.take(d.ch*per+4*d.bs[1]*3, "channel buffers"); err != nil {
		return err
	}
	d.spec = make([][]float32, d.ch)
	d.prev = make([][]float32, d.ch)
	d.ys = make([][]int32, d.ch)
	d.cls = make([][]uint8, d.ch)
	for c := range d.ch {
		d.spec[c] = make([]float32, half)
		d.prev[c] = make([]float32, half)
		d.ys[c] = make([]int32, maxY)
		d.cls[c] = make([]uint8, maxParts)
	}
	d.floorUsed = make([]bool, d.ch)
	d.skip = make([]bool, d.ch)
	d.subVecs = make([][]float32, 0, d.ch)
	d.subSkip = make([]bool, 0, d.ch)
	d.pcm = make([]float32, d.bs[1])
	for i, n := range d.bs {
		d.imdct[i] = dsp.NewIMDCT(n, 1)
		d.win[i] = slope(n / 2)
	}
	d.prevN = 0
	return nil
}
