package aac

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// These tests drive the whole syntax (sections, scale factors, spectral
// tuples, signs, escapes, grouping, M/S, intensity) with a small encoder
// written here, using the package's own spectral codebooks; the ffmpeg
// comparisons prove those books against a reference decoder.

type bitWriter struct {
	b []byte
	n int
}

func (w *bitWriter) put(v uint32, nbits int) {
	for i := nbits - 1; i >= 0; i-- {
		if w.n%8 == 0 {
			w.b = append(w.b, 0)
		}
		if v>>uint(i)&1 != 0 {
			w.b[w.n/8] |= 0x80 >> uint(w.n%8)
		}
		w.n++
	}
}

func (w *bitWriter) putCode(c huffCode) { w.put(c.code, int(c.len)) }

// lav is the largest magnitude a codebook codes (escape book: any).
var lav = [12]int{0, 1, 1, 2, 2, 4, 4, 7, 7, 12, 12, 600}

type testChannel struct {
	cb    [8][maxBands]uint8
	sf    [8][maxBands]int
	q     [1024]int // quantised values, window order
	pulse []uint32  // pulse_data fields after the present bit: count-1, start band, (offset, amp)...
	tns   func(w *bitWriter)
}

// encodeICS writes global_gain .. spectral_data (no ics_info).
func encodeICS(w *bitWriter, info *icsInfo, ch *testChannel, tb [12][]huffCode) {
	w.put(100, 8) // global_gain
	for g := 0; g < info.numGroups; g++ {
		for k := 0; k < info.maxSfb; k++ {
			w.put(uint32(ch.cb[g][k]), 4)
			if info.numWindows == 8 {
				w.put(1, 3)
			} else {
				w.put(1, 5)
			}
		}
	}
	sf, is, noise, firstNoise := 100, 0, 100-90, true
	for g := 0; g < info.numGroups; g++ {
		for k := 0; k < info.maxSfb; k++ {
			switch ch.cb[g][k] {
			case zeroHCB:
			case noiseHCB:
				if firstNoise {
					w.put(uint32(ch.sf[g][k]-noise+256), 9)
					firstNoise = false
				} else {
					w.putCode(scalefactorBook()[ch.sf[g][k]-noise+60])
				}
				noise = ch.sf[g][k]
			case intensityHCB, intensityHCB2:
				w.putCode(scalefactorBook()[ch.sf[g][k]-is+60])
				is = ch.sf[g][k]
			default:
				w.putCode(scalefactorBook()[ch.sf[g][k]-sf+60])
				sf = ch.sf[g][k]
			}
		}
	}
	if ch.pulse != nil {
		w.put(1, 1)
		w.put(ch.pulse[0], 2)
		w.put(ch.pulse[1], 6)
		for i := 2; i < len(ch.pulse); i += 2 {
			w.put(ch.pulse[i], 5)
			w.put(ch.pulse[i+1], 4)
		}
	} else {
		w.put(0, 1)
	}
	if ch.tns != nil {
		w.put(1, 1)
		ch.tns(w)
	} else {
		w.put(0, 1)
	}
	w.put(0, 1) // no gain control
	win := 0
	for g := 0; g < info.numGroups; g++ {
		for k := 0; k < info.maxSfb; k++ {
			cb := int(ch.cb[g][k])
			if cb == zeroHCB || cb >= noiseHCB {
				continue
			}
			bi := books[cb]
			for wi := win; wi < win+info.groupLen[g]; wi++ {
				base := 0
				if info.numWindows == 8 {
					base = 128 * wi
				}
				for i := int(info.swb[k]); i < int(info.swb[k+1]); i += bi.dim {
					idx := 0
					for j := 0; j < bi.dim; j++ {
						v := ch.q[base+i+j]
						if bi.signed {
							v += bi.mod / 2
						} else {
							v = min(abs(v), 16)
						}
						idx = idx*bi.mod + v
					}
					w.putCode(tb[cb][idx])
					if !bi.signed {
						for j := 0; j < bi.dim; j++ {
							if v := ch.q[base+i+j]; v != 0 {
								w.put(b2u(v < 0), 1)
							}
						}
					}
					if cb == escHCB {
						for j := 0; j < 2; j++ {
							if v := abs(ch.q[base+i+j]); v >= 16 {
								n := bits.Len(uint(v)) - 1 - 4
								w.put(1<<uint(n+1)-2, n+1) // n ones, then a zero
								w.put(uint32(v-1<<uint(n+4)), n+4)
							}
						}
					}
				}
			}
		}
		win += info.groupLen[g]
	}
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

func randomChannel(rng *rand.Rand, info *icsInfo, allowIS bool) *testChannel {
	ch := &testChannel{}
	sf, is := 100, 0
	win := 0
	for g := 0; g < info.numGroups; g++ {
		for k := 0; k < info.maxSfb; k++ {
			cb := rng.IntN(12)
			if allowIS && rng.IntN(4) == 0 {
				cb = intensityHCB + rng.IntN(2)*(intensityHCB2-intensityHCB)
			}
			ch.cb[g][k] = uint8(cb)
			switch {
			case cb == zeroHCB:
			case cb >= intensityHCB2:
				is += rng.IntN(21) - 10
				ch.sf[g][k] = is
				continue
			default:
				sf = min(max(sf+rng.IntN(21)-10, 0), 255)
				ch.sf[g][k] = sf
			}
			if cb == zeroHCB {
				continue
			}
			for wi := win; wi < win+info.groupLen[g]; wi++ {
				base := 0
				if info.numWindows == 8 {
					base = 128 * wi
				}
				for i := int(info.swb[k]); i < int(info.swb[k+1]); i++ {
					v := rng.IntN(2*lav[cb]+1) - lav[cb]
					if cb == escHCB && rng.IntN(8) == 0 {
						v = rng.IntN(16001) - 8000 // long escapes
						if abs(v) > 8191 {
							v = 8191
						}
					}
					ch.q[base+i] = v
				}
			}
		}
		win += info.groupLen[g]
	}
	return ch
}

// dequant is the expected coefficient of band (g,k).
func dequant(q, sf int) float64 {
	v := math.Pow(float64(abs(q)), 4.0/3) * math.Pow(2, 0.25*float64(sf-100))
	if q < 0 {
		return -v
	}
	return v
}

func writeICSInfo(w *bitWriter, info *icsInfo, grouping uint32) {
	w.put(0, 1)
	w.put(uint32(info.seq), 2)
	w.put(uint32(info.shape), 1)
	if info.seq == eightShort {
		w.put(uint32(info.maxSfb), 4)
		w.put(grouping, 7)
	} else {
		w.put(uint32(info.maxSfb), 6)
		w.put(0, 1)
	}
}

// testInfo builds the icsInfo the decoder should derive.
func testInfo(d *Decoder, seq int, grouping uint32, maxSfb int) icsInfo {
	var w bitWriter
	in := icsInfo{seq: seq, maxSfb: maxSfb}
	writeICSInfo(&w, &in, grouping)
	var out icsInfo
	br := bitReader{buf: w.b}
	if err := d.readICSInfo(&br, &out); err != nil {
		panic(err)
	}
	return out
}

func TestSyntaxRoundTrip(t *testing.T) {
	tb := spectralCodes
	rng := rand.New(rand.NewPCG(7, 7))
	d, err := NewDecoder(Config{ObjectType: 2, SampleRate: 44100, Channels: 2, ChannelConfig: 2})
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, 2048)
	for iter := 0; iter < 200; iter++ {
		seq := []int{onlyLong, longStart, eightShort, longStop}[iter%4]
		grouping := rng.Uint32() & 0x7f
		maxSfb := 49
		if seq == eightShort {
			maxSfb = 14
		}
		maxSfb = rng.IntN(maxSfb + 1)
		info := testInfo(d, seq, grouping, maxSfb)
		msMask := rng.IntN(3)
		var msUsed [8][maxBands]bool
		l := randomChannel(rng, &info, false)
		r := randomChannel(rng, &info, true)
		var w bitWriter
		w.put(idCPE, 3)
		w.put(0, 4)
		w.put(1, 1) // common window
		writeICSInfo(&w, &info, grouping)
		w.put(uint32(msMask), 2)
		if msMask == 1 {
			for g := 0; g < info.numGroups; g++ {
				for k := 0; k < info.maxSfb; k++ {
					msUsed[g][k] = rng.IntN(2) == 1
					w.put(b2u(msUsed[g][k]), 1)
				}
			}
		}
		encodeICS(&w, &info, l, tb)
		encodeICS(&w, &info, r, tb)
		w.put(idEND, 3)
		if _, err := d.Decode(w.b, dst); err != nil {
			t.Fatalf("iter %d: %v", iter, err)
		}
		win := 0
		for g := 0; g < info.numGroups; g++ {
			for k := 0; k < info.maxSfb; k++ {
				for wi := win; wi < win+info.groupLen[g]; wi++ {
					base := 0
					if info.numWindows == 8 {
						base = 128 * wi
					}
					for i := base + int(info.swb[k]); i < base+int(info.swb[k+1]); i++ {
						lv := dequant(l.q[i], l.sf[g][k])
						if l.cb[g][k] == zeroHCB {
							lv = 0
						}
						var rv float64
						ms := msMask == 2 || (msMask == 1 && msUsed[g][k])
						switch r.cb[g][k] {
						case intensityHCB, intensityHCB2:
							sign := 1.0
							if (r.cb[g][k] == intensityHCB2) != (msMask == 1 && ms) {
								sign = -1
							}
							rv = lv * sign * math.Pow(2, -0.25*float64(r.sf[g][k]))
						case zeroHCB:
							if ms {
								rv = lv // m+0, m-0
							}
						default:
							rv = dequant(r.q[i], r.sf[g][k])
							if ms {
								lv, rv = lv+rv, lv-rv
							}
						}
						gl, gr := float64(d.ics[0].spec[i]), float64(d.ics[1].spec[i])
						tol := 1e-5*max(math.Abs(lv), math.Abs(rv)) + 1e-30
						if math.Abs(gl-lv) > tol || math.Abs(gr-rv) > tol {
							t.Fatalf("iter %d seq %d g %d band %d window %d bin %d: got %v/%v want %v/%v (cb %d/%d, ms %v)",
								iter, seq, g, k, wi, i, gl, gr, lv, rv, l.cb[g][k], r.cb[g][k], ms)
						}
					}
				}
			}
			win += info.groupLen[g]
		}
	}
}
