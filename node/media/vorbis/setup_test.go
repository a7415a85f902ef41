package vorbis

import (
	"errors"
	"math"
	"testing"
)

// bitWriter packs fields LSB first, as the Vorbis headers are read.
type bitWriter struct {
	b []byte
	n uint
}

func (w *bitWriter) put(v uint32, n uint) *bitWriter {
	for i := range n {
		if w.n%8 == 0 {
			w.b = append(w.b, 0)
		}
		w.b[len(w.b)-1] |= byte(v>>i&1) << (w.n % 8)
		w.n++
	}
	return w
}

// setupSpec describes a small synthetic setup header; its zero value
// with defaults() is valid: one 2-entry VQ book, floor 1 without
// partitions, residue 2, one mapping and one short mode.
type setupSpec struct {
	sync       uint32
	dim        uint32
	entries    uint32
	ordered    bool
	lengths    []uint32 // each stored minus one in 5 bits
	lookup     uint32
	timeType   uint32
	floorType  uint32
	floorParts int // partitions of class 0 with two X values each
	xs         []uint32
	resType    uint32
	resBook    uint32
	coupling   bool
	modeMap    uint32
	framing    uint32
}

func defaults() setupSpec {
	return setupSpec{sync: syncPattern, dim: 1, entries: 2, lengths: []uint32{1, 1}, lookup: 1, floorType: 1, resType: 2, framing: 1}
}

func (s setupSpec) bytes() []byte {
	w := &bitWriter{b: []byte("\x05vorbis")}
	w.n = 8 * 7
	w.put(0, 8) // one codebook
	w.put(s.sync, 24).put(s.dim, 16).put(s.entries, 24)
	if s.ordered {
		// One run of length 1 covering every entry.
		w.put(1, 1).put(0, 5).put(s.entries, ilog(s.entries))
	} else {
		w.put(0, 1).put(0, 1)
		for _, l := range s.lengths {
			w.put(l-1, 5)
		}
	}
	w.put(s.lookup, 4)
	if s.lookup == 1 || s.lookup == 2 {
		w.put(0x60e00000, 32).put(0x60e00000, 32) // 2^-0 mantissa... see float32Unpack
		w.put(0, 4).put(0, 1)
		n := int(s.entries) * int(s.dim)
		if s.lookup == 1 {
			n = lookup1Values(int(s.entries), int(s.dim))
		}
		for i := range n {
			w.put(uint32(i&1), 1)
		}
	}
	w.put(0, 6).put(s.timeType, 16)
	w.put(0, 6).put(s.floorType, 16)
	w.put(uint32(s.floorParts), 5)
	for range s.floorParts {
		w.put(0, 4)
	}
	if s.floorParts > 0 {
		w.put(1, 3).put(0, 2).put(1, 8) // class 0: dimension 2, book 0
	}
	w.put(0, 2).put(4, 4)
	for _, x := range s.xs {
		w.put(x, 4)
	}
	w.put(0, 6).put(s.resType, 16)
	w.put(0, 24).put(64, 24).put(7, 24).put(0, 6).put(0, 8)
	w.put(1, 3).put(0, 1).put(s.resBook, 8)
	w.put(0, 6).put(0, 16).put(0, 1)
	if s.coupling {
		w.put(1, 1).put(0, 8).put(0, 1).put(0, 1) // step 0: channels 0 and 0
	} else {
		w.put(0, 1)
	}
	w.put(0, 2).put(0, 8).put(0, 8).put(0, 8)
	w.put(0, 6).put(0, 1).put(0, 16).put(0, 16).put(s.modeMap, 8)
	w.put(s.framing, 1)
	return w.b
}

// identMono is an identification header: mono, 44.1 kHz, blocks 256 and
// 2048.
var identMono = func() []byte {
	b := make([]byte, 30)
	copy(b, "\x01vorbis")
	b[11] = 1                 // channels
	b[12], b[13] = 0x44, 0xac // 44100 Hz
	b[28], b[29] = 0xb8, 1    // blocks 2^8 and 2^11, framing
	return b
}()

var commentEmpty = []byte("\x03vorbis\x00\x00\x00\x00\x00\x00\x00\x00\x01")

