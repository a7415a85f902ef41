package opus

import (
	"testing"

	"github.com/audionode/audionode/node/dsp"
)

// BenchmarkTranscode is the Opus-source path when passthrough is off:
// decode a 20 ms packet, run the filter chain (player volume 80 %), encode
// at Lavalink's defaults. Compare with BenchmarkDecode + BenchmarkEncode.
func BenchmarkTranscode(b *testing.B) {
	enc, dec := newPair(b)
	src, err := NewEncoder(rate, 2, DefaultEncoderOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	in := tone(50 * frame)
	pkts := make([][]byte, 50)
	for i := range pkts {
		p := make([]byte, 1276)
		n, err := src.Encode(in[i*2*frame:(i+1)*2*frame], p)
		if err != nil {
			b.Fatal(err)
		}
		pkts[i] = p[:n]
	}
	chain := dsp.NewChain(dsp.QualityLow)
	chain.SetVolume(80)
	pcm := make([]float32, 2*frame)
	out := make([]float32, 2*frame)
	pkt := make([]byte, 1276)
	b.ReportAllocs()
	cpu0 := cpuTime()
	i := 0
	for b.Loop() {
		n, err := dec.DecodeFloat(pkts[i], pcm)
		if err != nil {
			b.Fatal(err)
		}
		chain.Process(pcm[:2*n], out)
		if _, err := enc.EncodeFloat(out, pkt); err != nil {
			b.Fatal(err)
		}
		i = (i + 1) % 50
	}
	reportFrame(b, cpu0)
}
