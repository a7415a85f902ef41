package media

// mkvAU is the auSource of an A_AAC Matroska track: blocks carry
// millisecond timestamps (on mkvOpus's 48 kHz granule timeline); laced
// frames after a block's first follow it by one frame each.
type mkvAU struct {
	m    *mkvOpus
	step int64 // one access unit in granules
	prev int64
}

func (a *mkvAU) timescale() int64 { return 48000 }

func (a *mkvAU) next() ([]byte, int64, error) {
	p, start, err := a.m.next()
	if err != nil {
		return nil, 0, err
	}
	if start < 0 {
		start = a.prev + a.step
	}
	a.prev = start
	return p, start, nil
}

func (a *mkvAU) seek(g int64) (int64, error) {
	got, err := a.m.seek(g)
	a.prev = got - a.step
	return got, err
}

// openMkvAAC decodes an A_AAC track (CodecPrivate = AudioSpecificConfig).
func openMkvAAC(m *mkvOpus) (pcmDecoder, error) {
	rate, ch, ok := ascRate(m.aacPriv)
	if !ok {
		return nil, errMalformedASC
	}
	src := &mkvAU{m: m, step: 1024 * 48000 / int64(rate)}
	info := trackInfo{codec: codecAAC, config: m.aacPriv, rate: rate, channels: ch}
	end := int64(-1)
	if m.last >= 0 {
		end = m.last
	}
	pcm, _, err := openPayload(src, info, end)
	return pcm, err
}
