package vorbis

import (
	"errors"
	"os"
	"slices"
	"testing"
	"time"
)

// TestDecodeAllocs: decoding a packet allocates nothing.
func TestDecodeAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations differ under the race detector")
	}
	d, pkts, _ := openFixture(t, fixtureByName(t, "burst44q5.ogg"))
	buf := make([]float32, d.BufferSize())
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := d.DecodeInto(pkts[i%len(pkts)], buf); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs != 0 {
		t.Errorf("%v allocations per packet, want 0", allocs)
	}
}

// TestEmptyFloorPartitions: libvorbis gives the 5.1 LFE a floor 1 with
// no partitions (the header jfreymuth/vorbis misread); it must parse and
// the file decode (TestMatchesFFmpeg checks the samples).
func TestEmptyFloorPartitions(t *testing.T) {
	d, _, _ := openFixture(t, fixtureByName(t, "surround48q3.ogg"))
	empty := 0
	for _, f := range d.floors {
		if len(f.partClass) == 0 {
			empty++
		}
	}
	if empty == 0 {
		t.Error("no floor without partitions in the 5.1 file")
	}
}

// TestReset: after Reset the first packet returns nothing and the next
// ones equal a decode from the start.
func TestReset(t *testing.T) {
	d, pkts, _ := openFixture(t, fixtureByName(t, "burst44q5.ogg"))
	var want [][]float32
	buf := make([]float32, d.BufferSize())
	for _, p := range pkts {
		out, err := d.DecodeInto(p, buf)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, slices.Clone(out))
	}
	for _, k := range []int{5, 40, 41, 100} {
		d.Reset()
		out, err := d.DecodeInto(pkts[k], buf)
		if err != nil || len(out) != 0 {
			t.Fatalf("first packet after reset: %d samples, %v", len(out), err)
		}
		for j := k + 1; j < k+6; j++ {
			out, err := d.DecodeInto(pkts[j], buf)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(out, want[j]) {
				t.Fatalf("reset at %d: packet %d differs", k, j)
			}
		}
	}
}

// TestTruncatedPackets decodes every packet cut short at several points:
// the decoder treats the end as the spec's end-of-packet and returns the
// usual number of samples, or an error before the mode is known.
func TestTruncatedPackets(t *testing.T) {
	d, pkts, _ := openFixture(t, fixtureByName(t, "surround48q3.ogg"))
	buf := make([]float32, d.BufferSize())
	for i, p := range pkts[:min(len(pkts), 60)] {
		for _, n := range []int{0, 1, len(p) / 3, len(p) / 2, len(p) - 1} {
			if _, err := d.DecodeInto(p[:n], buf); err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("packet %d cut at %d: %v", i, n, err)
			}
		}
		if _, err := d.DecodeInto(p, buf); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.DecodeInto([]byte{1}, buf); !errors.Is(err, ErrMalformed) {
		t.Errorf("header bit set: %v", err)
	}
}

// BenchmarkDecode decodes a q5 stereo 44.1 kHz file packet by packet.
func BenchmarkDecode(b *testing.B) {
	d, pkts, last := openFixture(b, fixtureByName(b, "stereo44q5.ogg"))
	buf := make([]float32, d.BufferSize())
	files := 0
	b.ReportAllocs()
	for b.Loop() {
		d.Reset()
		for _, p := range pkts {
			if _, err := d.DecodeInto(p, buf); err != nil {
				b.Fatal(err)
			}
		}
		files++
	}
	audio := time.Duration(float64(last) / float64(d.SampleRate()) * float64(time.Second) * float64(files))
	b.ReportMetric(audio.Seconds()/b.Elapsed().Seconds(), "x_realtime")
}

// fuzzSeeds are the header and audio packets of real files.
func fuzzSeeds(f *testing.F) [][][]byte {
	var seeds [][][]byte
	for _, name := range []string{"stereo44q0.ogg", "surround48q3.ogg", "burst44q5.ogg"} {
		b, err := os.ReadFile(fixtureByName(f, name))
		if err != nil {
			f.Fatal(err)
		}
		pkts, _ := oggPackets(f, b)
		seeds = append(seeds, pkts[:min(len(pkts), 7)]) // small inputs keep minimisation quick
	}
	return seeds
}

// FuzzSetup reads mutated setup headers after a real identification and
// comment header.
func FuzzSetup(f *testing.F) {
	f.Add(defaults().bytes())
	ident := identMono
	for _, s := range fuzzSeeds(f) {
		f.Add(s[2])
		ident = s[0]
	}
	f.Fuzz(func(t *testing.T, setup []byte) {
		d := NewDecoder()
		if err := d.ReadHeader(ident); err != nil {
			t.Fatal(err)
		}
		if err := d.SkipComment(); err != nil {
			t.Fatal(err)
		}
		if err := d.ReadHeader(setup); err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
			t.Fatalf("unmatchable error %v", err)
		}
	})
}

// FuzzDecode feeds a real file's headers and mutated audio packets, or
// mutated headers: no panic, output within BufferSize.
func FuzzDecode(f *testing.F) {
	seeds := fuzzSeeds(f)
	for i, s := range seeds {
		var audio []byte
		for _, p := range s[3:] {
			audio = append(audio, byte(len(p)>>8), byte(len(p)))
			audio = append(audio, p...)
		}
		f.Add(uint8(i), s[2], audio)
	}
	f.Fuzz(func(t *testing.T, which uint8, setup, audio []byte) {
		s := seeds[int(which)%len(seeds)]
		d := NewDecoder()
		if d.ReadHeader(s[0]) != nil || d.ReadHeader(s[1]) != nil || d.ReadHeader(setup) != nil {
			return
		}
		buf := make([]float32, d.BufferSize())
		for len(audio) >= 2 {
			n := min(int(audio[0])<<8|int(audio[1]), len(audio)-2)
			out, err := d.DecodeInto(audio[2:2+n], buf)
			if err == nil && len(out) > d.BufferSize() {
				t.Fatalf("%d samples from one packet", len(out))
			}
			audio = audio[2+n:]
		}
	})
}
