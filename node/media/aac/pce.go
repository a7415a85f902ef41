package aac

import "fmt"

// pce is a program_config_element (ISO 14496-3 §4.4.1.1), reduced to what
// the downmix needs.
type pce struct {
	front, side, back pceList
	lfe               int
}

// pceList holds up to 15 elements (4-bit counts) without allocating.
type pceList struct {
	n    int
	elem [15]pceElem
}

type pceElem struct {
	cpe bool
	tag int
}

func (p pce) channels() int {
	n := p.lfe
	for _, l := range [...]*pceList{&p.front, &p.side, &p.back} {
		for _, e := range l.elem[:l.n] {
			n++
			if e.cpe {
				n++
			}
		}
	}
	return n
}

func parsePCE(br *bitReader) (pce, error) {
	var p pce
	br.skip(4 + 2 + 4) // element_instance_tag, object_type, sampling_frequency_index
	nf := int(br.read(4))
	ns := int(br.read(4))
	nb := int(br.read(4))
	nl := int(br.read(2))
	na := int(br.read(3))
	nc := int(br.read(4))
	if br.read1() {
		br.skip(4) // mono mixdown
	}
	if br.read1() {
		br.skip(4) // stereo mixdown
	}
	if br.read1() {
		br.skip(3) // matrix mixdown
	}
	for _, l := range [...]struct {
		list *pceList
		n    int
	}{{&p.front, nf}, {&p.side, ns}, {&p.back, nb}} {
		l.list.n = l.n
		for i := range l.n {
			l.list.elem[i].cpe = br.read1()
			l.list.elem[i].tag = int(br.read(4))
		}
	}
	p.lfe = nl
	br.skip(4*nl + 4*na + 5*nc)
	br.align()
	br.skip(8 * int(br.read(8))) // comment
	if br.overrun() {
		return p, fmt.Errorf("%w: program config element is short", ErrMalformed)
	}
	return p, nil
}