// TestHeaders feeds good and broken headers; errors must match the
// sentinels.
func TestHeaders(t *testing.T) {
	mod := func(f func(*setupSpec)) []byte {
		s := defaults()
		f(&s)
		return s.bytes()
	}
	good := defaults().bytes()
	tests := map[string]struct {
		ident, comment, setup []byte
		want                  error
	}{
		"valid":                  {setup: good},
		"valid ordered lengths":  {setup: mod(func(s *setupSpec) { s.ordered = true })},
		"valid floor partitions": {setup: mod(func(s *setupSpec) { s.floorParts = 1; s.xs = []uint32{3, 9} })},
		"ident short":            {ident: identMono[:20], want: ErrMalformed},
		"ident version":          {ident: patch(identMono, 7, 1), want: ErrMalformed},
		"ident no channels":      {ident: patch(identMono, 11, 0), want: ErrMalformed},
		"ident block sizes":      {ident: patch(identMono, 28, 0x8b), want: ErrMalformed},
		"ident block size 2^14":  {ident: patch(identMono, 28, 0xe8), want: ErrMalformed},
		"ident framing":          {ident: patch(identMono, 29, 0), want: ErrMalformed},
		"comment vendor length":  {comment: patch(commentEmpty, 7, 0xff), want: ErrMalformed},
		"comment count":          {comment: patch(commentEmpty, 11, 5), want: ErrMalformed},
		"comment framing":        {comment: commentEmpty[:15], want: ErrMalformed},
		"setup bad sync":         {setup: mod(func(s *setupSpec) { s.sync = 0x564343 }), want: ErrMalformed},
		"setup dimension 0":      {setup: mod(func(s *setupSpec) { s.dim = 0 }), want: ErrMalformed},
		"setup overspecified":    {setup: mod(func(s *setupSpec) { s.entries = 3; s.lengths = []uint32{1, 1, 1} }), want: ErrMalformed},
		"setup underspecified":   {setup: mod(func(s *setupSpec) { s.entries = 3; s.lengths = []uint32{1, 2, 3} }), want: ErrMalformed},
		"setup huge codebook":    {setup: mod(func(s *setupSpec) { s.entries = 1<<24 - 1; s.ordered = true; s.lookup = 0 }), want: ErrUnsupported},
		"setup partition vs dim": {setup: mod(func(s *setupSpec) { s.dim = 65535; s.lookup = 2 }), want: ErrUnsupported},
		"setup lookup type 3":    {setup: mod(func(s *setupSpec) { s.lookup = 3 }), want: ErrMalformed},
		"setup time type":        {setup: mod(func(s *setupSpec) { s.timeType = 1 }), want: ErrMalformed},
		"setup floor 0":          {setup: mod(func(s *setupSpec) { s.floorType = 0 }), want: ErrUnsupported},
		"setup floor type 2":     {setup: mod(func(s *setupSpec) { s.floorType = 2 }), want: ErrMalformed},
		"setup floor repeats X":  {setup: mod(func(s *setupSpec) { s.floorParts = 1; s.xs = []uint32{5, 5} }), want: ErrMalformed},
		"setup floor X 0 again":  {setup: mod(func(s *setupSpec) { s.floorParts = 1; s.xs = []uint32{0, 5} }), want: ErrMalformed},
		"setup residue type 3":   {setup: mod(func(s *setupSpec) { s.resType = 3 }), want: ErrMalformed},
		"setup residue book":     {setup: mod(func(s *setupSpec) { s.resBook = 7 }), want: ErrMalformed},
		"setup residue no VQ":    {setup: mod(func(s *setupSpec) { s.lookup = 0 }), want: ErrMalformed},
		"setup self coupling":    {setup: mod(func(s *setupSpec) { s.coupling = true }), want: ErrMalformed},
		"setup mode mapping":     {setup: mod(func(s *setupSpec) { s.modeMap = 1 }), want: ErrMalformed},
		"setup framing":          {setup: mod(func(s *setupSpec) { s.framing = 0 }), want: ErrMalformed},
		"setup truncated":        {setup: good[:len(good)-3], want: ErrMalformed},
		"setup truncated book":   {setup: good[:14], want: ErrMalformed},
		"setup wrong type":       {setup: patch(good, 0, 3), want: ErrMalformed},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ident, comment, setup := identMono, commentEmpty, good
			if tc.ident != nil {
				ident = tc.ident
			}
			if tc.comment != nil {
				comment = tc.comment
			}
			if tc.setup != nil {
				setup = tc.setup
			}
			d := NewDecoder()
			err := d.ReadHeader(ident)
			if err == nil {
				err = d.ReadHeader(comment)
			}
			if err == nil {
				err = d.ReadHeader(setup)
			}
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if !d.HeadersRead() || d.Channels() != 1 || d.SampleRate() != 44100 {
					t.Errorf("headers read %v, %d channels at %d Hz", d.HeadersRead(), d.Channels(), d.SampleRate())
				}
				if s, l := d.BlockSizes(); s != 256 || l != 2048 {
					t.Errorf("block sizes %d, %d", s, l)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func patch(b []byte, i int, v byte) []byte {
	b = append([]byte(nil), b...)
	b[i] = v
	return b
}

// TestHeaderOrder: audio before the setup and headers out of order are
// errors.
func TestHeaderOrder(t *testing.T) {
	d := NewDecoder()
	if _, err := d.DecodeInto([]byte{0}, nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("audio before headers: %v", err)
	}
	if err := d.ReadHeader(commentEmpty); !errors.Is(err, ErrMalformed) {
		t.Errorf("comment first: %v", err)
	}
	if err := d.ReadHeader(identMono); err != nil {
		t.Fatal(err)
	}
	if err := d.ReadHeader(defaults().bytes()); !errors.Is(err, ErrMalformed) {
		t.Errorf("setup before comment: %v", err)
	}
	if err := d.ReadHeader([]byte("\x03vorbi")); !errors.Is(err, ErrMalformed) {
		t.Errorf("short header: %v", err)
	}
}

// TestInverseDB checks the computed floor1_inverse_dB_table against
// entries printed in the Vorbis I specification (§10.1).
func TestInverseDB(t *testing.T) {
	spec := map[int]float64{
		0: 1.0649863e-07, 1: 1.1341951e-07, 2: 1.2079015e-07, 3: 1.2863978e-07,
		4: 1.3699951e-07, 5: 1.4590251e-07, 6: 1.5538408e-07, 7: 1.6548181e-07,
		248: 0.64356699, 249: 0.68538959, 250: 0.72993007, 251: 0.77736504,
		252: 0.82788260, 253: 0.88168307, 254: 0.9389798, 255: 1,
	}
	for i, want := range spec {
		if got := float64(inverseDB[i]); math.Abs(got-want) > 1e-6*want {
			t.Errorf("entry %d: %g, spec %g", i, got, want)
		}
	}
	for i := 1; i < 256; i++ {
		if r := float64(inverseDB[i] / inverseDB[i-1]); math.Abs(r-math.Pow(10, 7.0/256)) > 1e-5 {
			t.Errorf("entry %d: step %g", i, r)
		}
	}
}
