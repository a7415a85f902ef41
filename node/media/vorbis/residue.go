package vorbis

import "fmt"

// residue is a residue configuration (Vorbis I §8): the spectral fine
// structure, VQ-coded in partitions whose classification picks a book
// per pass.
type residue struct {
	kind      int // 0, 1 or 2
	begin     int
	end       int
	psize     int
	classes   int
	classbook int
	books     [][8]int16 // per classification and pass; -1 none
}

// parseResidue reads a residue configuration (§8.6.1) and checks its
// books against the codebooks read before it.
func parseResidue(r *bitReader, kind int, books []codebook, b *budget) (*residue, error) {
	res := &residue{kind: kind}
	res.begin = int(r.read(24))
	res.end = int(r.read(24))
	res.psize = int(r.read(24)) + 1
	res.classes = int(r.read(6)) + 1
	res.classbook = int(r.read(8))
	if res.classbook >= len(books) {
		return nil, fmt.Errorf("%w: residue classbook %d of %d", ErrMalformed, res.classbook, len(books))
	}
	var cascade [64]uint8
	for i := range res.classes {
		lo := r.read(3)
		hi := uint32(0)
		if r.flag() {
			hi = r.read(5)
		}
		cascade[i] = uint8(hi<<3 | lo)
	}
	if err := b.take(16*res.classes, "residue books"); err != nil {
		return nil, err
	}
	res.books = make([][8]int16, res.classes)
	for i := range res.books {
		for p := range 8 {
			res.books[i][p] = -1
			if cascade[i]>>p&1 == 0 {
				continue
			}
			k := int(r.read(8))
			if k >= len(books) {
				return nil, fmt.Errorf("%w: residue book %d of %d", ErrMalformed, k, len(books))
			}
			if books[k].values == nil {
				return nil, fmt.Errorf("%w: residue book %d has no VQ lookup", ErrMalformed, k)
			}
			// Partitions hold whole vectors in libvorbis streams; refusing
			// others keeps every write inside the partition.
			if res.psize%books[k].dim != 0 {
				return nil, fmt.Errorf("%w: residue partition of %d with a book of dimension %d", ErrUnsupported, res.psize, books[k].dim)
			}
			res.books[i][p] = int16(k)
		}
	}
	return res, nil
}

// decode reads the residue vectors of one submap (§8.6.2): vecs are its
// channels' spectra (n values each, zeroed by the caller), skip marks
// the channels not to decode, cls is scratch for the classifications.
func (res *residue) decode(r *bitReader, books []codebook, vecs [][]float32, skip []bool, n int, cls [][]uint8) {
	size := n
	nv := len(vecs)
	if res.kind == 2 {
		size *= len(vecs)
		all := true
		for _, s := range skip {
			all = all && s
		}
		if all {
			return
		}
		nv = 1 // one interleaved vector
	}
	lb, le := min(res.begin, size), min(res.end, size)
	parts := (le - lb) / res.psize
	if parts <= 0 {
		return
	}
	cb := &books[res.classbook]
	for pass := range 8 {
		for p := 0; p < parts; {
			if pass == 0 {
				for j := range nv {
					if res.kind != 2 && skip[j] {
						continue
					}
					t := cb.decode(r)
					if t < 0 {
						return
					}
					row := cls[j][p : p+cb.dim]
					for i := cb.dim - 1; i >= 0; i-- {
						row[i] = uint8(t % res.classes)
						t /= res.classes
					}
				}
			}
			for i := 0; i < cb.dim && p < parts; i++ {
				off := lb + p*res.psize
				for j := range nv {
					if res.kind != 2 && skip[j] {
						continue
					}
					k := res.books[cls[j][p]][pass]
					if k < 0 {
						continue
					}
					bk := &books[k]
					var ok bool
					switch res.kind {
					case 0:
						ok = res.partition0(r, bk, vecs[j][off:off+res.psize])
					case 1:
						ok = res.partition1(r, bk, vecs[j][off:off+res.psize])
					default:
						ok = res.partition2(r, bk, vecs, off)
					}
					if !ok {
						return
					}
				}
				p++
			}
		}
	}
}

// partition0 adds one partition whose vectors are interleaved with a
// stride (format 0).
func (res *residue) partition0(r *bitReader, bk *codebook, v []float32) bool {
	step := len(v) / bk.dim
	for j := range step {
		vec := bk.vector(r)
		if vec == nil {
			return false
		}
		for k, x := range vec {
			v[j+k*step] += x
		}
	}
	return true
}

// partition1 adds one partition of consecutive vectors (format 1).
func (res *residue) partition1(r *bitReader, bk *codebook, v []float32) bool {
	for i := 0; i < len(v); i += bk.dim {
		vec := bk.vector(r)
		if vec == nil {
			return false
		}
		w := v[i : i+len(vec)]
		for k, x := range vec {
			w[k] += x
		}
	}
	return true
}

// partition2 is format 1 on the channels interleaved into one vector:
// position p belongs to channel p mod c, index p / c.
func (res *residue) partition2(r *bitReader, bk *codebook, vecs [][]float32, off int) bool {
	c := len(vecs)
	ch, idx := off%c, off/c
	if c == 2 {
		a, b := vecs[0], vecs[1]
		for i := 0; i < res.psize; i += bk.dim {
			vec := bk.vector(r)
			if vec == nil {
				return false
			}
			for _, x := range vec {
				if ch == 0 {
					a[idx] += x
					ch = 1
				} else {
					b[idx] += x
					ch = 0
					idx++
				}
			}
		}
		return true
	}
	for i := 0; i < res.psize; i += bk.dim {
		vec := bk.vector(r)
		if vec == nil {
			return false
		}
		for _, x := range vec {
			vecs[ch][idx] += x
			ch++
			if ch == c {
				ch = 0
				idx++
			}
		}
	}
	return true
}
