package media

import (
	"errors"
	"fmt"
)

// jfreymuth/vorbis v1.0.2 reads one floor-1 class description even when a
// floor has no partitions (the spec reads maximum_class+1 descriptions,
// and none when the partition list is empty). libvorbis writes such a
// floor for the LFE channel of 5.1, so the library loses its place in the
// setup header and refuses the file. fixVorbisSetup walks the setup
// header up to the floors (Vorbis I §3.2.1, §6.2.2, §7.2.2) and inserts a
// dummy class description (dimension 1, no subclasses, no book) after each
// empty partition list, which the library then reads harmlessly.

type vorbisBits struct {
	b   []byte
	pos int // bit position, LSB first
}

func (r *vorbisBits) read(n int) uint32 {
	var v uint32
	for i := range n {
		p := r.pos + i
		if p>>3 >= len(r.b) {
			r.pos = 8*len(r.b) + 1
			return 0
		}
		v |= uint32(r.b[p>>3]>>(p&7)&1) << i
	}
	r.pos += n
	return v
}

func (r *vorbisBits) over() bool { return r.pos > 8*len(r.b) }

func vorbisILog(x uint32) int {
	n := 0
	for ; x > 0; x >>= 1 {
		n++
	}
	return n
}

// lookup1Values is the greatest r with r^dims ≤ entries.
func lookup1Values(entries, dims uint32) uint32 {
	if dims == 0 {
		return 0
	}
	pow := func(r uint32) uint64 {
		v := uint64(1)
		for range dims {
			v *= uint64(r)
			if v > uint64(entries) {
				return v
			}
		}
		return v
	}
	r := uint32(0)
	for pow(r+1) <= uint64(entries) {
		r++
	}
	return r
}

// vorbisSetupBudget caps what the codebooks may make the library
// allocate, in 4-byte words (Huffman tree plus VQ values); real encoders
// stay far below (libvorbis: tens of thousands).
const vorbisSetupBudget = 8 << 20

var errVorbisSetup = errors.New("vorbis setup header")

// scanVorbisSetup walks the setup header up to the floors. It returns
// the bit offsets just after the partition count of every floor 1 with no
// partitions, and an error for a header that does not parse or whose
// codebooks would make the library allocate more than the budget (their
// sizes are 24- and 16-bit fields it trusts).
func scanVorbisSetup(setup []byte) ([]int, error) {
	bad := fmt.Errorf("%w: %w", ErrMalformed, errVorbisSetup)
	if len(setup) < 7 {
		return nil, bad
	}
	budget := int64(vorbisSetupBudget)
	r := &vorbisBits{b: setup[7:]}
	books := int(r.read(8)) + 1
	for range books {
		if r.read(24) != 0x564342 {
			return nil, bad
		}
		dims := r.read(16)
		entries := r.read(24)
		budget -= 2 * int64(entries)
		if budget < 0 {
			return nil, fmt.Errorf("%w: codebooks over %d words", bad, vorbisSetupBudget)
		}
		if r.read(1) == 0 { // not ordered
			sparse := r.read(1) == 1
			for range entries {
				if !sparse || r.read(1) == 1 {
					r.read(5)
				}
				if r.over() {
					return nil, bad
				}
			}
		} else {
			r.read(5)
			for cur := uint32(0); cur < entries; {
				cur += r.read(vorbisILog(entries - cur))
				if r.over() || cur > entries {
					return nil, bad
				}
			}
		}
		switch lookup := r.read(4); lookup {
		case 0:
		case 1, 2:
			budget -= int64(entries) * int64(dims)
			if budget < 0 {
				return nil, fmt.Errorf("%w: codebooks over %d words", bad, vorbisSetupBudget)
			}
			r.read(32)
			r.read(32)
			bits := uint64(r.read(4)) + 1
			r.read(1)
			n := uint64(lookup1Values(entries, dims))
			if lookup == 2 {
				n = uint64(entries) * uint64(dims)
			}
			if n*bits > uint64(8*len(r.b)) {
				return nil, bad
			}
			r.pos += int(n * bits)
		default:
			return nil, bad
		}
		if r.over() {
			return nil, bad
		}
	}
	for range r.read(6) + 1 { // time domain transforms
		r.read(16)
	}
	var at []int
	floors := int(r.read(6)) + 1
	for range floors {
		switch r.read(16) {
		case 0:
			r.read(8 + 16 + 16 + 6 + 8)
			n := int(r.read(4)) + 1
			r.pos += 8 * n
		case 1:
			parts := int(r.read(5))
			if parts == 0 {
				at = append(at, r.pos)
			}
			var classes [32]uint32
			maxClass := -1
			for i := range parts {
				classes[i] = r.read(4)
				maxClass = max(maxClass, int(classes[i]))
			}
			var dims [16]uint32
			for c := 0; c <= maxClass; c++ {
				dims[c] = r.read(3) + 1
				sub := r.read(2)
				if sub != 0 {
					r.read(8)
				}
				r.pos += 8 << sub
			}
			r.read(2)
			rangeBits := int(r.read(4))
			for i := range parts {
				r.pos += int(dims[classes[i]]) * rangeBits
			}
		default:
			return nil, bad
		}
		if r.over() {
			return nil, bad
		}
	}
	return at, nil
}

// fixVorbisSetup checks setup and returns it with a dummy class
// description inserted after every empty floor partition list (setup
// itself when there is none).
func fixVorbisSetup(setup []byte) ([]byte, error) {
	at, err := scanVorbisSetup(setup)
	if err != nil || len(at) == 0 {
		return setup, err
	}
	const dummy = 13 // 3 bits dimension−1, 2 bits subclass, 8 bits book+1: all zero
	src := &vorbisBits{b: setup[7:]}
	total := 8*len(src.b) + dummy*len(at)
	out := make([]byte, 7+(total+7)/8)
	copy(out, setup[:7])
	dst := out[7:]
	w := 0
	copyBits := func(n int) {
		for range n {
			if src.read(1) == 1 {
				dst[w>>3] |= 1 << (w & 7)
			}
			w++
		}
	}
	for _, p := range at {
		copyBits(p - src.pos)
		w += dummy
	}
	copyBits(8*len(src.b) - src.pos)
	return out, nil
}
