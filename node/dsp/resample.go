package dsp

import (
	"fmt"
	"math"
	"sync"
)

// Quality selects the resampler's filter length (Lavalink's
// resamplingQuality). Every level keeps ≥ 100 dB SNR for 44.1→48 kHz; the
// higher ones have steeper transition bands and stronger stopbands.
type Quality int

// Resampler qualities.
const (
	QualityLow Quality = iota
	QualityMedium
	QualityHigh
)

// ParseQuality maps Lavalink's resamplingQuality names; anything unknown is
// LOW, the reference default.
func ParseQuality(s string) Quality {
	switch s {
	case "MEDIUM", "medium":
		return QualityMedium
	case "HIGH", "high":
		return QualityHigh
	}
	return QualityLow
}

// taps is the kernel length in zero crossings (input samples when
// upsampling). β is the Kaiser window shape, set for ≥ 100 dB stopband.
func (q Quality) params() (taps int, beta float64) {
	switch q {
	case QualityMedium:
		return 64, 11
	case QualityHigh:
		return 96, 12
	}
	return 48, 10.5
}

const (
	// cutoff is the passband edge relative to the lower Nyquist frequency
	// (the −6 dB point of the kernel); the transition band straddles it.
	cutoff = 0.91
	// tablePoints is phases × taps of a table: finer phases for shorter
	// kernels, so a table costs the same memory (~256 KB) at every length.
	tablePoints = 512 * 64
	// maxStretch bounds how far the kernel widens when downsampling; past
	// it the kernel keeps its length and the transition band widens.
	maxStretch = 4
	// chunkFrames is how many input frames the resampler buffers at once.
	chunkFrames = 1024
	// MaxRatio bounds in/out rate ratios either way.
	MaxRatio = 256
)

// table holds a polyphase kernel: for phase p (0..phases) and tap k, the
// coefficient and its difference to phase p+1, interleaved, so a
// fractional phase is interpolated with one multiply-add per tap.
type table struct {
	n      int // taps, even
	phases int
	coef   []float32 // (phases+1) × n × (c, d), or phases × n × (c, c) when exact
}

type tableKey struct {
	q     Quality
	nu    float64
	exact int // phases of an exact rational table; 0 = interpolated
}

// tables caches kernels by quality and cutoff; the common ones (upsampling
// to 48 kHz, downsampling from 96 kHz) are shared by every player. Odd
// cutoffs from timescale beyond the bound are built privately.
var tables struct {
	mu sync.Mutex
	m  map[tableKey]*table
}

const maxCachedTables = 32

func getTable(q Quality, nu float64, exact int) *table {
	k := tableKey{q, nu, exact}
	tables.mu.Lock()
	t, ok := tables.m[k]
	tables.mu.Unlock()
	if ok {
		return t
	}
	t = newTable(q, nu, exact)
	tables.mu.Lock()
	if tables.m == nil {
		tables.m = make(map[tableKey]*table)
	}
	if len(tables.m) < maxCachedTables {
		tables.m[k] = t
	}
	tables.mu.Unlock()
	return t
}

// newTable builds a Kaiser-windowed sinc with normalised cutoff nu (1 = the
// input Nyquist frequency). The kernel is centred between taps n/2-1 and
// n/2, so phase f evaluates h(f + n/2 - 1 - k). With exact > 0 it holds
// exactly that many phases (f = p/exact) and no differences.
func newTable(q Quality, nu float64, exact int) *table {
	zc, beta := q.params()
	n := int(math.Ceil(float64(zc) / min(1, max(nu, 1.0/maxStretch))))
	n += n & 1
	phases := max(16, tablePoints/n)
	if exact > 0 {
		phases = exact
	}
	t := &table{n: n, phases: phases}
	half := float64(n) / 2
	i0b := BesselI0(beta)
	h := make([]float64, (phases+1)*n)
	for p := 0; p <= phases; p++ {
		f := float64(p) / float64(phases)
		var sum float64
		for k := range n {
			u := f + half - 1 - float64(k)
			v := 0.0
			if r := u / half; r > -1 && r < 1 {
				v = nu * sinc(nu*u) * BesselI0(beta*math.Sqrt(1-r*r)) / i0b
			}
			h[p*n+k] = v
			sum += v
		}
		// Normalise each phase to unity DC gain, so a constant input stays
		// constant whatever the phase.
		for k := range n {
			h[p*n+k] /= sum
		}
	}
	if exact > 0 {
		// Each coefficient twice, to line up with interleaved stereo.
		t.coef = make([]float32, phases*n*2)
		for i, v := range h[:phases*n] {
			t.coef[2*i] = float32(v)
			t.coef[2*i+1] = float32(v)
		}
		return t
	}
	t.coef = make([]float32, (phases+1)*n*2)
	for p := 0; p <= phases; p++ {
		for k := range n {
			c := h[p*n+k]
			d := 0.0
			if p < phases {
				d = h[(p+1)*n+k] - c
			}
			t.coef[(p*n+k)*2] = float32(c)
			t.coef[(p*n+k)*2+1] = float32(d)
		}
	}
	return t
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// BesselI0 is the zeroth-order modified Bessel function of the first kind
// (power series), as Kaiser windows need: the resampler's kernel and AAC's
// Kaiser-Bessel-derived window.
func BesselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 64; k++ {
		term *= (x / 2) / float64(k)
		sum += term * term
		if term*term < sum*1e-17 {
			break
		}
	}
	return sum
}

