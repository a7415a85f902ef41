package mp3

import (
	"fmt"
	"math/big"
	"testing"
)

// TestHuffmanTables proves the Table B.7 data: the right number of
// entries, no code a prefix of another, Kraft sum 1 (every bit pattern
// decodes), and every codeword decoding to its own (x, y) through the
// lookup tables.
func TestHuffmanTables(t *testing.T) {
	tables := []struct {
		name       string
		hcod       []uint16
		hlen       []uint8
		n, entries int
	}{
		{"1", hcod1, hlen1, 2, 4}, {"2", hcod2, hlen2, 3, 9}, {"3", hcod3, hlen3, 3, 9},
		{"5", hcod5, hlen5, 4, 16}, {"6", hcod6, hlen6, 4, 16}, {"7", hcod7, hlen7, 6, 36},
		{"8", hcod8, hlen8, 6, 36}, {"9", hcod9, hlen9, 6, 36}, {"10", hcod10, hlen10, 8, 64},
		{"11", hcod11, hlen11, 8, 64}, {"12", hcod12, hlen12, 8, 64}, {"13", hcod13, hlen13, 16, 256},
		{"15", hcod15, hlen15, 16, 256}, {"16", hcod16, hlen16, 16, 256}, {"24", hcod24, hlen24, 16, 256},
		{"A", hcodA, hlenA, 0, 16}, {"B", hcodB, hlenB, 0, 16},
	}
	for _, tt := range tables {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.hcod) != tt.entries || len(tt.hlen) != tt.entries {
				t.Fatalf("%d codes, %d lengths; want %d", len(tt.hcod), len(tt.hlen), tt.entries)
			}
			kraft := new(big.Rat)
			for i, l := range tt.hlen {
				if l == 0 || l > 19 || int(tt.hcod[i]) >= 1<<l {
					t.Fatalf("entry %d: code %#x length %d", i, tt.hcod[i], l)
				}
				kraft.Add(kraft, big.NewRat(1, 1<<l))
				for j, m := range tt.hlen {
					if i == j || m < l {
						continue
					}
					if int(tt.hcod[j])>>(m-l) == int(tt.hcod[i]) {
						t.Fatalf("code %d (%0*b) is a prefix of code %d (%0*b)", i, l, tt.hcod[i], j, m, tt.hcod[j])
					}
				}
			}
			if kraft.Cmp(big.NewRat(1, 1)) != 0 {
				t.Errorf("Kraft sum %v, want 1", kraft)
			}
			var ht huffTable
			switch tt.name {
			case "A":
				ht = count1Tables[0]
			case "B":
				ht = count1Tables[1]
			default:
				var k int
				fmt.Sscan(tt.name, &k)
				ht = bigTables[k]
			}
			for i, l := range tt.hlen {
				buf := make([]byte, 16)
				code := uint64(tt.hcod[i]) << (64 - l)
				for b := range 8 {
					buf[b] = byte(code >> (56 - 8*b))
				}
				r := bitReader{b: buf}
				e, ok := ht.decode(&r)
				want := uint32(i) << 8
				if tt.n > 0 {
					want = uint32(i/tt.n)<<8 | uint32(i%tt.n)<<16
				}
				if !ok || e&^0xFF != want || r.pos != int(l) {
					t.Fatalf("entry %d: decoded %#x ok=%v pos=%d", i, e, ok, r.pos)
				}
			}
		})
	}
}
