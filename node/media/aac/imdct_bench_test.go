package aac

import "testing"

func BenchmarkIMDCT2048(b *testing.B) {
	t := newIMDCT(2048)
	in := make([]float32, 1024)
	out := make([]float32, 2048)
	for i := range in {
		in[i] = float32(i % 7)
	}
	b.ReportAllocs()
	for b.Loop() {
		t.transform(in, out)
	}
}