// Resampler converts interleaved stereo float32 between sample rates with
// a polyphase windowed-sinc kernel. The ratio can change at any time
// (SetRatio), which is how timescale.rate works. It is not safe for
// concurrent use.
type Resampler struct {
	q    Quality
	t    *table
	nu   float64
	step float64 // input frames per output frame

	buf []float32 // interleaved stereo: history then pending input
	n   int       // frames in buf
	pos float64   // buffer position (frames) of the next output sample

	// Exact mode, for integer rates in a small ratio L/M (44.1→48 kHz is
	// 147/160): the position is ipos + fnum/M with no rounding drift and
	// each phase has its own row, so no interpolation is needed.
	exact      bool
	l, m       int
	ipos, fnum int
}

// maxExactPhases bounds M for exact mode (11025 → 48000 needs 640).
const maxExactPhases = 1024

// NewResampler returns a stereo resampler from inRate to outRate.
func NewResampler(inRate, outRate float64, q Quality) (*Resampler, error) {
	r := &Resampler{q: q}
	// The buffer holds the longest kernel plus one chunk.
	zc, _ := q.params()
	r.buf = make([]float32, 2*(zc*maxStretch+2+chunkFrames))
	if err := r.SetRatio(inRate, outRate); err != nil {
		return nil, err
	}
	r.Reset()
	return r, nil
}

// SetRatio changes the conversion ratio mid-stream without a gap. It
// allocates only when the ratio needs a kernel that is not cached (a new
// downsampling cutoff), so call it on parameter changes, not per frame.
func (r *Resampler) SetRatio(inRate, outRate float64) error {
	step := inRate / outRate
	if !(inRate > 0) || !(outRate > 0) || math.IsInf(inRate, 0) || math.IsInf(outRate, 0) ||
		step > MaxRatio || step < 1.0/MaxRatio {
		return fmt.Errorf("%w: %v → %v", ErrBadRate, inRate, outRate)
	}
	nu := cutoff * min(1, 1/step)
	l, m := rationalRates(inRate, outRate)
	exact := 0
	if m > 0 {
		exact = m
	}
	if nu != r.nu || r.t == nil || exact != r.t.exactPhases() {
		old := r.t
		r.t = getTable(r.q, nu, exact)
		r.nu = nu
		if old != nil && r.t.n > old.n {
			// A longer kernel reaches further back: pad the history with
			// zeros so its first taps stay inside the buffer.
			r.ensureHistory()
		}
	}
	r.step = step
	r.exact, r.l, r.m = exact > 0, l, m
	if r.exact {
		// Snap the position to the exact grid.
		r.ipos = int(r.pos)
		r.fnum = int(math.Round((r.pos - float64(r.ipos)) * float64(m)))
		if r.fnum >= m {
			r.ipos++
			r.fnum = 0
		}
		r.pos = float64(r.ipos) + float64(r.fnum)/float64(m)
	}
	return nil
}

func (t *table) exactPhases() int {
	if len(t.coef) == t.phases*t.n*2 {
		return t.phases
	}
	return 0
}

