package dsp

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

// runChain streams in through c in 20 ms chunks and drains what remains.
func runChain(c *Chain, in []float32) []float32 {
	outBuf := make([]float32, 2*960)
	var out []float32
	for off := 0; off < len(in); off += 2 * 960 {
		chunk := in[off:min(off+2*960, len(in))]
		for len(chunk) > 0 {
			nIn, nOut := c.Process(chunk, outBuf)
			out = append(out, outBuf[:nOut]...)
			chunk = chunk[nIn:]
			if nIn == 0 && nOut == 0 {
				panic("no progress")
			}
		}
	}
	for {
		_, nOut := c.Process(nil, outBuf)
		if nOut == 0 {
			return out
		}
		out = append(out, outBuf[:nOut]...)
	}
}

func mustChain(t testing.TB, f Filters) *Chain {
	t.Helper()
	c, err := NewChainWith(f, QualityLow)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

func TestVolumeFilter(t *testing.T) {
	in := sine(48000, 48000, 440, 440, 0.4)
	out := runChain(mustChain(t, Filters{Volume: ptr(0.5)}), in)
	if a := amplitudeAt(chanOf(out, 0)[4800:], 48000, 440); math.Abs(a-0.2) > 1e-4 {
		t.Errorf("volume 0.5: amplitude %.5f, want 0.2", a)
	}
	out = runChain(mustChain(t, Filters{Volume: ptr(5.0)}), in)
	var peak float32
	for _, v := range out {
		peak = max(peak, v, -v)
	}
	if peak != 1 {
		t.Errorf("volume 5 on 0.4: peak %v, want clipped at 1", peak)
	}
}

func TestEqualizerBandCentres(t *testing.T) {
	for _, band := range []int{0, 3, 6, 8, 10, 12, 14} {
		for _, g := range []float64{0.25, 0.5, -0.1, -0.25} {
			f0 := BandFrequencies[band]
			in := sine(48000, 48000, f0, f0, 0.1)
			out := runChain(mustChain(t, Filters{Equalizer: []EqualizerBand{{Band: band, Gain: g}}}), in)
			got := amplitudeAt(chanOf(out, 0)[24000:], 48000, f0) / 0.1
			want := 1 + 4*g
			if g == -0.25 {
				// float32 history limits the 25 Hz band's null to ≈ -45 dB.
				if got > 0.01 {
					t.Errorf("band %d (%v Hz) gain -0.25: ratio %.4f, want removed (< -40 dB)", band, f0, got)
				}
				continue
			}
			if math.Abs(db(got/want)) > 0.1 {
				t.Errorf("band %d (%v Hz) gain %v: ratio %.4f, want %.4f", band, f0, g, got, want)
			}
		}
	}
}

// TestEqualizerCoefficients checks the derived band-pass coefficients
// against values published for lavaplayer's table (β of bands 0, 7, 14).
func TestEqualizerCoefficients(t *testing.T) {
	for band, beta := range map[int]float64{0: 0.99847546664, 7: 0.96228521814, 13: 0.55267518228, 14: 0.41811888447} {
		if got := float64(eqCoefs[band].beta); math.Abs(got-beta) > 1e-6 {
			t.Errorf("band %d: beta %.10f, want %.10f", band, got, beta)
		}
	}
}

func TestLowPass(t *testing.T) {
	for _, freq := range []float64{100, 1000, 10000} {
		in := sine(48000, 48000, freq, freq, 0.5)
		out := runChain(mustChain(t, Filters{LowPass: &LowPass{Smoothing: 20}}), in)
		got := amplitudeAt(chanOf(out, 1)[4800:], 48000, freq) / 0.5
		// One-pole y += (x−y)/20: |H| = a / |1 − (1−a)e^{−jω}|, a = 1/20.
		a, w := 1.0/20, 2*math.Pi*freq/48000
		want := a / math.Sqrt(1-2*(1-a)*math.Cos(w)+(1-a)*(1-a))
		if math.Abs(db(got/want)) > 0.05 {
			t.Errorf("%v Hz: gain %.2f dB, want %.2f dB", freq, db(got), db(want))
		}
	}
	// Smoothing ≤ 1 leaves the filter inactive.
	f := Filters{LowPass: &LowPass{Smoothing: 1}}
	if f.Active() {
		t.Error("lowPass smoothing 1 counted active")
	}
}

func TestKaraoke(t *testing.T) {
	k := DefaultKaraoke()
	c := func() *Chain { return mustChain(t, Filters{Karaoke: &k}) }
	// A centred 1 kHz tone (vocals) is removed.
	out := runChain(c(), sine(48000, 48000, 1000, 1000, 0.5))
	if a := amplitudeAt(chanOf(out, 0)[4800:], 48000, 1000); db(a/0.5) > -20 {
		t.Errorf("centred 1 kHz: %.1f dB, want ≤ -20", db(a/0.5))
	}
	// A left-only tone stays in the left channel at full level.
	in := sine(48000, 48000, 1000, 0, 0.5)
	for i := 1; i < len(in); i += 2 {
		in[i] = 0
	}
	out = runChain(c(), in)
	if a := amplitudeAt(chanOf(out, 0)[4800:], 48000, 1000); math.Abs(db(a/0.5)) > 0.5 {
		t.Errorf("left-only 1 kHz: %.2f dB, want ≈ 0", db(a/0.5))
	}
	// A centred tone at filterBand is kept through the mono band-pass.
	out = runChain(c(), sine(48000, 48000, 220, 220, 0.5))
	if a := amplitudeAt(chanOf(out, 0)[9600:], 48000, 220); db(a/0.5) < -3 {
		t.Errorf("centred 220 Hz: %.1f dB, want kept (> -3 dB)", db(a/0.5))
	}
}

// blockRMS returns the RMS of channel ch over consecutive blocks.
func blockRMS(x []float32, ch, block int) []float64 {
	var out []float64
	for i := 0; i+2*block <= len(x); i += 2 * block {
		var s float64
		for j := 0; j < block; j++ {
			v := float64(x[i+2*j+ch])
			s += v * v
		}
		out = append(out, math.Sqrt(s/float64(block)))
	}
	return out
}

func TestRotation(t *testing.T) {
	in := sine(4*48000, 48000, 1000, 1000, 0.5)
	out := runChain(mustChain(t, Filters{Rotation: &Rotation{RotationHz: 0.5}}), in)
	// Left gain (1+sin 2π·0.5·t)/2, right (1−sin)/2: a 2 s period.
	const block = 480
	l, r := blockRMS(out, 0, block), blockRMS(out, 1, block)
	for i := range l {
		tm := (float64(i) + 0.5) * block / 48000
		g := (1 + math.Sin(2*math.Pi*0.5*tm)) / 2
		wantL, wantR := g*0.5/math.Sqrt2, (1-g)*0.5/math.Sqrt2
		if math.Abs(l[i]-wantL) > 0.004 || math.Abs(r[i]-wantR) > 0.004 {
			t.Fatalf("t=%.2fs: RMS L %.4f R %.4f, want %.4f %.4f", tm, l[i], r[i], wantL, wantR)
		}
	}
}

func TestTremolo(t *testing.T) {
	in := sine(2*48000, 48000, 1000, 1000, 0.5)
	out := runChain(mustChain(t, Filters{Tremolo: &Tremolo{Frequency: 4, Depth: 0.6}}), in)
	// Gain (1 − d/2) + d/2·sin(2π·4·t): between 0.4 and 1.0.
	const block = 240
	env := blockRMS(out, 0, block)
	lo, hi := math.Inf(1), 0.0
	for i, e := range env {
		tm := (float64(i) + 0.5) * block / 48000
		want := (0.7 + 0.3*math.Sin(2*math.Pi*4*tm)) * 0.5 / math.Sqrt2
		if math.Abs(e-want) > 0.004 {
			t.Fatalf("t=%.3fs: RMS %.4f, want %.4f", tm, e, want)
		}
		lo, hi = min(lo, e), max(hi, e)
	}
	if d := 1 - lo/hi; math.Abs(d-0.6) > 0.03 {
		t.Errorf("modulation depth %.3f, want 0.6", d)
	}
}

// zeroCrossFreqs returns the instantaneous frequency of each cycle of x
// (from interpolated rising zero crossings) and the cycle times.
func zeroCrossFreqs(x []float64, rate float64) (tm, freq []float64) {
	var prev float64 = -1
	for i := 1; i < len(x); i++ {
		if x[i-1] < 0 && x[i] >= 0 {
			c := float64(i-1) + x[i-1]/(x[i-1]-x[i])
			if prev >= 0 {
				tm = append(tm, (c+prev)/2/rate)
				freq = append(freq, rate/(c-prev))
			}
			prev = c
		}
	}
	return tm, freq
}

func TestVibrato(t *testing.T) {
	in := sine(2*48000, 48000, 1000, 1000, 0.5)
	out := runChain(mustChain(t, Filters{Vibrato: &Vibrato{Frequency: 5, Depth: 1}}), in)
	tm, fr := zeroCrossFreqs(chanOf(out, 0)[4800:], 48000)
	// The delay swings depth·96 samples at 5 Hz, so the frequency deviates
	// by f0·96/2·2π·5/48000 = ±31.4 Hz.
	var m [3][3]float64
	var v [3]float64
	for i, f := range fr {
		w := 2 * math.Pi * 5 * tm[i]
		b := [3]float64{math.Sin(w), math.Cos(w), 1}
		for j := range 3 {
			v[j] += b[j] * f
			for k := range 3 {
				m[j][k] += b[j] * b[k]
			}
		}
	}
	c := solve3(m, v)
	dev := math.Hypot(c[0], c[1])
	want := 1000 * 48.0 * 2 * math.Pi * 5 / 48000
	if math.Abs(dev-want)/want > 0.05 || math.Abs(c[2]-1000) > 1 {
		t.Errorf("vibrato: mean %.2f Hz, deviation ±%.2f Hz at 5 Hz, want 1000 ± %.2f", c[2], dev, want)
	}
}

func TestDistortionTransfer(t *testing.T) {
	d := Distortion{SinOffset: 0.1, SinScale: 2, CosOffset: 0.5, CosScale: 1.5, TanOffset: 0.2, TanScale: 0.3, Offset: 0.05, Scale: 0.8}
	in := make([]float32, 2*2001)
	for i := range 2001 {
		in[2*i] = float32(i-1000) / 1000
		in[2*i+1] = -in[2*i]
	}
	out := runChain(mustChain(t, Filters{Distortion: &d}), in)
	for i, x := range in {
		f := float64(x)
		want := d.Offset + d.Scale*(d.SinOffset+math.Sin(f*d.SinScale))*(d.CosOffset+math.Cos(f*d.CosScale))*(d.TanOffset+math.Tan(f*d.TanScale))
		want = max(-1, min(1, want))
		if math.Abs(float64(out[i])-want) > 1e-5 {
			t.Fatalf("x=%v: got %v, want %v", x, out[i], want)
		}
	}
}

func TestChannelMixMatrix(t *testing.T) {
	m := ChannelMix{LeftToLeft: 0.7, LeftToRight: 0.2, RightToLeft: 0.3, RightToRight: 0.6}
	out := runChain(mustChain(t, Filters{ChannelMix: &m}), sine(48000, 48000, 440, 1000, 0.5))
	l, r := chanOf(out, 0), chanOf(out, 1)
	for _, c := range []struct {
		name string
		x    []float64
		freq float64
		want float64
	}{{"L←L", l, 440, 0.7}, {"L←R", l, 1000, 0.3}, {"R←L", r, 440, 0.2}, {"R←R", r, 1000, 0.6}} {
		if a := amplitudeAt(c.x, 48000, c.freq) / 0.5; math.Abs(a-c.want) > 1e-3 {
			t.Errorf("%s: %.4f, want %.4f", c.name, a, c.want)
		}
	}
}

// peakFreq finds the strongest frequency in [lo, hi] Hz to 0.1 Hz.
func peakFreq(x []float64, lo, hi float64) float64 {
	best, bestA := lo, 0.0
	scan := func(a, b, step float64) {
		for f := a; f <= b; f += step {
			if amp := goertzel(x, f); amp > bestA {
				best, bestA = f, amp
			}
		}
	}
	scan(lo, hi, 2)
	scan(best-2, best+2, 0.1)
	return best
}

func goertzel(x []float64, f float64) float64 {
	w := 2 * math.Pi * f / 48000
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = v+c*s1-s2, s1
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

func TestTimescale(t *testing.T) {
	const secs = 3
	tests := map[string]struct {
		ts       Timescale
		duration float64 // output/input length
		freq     float64
	}{
		"speed 1.5":  {Timescale{Speed: 1.5, Pitch: 1, Rate: 1}, 1 / 1.5, 440},
		"speed 0.8":  {Timescale{Speed: 0.8, Pitch: 1, Rate: 1}, 1 / 0.8, 440},
		"pitch 1.5":  {Timescale{Speed: 1, Pitch: 1.5, Rate: 1}, 1, 660},
		"pitch 0.75": {Timescale{Speed: 1, Pitch: 0.75, Rate: 1}, 1, 330},
		"rate 1.25":  {Timescale{Speed: 1, Pitch: 1, Rate: 1.25}, 1 / 1.25, 550},
		"nightcore":  {Timescale{Speed: 1.2, Pitch: 1.2, Rate: 1}, 1 / 1.2, 528},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			in := sine(secs*48000, 48000, 440, 440, 0.5)
			out := runChain(mustChain(t, Filters{Timescale: &tc.ts}), in)
			ratio := float64(len(out)) / float64(len(in))
			// The stage holds up to a sequence plus its search window back.
			if math.Abs(ratio-tc.duration) > 0.03 {
				t.Errorf("duration ratio %.3f, want %.3f", ratio, tc.duration)
			}
			x := chanOf(out, 0)
			x = x[len(x)/4 : len(x)*3/4]
			if f := peakFreq(x, 200, 900); math.Abs(f-tc.freq)/tc.freq > 0.005 {
				t.Errorf("peak at %.1f Hz, want %.1f", f, tc.freq)
			}
		})
	}
}

