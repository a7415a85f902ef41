package main

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"testing"
)

// TestReproducesTable: probing the decoder again yields the committed
// codebooks byte for byte, so node/media/aac/tab_spectral.go and
// tab_sf.go are what this program derives and nothing else.
func TestReproducesTable(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	got, err := generate(t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tab_spectral.go", "tab_sf.go"} {
		want, err := os.ReadFile("../../node/media/aac/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[name], want) {
			t.Errorf("node/media/aac/%s differs from what go run ./hack/aacbooks writes", name)
		}
	}
}

// TestValuesFromPCM: the least-squares read-back recovers a known tuple
// from a synthesised frame output, signs and escape cap included.
func TestValuesFromPCM(t *testing.T) {
	p := &prober{}
	p.basis()
	for _, tc := range []struct {
		cb   int
		q    [bins]int
		want [4]int
	}{
		{1, [bins]int{1, -1, 0, 1, 0, 0, 1, 0}, [4]int{1, -1, 0, 1}},
		{3, [bins]int{2, -1, 0, 2}, [4]int{2, 1, 0, 2}},
		{11, [bins]int{-300, 15, 7, 0}, [4]int{16, 15}},
	} {
		y := make([]float64, 2*frameLen)
		for k, q := range tc.q {
			spec := sign(q) * pow43(q) // ×2^16 / 2^16
			for i := range y {
				y[i] += spec / float64(2*frameLen) * 4 * p.basisVecs[k][i]
			}
		}
		got, err := p.values(tc.cb, y)
		if err != nil || got != tc.want {
			t.Errorf("book %d %v: %v, %v; want %v", tc.cb, tc.q, got, err, tc.want)
		}
	}
}

func sign(q int) float64 {
	if q < 0 {
		return -1
	}
	return 1
}

func pow43(q int) float64 { return math.Pow(math.Abs(float64(q)), 4.0/3) }
