package dsp

import (
	"math"
	"slices"
)

// FadeFrames is the length of the crossfade when the filters change, and
// of the ramp when the player volume changes: one 20 ms frame.
const FadeFrames = 960

// maxBlock bounds how many frames Process handles per inner step (the
// size of its scratch buffers).
const maxBlock = 1024

// stages is one built configuration: 1:1 filters before the timescale
// stage (lowPass → channelMix → rotation → distortion → vibrato → tremolo)
// and after it (karaoke → equalizer → volume).
type stages struct {
	pre, post []stage
}

// Chain applies a Filters configuration and the player volume to
// interleaved stereo 48 kHz audio. Build it with NewChain; feed it with
// Process (or ProcessInt16). It is not safe for concurrent use.
type Chain struct {
	q       Quality
	filters Filters
	active  bool

	cur *stages
	old *stages // previous configuration while crossfading
	// fadePre and fadePost count frames already crossfaded on each side
	// of the timescale stage.
	fadePre, fadePost int

	ts *timescaleStage // nil when no timescale filter was ever present

	vol       float32 // player volume multiplier in use
	volTarget float32
	volStep   float32
	volLeft   int // frames of ramp remaining
	volume    int

	// Scratch, 2×maxBlock each, made on first need so that the chains of
	// players without filters stay small (≈ 200 bytes).
	a, b []float32 // timescale input block; crossfade copy
	fi   []float32 // int16 path: float input
	fo   []float32 // int16 path: float output
}

// NewChain returns a chain with no filters and volume 100 (identity).
// resampling sets the quality of the timescale stage's resampler.
func NewChain(resampling Quality) *Chain {
	return &Chain{
		q:         resampling,
		cur:       &stages{},
		vol:       1,
		volTarget: 1,
		volume:    100,
	}
}

// NewChainWith returns a chain that starts with f already applied (no
// crossfade from the unfiltered sound), for a track that starts with
// filters set.
func NewChainWith(f Filters, resampling Quality) (*Chain, error) {
	c := NewChain(resampling)
	if err := c.Update(f); err != nil {
		return nil, err
	}
	c.old = nil
	return c, nil
}

// Filters returns the configuration in use.
func (c *Chain) Filters() Filters { return c.filters }

// Update validates f and switches to it, crossfading from the current
// configuration over FadeFrames. Running oscillators and filter history
// carry over for filters that stay. It allocates (new stages), so call it
// when a PATCH arrives, not per frame. On error the chain is unchanged.
func (c *Chain) Update(f Filters) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if c.a == nil {
		c.a = make([]float32, 2*maxBlock)
		c.b = make([]float32, 2*maxBlock)
	}
	next := c.build(&f)
	c.old = c.cur
	c.cur = next
	c.fadePre, c.fadePost = 0, 0
	if f.Timescale != nil && f.Active() {
		if c.ts == nil {
			c.ts = newTimescale(*f.Timescale, c.q)
		} else {
			c.ts.set(*f.Timescale)
		}
	} else if c.ts != nil {
		// Keep the stage (it holds buffered audio) at neutral settings,
		// where it is an exact identity with a fixed delay.
		c.ts.set(Timescale{Speed: 1, Pitch: 1, Rate: 1})
	}
	f.Equalizer = slices.Clone(f.Equalizer) // the caller may reuse its slice
	c.filters = f
	c.active = f.Active()
	return nil
}

// build creates the stages of f in the reference order. Nothing is
// installed unless some filter is active; then every present filter runs.
func (c *Chain) build(f *Filters) *stages {
	s := &stages{}
	if !f.Active() {
		return s
	}
	if f.LowPass != nil && f.LowPass.Smoothing > 1 {
		s.pre = append(s.pre, newLowPass(*f.LowPass))
	}
	if m := f.ChannelMix; m != nil {
		s.pre = append(s.pre, &channelMixStage{float32(m.LeftToLeft), float32(m.LeftToRight), float32(m.RightToLeft), float32(m.RightToRight)})
	}
	if f.Rotation != nil {
		s.pre = append(s.pre, newRotation(*f.Rotation))
	}
	if f.Distortion != nil {
		s.pre = append(s.pre, &distortionStage{*f.Distortion})
	}
	if f.Vibrato != nil {
		s.pre = append(s.pre, newVibrato(*f.Vibrato))
	}
	if f.Tremolo != nil {
		s.pre = append(s.pre, newTremolo(*f.Tremolo))
	}
	if f.Karaoke != nil {
		s.post = append(s.post, newKaraoke(*f.Karaoke))
	}
	if len(f.Equalizer) > 0 {
		s.post = append(s.post, newEQ(f.Equalizer))
	}
	if f.Volume != nil {
		s.post = append(s.post, &volumeStage{float32(*f.Volume)})
	}
	carryAll(s.pre, c.cur.pre)
	carryAll(s.post, c.cur.post)
	return s
}