// TestTimescaleNeutralIsIdentity: a present but neutral timescale (kept
// after a removal) passes audio through exactly, only delayed.
func TestTimescaleNeutralIsIdentity(t *testing.T) {
	c := mustChain(t, Filters{Timescale: &Timescale{Speed: 1.3, Pitch: 1, Rate: 1}})
	if err := c.Update(Filters{}); err != nil {
		t.Fatal(err)
	}
	in := sine(48000, 48000, 440, 1000, 0.5)
	out := runChain(c, in)
	// Find the delay by matching a distinctive sample run near the end.
	x := chanOf(out, 0)
	y := chanOf(in, 0)
	probe := y[40000:40100]
	found := false
	for d := 0; d < 10000 && 40000-d+100 <= len(x); d++ {
		ok := true
		for i, v := range probe {
			if math.Abs(x[40000-d+i]-v) > 1e-6 {
				ok = false
				break
			}
		}
		if ok {
			found = true
			break
		}
	}
	if !found {
		t.Error("neutral timescale output is not a delayed copy of its input")
	}
	if !c.IsIdentity() {
		t.Error("IsIdentity false after removing timescale and fading")
	}
}

func TestVolumeMultiplier(t *testing.T) {
	for v, want := range map[int]float32{0: 0, 100: 1, 150: 2.4621, 300: 4.9242, 1000: 16.414, -5: 0, 2000: 16.414} {
		if got := VolumeMultiplier(v); math.Abs(float64(got-want)) > 1e-4 {
			t.Errorf("VolumeMultiplier(%d) = %v, want %v", v, got, want)
		}
	}
	// Below 150 it follows tan(v·0.0079).
	if got, want := VolumeMultiplier(50), math.Tan(50*0.0079); math.Abs(float64(got)-want) > 2e-4 {
		t.Errorf("VolumeMultiplier(50) = %v, want %v", got, want)
	}
}

