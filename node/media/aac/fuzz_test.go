package aac

import (
	"math/rand/v2"
	"testing"
)

func FuzzParseADTS(f *testing.F) {
	f.Add([]byte{0xff, 0xf1, 0x50, 0x80, 0x2e, 0x7f, 0xfc})
	f.Add([]byte{0xff, 0xf0, 0x4c, 0x80, 0x01, 0x3f, 0xfc, 0x12, 0x34})
	f.Add([]byte{0xff, 0xf1})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseADTS(b)
		if err == nil && (h.FrameLen < h.HeaderLen || h.SampleRate == 0 || h.Blocks < 1 || h.Blocks > 4) {
			t.Fatalf("accepted %+v", h)
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte{0x12, 0x10})
	f.Add([]byte{0x11, 0xb0})
	f.Add([]byte{0x2b, 0x92, 0x08, 0x00})       // HE-AAC explicit
	f.Add([]byte{0x12, 0x00, 0x05, 0x00, 0x10}) // PCE
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig(b)
		if err != nil {
			return
		}
		if c.Channels < 1 || c.SampleRate <= 0 {
			t.Fatalf("accepted %+v", c)
		}
		if _, err := NewDecoder(c); err != nil {
			return
		}
	})
}

// FuzzDecode feeds arbitrary access units to one decoder, seeded with
// random frames of every window sequence.
func FuzzDecode(f *testing.F) {
	tb := spectralCodes
	d, _ := NewDecoder(Config{ObjectType: 2, SampleRate: 44100, Channels: 2, ChannelConfig: 2})
	rng := rand.New(rand.NewPCG(9, 9))
	for _, seq := range []int{onlyLong, longStart, eightShort, longStop} {
		f.Add(randomFrame(rng, d, tb, seq))
	}
	f.Add([]byte{0x21, 0x00, 0x49, 0x90, 0x02, 0x19, 0x00, 0x23, 0x80}) // silent CPE
	f.Add([]byte{0xe0})
	dst := make([]float32, 2048)
	f.Fuzz(func(t *testing.T, au []byte) {
		n, err := d.Decode(au, dst)
		if err == nil && n != 1024 {
			t.Fatalf("%d samples", n)
		}
	})
}
