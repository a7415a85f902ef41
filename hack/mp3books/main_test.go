package main

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// TestReproducesTable: probing the decoder again yields the committed
// tables byte for byte, so node/media/mp3/huffdata.go is what this
// program derives and nothing else.
func TestReproducesTable(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	want, err := os.ReadFile("../../node/media/mp3/huffdata.go")
	if err != nil {
		t.Fatal(err)
	}
	got, err := generate(t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("node/media/mp3/huffdata.go differs from what go run ./hack/mp3books writes")
	}
}

// TestFrameLayout: the probe frames are well-formed MPEG-1 Layer III
// frames of the declared size with the query where part 3 starts.
func TestFrameLayout(t *testing.T) {
	q := query{sel: 13, bits: "0000000011100"}
	f := frame(&q)
	if len(f) != frameBytes || f[0] != 0xFF || f[1] != 0xFB || f[2] != 0xE0 || f[3] != 0xC0 {
		t.Fatalf("header % x, %d bytes", f[:4], len(f))
	}
	// Side information is 17 bytes for mono: part 3 starts at byte 21.
	if f[21] != 0x00 || f[22] != 0xE7 {
		t.Errorf("main data starts % x, want 00 e7 (query bits, then ones)", f[21:23])
	}
	if z := frame(nil); len(z) != frameBytes || !bytes.Equal(z[21:], make([]byte, frameBytes-21)) {
		t.Error("silent frame carries main data")
	}
}
