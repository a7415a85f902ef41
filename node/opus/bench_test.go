package opus

import "testing"

// The benchmarks work on one 20 ms stereo 48 kHz frame; ns/op ÷ 1000 is
// µs per frame, and 20 ms ÷ that is the ×realtime figure.

func BenchmarkEncode(b *testing.B) {
	for name, opts := range map[string]EncoderOptions{
		"c10_auto": DefaultEncoderOptions(),
		"c10_128k": {Complexity: 10, Bitrate: 128000},
		"c5_auto":  {Complexity: 5},
	} {
		b.Run(name, func(b *testing.B) {
			enc, err := NewEncoder(rate, 2, opts)
			if err != nil {
				b.Fatal(err)
			}
			defer enc.Close()
			in := tone(50 * frame)
			pkt := make([]byte, 1276)
			b.ReportAllocs()
			cpu0 := cpuTime()
			i := 0
			for b.Loop() {
				if _, err := enc.Encode(in[i*2*frame:(i+1)*2*frame], pkt); err != nil {
					b.Fatal(err)
				}
				i = (i + 1) % 50
			}
			reportFrame(b, cpu0)
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	enc, dec := newPair(b)
	in := tone(50 * frame)
	pkts := make([][]byte, 50)
	for i := range pkts {
		pkt := make([]byte, 1276)
		n, err := enc.Encode(in[i*2*frame:(i+1)*2*frame], pkt)
		if err != nil {
			b.Fatal(err)
		}
		pkts[i] = pkt[:n]
	}
	pcm := make([]int16, 2*frame)
	b.ReportAllocs()
	cpu0 := cpuTime()
	i := 0
	for b.Loop() {
		if _, err := dec.Decode(pkts[i], pcm); err != nil {
			b.Fatal(err)
		}
		i = (i + 1) % 50
	}
	reportFrame(b, cpu0)
}

// BenchmarkCodecFloat is decode + encode through the float32 API with
// nothing between: the baseline for BenchmarkTranscode and the switcher.
func BenchmarkCodecFloat(b *testing.B) {
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
	pcm := make([]float32, 2*frame)
	pkt := make([]byte, 1276)
	b.ReportAllocs()
	cpu0 := cpuTime()
	i := 0
	for b.Loop() {
		if _, err := dec.DecodeFloat(pkts[i], pcm); err != nil {
			b.Fatal(err)
		}
		if _, err := enc.EncodeFloat(pcm, pkt); err != nil {
			b.Fatal(err)
		}
		i = (i + 1) % 50
	}
	reportFrame(b, cpu0)
}
