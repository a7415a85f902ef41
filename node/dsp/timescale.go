package dsp

import "math"

// The timescale stage: WSOLA time-stretching (tempo = speed/pitch, pitch
// kept) followed by the resampler (ratio pitch·rate), as SoundTouch splits
// lavadsp's timescale. Output duration is input/(speed·rate) and
// frequencies scale by pitch·rate.
const (
	tsSeq     = 1920 // 40 ms sequence
	tsOverlap = 384  // 8 ms crossfade between sequences
	tsSeek    = 720  // 15 ms search window for the best splice
	tsInCap   = tsSeq + tsSeek + 2*chunkFrames
	tsMidCap  = tsSeq
)

type timescaleStage struct {
	tempo float64
	rs    *Resampler
	useRS bool

	in   []float32 // interleaved stereo input not yet consumed
	nIn  int       // frames in in
	skip float64   // fractional input position of the next sequence
	// owed counts input frames a large tempo skipped past the buffer's
	// end; write discards them as they arrive.
	owed int

	tail    []float32 // the previous sequence's last tsOverlap frames
	primed  bool
	aligned bool      // tail is exactly the input at s.in[0]
	mid     []float32 // stretched audio waiting for the resampler
	midOff  int       // frames of mid already consumed
	midN    int       // frames in mid
	fadeWin []float32 // crossfade ramp, tsOverlap long
}

func newTimescale(t Timescale, q Quality) *timescaleStage {
	s := &timescaleStage{
		in:      make([]float32, 2*tsInCap),
		tail:    make([]float32, 2*tsOverlap),
		mid:     make([]float32, 2*tsMidCap),
		fadeWin: make([]float32, tsOverlap),
	}
	for i := range s.fadeWin {
		// Equal-power would boost correlated material; linear suits the
		// well-aligned splices WSOLA picks.
		s.fadeWin[i] = float32(i) / tsOverlap
	}
	s.rs, _ = NewResampler(48000, 48000, q)
	s.set(t)
	return s
}

// set changes the parameters mid-stream; the next sequence uses them.
func (s *timescaleStage) set(t Timescale) {
	s.tempo = t.Speed / t.Pitch
	ratio := t.Pitch * t.Rate
	if ratio != 1 {
		if !s.useRS {
			s.rs.Reset()
		}
		// Validated ranges keep the ratio within the resampler's bounds.
		_ = s.rs.SetRatio(48000*ratio, 48000)
	}
	s.useRS = ratio != 1
}

// free returns how many input frames write accepts now.
func (s *timescaleStage) free() int { return tsInCap - s.nIn + s.owed }

// write buffers input (at most free() frames), first discarding any
// frames a skip still owes.
func (s *timescaleStage) write(in []float32) {
	in = in[:len(in)&^1]
	d := min(s.owed, len(in)/2)
	s.owed -= d
	in = in[2*d:]
	k := min(len(in), 2*(tsInCap-s.nIn))
	copy(s.in[2*s.nIn:], in[:k])
	s.nIn += k / 2
}

// read writes stretched, resampled output from buffered input and returns
// the samples written.
func (s *timescaleStage) read(out []float32) int {
	out = out[:len(out)&^1]
	n := 0
	for n < len(out) {
		if s.midOff < s.midN {
			src := s.mid[2*s.midOff : 2*s.midN]
			var a, b int
			if s.useRS {
				a, b = s.rs.Process(src, out[n:])
			} else {
				b = copy(out[n:], src)
				a = b
			}
			s.midOff += a / 2
			n += b
			if a == 0 && b == 0 {
				break
			}
			continue
		}
		if s.useRS {
			// The resampler may hold output for input it buffered.
			if _, b := s.rs.Process(nil, out[n:]); b > 0 {
				n += b
				continue
			}
		}
		if !s.stretch() {
			break
		}
	}
	return n
}

// stretch emits tsSeq−tsOverlap frames into mid if input allows.
func (s *timescaleStage) stretch() bool {
	if !s.primed {
		if s.nIn < tsOverlap {
			return false
		}
		// The first sequence then crossfades these frames with themselves,
		// so the stream starts exactly at its first input frame.
		copy(s.tail, s.in[:2*tsOverlap])
		s.primed = true
		s.aligned = true
	}
	if s.nIn < tsSeq+tsSeek {
		return false
	}
	// At tempo 1 the tail is exactly the next input once aligned, so no
	// search is needed and the stage is an identity; right after a tempo
	// change it is not, and one search realigns it.
	off := 0
	if s.tempo != 1 || !s.aligned {
		off = s.bestOffset()
	}
	seg := s.in[2*off:]
	mid := s.mid[:2*(tsSeq-tsOverlap)]
	// Crossfade the previous tail into the new segment's start.
	for i := range tsOverlap {
		w := s.fadeWin[i]
		mid[2*i] = s.tail[2*i] + w*(seg[2*i]-s.tail[2*i])
		mid[2*i+1] = s.tail[2*i+1] + w*(seg[2*i+1]-s.tail[2*i+1])
	}
	copy(mid[2*tsOverlap:], seg[2*tsOverlap:2*(tsSeq-tsOverlap)])
	copy(s.tail, seg[2*(tsSeq-tsOverlap):2*tsSeq])
	s.midOff, s.midN = 0, tsSeq-tsOverlap
	// Advance by the nominal skip. At tempo 1 that is exactly where the
	// tail came from, so the crossfade mixes identical audio: identity.
	var adv int
	if s.tempo == 1 {
		// Continue from the splice actually taken, not the nominal one.
		adv = off + tsSeq - tsOverlap
		s.skip = 0
		s.aligned = true
	} else {
		s.skip += s.tempo * (tsSeq - tsOverlap)
		adv = int(s.skip)
		s.skip -= float64(adv)
		s.aligned = false
	}
	s.drop(adv)
	return true
}

// drop discards n input frames; what is not buffered yet is owed.
func (s *timescaleStage) drop(n int) {
	if n > s.nIn {
		s.owed += n - s.nIn
		n = s.nIn
	}
	copy(s.in, s.in[2*n:2*s.nIn])
	s.nIn -= n
}

// bestOffset finds where in the seek window the input continues the tail
// most alike (normalised cross-correlation on the mono sum, coarse then
// fine), so the splice keeps the waveform's phase.
func (s *timescaleStage) bestOffset() int {
	// The window starts at the nominal position (s.in[0]) and reaches
	// tsSeek frames forward, as SoundTouch's does.
	corr := func(off, stride int) float64 {
		var c, e float64
		x := s.in[2*off : 2*(off+tsOverlap)]
		for i := 0; i < tsOverlap; i += stride {
			a := float64(s.tail[2*i] + s.tail[2*i+1])
			b := float64(x[2*i] + x[2*i+1])
			c += a * b
			e += b * b
		}
		return c / math.Sqrt(e+1e-9)
	}
	best, bestC := 0, math.Inf(-1)
	for off := 0; off < tsSeek; off += 8 {
		if c := corr(off, 2); c > bestC {
			best, bestC = off, c
		}
	}
	lo, hi := max(0, best-7), min(tsSeek-1, best+7)
	for off := lo; off <= hi; off++ {
		if c := corr(off, 1); c > bestC {
			best, bestC = off, c
		}
	}
	return best
}
