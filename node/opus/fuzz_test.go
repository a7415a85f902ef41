package opus

import (
	"errors"
	"testing"
)

func FuzzPacketSamples(f *testing.F) {
	for _, s := range [][]byte{{0xFC}, {0xFC, 1, 2}, {0x03}, {0x03, 0x00}, {0x03, 0x3F}, {0x4B, 0x02}, {0x01}, {0x78}, {0xFF, 0x83}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		got, err := PacketSamples(pkt)
		want := libopusPacketSamples(pkt)
		// libopus reports 0 samples for a code-3 packet with zero frames,
		// which its decoder then rejects; we call that malformed directly.
		if want <= 0 {
			if err == nil {
				t.Fatalf("PacketSamples(% x) = %d, libopus says invalid (%d)", pkt, got, want)
			}
			if !errors.Is(err, ErrMalformedPacket) {
				t.Fatalf("err = %v, want ErrMalformedPacket", err)
			}
			return
		}
		if err != nil || got != want {
			t.Fatalf("PacketSamples(% x) = %d, %v; libopus %d", pkt, got, err, want)
		}
	})
}

// FuzzDecode feeds garbage to libopus through Decode: it must never crash,
// and must either fail with a sentinel or return a sane sample count.
func FuzzDecode(f *testing.F) {
	enc, err := NewEncoder(rate, 2, DefaultEncoderOptions())
	if err != nil {
		f.Fatal(err)
	}
	pkt := make([]byte, 1276)
	n, err := enc.Encode(tone(frame), pkt)
	enc.Close()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pkt[:n])
	f.Add([]byte{0xFC, 0xFF, 0xFE})
	f.Add([]byte{0x03, 0x81, 0x01, 0x02})
	f.Add([]byte{})
	dec, err := NewDecoder(rate, 2)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { dec.Close() })
	pcm := make([]int16, 2*5760)
	f.Fuzz(func(t *testing.T, p []byte) {
		got, err := dec.Decode(p, pcm)
		if err != nil {
			var known bool
			for _, s := range []error{ErrInvalidPacket, ErrBadArg, ErrBufferTooSmall, ErrInternal} {
				known = known || errors.Is(err, s)
			}
			if !known {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if got <= 0 || got > 5760 {
			t.Fatalf("Decode returned %d samples", got)
		}
		if len(p) > 0 {
			if want, err := PacketSamples(p); err != nil || want != got {
				t.Fatalf("Decode gave %d samples, PacketSamples %d, %v", got, want, err)
			}
		}
	})
}
