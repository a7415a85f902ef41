package aac

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDownmix51 puts a signal in one 5.1 channel at a time (the others
// silent) and compares the stereo output with the same channel decoded as
// mono: gains must be BS.775 (front 1, centre and surrounds −3 dB, LFE
// dropped) divided by 1+√2, the louder side's sum.
func TestDownmix51(t *testing.T) {
	tb := spectralCodes
	rng := rand.New(rand.NewPCG(4, 4))
	norm := 1 / (1 + math.Sqrt2)
	s := math.Sqrt2 / 2
	// Elements of channel configuration 6: SCE C, CPE L/R, CPE Ls/Rs, LFE.
	cases := []struct {
		name   string
		slot   int // 0 C, 1 L, 2 R, 3 Ls, 4 Rs, 5 LFE
		gl, gr float64
	}{
		{"centre", 0, s * norm, s * norm},
		{"left", 1, norm, 0},
		{"right", 2, 0, norm},
		{"left surround", 3, s * norm, 0},
		{"right surround", 4, 0, s * norm},
		{"lfe", 5, 0, 0},
	}
	mono, _ := NewDecoder(Config{ObjectType: 2, SampleRate: 48000, Channels: 1, ChannelConfig: 1})
	info := testInfo(mono, onlyLong, 0, 40)
	silent := &testChannel{}
	silentInfo := testInfo(mono, onlyLong, 0, 0)
	var frames []*testChannel
	for range 3 {
		frames = append(frames, randomChannel(rng, &info, false))
	}
	for _, tc := range cases {
		surround, _ := NewDecoder(Config{ObjectType: 2, SampleRate: 48000, Channels: 6, ChannelConfig: 6})
		mono.Reset()
		want := make([]float32, 2048)
		got := make([]float32, 2048)
		for _, ch := range frames {
			var w bitWriter
			w.put(idSCE, 3)
			w.put(0, 4)
			if _, err := mono.Decode(encodeSCEBody(&w, &info, ch, tb), want); err != nil {
				t.Fatal(err)
			}
			// One access unit with all six channels, only tc.slot non-silent.
			pick := func(slot int) (*testChannel, *icsInfo) {
				if slot == tc.slot {
					return ch, &info
				}
				return silent, &silentInfo
			}
			var f bitWriter
			single := func(id uint32, slot int) {
				f.put(id, 3)
				f.put(0, 4)
				c, in := pick(slot)
				var body bitWriter
				encodeICS(&body, in, c, tb)
				br := bitReader{buf: body.b}
				f.put(br.read(8), 8)
				writeICSInfo(&f, in, 0)
				for br.pos < body.n {
					n := min(16, body.n-br.pos)
					f.put(br.read(n), n)
				}
			}
			pair := func(slot int) {
				f.put(idCPE, 3)
				f.put(0, 4)
				f.put(0, 1) // separate windows
				for _, sl := range []int{slot, slot + 1} {
					c, in := pick(sl)
					var body bitWriter
					encodeICS(&body, in, c, tb)
					br := bitReader{buf: body.b}
					f.put(br.read(8), 8)
					writeICSInfo(&f, in, 0)
					for br.pos < body.n {
						n := min(16, body.n-br.pos)
						f.put(br.read(n), n)
					}
				}
			}
			single(idSCE, 0)
			pair(1)
			pair(3)
			single(idLFE, 5)
			f.put(idEND, 3)
			if _, err := surround.Decode(f.b, got); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
		}
		var energy float64
		for _, v := range want {
			energy += float64(v) * float64(v)
		}
		if energy == 0 {
			t.Fatal("mono reference is silent")
		}
		for i := 0; i < 1024; i++ {
			m := float64(want[2*i])
			for side, g := range []float64{tc.gl, tc.gr} {
				if v := float64(got[2*i+side]); math.Abs(v-m*g) > 1e-6+1e-5*math.Abs(m) {
					t.Fatalf("%s: sample %d side %d: %v, want %v·%v", tc.name, i, side, v, m, g)
				}
			}
		}
	}
}
