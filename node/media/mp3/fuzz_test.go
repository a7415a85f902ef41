package mp3

import (
	"errors"
	"testing"
)

// seedFrames returns a few real frames (MPEG-1 and LSF) when ffmpeg is
// installed.
func seedFrames(f *testing.F) [][]byte {
	var out [][]byte
	for _, args := range [][]string{{"-b:a", "128k"}, {"-b:a", "32k", "-ar", "22050"}, {"-b:a", "16k", "-ar", "8000", "-ac", "1"}} {
		fs := frames(f, encode(f, transientSrc, append([]string{"-c:a", "libmp3lame", "-t", "0.5"}, args...)...))
		if len(fs) > 4 {
			out = append(out, fs[1], fs[3])
		}
	}
	return out
}

func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{"\xff\xfb\x90\x00", "\xff\xf3\x80\xc0", "\xff\xe3\x18\xc0", "\xff\xfb\x00\x00", "\xff\xfd\x90\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("unmatchable error %v", err)
			}
			return
		}
		if h.FrameSize < 4 || h.FrameSize > 1441 || h.Samples != 576 && h.Samples != 1152 {
			t.Fatalf("implausible header %+v", h)
		}
	})
}

// FuzzDecode feeds arbitrary frames, one after another through one
// Decoder so that reservoir state carries over: no panic, matchable
// errors, bounded output.
func FuzzDecode(f *testing.F) {
	if _, err := lookFFmpeg(); err == nil {
		for _, fr := range seedFrames(f) {
			f.Add(fr)
		}
	}
	f.Add([]byte("\xff\xfb\x90\x00"))
	d := NewDecoder()
	out := make([]float32, 2304)
	f.Fuzz(func(t *testing.T, b []byte) {
		for range 2 {
			n, err := d.DecodeFrame(b, out)
			if err != nil {
				if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
					t.Fatalf("unmatchable error %v", err)
				}
				continue
			}
			if n != 2304 && n != 1152 {
				t.Fatalf("n = %d", n)
			}
		}
		if len(b) > 40 {
			// Corrupt the main data too.
			c := append([]byte(nil), b...)
			for i := 36; i < len(c); i += 7 {
				c[i] ^= 0x5A
			}
			d.DecodeFrame(c, out)
		}
	})
}

func TestDecodeFrameErrors(t *testing.T) {
	hdr := []byte{0xFF, 0xFB, 0x90, 0x00}
	full := append(append([]byte(nil), hdr...), make([]byte, 413)...)
	badBV := append([]byte(nil), full...)
	badBV[4+2], badBV[4+3] = 0xFF, 0xFF // big_values > 288
	badTable := append([]byte(nil), full...)
	// granule 0 ch 0: part2_3_length 12, big_values 9, global_gain 8,
	// sfc 4, win 1, table_select[0] 5 bits → set table 4 (none).
	// bits from side info start: 9+3+8 = 20 private/scfsi, then 12+9+8+4+1 = 34.
	setBits(badTable[4:], 20, 12, 100) // part2_3_length
	setBits(badTable[4:], 32, 9, 10)   // big_values
	setBits(badTable[4:], 54, 5, 4)    // table_select[0] = 4
	tests := []struct {
		name  string
		frame []byte
		dst   int
		err   error
	}{
		{"empty", nil, 2304, ErrMalformed},
		{"header only", hdr, 2304, ErrMalformed},
		{"truncated", full[:200], 2304, ErrMalformed},
		{"layer 2", []byte{0xFF, 0xFD, 0x90, 0x00}, 2304, ErrUnsupported},
		{"big_values", badBV, 2304, ErrMalformed},
		{"missing table", badTable, 2304, ErrMalformed},
		{"short dst", full, 100, ErrShortDst},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder()
			// Prime the reservoir so main data is read.
			d.DecodeFrame(full, make([]float32, 2304))
			_, err := d.DecodeFrame(tt.frame, make([]float32, tt.dst))
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
		})
	}
	// A silent frame decodes to silence.
	d := NewDecoder()
	out := make([]float32, 2304)
	if n, err := d.DecodeFrame(full, out); err != nil || n != 2304 {
		t.Fatalf("zero frame: %d, %v", n, err)
	}
	for _, v := range out {
		if v != 0 {
			t.Fatal("zero frame is not silent")
		}
	}
}

func setBits(b []byte, pos, n, v int) {
	for i := range n {
		bit := v >> (n - 1 - i) & 1
		p := pos + i
		if bit == 1 {
			b[p/8] |= 0x80 >> (p % 8)
		} else {
			b[p/8] &^= 0x80 >> (p % 8)
		}
	}
}

func FuzzParseInfo(f *testing.F) {
	f.Add([]byte("\xff\xfb\x90\x00" + string(make([]byte, 32)) + "Xing\x00\x00\x00\x0f\x00\x00\x00\x10"))
	f.Add([]byte("\xff\xfb\x90\x00" + string(make([]byte, 32)) + "VBRI\x00\x01\x02\x40\x00\x32\x00\x00\x10\x00\x00\x00\x00\x10"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			return
		}
		inf := ParseInfo(b, h)
		if inf.TOC != nil && len(inf.TOC) != 100 {
			t.Fatalf("TOC of %d", len(inf.TOC))
		}
		for _, p := range []float64{-1, 0, 0.5, 1, 2} {
			inf.TOCOffset(p)
		}
	})
}

func FuzzFindFrame(f *testing.F) {
	f.Add([]byte("garbage\xff\xfb\x90\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		off, h, ok := FindFrame(b)
		if ok && (off < 0 || off+4 > len(b) || h.FrameSize < 4) {
			t.Fatalf("off %d header %+v", off, h)
		}
		ID3v2Size(b)
	})
}
