package aac

import "testing"

// TestBandTables checks band counts (num_swb in Tables 4.129–4.147) and
// that offsets rise to the frame size.
func TestBandTables(t *testing.T) {
	wantLong := [13]int{41, 41, 47, 49, 49, 51, 47, 47, 43, 43, 43, 40, 40}
	wantShort := [13]int{12, 12, 12, 14, 14, 14, 15, 15, 15, 15, 15, 15, 15}
	for i := range swbLong {
		for _, c := range []struct {
			tab  []uint16
			n    int
			size uint16
		}{{swbLong[i], wantLong[i], 1024}, {swbShort[i], wantShort[i], 128}} {
			if len(c.tab)-1 != c.n || c.tab[0] != 0 || c.tab[len(c.tab)-1] != c.size {
				t.Errorf("rate %d: %d bands ending at %d, want %d ending at %d", sampleRates[i], len(c.tab)-1, c.tab[len(c.tab)-1], c.n, c.size)
			}
			for k := 1; k < len(c.tab); k++ {
				if c.tab[k] <= c.tab[k-1] || c.tab[k]%4 != 0 {
					t.Errorf("rate %d: offset %d = %d", sampleRates[i], k, c.tab[k])
				}
			}
		}
	}
}
