package dsp

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

// stream pushes in through r in 20 ms input chunks into 20 ms output
// buffers, as the pipeline does.
func stream(r *Resampler, in []float32, inRate float64) []float32 {
	chunk := 2 * int(inRate/50)
	outBuf := make([]float32, 2*960)
	var out []float32
	for off := 0; off < len(in); off += chunk {
		c := in[off:min(off+chunk, len(in))]
		for len(c) > 0 {
			nIn, nOut := r.Process(c, outBuf)
			out = append(out, outBuf[:nOut]...)
			c = c[nIn:]
			if nIn == 0 && nOut == 0 {
				panic("no progress")
			}
		}
	}
	// Drain what the buffer still allows.
	for {
		_, nOut := r.Process(nil, outBuf)
		if nOut == 0 {
			break
		}
		out = append(out, outBuf[:nOut]...)
	}
	return out
}

func TestResamplerSNR(t *testing.T) {
	for _, q := range []Quality{QualityLow, QualityMedium, QualityHigh} {
		for _, freq := range []float64{997, 15000} {
			t.Run(fmt.Sprintf("q%d/%v", q, freq), func(t *testing.T) {
				r, err := NewResampler(44100, 48000, q)
				if err != nil {
					t.Fatal(err)
				}
				in := sine(44100, 44100, freq, freq*0.75, 0.5)
				out := stream(r, in, 44100)
				// Output sample j is input time j/48000 exactly; skip the
				// edges where the kernel meets the stream's ends.
				if got, want := len(out)/2, 48000; math.Abs(float64(got-want)) > 100 {
					t.Fatalf("got %d output frames, want ≈ %d", got, want)
				}
				for ch, f := range []float64{freq, freq * 0.75} {
					x := chanOf(out, ch)[2400:45000]
					amp, snr := fitSine(x, 48000, f)
					t.Logf("ch %d %v Hz: amp %.6f SNR %.1f dB", ch, f, amp, snr)
					if snr < 100 {
						t.Errorf("ch %d %v Hz: SNR %.1f dB, want ≥ 100", ch, f, snr)
					}
					if math.Abs(amp-0.5) > 0.001 {
						t.Errorf("ch %d: amplitude %.5f, want 0.5", ch, amp)
					}
				}
			})
		}
	}
}

// TestResamplerTiming checks that output sample j is input time j/out:
// the fitted phase of a resampled sine must match the ideal one.
func TestResamplerTiming(t *testing.T) {
	r, _ := NewResampler(44100, 48000, QualityLow)
	out := stream(r, sine(22050, 44100, 1000, 1000, 0.5), 44100)
	x := chanOf(out, 0)[1000:20000]
	var worst float64
	for j, v := range x {
		ideal := 0.5 * math.Sin(2*math.Pi*1000*float64(j+1000)/48000)
		worst = max(worst, math.Abs(float64(v)-ideal))
	}
	if worst > 1e-4 {
		t.Errorf("max deviation from the ideal time-aligned sine %.2g", worst)
	}
}

func TestResamplerAntiAlias(t *testing.T) {
	for _, q := range []Quality{QualityLow, QualityMedium, QualityHigh} {
		r, err := NewResampler(96000, 48000, q)
		if err != nil {
			t.Fatal(err)
		}
		// Left: 30 kHz (would alias to 18 kHz); right: 1 kHz passband.
		out := stream(r, sine(96000, 96000, 30000, 1000, 0.5), 96000)
		l := chanOf(out, 0)[2400:45000]
		att := db(rmsOf(l) / (0.5 / math.Sqrt2))
		_, snr := fitSine(chanOf(out, 1)[2400:45000], 48000, 1000)
		t.Logf("q%d: 30 kHz attenuated %.1f dB; 1 kHz SNR %.1f dB", q, att, snr)
		if att > -90 {
			t.Errorf("q%d: 30 kHz tone only %.1f dB down, want ≤ -90", q, att)
		}
		if snr < 100 {
			t.Errorf("q%d: 1 kHz passband SNR %.1f dB", q, snr)
		}
	}
}

// TestResamplerVariableRatio changes the ratio mid-stream (as timescale.rate
// does) and checks the output follows each ratio without a gap.
func TestResamplerVariableRatio(t *testing.T) {
	r, _ := NewResampler(48000, 48000, QualityLow)
	in := sine(48000, 48000, 1000, 1000, 0.5)
	outBuf := make([]float32, 2*4800)
	for i, ratio := range []float64{1, 1.25, 0.8, 2} {
		if err := r.SetRatio(48000*ratio, 48000); err != nil {
			t.Fatal(err)
		}
		seg := in[i*2*9600 : (i+1)*2*9600]
		total := 0
		for len(seg) > 0 {
			nIn, nOut := r.Process(seg, outBuf)
			seg = seg[nIn:]
			total += nOut / 2
		}
		if want := 9600 / ratio; math.Abs(float64(total)-want) > 60 {
			t.Errorf("ratio %v: %d output frames, want ≈ %.0f", ratio, total, want)
		}
	}
	if err := r.SetRatio(48000, 0); !errors.Is(err, ErrBadRate) {
		t.Errorf("SetRatio(…, 0) err = %v", err)
	}
	if _, err := NewResampler(math.NaN(), 48000, QualityLow); !errors.Is(err, ErrBadRate) {
		t.Errorf("NaN rate err = %v", err)
	}
}

func TestResamplerNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("race detector allocates")
	}
	r, _ := NewResampler(44100, 48000, QualityLow)
	in := sine(882, 44100, 440, 1000, 0.5)
	out := make([]float32, 2*1000)
	if a := testing.AllocsPerRun(100, func() { r.Process(in, out) }); a != 0 {
		t.Errorf("Process: %v allocs, want 0", a)
	}
}

func BenchmarkResample(b *testing.B) {
	for _, tc := range []struct {
		in float64
		q  Quality
	}{{44100, QualityLow}, {44100.5, QualityLow}, {44100, QualityMedium}, {44100, QualityHigh}, {96000, QualityLow}} {
		b.Run(fmt.Sprintf("%v_q%d", tc.in, tc.q), func(b *testing.B) {
			r, _ := NewResampler(tc.in, 48000, tc.q)
			inFrames := int(tc.in / 50)
			in := sine(inFrames, tc.in, 440, 1000, 0.5)
			out := make([]float32, 2*1100)
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				rest := in
				for len(rest) > 0 {
					nIn, _ := r.Process(rest, out)
					rest = rest[nIn:]
				}
			}
			reportFrame(b, cpu0)
		})
	}
}
