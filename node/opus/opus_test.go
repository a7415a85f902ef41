package opus

import (
	"math"
	"testing"
)

const (
	rate  = 48000
	frame = 960 // 20 ms
)

// tone fills n stereo frames: 440 Hz left, 1000 Hz right at -12 dBFS.
func tone(n int) []int16 {
	amp := math.Pow(10, -12.0/20) * 32767
	pcm := make([]int16, 2*n)
	for i := range n {
		t := float64(i) / rate
		pcm[2*i] = int16(amp * math.Sin(2*math.Pi*440*t))
		pcm[2*i+1] = int16(amp * math.Sin(2*math.Pi*1000*t))
	}
	return pcm
}

// fit returns the amplitude of the best least-squares sine at freq in one
// channel of x, and the SNR of that fit in dB.
func fit(x []float64, freq float64) (amp, snr float64) {
	var ss, cc, sc, xs, xc float64
	for i, v := range x {
		w := 2 * math.Pi * freq * float64(i) / rate
		s, c := math.Sin(w), math.Cos(w)
		ss += s * s
		cc += c * c
		sc += s * c
		xs += v * s
		xc += v * c
	}
	det := ss*cc - sc*sc
	a := (xs*cc - xc*sc) / det
	b := (xc*ss - xs*sc) / det
	var sig, noise float64
	for i, v := range x {
		w := 2 * math.Pi * freq * float64(i) / rate
		y := a*math.Sin(w) + b*math.Cos(w)
		sig += y * y
		noise += (v - y) * (v - y)
	}
	return math.Hypot(a, b), 10 * math.Log10(sig/noise)
}

func channel(pcm []int16, ch int) []float64 {
	out := make([]float64, len(pcm)/2)
	for i := range out {
		out[i] = float64(pcm[2*i+ch]) / 32768
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	tests := map[string]struct {
		opts   EncoderOptions
		minSNR float64
	}{
		"default":      {DefaultEncoderOptions(), 25},
		"128k cbr":     {EncoderOptions{Complexity: 10, Bitrate: 128000, DisableVBR: true}, 25},
		"complexity 0": {EncoderOptions{Complexity: 0}, 20},
		// FEC spends bits on redundancy (dependencies.md §2 saw 23 dB).
		"fec loss 5": {EncoderOptions{Complexity: 10, FEC: true, PacketLossPercent: 5}, 14},
	}
	for name, tc := range tests {
		opts := tc.opts
		t.Run(name, func(t *testing.T) {
			enc, err := NewEncoder(rate, 2, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer enc.Close()
			dec, err := NewDecoder(rate, 2)
			if err != nil {
				t.Fatal(err)
			}
			defer dec.Close()
			const frames = 50
			in := tone(frames * frame)
			out := make([]int16, 0, len(in))
			pkt := make([]byte, 1276)
			pcm := make([]int16, 2*frame)
			for f := range frames {
				n, err := enc.Encode(in[f*2*frame:(f+1)*2*frame], pkt)
				if err != nil {
					t.Fatal(err)
				}
				if got, err := PacketSamples(pkt[:n]); err != nil || got != frame {
					t.Fatalf("PacketSamples = %d, %v; want %d", got, err, frame)
				}
				m, err := dec.Decode(pkt[:n], pcm)
				if err != nil || m != frame {
					t.Fatalf("Decode = %d, %v; want %d", m, err, frame)
				}
				out = append(out, pcm[:2*m]...)
			}
			// Skip the first 100 ms: the codec's delay and its start-up.
			out = out[2*4800:]
			want := math.Pow(10, -12.0/20)
			for ch, freq := range []float64{440, 1000} {
				x := channel(out, ch)
				amp, snr := fit(x, freq)
				if math.Abs(20*math.Log10(amp/want)) > 1 {
					t.Errorf("ch %d: amplitude %.4f, want %.4f ±1 dB", ch, amp, want)
				}
				t.Logf("ch %d: %v Hz amplitude %.4f SNR %.1f dB", ch, freq, amp, snr)
				if snr < tc.minSNR {
					t.Errorf("ch %d: SNR %.1f dB at %v Hz, want ≥ %v", ch, snr, freq, tc.minSNR)
				}
				// The other channel's tone must not leak in (-40 dB).
				if leak, _ := fit(x, 1440-freq); leak > want/100 {
					t.Errorf("ch %d: crosstalk %.5f of the other tone", ch, leak)
				}
			}
		})
	}
}
