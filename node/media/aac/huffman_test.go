package aac

import (
	"math/big"
	"testing"
)

// kraft returns Σ 2^-len exactly; a complete prefix code sums to 1.
func kraft(codes []huffCode) *big.Rat {
	s := new(big.Rat)
	for _, c := range codes {
		s.Add(s, new(big.Rat).SetFrac64(1, 1<<c.len))
	}
	return s
}

func checkBook(t *testing.T, name string, codes []huffCode, n int) {
	t.Helper()
	if len(codes) != n {
		t.Errorf("%s: %d entries, want %d", name, len(codes), n)
	}
	if k := kraft(codes); k.Cmp(big.NewRat(1, 1)) != 0 {
		t.Errorf("%s: Kraft sum %s, want 1", name, k.RatString())
	}
	for i, c := range codes {
		if c.code>>c.len != 0 {
			t.Errorf("%s[%d]: code %#x longer than %d bits", name, i, c.code, c.len)
		}
	}
	tab, ok := newHuffTable(codes)
	if !ok {
		t.Fatalf("%s: not prefix-free", name)
	}
	// Every codeword decodes to its own index through the lookup tables.
	for i, c := range codes {
		buf := make([]byte, 8)
		v := uint64(c.code) << (64 - uint(c.len))
		for k := range buf {
			buf[k] = byte(v >> (56 - 8*k))
		}
		br := bitReader{buf: buf}
		if got := tab.decode(&br); got != i || br.pos != int(c.len) {
			t.Errorf("%s[%d]: decoded %d after %d bits", name, i, got, br.pos)
		}
	}
}

func TestScalefactorBook(t *testing.T) {
	checkBook(t, "scalefactor", scalefactorBook(), 121)
}

// TestSpectralBooks proves the structure of books 1–11: entry counts,
// Kraft sums of exactly 1, prefix-freeness and lookups.
func TestSpectralBooks(t *testing.T) {
	want := [12]int{0, 81, 81, 81, 81, 81, 81, 64, 64, 169, 169, 289}
	for cb := 1; cb <= 11; cb++ {
		checkBook(t, "spectral book", spectralCodes[cb], want[cb])
		if spectralTables[cb] == nil {
			t.Errorf("book %d not installed", cb)
		}
	}
	// The unpacking tables agree with the entry counts.
	for cb := 1; cb <= 11; cb++ {
		if len(unpack[cb]) != want[cb] {
			t.Errorf("book %d: %d unpack entries, want %d", cb, len(unpack[cb]), want[cb])
		}
	}
}
