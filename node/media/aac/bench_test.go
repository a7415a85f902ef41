package aac

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkDecode decodes ffmpeg's 128 kbps 44.1 kHz stereo tone.
func BenchmarkDecode(b *testing.B) {
	_, aus, d := openADTS(b, fixturePath(b, "tone128.aac"))
	benchFrames(b, d, aus, 44100)
}

// BenchmarkDecodeSynthetic decodes dense random CPE frames (all window
// sequences, M/S, intensity, escapes): every stage at a far higher bit
// rate than 128 kbps.
func BenchmarkDecodeSynthetic(b *testing.B) {
	tb := spectralCodes
	d := newTestDecoder(b)
	rng := rand.New(rand.NewPCG(1, 1))
	var aus [][]byte
	for i := 0; i < 16; i++ {
		seq := onlyLong
		if i%8 == 3 {
			seq = longStart
		} else if i%8 == 4 {
			seq = eightShort
		} else if i%8 == 5 {
			seq = longStop
		}
		aus = append(aus, randomFrame(rng, d, tb, seq))
	}
	benchFrames(b, d, aus, 44100)
}

func benchFrames(b *testing.B, d *Decoder, aus [][]byte, rate int) {
	dst := make([]float32, 2048)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := d.Decode(aus[i%len(aus)], dst); err != nil {
			b.Fatal(err)
		}
		i++
	}
	perFrame := b.Elapsed().Seconds() / float64(i)
	b.ReportMetric(1024/float64(rate)/perFrame, "x_realtime")
}
