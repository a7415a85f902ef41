package dsp

import (
	"math"
)

// stage is a 1:1 filter working in place on interleaved stereo float32.
// carry copies running state (LFO phases, filter history) from the stage
// it replaces when that is the same kind, so a parameter change does not
// restart oscillators.
type stage interface {
	process(x []float32)
	carry(prev stage)
}

func clamp1(v float32) float32 {
	// NaN fails both comparisons; map it to silence rather than pass it on.
	if v > 1 {
		return 1
	}
	if v < -1 {
		return -1
	}
	if v != v {
		return 0
	}
	return v
}

// --- volume filter (lavadsp VolumeConverter): x·v clipped to [-1, 1].

type volumeStage struct{ v float32 }

func (s *volumeStage) process(x []float32) {
	for i := range x {
		x[i] = clamp1(x[i] * s.v)
	}
}
func (s *volumeStage) carry(stage) {}

// --- equalizer (lavaplayer Equalizer): 15 constant-peak band-passes at
// 48 kHz, out = clamp(4·(x/4 + Σ gᵢ·bandᵢ(x))).

type eqCoef struct{ alpha, beta, gamma float32 }

// eqCoefs are derived rather than tabulated: each band is
// y = α(x − x₋₂) + γy₋₁ − βy₋₂ with α = (1−β)/2, γ = (1+β)cos ω₀, unity gain
// at the centre, and β chosen so the gain is 1/√2 at f₀·2^(−1/3) (2/3-octave
// bands). This reproduces lavaplayer's table to float32 precision.
var eqCoefs = func() (c [Bands]eqCoef) {
	for i, f0 := range BandFrequencies {
		w0 := 2 * math.Pi * f0 / 48000
		w1 := w0 * math.Pow(2, -1.0/3)
		lo, hi := 0.0, 1.0
		for range 80 {
			b := (lo + hi) / 2
			if bandGain(b, w0, w1) > 1/math.Sqrt2 {
				lo = b // too wide: narrow it
			} else {
				hi = b
			}
		}
		b := (lo + hi) / 2
		c[i] = eqCoef{alpha: float32((1 - b) / 2), beta: float32(b), gamma: float32((1 + b) * math.Cos(w0))}
	}
	return c
}()

// bandGain is |H(e^{jw})| of the band-pass with pole radius² b at w0.
func bandGain(b, w0, w float64) float64 {
	// H(z) = (1−b)/2 · (1 − z⁻²) / (1 − (1+b)cos w0 z⁻¹ + b z⁻²)
	c1, s1 := math.Cos(w), math.Sin(w)
	c2, s2 := math.Cos(2*w), math.Sin(2*w)
	nr, ni := 1-c2, s2
	g := (1 + b) * math.Cos(w0)
	dr, di := 1-g*c1+b*c2, g*s1-b*s2
	return (1 - b) / 2 * math.Hypot(nr, ni) / math.Hypot(dr, di)
}

type eqStage struct {
	gain   [Bands]float32
	active [Bands]uint8 // indexes of bands with non-zero gain
	n      int
	// per channel, per band: x₋₁, x₋₂, y₋₁, y₋₂
	h   [2][Bands][4]float32
	acc [2 * maxBlock]float32
}

func newEQ(bands []EqualizerBand) *eqStage {
	s := &eqStage{}
	for _, b := range bands { // later duplicates win
		s.gain[b.Band] = float32(b.Gain)
	}
	for i, g := range s.gain {
		if g != 0 {
			s.active[s.n] = uint8(i)
			s.n++
		}
	}
	return s
}

func (s *eqStage) carry(prev stage) {
	if p, ok := prev.(*eqStage); ok {
		s.h = p.h
	}
}

func (s *eqStage) process(x []float32) {
	for len(x) > 0 {
		k := min(len(x), len(s.acc))
		s.processBlock(x[:k])
		x = x[k:]
	}
}

