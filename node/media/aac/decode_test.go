package aac

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// randomFrame encodes a CPE raw_data_block with random content, its
// spectral data coded with tb (spectralCodes).
func randomFrame(rng *rand.Rand, d *Decoder, tb [12][]huffCode, seq int) []byte {
	grouping := rng.Uint32() & 0x7f
	maxSfb := 49
	if seq == eightShort {
		maxSfb = 14
	}
	info := testInfo(d, seq, grouping, maxSfb)
	var w bitWriter
	w.put(idCPE, 3)
	w.put(0, 4)
	w.put(1, 1)
	writeICSInfo(&w, &info, grouping)
	w.put(2, 2) // M/S on every band
	encodeICS(&w, &info, randomChannel(rng, &info, false), tb)
	encodeICS(&w, &info, randomChannel(rng, &info, true), tb)
	w.put(idEND, 3)
	return w.b
}

func newTestDecoder(t testing.TB) *Decoder {
	d, err := NewDecoder(Config{ObjectType: 2, SampleRate: 44100, Channels: 2, ChannelConfig: 2})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDecodeAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	tb := spectralCodes
	d := newTestDecoder(t)
	rng := rand.New(rand.NewPCG(1, 2))
	var frames [][]byte
	for i := 0; i < 8; i++ {
		frames = append(frames, randomFrame(rng, d, tb, []int{onlyLong, longStart, eightShort, longStop}[i%4]))
	}
	dst := make([]float32, 2048)
	i := 0
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := d.Decode(frames[i%len(frames)], dst); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs != 0 {
		t.Errorf("%v allocations per Decode", allocs)
	}
}

func TestDecodeErrors(t *testing.T) {
	tb := spectralCodes
	d := newTestDecoder(t)
	good := randomFrame(rand.New(rand.NewPCG(5, 5)), d, tb, onlyLong)
	sce := func(f func(w *bitWriter)) []byte {
		var w bitWriter
		w.put(idSCE, 3)
		w.put(0, 4)
		w.put(100, 8) // global gain
		f(&w)
		return w.b
	}
	tests := map[string]struct {
		au  []byte
		err error
	}{
		"empty":        {nil, ErrMalformed},
		"truncated":    {good[:len(good)/2], ErrMalformed},
		"no end":       {good[:len(good)-1], ErrMalformed},
		"garbage":      {[]byte{0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03}, ErrMalformed},
		"only end":     {[]byte{0xe0}, ErrMalformed},
		"reserved bit": {sce(func(w *bitWriter) { w.put(1, 1) }), ErrMalformed},
		"max_sfb > bands": {sce(func(w *bitWriter) {
			w.put(0, 4)
			w.put(50, 6) // 44.1 kHz has 49 long bands
			w.put(0, 40)
		}), ErrMalformed},
		"codebook 12": {sce(func(w *bitWriter) {
			shortInfo(w, 3)
			w.put(12, 4)
			w.put(0, 40)
		}), ErrMalformed},
		"section past max_sfb": {sce(func(w *bitWriter) {
			shortInfo(w, 3)
			w.put(1, 4)
			w.put(4, 3)
			w.put(0, 40)
		}), ErrMalformed},
		"predictor (Main)": {sce(func(w *bitWriter) {
			w.put(0, 4) // reserved, ONLY_LONG, sine
			w.put(10, 6)
			w.put(1, 1)
			w.put(0, 40)
		}), ErrUnsupported},
		"coupling channel": {[]byte{idCCE << 5, 0, 0, 0}, ErrUnsupported},
		"pulse in short window": {sce(func(w *bitWriter) {
			shortInfo(w, 0) // max_sfb 0: no sections or scale factors
			w.put(1, 1)     // pulse_data_present
			w.put(0, 20)
		}), ErrMalformed},
	}
	dst := make([]float32, 2048)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := d.Decode(tc.au, dst)
			if !errors.Is(err, tc.err) {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
			t.Log(err)
		})
	}
	if _, err := d.Decode(good, dst[:100]); err == nil {
		t.Error("short dst accepted")
	}
}

// shortInfo writes ics_info for an EIGHT_SHORT_SEQUENCE without grouping.
func shortInfo(w *bitWriter, maxSfb int) {
	w.put(0, 1)
	w.put(eightShort, 2)
	w.put(0, 1)
	w.put(uint32(maxSfb), 4)
	w.put(0x7f, 7) // one group of eight
}

// TestDecodeBlock splits concatenated raw_data_blocks (a multi-block ADTS
// frame without CRC) by decoding them.
func TestDecodeBlock(t *testing.T) {
	tb := spectralCodes
	d := newTestDecoder(t)
	rng := rand.New(rand.NewPCG(8, 8))
	var blocks [][]byte
	var all []byte
	for _, seq := range []int{onlyLong, longStart, eightShort, longStop} {
		b := randomFrame(rng, d, tb, seq)
		blocks = append(blocks, b)
		all = append(all, b...)
	}
	dst := make([]float32, 2048)
	for i, b := range blocks {
		n, used, err := d.DecodeBlock(all, dst)
		if err != nil || n != 1024 || used != len(b) {
			t.Fatalf("block %d: %d samples, %d bytes used of %d, %v", i, n, used, len(b), err)
		}
		all = all[used:]
	}
	if len(all) != 0 {
		t.Fatalf("%d bytes left", len(all))
	}
}
