package media

import (
	"encoding/binary"
	"fmt"
)

// parseSampleTable expands stsz/stz2, stsc, stco/co64 and stts into one
// offset, size and timestamp per sample. Every count is checked against
// the bytes of its box before anything is allocated.
func (t *mp4Track) parseSampleTable(stbl []byte, fileSize int64) error {
	n, sizeOf, err := parseStsz(stbl)
	if err != nil {
		return err
	}
	// Every sample takes at least a byte of the file.
	if fileSize >= 0 && int64(n) > fileSize {
		return fmt.Errorf("%w: %d samples in a file of %d bytes", ErrMalformed, n, fileSize)
	}
	if n == 0 {
		return nil // fragmented: the samples are in moof boxes
	}
	// Chunk offsets.
	var chunks []int64
	if b := findBox(stbl, boxStco); b != nil {
		r := be{b: b}
		r.take(4)
		c := int(r.u32())
		if r.bad || c > len(r.b)/4 {
			return fmt.Errorf("%w: stco count %d", ErrMalformed, c)
		}
		chunks = make([]int64, c)
		for i := range chunks {
			chunks[i] = int64(r.u32())
		}
	} else if b := findBox(stbl, boxCo64); b != nil {
		r := be{b: b}
		r.take(4)
		c := int(r.u32())
		if r.bad || c > len(r.b)/8 {
			return fmt.Errorf("%w: co64 count %d", ErrMalformed, c)
		}
		chunks = make([]int64, c)
		for i := range chunks {
			chunks[i] = int64(r.u64() & (1<<62 - 1))
		}
	} else {
		return fmt.Errorf("%w: MP4 track without chunk offsets", ErrMalformed)
	}
	stsc := findBox(stbl, boxStsc)
	sr := be{b: stsc}
	sr.take(4)
	runs := int(sr.u32())
	if sr.bad || runs > len(sr.b)/12 || runs == 0 {
		return fmt.Errorf("%w: stsc count %d", ErrMalformed, runs)
	}
	t.off = make([]int64, n)
	t.size = make([]uint32, n)
	s := 0
	for i := 0; i < runs && s < n; i++ {
		first := int64(sr.u32())
		per := int64(sr.u32())
		sr.u32()
		last := int64(len(chunks)) // chunks of this run: first..last (1-based)
		if i+1 < runs {
			last = int64(binary.BigEndian.Uint32(sr.b)) - 1
		}
		if first < 1 || per < 1 || per > int64(n) {
			return fmt.Errorf("%w: stsc entry %d", ErrMalformed, i)
		}
		for c := first; c <= last && c <= int64(len(chunks)) && s < n; c++ {
			off := chunks[c-1]
			for k := int64(0); k < per && s < n; k++ {
				t.off[s] = off
				t.size[s] = sizeOf(s)
				off += int64(t.size[s])
				s++
			}
		}
	}
	if s < n {
		return fmt.Errorf("%w: chunks hold %d of %d samples", ErrMalformed, s, n)
	}
	// Decoding times.
	tr := be{b: findBox(stbl, boxStts)}
	tr.take(4)
	entries := int(tr.u32())
	if tr.bad || entries > len(tr.b)/8 || entries == 0 {
		return fmt.Errorf("%w: stts count %d", ErrMalformed, entries)
	}
	t.dts = make([]int64, n+1)
	s = 0
	delta := int64(0)
	for i := 0; i < entries && s < n; i++ {
		count := int(tr.u32())
		delta = int64(tr.u32())
		for k := 0; k < count && s < n; k++ {
			t.dts[s+1] = t.dts[s] + delta
			s++
		}
	}
	for ; s < n; s++ { // a short stts repeats its last delta
		t.dts[s+1] = t.dts[s] + delta
	}
	return nil
}

// parseStsz returns the sample count and a function giving each size.
func parseStsz(stbl []byte) (int, func(int) uint32, error) {
	if b := findBox(stbl, boxStsz); b != nil {
		r := be{b: b}
		r.take(4)
		fixed := r.u32()
		n := int(r.u32())
		if r.bad || n > maxSamples || (fixed == 0 && n > len(r.b)/4) {
			return 0, nil, fmt.Errorf("%w: stsz count %d", ErrMalformed, n)
		}
		if fixed != 0 {
			return n, func(int) uint32 { return fixed }, nil
		}
		tab := r.b
		return n, func(i int) uint32 { return binary.BigEndian.Uint32(tab[4*i:]) }, nil
	}
	if b := findBox(stbl, boxStz2); b != nil {
		r := be{b: b}
		r.take(7)
		field := int(r.u8())
		n := int(r.u32())
		if r.bad || n > maxSamples || (field != 4 && field != 8 && field != 16) || n > len(r.b)*8/field {
			return 0, nil, fmt.Errorf("%w: stz2 count %d, field %d", ErrMalformed, n, field)
		}
		tab := r.b
		return n, func(i int) uint32 {
			switch field {
			case 4:
				return uint32(tab[i/2]>>(4*(1-i%2))) & 15
			case 8:
				return uint32(tab[i])
			}
			return uint32(binary.BigEndian.Uint16(tab[2*i:]))
		}, nil
	}
	return 0, nil, fmt.Errorf("%w: MP4 track without sample sizes", ErrMalformed)
}