// processBlock runs band by band over the block with each band's state in
// registers, accumulating into acc: the sum is taken in the same order as
// the reference's per-sample loop, so the results are the same.
func (s *eqStage) processBlock(x []float32) {
	acc := s.acc[:len(x)]
	for i, v := range x {
		acc[i] = v * 0.25
	}
	for _, b := range s.active[:s.n] {
		c := eqCoefs[b]
		g := s.gain[b]
		hl, hr := &s.h[0][b], &s.h[1][b]
		xl1, xl2, yl1, yl2 := hl[0], hl[1], hl[2], hl[3]
		xr1, xr2, yr1, yr2 := hr[0], hr[1], hr[2], hr[3]
		for i := 0; i+1 < len(x) && i+1 < len(acc); i += 2 {
			vl, vr := x[i], x[i+1]
			yl := c.alpha*(vl-xl2) + c.gamma*yl1 - c.beta*yl2
			yr := c.alpha*(vr-xr2) + c.gamma*yr1 - c.beta*yr2
			xl2, xl1, yl2, yl1 = xl1, vl, yl1, yl
			xr2, xr1, yr2, yr1 = xr1, vr, yr1, yr
			acc[i] += yl * g
			acc[i+1] += yr * g
		}
		*hl = [4]float32{xl1, xl2, yl1, yl2}
		*hr = [4]float32{xr1, xr2, yr1, yr2}
	}
	// Bands at zero gain are not run; when a band turns on it starts from
	// rest, and the chain's crossfade hides the filter's ring-up.
	for i, v := range acc {
		x[i] = clamp1(v * 4)
	}
}

// --- karaoke (lavadsp KaraokeConverter).

type karaokeStage struct {
	level, mono float32
	a, b, c     float32
	y1, y2      float32
}

func newKaraoke(k Karaoke) *karaokeStage {
	c := math.Exp(-2 * math.Pi * k.FilterWidth / 48000)
	b := -4 * c / (1 + c) * math.Cos(2*math.Pi*k.FilterBand/48000)
	a := math.Sqrt(max(0, 1-b*b/(4*c))) * (1 - c)
	return &karaokeStage{level: float32(k.Level), mono: float32(k.MonoLevel), a: float32(a), b: float32(b), c: float32(c)}
}

func (s *karaokeStage) carry(prev stage) {
	if p, ok := prev.(*karaokeStage); ok {
		s.y1, s.y2 = p.y1, p.y2
	}
}

func (s *karaokeStage) process(x []float32) {
	for i := 0; i+1 < len(x); i += 2 {
		l, r := x[i], x[i+1]
		y := s.a*((l+r)/2) - s.b*s.y1 - s.c*s.y2
		s.y2, s.y1 = s.y1, y
		o := y * s.mono * s.level
		x[i] = l - r*s.level + o
		x[i+1] = r - l*s.level + o
	}
}

// --- tremolo (lavadsp TremoloConverter): x·((1−d/2) + d/2·sin φ).

type tremoloStage struct {
	depth float64 // half the user depth
	dphi  float64
	phase float64
}

func newTremolo(t Tremolo) *tremoloStage {
	return &tremoloStage{depth: t.Depth / 2, dphi: 2 * math.Pi * t.Frequency / 48000}
}

func (s *tremoloStage) carry(prev stage) {
	if p, ok := prev.(*tremoloStage); ok {
		s.phase = p.phase
	}
}

func (s *tremoloStage) process(x []float32) {
	off := 1 - s.depth
	o := newOsc(s.phase, s.dphi)
	for i := 0; i+1 < len(x); i += 2 {
		m := float32(off + s.depth*o.sin)
		x[i] *= m
		x[i+1] *= m
		o.next()
	}
	// Wrap so the phase keeps its precision on long tracks (the reference
	// lets a float grow without bound).
	s.phase = math.Mod(s.phase+float64(len(x)/2)*s.dphi, 2*math.Pi)
}

// osc generates sin(φ₀ + n·dφ) by rotating a unit vector, which is far
// cheaper than math.Sin per sample; each block restarts it from the exact
// phase, so rounding never accumulates past one block (≤ 1024 steps).
type osc struct{ sin, cos, ds, dc float64 }

func newOsc(phase, dphi float64) osc {
	s, c := math.Sincos(phase)
	ds, dc := math.Sincos(dphi)
	return osc{s, c, ds, dc}
}

func (o *osc) next() {
	o.sin, o.cos = o.sin*o.dc+o.cos*o.ds, o.cos*o.dc-o.sin*o.ds
}

// --- vibrato (lavadsp VibratoConverter): a 2 ms modulated delay line read
// with 4-point Hermite interpolation.

const (
	vibratoMaxDelay = 96 // 2 ms at 48 kHz
	vibratoRing     = 2 * vibratoMaxDelay
	vibratoExtra    = 3
)

type vibratoStage struct {
	depth float32
	dphi  float64
	phase float64
	w     int
	ring  [2][vibratoRing + 3]float32 // 3 mirrored samples for the interpolator
}

func newVibrato(v Vibrato) *vibratoStage {
	return &vibratoStage{depth: float32(v.Depth), dphi: 2 * math.Pi * v.Frequency / 48000}
}

