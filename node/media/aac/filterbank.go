package aac

import "github.com/audionode/audionode/node/dsp"

// filterbank turns one channel's 1024 spectral coefficients into 1024
// output samples: IMDCT, windowing by sequence and shape, overlap-add
// (ISO 14496-3 §4.6.11.3).
type filterbank struct {
	long, short *dsp.IMDCT
	buf         [2048]float32 // windowed IMDCT output of this frame
	tmp         [256]float32
}

func newFilterbank() *filterbank {
	return &filterbank{long: dsp.NewIMDCT(2048, 2.0/2048), short: dsp.NewIMDCT(256, 2.0/256)}
}

// channelState is what a channel carries from frame to frame.
type channelState struct {
	overlap   [1024]float32
	prevShape int
}

// synth windows spec (1024 values; eight interleaved groups of 128 for short
// windows, in window order) and writes 1024 samples to out.
func (f *filterbank) synth(st *channelState, spec []float32, seq, shape int, out []float32) {
	b := f.buf[:]
	lw, rw := &longWin[st.prevShape], &longWin[shape]
	ls, rs := &shortWin[st.prevShape], &shortWin[shape]
	switch seq {
	case eightShort:
		clear(b)
		for j := 0; j < 8; j++ {
			f.short.Transform(spec[128*j:128*j+128], f.tmp[:])
			left := &shortWin[shape]
			if j == 0 {
				left = ls
			}
			o := b[448+128*j:]
			for n := 0; n < 128; n++ {
				o[n] += f.tmp[n] * left[n]
				o[128+n] += f.tmp[128+n] * rs[127-n]
			}
		}
	default:
		f.long.Transform(spec[:1024], b)
		switch seq {
		case onlyLong, longStart:
			for n := 0; n < 1024; n++ {
				b[n] *= lw[n]
			}
		case longStop:
			clear(b[:448])
			for n := 0; n < 128; n++ {
				b[448+n] *= ls[n]
			}
		}
		switch seq {
		case onlyLong, longStop:
			for n := 0; n < 1024; n++ {
				b[1024+n] *= rw[1023-n]
			}
		case longStart:
			for n := 0; n < 128; n++ {
				b[1472+n] *= rs[127-n]
			}
			clear(b[1600:])
		}
	}
	for n := 0; n < 1024; n++ {
		out[n] = st.overlap[n] + b[n]
	}
	copy(st.overlap[:], b[1024:])
	st.prevShape = shape
}
