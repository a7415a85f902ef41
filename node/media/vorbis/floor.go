package vorbis

import (
	"fmt"
	"math"
	"slices"
)

// floor1 is a floor of type 1 (Vorbis I §7): a piecewise-linear curve in
// dB through points whose amplitudes each packet codes.
type floor1 struct {
	partClass []uint8 // class of each partition
	classDim  [16]uint8
	classSub  [16]uint8 // log2 of the subclass count
	master    [16]int16
	subBooks  [16][8]int16 // -1: the value is 0
	mult      int32
	rangeBits uint
	xs        []int32 // X list: 0, 2^rangebits, then each partition's
	order     []uint8 // indices into xs, by increasing X
	low, high []uint8 // §9.2.4 neighbours of each point (from index 2)
	// Scratch for rendering, sized with xs.
	finalY []int32
	step2  []bool
}

// floor1Ranges is the amplitude range for each multiplier (§7.2.4).
var floor1Ranges = [4]int32{256, 128, 86, 64}

// inverseDB is floor1_inverse_dB_table (§10.1): 256 steps covering
// about 140 dB, step i giving 10^(7(i−255)/256); TestInverseDB checks it
// against values printed in the spec.
var inverseDB = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(math.Pow(10, 7*float64(i-255)/256))
	}
	return t
}()

// parseFloor1 reads a floor 1 configuration (§7.2.2).
func parseFloor1(r *bitReader, nbooks int, b *budget) (*floor1, error) {
	f := &floor1{}
	parts := int(r.read(5))
	f.partClass = make([]uint8, parts)
	maxClass := -1
	for i := range f.partClass {
		f.partClass[i] = uint8(r.read(4))
		maxClass = max(maxClass, int(f.partClass[i]))
	}
	bad := func(book int) bool { return book >= nbooks }
	for c := 0; c <= maxClass; c++ {
		f.classDim[c] = uint8(r.read(3) + 1)
		f.classSub[c] = uint8(r.read(2))
		f.master[c] = -1
		if f.classSub[c] > 0 {
			f.master[c] = int16(r.read(8))
			if bad(int(f.master[c])) {
				return nil, fmt.Errorf("%w: floor 1 master book %d of %d", ErrMalformed, f.master[c], nbooks)
			}
		}
		for j := range 1 << f.classSub[c] {
			f.subBooks[c][j] = int16(r.read(8)) - 1
			if bad(int(f.subBooks[c][j])) {
				return nil, fmt.Errorf("%w: floor 1 subclass book %d of %d", ErrMalformed, f.subBooks[c][j], nbooks)
			}
		}
	}
	f.mult = int32(r.read(2)) + 1
	f.rangeBits = uint(r.read(4))
	n := 2
	for _, c := range f.partClass {
		n += int(f.classDim[c])
	}
	if err := b.take(n*(4+1+1+1+4+4+1), "floor 1"); err != nil {
		return nil, err
	}
	f.xs = make([]int32, 2, n)
	f.xs[1] = 1 << f.rangeBits
	for _, c := range f.partClass {
		for range f.classDim[c] {
			f.xs = append(f.xs, int32(r.read(f.rangeBits)))
		}
	}
	if r.eop {
		return nil, fmt.Errorf("%w: setup header ends inside a floor", ErrMalformed)
	}
	f.order = make([]uint8, n)
	for i := range f.order {
		f.order[i] = uint8(i)
	}
	slices.SortFunc(f.order, func(a, b uint8) int { return int(f.xs[a]) - int(f.xs[b]) })
	for i := 1; i < n; i++ {
		if f.xs[f.order[i]] == f.xs[f.order[i-1]] {
			return nil, fmt.Errorf("%w: floor 1 X list repeats %d", ErrMalformed, f.xs[f.order[i]])
		}
	}
	f.low, f.high = make([]uint8, n), make([]uint8, n)
	for i := 2; i < n; i++ {
		lo, hi := 0, 1 // X = 0 and X = 2^rangebits bound every point
		for j := 0; j < i; j++ {
			if x := f.xs[j]; x < f.xs[i] && x > f.xs[lo] {
				lo = j
			} else if x > f.xs[i] && x < f.xs[hi] {
				hi = j
			}
		}
		f.low[i], f.high[i] = uint8(lo), uint8(hi)
	}
	f.finalY = make([]int32, n)
	f.step2 = make([]bool, n)
	return f, nil
}