func carryAll(next, prev []stage) {
	for _, n := range next {
		for _, p := range prev {
			n.carry(p) // a stage only takes state from its own kind
		}
	}
}

// SetVolume sets the player volume in percent (clamped to 0–1000 as
// lavaplayer does); the change ramps over FadeFrames.
func (c *Chain) SetVolume(percent int) {
	percent = min(max(percent, 0), 1000)
	c.volume = percent
	c.volTarget = VolumeMultiplier(percent)
	c.volStep = (c.volTarget - c.vol) / FadeFrames
	c.volLeft = FadeFrames
	if c.volTarget == c.vol {
		c.volStep, c.volLeft = 0, 0 // nothing to ramp
	}
}

// Volume returns the player volume in percent.
func (c *Chain) Volume() int { return c.volume }

// IsIdentity reports whether the chain currently leaves audio untouched:
// player volume 100, no active filter, and no crossfade or ramp under way.
// The pipeline may then pass Opus packets through without decoding (and
// calls Bypassed). A timescale stage left over from an earlier
// configuration is at neutral settings then: an exact identity that only
// holds back up to ≈ 55 ms of input.
func (c *Chain) IsIdentity() bool {
	return !c.active && c.volume == 100 && c.vol == 1 && c.volLeft == 0 && c.old == nil
}

// Bypassed tells an identity chain that the pipeline now routes audio
// around it: it drops the input a neutral timescale stage still holds, so
// that audio cannot resurface when the chain is used again.
func (c *Chain) Bypassed() {
	if c.IsIdentity() {
		c.ts = nil
	}
}

// Reset clears all running state, as after a seek: filter history,
// buffered timescale audio, any crossfade or volume ramp.
func (c *Chain) Reset() {
	f := c.filters
	c.old = nil
	c.cur = &stages{}
	c.cur = c.build(&f)
	c.ts = nil
	if c.active && f.Timescale != nil {
		c.ts = newTimescale(*f.Timescale, c.q)
	}
	c.vol = c.volTarget
	c.volLeft = 0
}

// Process filters interleaved stereo in into out and returns the samples
// (not frames) consumed and written. Without timescale both counts are
// min(len(in), len(out)) rounded to whole frames; with it the output runs
// at speed·rate of the input and lags by the stage's buffering, so the
// caller keeps feeding input until out is full. It never allocates.
func (c *Chain) Process(in, out []float32) (nIn, nOut int) {
	in = in[:len(in)&^1]
	out = out[:len(out)&^1]
	if c.ts == nil {
		for nIn < len(in) && nOut < len(out) {
			k := min(len(in)-nIn, len(out)-nOut, 2*maxBlock)
			dst := out[nOut : nOut+k]
			copy(dst, in[nIn:nIn+k])
			c.runPre(dst)
			c.runPost(dst)
			nIn += k
			nOut += k
		}
		return nIn, nOut
	}
	for {
		w := c.ts.read(out[nOut:])
		if w > 0 {
			c.runPost(out[nOut : nOut+w])
			nOut += w
		}
		if nOut == len(out) {
			return nIn, nOut
		}
		// The pre-stages run only on input the timescale stage accepts,
		// so their state never runs ahead of what was consumed.
		k := min(len(in)-nIn, 2*c.ts.free(), 2*maxBlock)
		if k == 0 {
			return nIn, nOut
		}
		blk := c.a[:k]
		copy(blk, in[nIn:nIn+k])
		c.runPre(blk)
		c.ts.write(blk)
		nIn += k
	}
}

// runPre applies the pre-timescale stages, crossfading from the old ones.
func (c *Chain) runPre(x []float32) {
	if c.old == nil || c.fadePre >= FadeFrames {
		runAll(c.cur.pre, x)
		c.fadeDone()
		return
	}
	c.fadePre = crossfade(c.old.pre, c.cur.pre, x, c.b, c.fadePre)
	c.fadeDone()
}

