package media

import (
	"encoding/binary"
	"io"
	"testing"
)

// fakeUnits is an auSource of n units of 1024 frames whose bytes hold
// their index.
type fakeUnits struct {
	n, i int
	b    [4]byte
}

func (f *fakeUnits) timescale() int64 { return 44100 }

func (f *fakeUnits) next() ([]byte, int64, error) {
	if f.i >= f.n {
		return nil, 0, io.EOF
	}
	binary.BigEndian.PutUint32(f.b[:], uint32(f.i))
	f.i++
	return f.b[:], int64(f.i-1) * 1024, nil
}

func (f *fakeUnits) seek(ts int64) (int64, error) {
	f.i = min(int(ts/1024), f.n)
	return int64(f.i) * 1024, nil
}

// rampDecoder "decodes" unit k into frames numbered 1024k+j on both
// channels, so the output names the decoded frame it came from.
type rampDecoder struct{ resets int }

func (d *rampDecoder) Decode(au []byte, dst []float32) (int, error) {
	k := int(binary.BigEndian.Uint32(au))
	for j := range 1024 {
		dst[2*j], dst[2*j+1] = float32(k*1024+j), float32(k*1024+j)
	}
	return 1024, nil
}

func (d *rampDecoder) Reset() { d.resets++ }

// TestAUPCM: the edit list's priming is trimmed, the end is cut where the
// edit ends, and seeks return the frame reached.
func TestAUPCM(t *testing.T) {
	const units, skip, total = 50, 1024, 44100
	src := &fakeUnits{n: units}
	p := newAUPCM(src, &rampDecoder{}, trackInfo{rate: 44100, skip: skip}, skip+total, 1024)
	if p.frames() != total {
		t.Fatalf("frames %d, want %d", p.frames(), total)
	}
	var got []float32
	buf := make([]float32, 2*700)
	for {
		n, err := p.read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(got)/2 != total {
		t.Fatalf("%d frames, want %d", len(got)/2, total)
	}
	if got[0] != skip || got[len(got)-1] != skip+total-1 {
		t.Fatalf("frames %v..%v, want %d..%d", got[0], got[len(got)-1], skip, skip+total-1)
	}
	for _, want := range []int64{0, 1, 1023, 5000, 30000, total - 1} {
		reached, err := p.seek(want)
		if err != nil {
			t.Fatal(err)
		}
		if reached > want || want-reached > 2*1024 {
			t.Fatalf("seek %d reached %d", want, reached)
		}
		// Drop up to the target as Stream does, then expect the target.
		drop := int(want - reached)
		var out []float32
		for len(out) < 2*(drop+1) {
			n, err := p.read(buf)
			out = append(out, buf[:n]...)
			if err != nil {
				break
			}
		}
		if v := out[2*drop]; v != float32(want+skip) {
			t.Fatalf("seek %d: frame %v, want %d", want, v, want+skip)
		}
	}
}

// TestAUPCMAllocs: reading 20 ms frames allocates nothing once running.
func TestAUPCMAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations differ under the race detector")
	}
	p := newAUPCM(&fakeUnits{n: 1 << 30}, &rampDecoder{}, trackInfo{rate: 48000}, -1, 1024)
	buf := make([]float32, 2*960)
	if allocs := testing.AllocsPerRun(200, func() {
		if _, err := p.read(buf); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Fatalf("%v allocations per frame", allocs)
	}
}