// decode reads one channel's floor (§7.2.3) into ys and reports whether
// the channel is used; the end of the packet leaves it unused.
func (f *floor1) decode(r *bitReader, books []codebook, ys []int32) bool {
	if !r.flag() {
		return false
	}
	yb := ilog(uint32(floor1Ranges[f.mult-1] - 1))
	ys[0] = int32(r.read(yb))
	ys[1] = int32(r.read(yb))
	off := 2
	for _, c := range f.partClass {
		dim := int(f.classDim[c])
		bitsN := f.classSub[c]
		mask := 1<<bitsN - 1
		cval := 0
		if bitsN > 0 {
			cval = books[f.master[c]].decode(r)
			if cval < 0 {
				return false
			}
		}
		for j := range dim {
			book := f.subBooks[c][cval&mask]
			cval >>= bitsN
			ys[off+j] = 0
			if book >= 0 {
				v := books[book].decode(r)
				if v < 0 {
					return false
				}
				ys[off+j] = int32(v)
			}
		}
		off += dim
	}
	return !r.eop
}

// apply computes the curve from ys (§7.2.4) and multiplies the first n
// values of spec by it.
func (f *floor1) apply(ys []int32, spec []float32, n int) {
	rng := floor1Ranges[f.mult-1]
	fy, step2 := f.finalY, f.step2
	fy[0], fy[1] = ys[0], ys[1]
	step2[0], step2[1] = true, true
	for i := 2; i < len(f.xs); i++ {
		lo, hi := f.low[i], f.high[i]
		pred := renderPoint(f.xs[lo], fy[lo], f.xs[hi], fy[hi], f.xs[i])
		v := ys[i]
		highRoom, lowRoom := rng-pred, pred
		room := min(highRoom, lowRoom) * 2
		if v == 0 {
			step2[i] = false
			fy[i] = pred
			continue
		}
		step2[lo], step2[hi], step2[i] = true, true, true
		switch {
		case v >= room && highRoom > lowRoom:
			fy[i] = v - lowRoom + pred
		case v >= room:
			fy[i] = pred - v + highRoom - 1
		case v&1 == 1:
			fy[i] = pred - (v+1)/2
		default:
			fy[i] = pred + v/2
		}
	}
	spec = spec[:n]
	lx, ly := int32(0), clampDB(fy[f.order[0]]*f.mult)
	hx, hy := lx, ly
	for _, i := range f.order[1:] {
		if !step2[i] {
			continue
		}
		hx, hy = f.xs[i], clampDB(fy[i]*f.mult)
		renderLine(lx, ly, hx, hy, spec)
		lx, ly = hx, hy
	}
	if int(hx) < n {
		for x := int(hx); x < n; x++ {
			spec[x] *= inverseDB[hy]
		}
	}
}

func clampDB(y int32) int32 { return min(max(y, 0), 255) }

// renderPoint is the spec's render_point (§9.2.6).
func renderPoint(x0, y0, x1, y1, x int32) int32 {
	dy := y1 - y0
	adx := x1 - x0
	ady := dy
	if ady < 0 {
		ady = -ady
	}
	if adx <= 0 {
		return y0
	}
	off := ady * (x - x0) / adx
	if dy < 0 {
		return y0 - off
	}
	return y0 + off
}

// renderLine multiplies spec[x0:x1] (clipped to spec) by the dB values of
// the spec's integer line from (x0, y0) to (x1, y1) (§9.2.7).
func renderLine(x0, y0, x1, y1 int32, spec []float32) {
	dy := y1 - y0
	adx := x1 - x0
	if adx <= 0 {
		return
	}
	ady := dy
	if ady < 0 {
		ady = -ady
	}
	base := dy / adx
	sy := base + 1
	if dy < 0 {
		sy = base - 1
	}
	abase := base
	if abase < 0 {
		abase = -abase
	}
	ady -= abase * adx
	end := min(int(x1), len(spec))
	x, y, e := int(x0), y0, int32(0)
	if x >= end {
		return
	}
	spec[x] *= inverseDB[y]
	for x++; x < end; x++ {
		e += ady
		if e >= adx {
			e -= adx
			y += sy
		} else {
			y += base
		}
		spec[x] *= inverseDB[y]
	}
}
