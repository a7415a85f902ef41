package media

// Speaker positions, numbered as the bits of a WAVE_FORMAT_EXTENSIBLE
// channel mask (the order every RIFF/FLAC file stores its channels in).
const (
	spFL  = 0
	spFR  = 1
	spFC  = 2
	spLFE = 3
	spBL  = 4
	spBR  = 5
	spFLC = 6
	spFRC = 7
	spBC  = 8
	spSL  = 9
	spSR  = 10
	// 11–17 are the top speakers; unknown is any channel beyond the mask.
	spTC      = 11
	spTFL     = 12
	spTFC     = 13
	spTFR     = 14
	spTBL     = 15
	spTBC     = 16
	spTBR     = 17
	spUnknown = 31
)

// Default layouts when a file names none: the WAVE/FLAC defaults (FLAC
// format §9.1.3) and the Vorbis I §4.3.9 order, which puts the centre
// second and LFE last.
var (
	waveLayouts = [9][]int{
		1: {spFC},
		2: {spFL, spFR},
		3: {spFL, spFR, spFC},
		4: {spFL, spFR, spBL, spBR},
		5: {spFL, spFR, spFC, spBL, spBR},
		6: {spFL, spFR, spFC, spLFE, spBL, spBR},
		7: {spFL, spFR, spFC, spLFE, spBC, spSL, spSR},
		8: {spFL, spFR, spFC, spLFE, spBL, spBR, spSL, spSR},
	}
	vorbisLayouts = [9][]int{
		1: {spFC},
		2: {spFL, spFR},
		3: {spFL, spFC, spFR},
		4: {spFL, spFR, spBL, spBR},
		5: {spFL, spFC, spFR, spBL, spBR},
		6: {spFL, spFC, spFR, spBL, spBR, spLFE},
		7: {spFL, spFC, spFR, spSL, spSR, spBC, spLFE},
		8: {spFL, spFC, spFR, spSL, spSR, spBL, spBR, spLFE},
	}
)

// layoutFromMask lists the positions of a channel mask's set bits in order,
// padding with spUnknown when the file has more channels than bits.
func layoutFromMask(mask uint32, channels int) []int {
	pos := make([]int, 0, channels)
	for b := 0; b < 32 && len(pos) < channels; b++ {
		if mask&(1<<b) != 0 {
			pos = append(pos, b)
		}
	}
	for len(pos) < channels {
		pos = append(pos, spUnknown)
	}
	return pos
}

// defaultLayout is the layout of a file that names none (nil beyond 8
// channels: those mix by the first two channels only).
func defaultLayout(channels int, vorbis bool) []int {
	if channels < 1 || channels > 8 {
		return nil
	}
	if vorbis {
		return vorbisLayouts[channels]
	}
	return waveLayouts[channels]
}

// mixer folds interleaved multichannel PCM into stereo with the
// ITU-R BS.775 coefficients: fronts at 1, centre and surrounds at −3 dB,
// LFE dropped. The gains are then scaled so that the louder output side
// sums to 1, so a full-scale input in every channel cannot clip (the
// same normalisation ffmpeg's default downmix uses). Mono is copied to
// both sides and stereo passes unchanged.
type mixer struct {
	ch     int
	gl, gr []float32
}

const minus3dB = 0.70710677

func newMixer(layout []int, channels int) *mixer {
	m := &mixer{ch: channels}
	if channels <= 2 {
		return m
	}
	m.gl, m.gr = make([]float32, channels), make([]float32, channels)
	if layout == nil {
		m.gl[0], m.gr[1] = 1, 1
		return m
	}
	var sl, sr float32
	for c, p := range layout[:channels] {
		var l, r float32
		switch p {
		case spFL:
			l = 1
		case spFR:
			r = 1
		case spFC, spTC, spTFC:
			l, r = minus3dB, minus3dB
		case spBL, spSL, spFLC, spTFL, spTBL:
			l = minus3dB
		case spBR, spSR, spFRC, spTFR, spTBR:
			r = minus3dB
		case spBC, spTBC:
			// One rear speaker split over both surrounds: −3 dB each,
			// then −3 dB as a surround.
			l, r = 0.5, 0.5
		}
		m.gl[c], m.gr[c] = l, r
		sl += l
		sr += r
	}
	if norm := max(sl, sr); norm > 0 {
		for c := range m.gl {
			m.gl[c] /= norm
			m.gr[c] /= norm
		}
	}
	return m
}

// mix converts n frames of src (interleaved, m.ch channels) into stereo
// dst.
func (m *mixer) mix(dst, src []float32, n int) {
	switch m.ch {
	case 1:
		for i, v := range src[:n] {
			dst[2*i], dst[2*i+1] = v, v
		}
	case 2:
		copy(dst[:2*n], src[:2*n])
	default:
		ch := m.ch
		gl, gr := m.gl[:ch], m.gr[:ch]
		for i := range n {
			f := src[i*ch : i*ch+ch]
			var l, r float32
			for c, v := range f {
				l += gl[c] * v
				r += gr[c] * v
			}
			dst[2*i], dst[2*i+1] = l, r
		}
	}
}
