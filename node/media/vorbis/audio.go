package vorbis

import "fmt"

// DecodeInto decodes one audio packet (Vorbis I §4.3) and returns the
// finished samples, interleaved in Vorbis channel order, in out's
// storage (grown only if out is shorter than BufferSize). The first
// packet after the headers or Reset returns none: its first half only
// overlaps the next block. A zero-length packet returns none and keeps
// the state.
func (d *Decoder) DecodeInto(p []byte, out []float32) ([]float32, error) {
	if d.headers < 3 {
		return out[:0], fmt.Errorf("%w: audio packet before the setup header", ErrMalformed)
	}
	if len(p) == 0 {
		return out[:0], nil
	}
	r := &d.r
	r.init(p)
	if r.read(1) != 0 {
		return out[:0], fmt.Errorf("%w: header packet among audio packets", ErrMalformed)
	}
	mi := int(r.read(d.modeBits))
	if mi >= len(d.modes) {
		return out[:0], fmt.Errorf("%w: mode %d of %d", ErrMalformed, mi, len(d.modes))
	}
	md := d.modes[mi]
	n := d.bs[0]
	prevLong, nextLong := false, false
	if md.long {
		n = d.bs[1]
		prevLong, nextLong = r.flag(), r.flag()
	}
	if r.eop {
		return out[:0], fmt.Errorf("%w: audio packet ends in its header", ErrMalformed)
	}
	half := n / 2
	mp := &d.maps[md.mapping]

	// Floors, then which channels carry residue: a coupled pair is
	// decoded whenever either side is used (§4.3.2–3).
	for c := range d.ch {
		fl := d.floors[mp.floor[mp.mux[c]]]
		d.floorUsed[c] = fl.decode(r, d.books, d.ys[c])
		d.skip[c] = !d.floorUsed[c]
	}
	for s := range mp.mag {
		a, b := mp.mag[s], mp.ang[s]
		if !d.skip[a] || !d.skip[b] {
			d.skip[a], d.skip[b] = false, false
		}
	}
	for c := range d.ch {
		clear(d.spec[c][:half])
	}
	for s := range mp.floor {
		d.subVecs, d.subSkip = d.subVecs[:0], d.subSkip[:0]
		for c := range d.ch {
			if int(mp.mux[c]) == s {
				d.subVecs = append(d.subVecs, d.spec[c][:half])
				d.subSkip = append(d.subSkip, d.skip[c])
			}
		}
		if len(d.subVecs) > 0 {
			d.residues[mp.residue[s]].decode(r, d.books, d.subVecs, d.subSkip, half, d.cls)
		}
	}
	// Inverse coupling, last step first (§4.3.5).
	for s := len(mp.mag) - 1; s >= 0; s-- {
		uncouple(d.spec[mp.mag[s]][:half], d.spec[mp.ang[s]][:half])
	}
	for c := range d.ch {
		if d.floorUsed[c] {
			fl := d.floors[mp.floor[mp.mux[c]]]
			fl.apply(d.ys[c], d.spec[c], half)
		} else {
			clear(d.spec[c][:half])
		}
	}
	return d.synthesize(n, md.long, prevLong, nextLong, out), nil
}

// uncouple undoes square-polar coupling (§4.3.5).
func uncouple(mag, ang []float32) {
	ang = ang[:len(mag)]
	for i, m := range mag {
		a := ang[i]
		switch {
		case m > 0 && a > 0:
			ang[i] = m - a
		case m > 0:
			mag[i], ang[i] = m+a, m
		case a > 0:
			ang[i] = m + a
		default:
			mag[i], ang[i] = m-a, m
		}
	}
}

// synthesize runs the IMDCT and window on every channel, overlap-adds the
// first half with the previous block's second half and writes the
// finished samples, from the previous block's centre to this one's
// (§4.3.6–8).
func (d *Decoder) synthesize(n int, long, prevLong, nextLong bool, out []float32) []float32 {
	half := n / 2
	pn := d.prevN
	total := 0
	if pn > 0 {
		total = pn/4 + n/4
	}
	if cap(out) < total*d.ch {
		out = make([]float32, total*d.ch)
	}
	out = out[:total*d.ch]
	// Slopes: a long block next to a short one overlaps over the short
	// block's half, centred on its quarter points.
	ln, rn := half, half
	if long && !prevLong {
		ln = d.bs[0] / 2
	}
	if long && !nextLong {
		rn = d.bs[0] / 2
	}
	lw, rw := d.slopeFor(ln), d.slopeFor(rn)
	ls, rs := n/4-ln/2, 3*n/4-rn/2
	shift := n/4 - pn/4 // this block's index for output sample 0
	for c := range d.ch {
		pcm := d.pcm[:n]
		d.imdct[boolIdx(long)].Transform(d.spec[c], pcm)
		clear(pcm[:ls])
		for i, w := range lw {
			pcm[ls+i] *= w
		}
		r := pcm[rs : rs+rn]
		for i := range r {
			r[i] *= rw[rn-1-i]
		}
		clear(pcm[rs+rn:])
		prev := d.prev[c]
		if total > 0 {
			for i := range total {
				v := float32(0)
				if i < pn/2 {
					v = prev[i]
				}
				if j := i + shift; j >= 0 && j < half {
					v += pcm[j]
				}
				out[i*d.ch+c] = v
			}
		}
		copy(prev, pcm[half:n])
	}
	d.prevN = n
	return out
}

func (d *Decoder) slopeFor(n int) []float32 {
	if n == d.bs[0]/2 {
		return d.win[0]
	}
	return d.win[1]
}

func boolIdx(b bool) int {
	if b {
		return 1
	}
	return 0
}