func TestPlayerVolumeClipsAndRamps(t *testing.T) {
	c := NewChain(QualityLow)
	c.SetVolume(1000)
	out := runChain(c, sine(9600, 48000, 100, 100, 0.5))
	var peak float32
	for _, v := range out[2*2000:] {
		peak = max(peak, v, -v)
	}
	if peak != 32767.0/32768 {
		t.Errorf("volume 1000: peak %v, want clipped at 32767/32768", peak)
	}
}

// TestNoClickOnChange switches volume and filters mid-stream and checks no
// sample jumps more than a smooth 100 Hz sine can move.
func TestNoClickOnChange(t *testing.T) {
	in := sine(4*9600, 48000, 100, 100, 0.5)
	c := NewChain(QualityLow)
	outBuf := make([]float32, 2*960)
	var out []float32
	for i := 0; i < len(in); i += 2 * 960 {
		switch i / (2 * 960) {
		case 5:
			c.SetVolume(30)
		case 10:
			if err := c.Update(Filters{Volume: ptr(3.0), Equalizer: []EqualizerBand{{Band: 2, Gain: 0.3}}}); err != nil {
				t.Fatal(err)
			}
		case 15:
			if err := c.Update(Filters{ChannelMix: &ChannelMix{LeftToLeft: 0, RightToLeft: 1, LeftToRight: 0.5, RightToRight: 0.5}}); err != nil {
				t.Fatal(err)
			}
		case 25:
			if err := c.Update(Filters{}); err != nil {
				t.Fatal(err)
			}
			c.SetVolume(100)
		}
		_, n := c.Process(in[i:i+2*960], outBuf)
		out = append(out, outBuf[:n]...)
	}
	const maxStep = 0.5 * 2 * math.Pi * 100 / 48000 * 1.6 * 1.9 // sine slope × max gain reached
	for i := 2; i < len(out); i++ {
		if d := math.Abs(float64(out[i] - out[i-2])); d > maxStep {
			t.Fatalf("sample %d (ch %d): step %.4f, want ≤ %.4f (click)", i/2, i%2, d, maxStep)
		}
	}
	if !c.IsIdentity() {
		t.Error("IsIdentity false after returning to no filters and volume 100")
	}
}

