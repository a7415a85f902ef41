package dsp

import (
	"testing"
)

// Benchmarks process one 20 ms stereo 48 kHz frame per iteration: ns/op ÷
// 1000 is µs per frame and x_realtime is 20 ms over that.

func benchChain(b *testing.B, f Filters, volume int) {
	c, err := NewChainWith(f, QualityLow)
	if err != nil {
		b.Fatal(err)
	}
	c.SetVolume(volume)
	in := sine(960, 48000, 440, 1000, 0.5)
	out := make([]float32, 2*960)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		// Keep output at one frame per iteration whatever the tempo.
		n := 0
		for n < len(out) {
			_, w := c.Process(in, out[n:])
			n += w
		}
	}
	reportFrame(b, cpu0)
}

func BenchmarkFilter(b *testing.B) {
	all := allFilters()
	cases := []struct {
		name string
		f    Filters
		vol  int
	}{
		{"identity", Filters{}, 100},
		{"playerVolume", Filters{}, 80},
		{"volume", Filters{Volume: ptr(0.8)}, 100},
		{"equalizer15", Filters{Equalizer: func() (e []EqualizerBand) {
			for i := range Bands {
				e = append(e, EqualizerBand{Band: i, Gain: 0.1})
			}
			return e
		}()}, 100},
		{"equalizer3", Filters{Equalizer: all.Equalizer[:3]}, 100},
		{"karaoke", Filters{Karaoke: all.Karaoke}, 100},
		{"timescale_speed", Filters{Timescale: &Timescale{Speed: 1.25, Pitch: 1, Rate: 1}}, 100},
		{"timescale_nightcore", Filters{Timescale: &Timescale{Speed: 1.2, Pitch: 1.2, Rate: 1}}, 100},
		{"timescale_rate", Filters{Timescale: &Timescale{Speed: 1, Pitch: 1, Rate: 1.1}}, 100},
		{"tremolo", Filters{Tremolo: all.Tremolo}, 100},
		{"vibrato", Filters{Vibrato: all.Vibrato}, 100},
		{"rotation", Filters{Rotation: all.Rotation}, 100},
		{"distortion", Filters{Distortion: all.Distortion}, 100},
		{"channelMix", Filters{ChannelMix: all.ChannelMix}, 100},
		{"lowPass", Filters{LowPass: all.LowPass}, 100},
		{"all", all, 80},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) { benchChain(b, c.f, c.vol) })
	}
}

func BenchmarkProcessInt16(b *testing.B) {
	c, _ := NewChainWith(Filters{Volume: ptr(0.8)}, QualityLow)
	in := make([]int16, 2*960)
	out := make([]int16, 2*960)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		c.ProcessInt16(in, out)
	}
	reportFrame(b, cpu0)
}