func (s *vibratoStage) carry(prev stage) {
	if p, ok := prev.(*vibratoStage); ok {
		s.phase, s.w, s.ring = p.phase, p.w, p.ring
	}
}

func (s *vibratoStage) process(x []float32) {
	o := newOsc(s.phase, s.dphi)
	s.phase = math.Mod(s.phase+float64(len(x)/2)*s.dphi, 2*math.Pi)
	for i := 0; i+1 < len(x); i += 2 {
		lfo := float32((o.sin + 1) * 0.5)
		o.next()
		delay := lfo*s.depth*vibratoMaxDelay + vibratoExtra
		r := float32(s.w) - 1 - delay
		for r < 0 {
			r += vibratoRing
		}
		ip := int(r)
		f := r - float32(ip)
		for ch := range 2 {
			b := &s.ring[ch]
			in := x[i+ch]
			x[i+ch] = hermite(f, b[ip], b[ip+1], b[ip+2], b[ip+3])
			b[s.w] = in
			if s.w < 3 {
				b[vibratoRing+s.w] = in
			}
		}
		s.w++
		if s.w == vibratoRing {
			s.w = 0
		}
	}
}

// hermite interpolates between y1 and y2 at fraction t (4-point, 3rd order).
func hermite(t, y0, y1, y2, y3 float32) float32 {
	c1 := 0.5 * (y2 - y0)
	c2 := y0 - 2.5*y1 + 2*y2 - 0.5*y3
	c3 := 0.5*(y3-y0) + 1.5*(y1-y2)
	return ((c3*t+c2)*t+c1)*t + y1
}

// --- rotation (lavadsp RotationPcmAudioFilter): left·(1+sin x)/2,
// right·(1−sin x)/2, x advancing 2π·hz per second.

type rotationStage struct {
	dx, x float64
}

func newRotation(r Rotation) *rotationStage {
	return &rotationStage{dx: 2 * math.Pi * r.RotationHz / 48000}
}

func (s *rotationStage) carry(prev stage) {
	if p, ok := prev.(*rotationStage); ok {
		s.x = p.x
	}
}

func (s *rotationStage) process(x []float32) {
	o := newOsc(s.x, s.dx)
	for i := 0; i+1 < len(x); i += 2 {
		x[i] *= float32((o.sin + 1) / 2)
		x[i+1] *= float32((1 - o.sin) / 2)
		o.next()
	}
	s.x = math.Mod(s.x+float64(len(x)/2)*s.dx, 2*math.Pi)
}

// --- distortion (lavadsp DistortionConverter).

type distortionStage struct{ d Distortion }

func (s *distortionStage) carry(stage) {}

func (s *distortionStage) process(x []float32) {
	d := &s.d
	for i, v := range x {
		f := float64(v)
		r := d.Offset + d.Scale*(d.SinOffset+math.Sin(f*d.SinScale))*
			(d.CosOffset+math.Cos(f*d.CosScale))*(d.TanOffset+math.Tan(f*d.TanScale))
		x[i] = clamp1(float32(r))
	}
}

// --- channel mix (lavadsp ChannelMixPcmAudioFilter).

type channelMixStage struct{ ll, lr, rl, rr float32 }

func (s *channelMixStage) carry(stage) {}

func (s *channelMixStage) process(x []float32) {
	for i := 0; i+1 < len(x); i += 2 {
		l, r := x[i], x[i+1]
		x[i] = clamp1(s.ll*l + s.rl*r)
		x[i+1] = clamp1(s.lr*l + s.rr*r)
	}
}

// --- low pass (lavadsp LowPassConverter): v += (x − v)/smoothing, starting
// from the first sample.

type lowPassStage struct {
	inv    float32
	v      [2]float32
	primed bool
}

func newLowPass(l LowPass) *lowPassStage {
	return &lowPassStage{inv: float32(1 / l.Smoothing)}
}

func (s *lowPassStage) carry(prev stage) {
	if p, ok := prev.(*lowPassStage); ok {
		s.v, s.primed = p.v, p.primed
	}
}

func (s *lowPassStage) process(x []float32) {
	if len(x) < 2 {
		return
	}
	if !s.primed {
		s.v = [2]float32{x[0], x[1]}
		s.primed = true
	}
	l, r := s.v[0], s.v[1]
	for i := 0; i+1 < len(x); i += 2 {
		l += (x[i] - l) * s.inv
		r += (x[i+1] - r) * s.inv
		x[i], x[i+1] = l, r
	}
	s.v = [2]float32{l, r}
}