// rationalRates returns L/M = in/out in lowest terms when both rates are
// integers and M ≤ maxExactPhases, else 0, 0.
func rationalRates(in, out float64) (l, m int) {
	if in != math.Trunc(in) || out != math.Trunc(out) || in > 1e7 || out > 1e7 {
		return 0, 0
	}
	a, b := int(in), int(out)
	g := gcd(a, b)
	if b/g > maxExactPhases {
		return 0, 0
	}
	return a / g, b / g
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Ratio returns the current input frames per output frame.
func (r *Resampler) Ratio() float64 { return r.step }

// Reset clears the history, as after a seek.
func (r *Resampler) Reset() {
	half := r.t.n / 2
	clear(r.buf)
	r.n = half
	r.pos = float64(half)
	r.ipos, r.fnum = half, 0
}

func (r *Resampler) ensureHistory() {
	need := float64(r.t.n/2) - r.pos
	if need <= 0 {
		return
	}
	shift := int(math.Ceil(need))
	if r.n+shift > len(r.buf)/2 {
		shift = len(r.buf)/2 - r.n
	}
	copy(r.buf[2*shift:], r.buf[:2*r.n])
	clear(r.buf[:2*shift])
	r.n += shift
	r.pos += float64(shift)
	r.ipos += shift
}

// Latency is the resampler's delay in input frames before output appears
// (the kernel's look-ahead); output timing itself is not shifted.
func (r *Resampler) Latency() int { return r.t.n / 2 }

// OutputFrames estimates the output frames that inFrames of input yield.
func (r *Resampler) OutputFrames(inFrames int) int {
	return int(math.Ceil(float64(inFrames) / r.step))
}

// Process consumes interleaved stereo input and writes interleaved stereo
// output; it returns the samples (not frames) consumed and written. It
// stops when in is used up or out is full, keeping any remainder for the
// next call, and never allocates.
func (r *Resampler) Process(in, out []float32) (nIn, nOut int) {
	in = in[:len(in)&^1]
	out = out[:len(out)&^1]
	capFrames := len(r.buf) / 2
	for {
		nOut += r.produce(out[nOut:])
		if nOut == len(out) || nIn == len(in) {
			return nIn, nOut
		}
		// Drop what no future output needs, then take more input.
		half := r.t.n / 2
		drop := max(0, min(int(r.pos)-half+1, r.n))
		if drop > 0 {
			copy(r.buf, r.buf[2*drop:2*r.n])
			r.n -= drop
			r.pos -= float64(drop)
			r.ipos -= drop
		}
		take := min(len(in)-nIn, 2*(capFrames-r.n))
		if take == 0 {
			return nIn, nOut
		}
		copy(r.buf[2*r.n:], in[nIn:nIn+take])
		r.n += take / 2
		nIn += take
	}
}

// produce writes output frames while the kernel has all its input.
func (r *Resampler) produce(out []float32) int {
	if r.exact {
		return r.produceExact(out)
	}
	t := r.t
	n := t.n
	half := n / 2
	phases := float64(t.phases)
	w := 0
	for w+2 <= len(out) {
		i := int(r.pos)
		if i+half >= r.n {
			break
		}
		pf := (r.pos - float64(i)) * phases
		p := int(pf)
		a := float32(pf - float64(p))
		row := t.coef[p*n*2 : (p+1)*n*2]
		x := r.buf[2*(i-half+1) : 2*(i+half+1)]
		x = x[:len(row)]
		var l0, r0, l1, r1 float32
		for k := 0; k+3 < len(row); k += 4 {
			c0 := row[k] + a*row[k+1]
			c1 := row[k+2] + a*row[k+3]
			l0 += c0 * x[k]
			r0 += c0 * x[k+1]
			l1 += c1 * x[k+2]
			r1 += c1 * x[k+3]
		}
		out[w] = l0 + l1
		out[w+1] = r0 + r1
		w += 2
		r.pos += r.step
	}
	return w
}

// produceExact is produce for exact mode: one row per phase, no
// interpolation, integer position arithmetic.
func (r *Resampler) produceExact(out []float32) int {
	t := r.t
	n := t.n
	half := n / 2
	w := 0
	for w+2 <= len(out) {
		i := r.ipos
		if i+half >= r.n {
			break
		}
		row := t.coef[r.fnum*n*2 : (r.fnum+1)*n*2]
		x := r.buf[2*(i-half+1) : 2*(i+half+1)]
		x = x[:len(row)]
		var l0, r0, l1, r1 float32
		for k := 0; k+3 < len(row); k += 4 {
			l0 += row[k] * x[k]
			r0 += row[k+1] * x[k+1]
			l1 += row[k+2] * x[k+2]
			r1 += row[k+3] * x[k+3]
		}
		out[w] = l0 + l1
		out[w+1] = r0 + r1
		w += 2
		r.fnum += r.l
		r.ipos += r.fnum / r.m
		r.fnum %= r.m
	}
	r.pos = float64(r.ipos) + float64(r.fnum)/float64(r.m)
	return w
}