func TestIsIdentity(t *testing.T) {
	c := NewChain(QualityLow)
	if !c.IsIdentity() {
		t.Fatal("new chain is not identity")
	}
	frame := make([]float32, 2*960)
	out := make([]float32, 2*960)
	steps := []struct {
		name string
		do   func()
		want bool
	}{
		{"volume 100 again", func() { c.SetVolume(100) }, true},
		{"volume 50", func() { c.SetVolume(50) }, false},
		{"a frame at 50", func() { c.Process(frame, out) }, false},
		{"volume 100 (ramping back)", func() { c.SetVolume(100) }, false},
		{"after one frame", func() { c.Process(frame, out) }, true},
		{"neutral filters present", func() { must(t, c.Update(Filters{Distortion: ptr(DefaultDistortion()), Volume: ptr(1.0)})) }, false},
		{"after fade", func() { c.Process(frame, out) }, true},
		{"karaoke", func() { must(t, c.Update(Filters{Karaoke: ptr(DefaultKaraoke())})) }, false},
		{"karaoke after fade", func() { c.Process(frame, out) }, false},
		{"cleared", func() { must(t, c.Update(Filters{})) }, false},
		{"cleared after fade", func() { c.Process(frame, out) }, true},
	}
	for _, s := range steps {
		s.do()
		if got := c.IsIdentity(); got != s.want {
			t.Errorf("%s: IsIdentity = %v, want %v", s.name, got, s.want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestValidate(t *testing.T) {
	tests := map[string]struct {
		json  string
		field string // "" = valid
	}{
		"empty":             {`{}`, ""},
		"all defaults":      {`{"volume":1,"equalizer":[{"band":0}],"karaoke":{},"timescale":{},"tremolo":{},"vibrato":{},"rotation":{},"distortion":{},"channelMix":{},"lowPass":{}}`, ""},
		"volume high":       {`{"volume":5.1}`, "volume"},
		"volume negative":   {`{"volume":-0.1}`, "volume"},
		"band 15":           {`{"equalizer":[{"band":2,"gain":0},{"band":15,"gain":0}]}`, "equalizer[1].band"},
		"gain low":          {`{"equalizer":[{"band":1,"gain":0},{"band":2,"gain":0},{"band":3,"gain":0},{"band":3,"gain":-0.3}]}`, "equalizer[3].gain"},
		"gain high":         {`{"equalizer":[{"band":3,"gain":1.01}]}`, "equalizer[0].gain"},
		"karaoke level":     {`{"karaoke":{"level":2}}`, "karaoke.level"},
		"karaoke width 0":   {`{"karaoke":{"filterWidth":0}}`, "karaoke.filterWidth"},
		"speed 0":           {`{"timescale":{"speed":0}}`, "timescale.speed"},
		"pitch negative":    {`{"timescale":{"pitch":-1}}`, "timescale.pitch"},
		"rate huge":         {`{"timescale":{"rate":11}}`, "timescale.rate"},
		"tremolo depth 0":   {`{"tremolo":{"depth":0}}`, "tremolo.depth"},
		"tremolo freq 0":    {`{"tremolo":{"frequency":0}}`, "tremolo.frequency"},
		"vibrato freq 14.5": {`{"vibrato":{"frequency":14.5}}`, "vibrato.frequency"},
		"vibrato depth 1.1": {`{"vibrato":{"depth":1.1}}`, "vibrato.depth"},
		"vibrato ok":        {`{"vibrato":{"frequency":14,"depth":1}}`, ""},
		"distortion huge":   {`{"distortion":{"tanScale":1e9}}`, "distortion.tanScale"},
		"mix 1.5":           {`{"channelMix":{"rightToLeft":1.5}}`, "channelMix.rightToLeft"},
		"mix mono":          {`{"channelMix":{"leftToLeft":0.5,"leftToRight":0.5,"rightToLeft":0.5,"rightToRight":0.5}}`, ""},
		"lowpass 0":         {`{"lowPass":{"smoothing":0}}`, ""},
		"rotation":          {`{"rotation":{"rotationHz":0.2}}`, ""},
	}
	for name, tc := range tests {
		var f Filters
		if err := json.Unmarshal([]byte(tc.json), &f); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		err := f.Validate()
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: unexpected error %v", name, err)
		case tc.field != "" && !errors.Is(err, ErrInvalidFilter):
			t.Errorf("%s: err = %v, want ErrInvalidFilter", name, err)
		case tc.field != "" && !strings.Contains(err.Error(), ": "+tc.field+": "):
			t.Errorf("%s: error %q does not name %s", name, err, tc.field)
		}
	}
}

func TestJSONDefaults(t *testing.T) {
	var f Filters
	in := `{"equalizer":[{"band":3}],"karaoke":{"level":0.5},"timescale":{"speed":1.2},"tremolo":{},"vibrato":{"depth":0.1},"distortion":{"offset":0.5},"channelMix":{"leftToRight":0.5},"lowPass":{},"rotation":null}`
	if err := json.Unmarshal([]byte(in), &f); err != nil {
		t.Fatal(err)
	}
	checks := map[string][2]any{
		"eq gain":          {f.Equalizer[0].Gain, 1.0},
		"karaoke":          {*f.Karaoke, Karaoke{Level: 0.5, MonoLevel: 1, FilterBand: 220, FilterWidth: 100}},
		"timescale":        {*f.Timescale, Timescale{Speed: 1.2, Pitch: 1, Rate: 1}},
		"tremolo":          {*f.Tremolo, Tremolo{Frequency: 2, Depth: 0.5}},
		"vibrato":          {*f.Vibrato, Vibrato{Frequency: 2, Depth: 0.1}},
		"distortion scale": {f.Distortion.Scale, 1.0},
		"channelMix":       {*f.ChannelMix, ChannelMix{LeftToLeft: 1, LeftToRight: 0.5, RightToRight: 1}},
		"lowPass":          {*f.LowPass, LowPass{Smoothing: 20}},
		"rotation absent":  {f.Rotation == nil, true},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s: got %v, want %v", name, c[0], c[1])
		}
	}
	b, err := json.Marshal(Filters{Tremolo: &Tremolo{Frequency: 2, Depth: 0.5}})
	if err != nil || string(b) != `{"tremolo":{"frequency":2,"depth":0.5}}` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
}

func TestInt16Path(t *testing.T) {
	c := mustChain(t, Filters{Volume: ptr(0.5)})
	in := make([]int16, 2*960)
	for i := range in {
		in[i] = int16(10000 * math.Sin(float64(i/2)*0.05))
	}
	out := make([]int16, len(in))
	a, b := c.ProcessInt16(in, out)
	if a != len(in) || b != len(out) {
		t.Fatalf("ProcessInt16 = %d, %d", a, b)
	}
	for i := range in {
		if d := int(out[i]) - int(in[i])/2; d < -1 || d > 1 {
			t.Fatalf("sample %d: %d, want %d", i, out[i], in[i]/2)
		}
	}
}

func allFilters() Filters {
	return Filters{
		Volume:     ptr(0.8),
		Equalizer:  []EqualizerBand{{Band: 0, Gain: 0.2}, {Band: 5, Gain: -0.1}, {Band: 9, Gain: 0.1}, {Band: 13, Gain: 0.05}},
		Karaoke:    ptr(DefaultKaraoke()),
		Timescale:  &Timescale{Speed: 1.1, Pitch: 1.05, Rate: 1},
		Tremolo:    &Tremolo{Frequency: 2, Depth: 0.5},
		Vibrato:    &Vibrato{Frequency: 2, Depth: 0.5},
		Rotation:   &Rotation{RotationHz: 0.2},
		Distortion: &Distortion{SinOffset: 0, SinScale: 1, CosOffset: 0, CosScale: 1, TanOffset: 0, TanScale: 1, Offset: 0, Scale: 0.9},
		ChannelMix: &ChannelMix{LeftToLeft: 0.8, LeftToRight: 0.2, RightToLeft: 0.2, RightToRight: 0.8},
		LowPass:    &LowPass{Smoothing: 5},
	}
}

func TestChainNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("race detector allocates")
	}
	c := mustChain(t, allFilters())
	c.SetVolume(80)
	in := sine(960, 48000, 440, 1000, 0.5)
	out := make([]float32, 2*960)
	in16 := make([]int16, 2*960)
	out16 := make([]int16, 2*960)
	if a := testing.AllocsPerRun(100, func() { c.Process(in, out) }); a != 0 {
		t.Errorf("Process: %v allocs, want 0", a)
	}
	if a := testing.AllocsPerRun(100, func() { c.ProcessInt16(in16, out16) }); a != 0 {
		t.Errorf("ProcessInt16: %v allocs, want 0", a)
	}
}