// runPost applies the post-timescale stages (crossfading likewise) and
// then the player volume.
func (c *Chain) runPost(x []float32) {
	if c.old == nil || c.fadePost >= FadeFrames {
		runAll(c.cur.post, x)
	} else {
		c.fadePost = crossfade(c.old.post, c.cur.post, x, c.b, c.fadePost)
	}
	c.fadeDone()
	c.applyVolume(x)
}

func (c *Chain) fadeDone() {
	if c.old != nil && c.fadePre >= FadeFrames && c.fadePost >= FadeFrames {
		c.old = nil
	}
}

func runAll(st []stage, x []float32) {
	for _, s := range st {
		s.process(x)
	}
}

// crossfade runs old on a copy of x and next on x, then blends from old to
// next linearly over FadeFrames starting at frame pos; it returns the new
// position. x is at most maxBlock frames.
func crossfade(old, next []stage, x, scratch []float32, pos int) int {
	y := scratch[:len(x)]
	copy(y, x)
	runAll(old, y)
	runAll(next, x)
	for i := 0; i+1 < len(x); i += 2 {
		if pos >= FadeFrames {
			break
		}
		w := float32(pos) / FadeFrames
		x[i] = y[i] + w*(x[i]-y[i])
		x[i+1] = y[i+1] + w*(x[i+1]-y[i+1])
		pos++
	}
	return pos
}

// applyVolume applies the player volume, ramping towards its target, and
// clips as lavaplayer's int16 path does (±32767/32768).
func (c *Chain) applyVolume(x []float32) {
	const lim = 32767.0 / 32768
	if c.vol == 1 && c.volTarget == 1 {
		return
	}
	v := c.vol
	for i := 0; i+1 < len(x); i += 2 {
		if c.volLeft > 0 {
			c.volLeft--
			v += c.volStep
			if c.volLeft == 0 {
				v = c.volTarget // no rounding residue at the end of the ramp
			}
		}
		x[i] = min(max(x[i]*v, -lim), lim)
		x[i+1] = min(max(x[i+1]*v, -lim), lim)
	}
	c.vol = v
}

// ProcessInt16 is Process for int16 samples; it converts through float32
// scratch buffers and returns the samples consumed and written.
func (c *Chain) ProcessInt16(in, out []int16) (nIn, nOut int) {
	if c.fi == nil {
		c.fi = make([]float32, 2*maxBlock) // once per chain
		c.fo = make([]float32, 2*maxBlock)
	}
	for {
		k := min(len(in)-nIn, 2*maxBlock) &^ 1
		m := min(len(out)-nOut, 2*maxBlock) &^ 1
		if m == 0 || (k == 0 && c.ts == nil) {
			return nIn, nOut
		}
		Int16ToFloat(c.fi[:k], in[nIn:nIn+k])
		a, b := c.Process(c.fi[:k], c.fo[:m])
		FloatToInt16(out[nOut:nOut+b], c.fo[:b])
		nIn += a
		nOut += b
		if a == 0 && b == 0 {
			return nIn, nOut
		}
	}
}

// VolumeMultiplier is lavaplayer's player-volume curve: tan(v·0.0079) up to
// 150 %, linear from there (2.4621× at 150 %, 16.4× at 1000 %), truncated
// to 1/10000 steps as its integer arithmetic does; exactly 1 at 100 %.
func VolumeMultiplier(percent int) float32 {
	percent = min(max(percent, 0), 1000)
	if percent == 100 {
		return 1
	}
	var m int
	if percent <= 150 {
		m = int(float32(math.Tan(float64(float32(percent)*0.0079))) * 10000)
	} else {
		m = 24621 * percent / 150
	}
	return float32(m) / 10000
}

// Int16ToFloat converts samples to float32 in [-1, 1).
func Int16ToFloat(dst []float32, src []int16) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float32(v) * (1.0 / 32768)
	}
}

// FloatToInt16 converts float32 samples to int16, rounding and clipping.
func FloatToInt16(dst []int16, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		f := v * 32768
		switch {
		case f >= 32767:
			dst[i] = 32767
		case f <= -32768:
			dst[i] = -32768
		case f >= 0:
			dst[i] = int16(f + 0.5)
		case f < 0:
			dst[i] = int16(f - 0.5)
		default: // NaN
			dst[i] = 0
		}
	}
}
