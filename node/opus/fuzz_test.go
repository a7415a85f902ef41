package opus

import (
	"errors"
	"io"
	"testing"

	"github.com/audionode/audionode/node/dsp"
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

// FuzzSwitcher feeds a switcher packets cut from arbitrary bytes (each
// prefixed by its length) while toggling the chain between identity,
// volume and timescale: it must never panic, must end with io.EOF, and
// every frame must fit an RTP packet.
func FuzzSwitcher(f *testing.F) {
	enc, err := NewEncoder(rate, 2, DefaultEncoderOptions())
	if err != nil {
		f.Fatal(err)
	}
	var seed []byte
	pkt := make([]byte, 1276)
	in := tone(6 * frame)
	for i := range 6 {
		n, _ := enc.Encode(in[i*2*frame:(i+1)*2*frame], pkt)
		seed = append(seed, byte(n))
		seed = append(seed, pkt[:n]...)
	}
	enc.Close()
	f.Add(seed, uint8(0b10110))
	f.Add([]byte{3, 0xFC, 0xFF, 0xFE, 2, 0x03, 0x00, 1, 0x7B, 5, 0x0B, 1, 2, 3, 4}, uint8(0xFF))
	f.Add([]byte{}, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, toggles uint8) {
		var pkts [][]byte
		for len(data) > 0 {
			n := min(int(data[0]), len(data)-1)
			pkts = append(pkts, data[1:1+n])
			data = data[1+n:]
		}
		chain := dsp.NewChain(dsp.QualityLow)
		s, err := NewSwitcher(sliceSource(pkts), chain, toggles&1 == 0, DefaultEncoderOptions())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		buf := make([]byte, 1276)
		for i := 0; ; i++ {
			if i > 6*len(pkts)+10 {
				t.Fatalf("no io.EOF after %d frames for %d packets", i, len(pkts))
			}
			switch (toggles >> (i % 8)) & 3 {
			case 1:
				chain.SetVolume(50)
			case 2:
				_ = chain.Update(dsp.Filters{Timescale: &dsp.Timescale{Speed: 1.5, Pitch: 0.8, Rate: 1}})
			case 3:
				chain.SetVolume(100)
				_ = chain.Update(dsp.Filters{})
			}
			n, err := s.ReadFrame(buf)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				// Only the codec's own rejections may surface.
				if !errors.Is(err, ErrInvalidPacket) && !errors.Is(err, ErrBadArg) && !errors.Is(err, ErrBufferTooSmall) {
					t.Fatalf("frame %d: %v", i, err)
				}
				return
			}
			if n <= 0 || n > 1276 {
				t.Fatalf("frame %d: %d bytes", i, n)
			}
		}
	})
}