func TestFloatToInt16(t *testing.T) {
	in := []float32{0, 1, -1, 2, -2, 0.5 / 32768, -0.5 / 32768, 1000.4 / 32768, float32(math.NaN()), float32(math.Inf(1))}
	want := []int16{0, 32767, -32768, 32767, -32768, 1, -1, 1000, 0, 32767}
	got := make([]int16, len(in))
	FloatToInt16(got, in)
	for i := range in {
		if got[i] != want[i] {
			t.Errorf("FloatToInt16(%v) = %d, want %d", in[i], got[i], want[i])
		}
	}
	back := make([]float32, 2)
	Int16ToFloat(back, []int16{-32768, 16384})
	if back[0] != -1 || back[1] != 0.5 {
		t.Errorf("Int16ToFloat = %v", back)
	}
}

// TestTimescaleExactStart: a present, neutral timescale (kept in the chain
// because another filter is active) reproduces every input frame from the
// very first, only delayed.
func TestTimescaleExactStart(t *testing.T) {
	c := mustChain(t, Filters{Volume: ptr(0.5), Timescale: &Timescale{Speed: 1, Pitch: 1, Rate: 1}})
	in := sine(24000, 48000, 440, 1000, 0.5)
	for i := range in {
		in[i] += float32(i%7) * 0.01 // break the periodicity
	}
	out := runChain(c, in)
	// Without a tempo change the stage adds no delay in pull mode.
	if len(out) < len(in)-2*(tsSeq+tsSeek) {
		t.Fatalf("got %d samples for %d", len(out), len(in))
	}
	for i := range out {
		if d := math.Abs(float64(out[i] - 0.5*in[i])); d > 1e-6 {
			t.Fatalf("sample %d (frame %d): got %v, want %v", i, i/2, out[i], 0.5*in[i])
		}
	}
}

// TestBypassedDropsTimescale: after passthrough took over, buffered
// timescale input must not come back when the chain is used again.
func TestBypassedDropsTimescale(t *testing.T) {
	c := mustChain(t, Filters{Timescale: &Timescale{Speed: 1.5, Pitch: 1, Rate: 1}})
	out := make([]float32, 2*960)
	c.Process(sine(4800, 48000, 440, 440, 0.5), out)
	must(t, c.Update(Filters{}))
	for i := 0; !c.IsIdentity(); i++ { // finish the crossfade
		if i == 10 {
			t.Fatal("not identity after 10 frames")
		}
		c.Process(sine(960, 48000, 440, 440, 0.5), out)
	}
	c.Bypassed()
	must(t, c.Update(Filters{Volume: ptr(0.5)}))
	silence := make([]float32, 2*960)
	_, n := c.Process(silence, out)
	for i, v := range out[:n] {
		if v != 0 {
			t.Fatalf("sample %d = %v: stale timescale audio resurfaced", i, v)
		}
	}
}
