package media

import "sort"

// sidxRef is one media subsegment of a segment index (ISO/IEC 14496-12
// §8.16.3): where its first moof is and when it starts (track timescale).
type sidxRef struct {
	off int64
	ts  int64
}

// loadSidx reads a segment index placed between moov and the first moof.
// Any problem leaves the index empty: seeking then walks the moofs.
func (m *mp4) loadSidx() {
	defer func() {
		_ = m.in.seek(m.first)
	}()
	for {
		start := m.in.pos
		typ, size, hdr, err := readBoxHeader(m.in)
		if err != nil || size < 0 || typ == boxMoof || typ == boxMdat {
			return
		}
		if typ != boxSidx {
			if m.in.skip(size-int64(hdr)) != nil {
				return
			}
			continue
		}
		if size > 1<<20 {
			return
		}
		body, err := readBody(m.in, size-int64(hdr), nil)
		if err != nil {
			return
		}
		m.sidx = parseSidx(body, start+size, m.t.id, m.t.timescale)
		return
	}
}

// parseSidx lists the media references of a sidx body whose box ends at
// anchor; nil when it indexes another track or other indexes.
func parseSidx(b []byte, anchor int64, track uint32, scale int64) []sidxRef {
	r := be{b: b}
	v := r.u8()
	r.take(3)
	if r.u32() != track {
		return nil
	}
	sc := int64(r.u32())
	ept := int64(r.uv(v) & (1<<62 - 1))
	off := anchor + int64(r.uv(v)&(1<<40-1))
	r.u16()
	n := int(r.u16())
	if r.bad || sc <= 0 || n > len(r.b)/12 {
		return nil
	}
	refs := make([]sidxRef, 0, n)
	t := ept
	for range n {
		size := r.u32()
		dur := int64(r.u32())
		r.u32()
		if size>>31 != 0 || t > 1<<40 { // a reference to another sidx
			return nil
		}
		refs = append(refs, sidxRef{off: off, ts: t * scale / sc})
		off += int64(size)
		t += dur
	}
	if !sort.SliceIsSorted(refs, func(i, j int) bool { return refs[i].ts < refs[j].ts }) {
		return nil
	}
	return refs
}
