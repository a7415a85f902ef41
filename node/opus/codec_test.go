package opus

import (
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
)

func newPair(t testing.TB) (*Encoder, *Decoder) {
	t.Helper()
	enc, err := NewEncoder(rate, 2, DefaultEncoderOptions())
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewDecoder(rate, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { enc.Close(); dec.Close() })
	return enc, dec
}

func TestVersion(t *testing.T) {
	if v := Version(); !strings.HasPrefix(v, "libopus 1.") {
		t.Errorf("Version = %q", v)
	}
}

func TestEncoderSettings(t *testing.T) {
	enc, _ := newPair(t)
	if c, err := enc.Complexity(); err != nil || c != 10 {
		t.Errorf("Complexity = %d, %v; want 10", c, err)
	}
	// Auto resolves to libopus's own choice; about 99 kbps here.
	br, err := enc.Bitrate()
	if err != nil || br < 64000 || br > 160000 {
		t.Errorf("auto Bitrate = %d, %v", br, err)
	}
	if err := enc.SetBitrate(96000); err != nil {
		t.Fatal(err)
	}
	if br, _ := enc.Bitrate(); br != 96000 {
		t.Errorf("Bitrate = %d, want 96000", br)
	}
	if la, err := enc.Lookahead(); err != nil || la <= 0 || la > 1000 {
		t.Errorf("Lookahead = %d, %v", la, err)
	}
	for name, f := range map[string]func() error{
		"complexity 11": func() error { return enc.SetComplexity(11) },
		"loss 101":      func() error { return enc.SetPacketLossPercent(101) },
		"bitrate -5":    func() error { return enc.SetBitrate(-5) },
	} {
		if err := f(); !errors.Is(err, ErrBadArg) {
			t.Errorf("%s: err = %v, want ErrBadArg", name, err)
		}
	}
	if err := enc.Reset(); err != nil {
		t.Error(err)
	}
}

func TestComplexityFromQuality(t *testing.T) {
	for q, want := range map[int]int{-1: 10, 0: 0, 5: 5, 10: 10, 11: 10} {
		if got := ComplexityFromQuality(q); got != want {
			t.Errorf("ComplexityFromQuality(%d) = %d, want %d", q, got, want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := NewEncoder(44100, 2, DefaultEncoderOptions()); !errors.Is(err, ErrBadArg) {
		t.Errorf("NewEncoder(44100) err = %v, want ErrBadArg", err)
	}
	if _, err := NewEncoder(rate, 3, DefaultEncoderOptions()); !errors.Is(err, ErrBadArg) {
		t.Errorf("NewEncoder(3 ch) err = %v", err)
	}
	if _, err := NewEncoder(rate, 2, EncoderOptions{Complexity: 42}); !errors.Is(err, ErrBadArg) {
		t.Errorf("NewEncoder(complexity 42) err = %v", err)
	}
	if _, err := NewDecoder(22050, 2); !errors.Is(err, ErrBadArg) {
		t.Errorf("NewDecoder(22050) err = %v", err)
	}
}

func TestCodecErrors(t *testing.T) {
	enc, dec := newPair(t)
	pcm := make([]int16, 2*frame)
	pkt := make([]byte, 1276)
	tests := map[string]struct {
		f    func() error
		want error
	}{
		"encode odd frame size":   {func() error { _, err := enc.Encode(pcm[:2*900], pkt); return err }, ErrBadArg},
		"encode odd sample count": {func() error { _, err := enc.Encode(pcm[:3], pkt); return err }, ErrBadArg},
		"encode empty dst":        {func() error { _, err := enc.Encode(pcm, nil); return err }, ErrBadArg},
		"decode garbage":          {func() error { _, err := dec.Decode([]byte{0x03, 0x00}, pcm); return err }, ErrInvalidPacket},
		"decode into tiny pcm":    {func() error { _, err := dec.Decode([]byte{0xFC, 1, 2, 3}, pcm[:2*480]); return err }, ErrBufferTooSmall},
		"decode into empty pcm":   {func() error { _, err := dec.Decode([]byte{0xFC}, nil); return err }, ErrBufferTooSmall},
	}
	for name, tc := range tests {
		if err := tc.f(); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.want)
		}
	}
}

func TestClose(t *testing.T) {
	enc, dec := newPair(t)
	for range 2 {
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
		if err := dec.Close(); err != nil {
			t.Fatal(err)
		}
	}
	pcm := make([]int16, 2*frame)
	if _, err := enc.Encode(pcm, make([]byte, 100)); !errors.Is(err, ErrClosed) {
		t.Errorf("Encode after Close: %v", err)
	}
	if _, err := dec.Decode([]byte{0xFC}, pcm); !errors.Is(err, ErrClosed) {
		t.Errorf("Decode after Close: %v", err)
	}
	if err := enc.SetBitrate(64000); !errors.Is(err, ErrClosed) {
		t.Errorf("SetBitrate after Close: %v", err)
	}
	if _, err := dec.LastPacketDuration(); !errors.Is(err, ErrClosed) {
		t.Errorf("LastPacketDuration after Close: %v", err)
	}
}

// TestCleanup checks that unclosed codecs are freed by the GC cleanup
// without crashing (the cleanup must not double-free after Close either).
func TestCleanup(t *testing.T) {
	for range 20 {
		if _, err := NewEncoder(rate, 2, DefaultEncoderOptions()); err != nil {
			t.Fatal(err)
		}
		if _, err := NewDecoder(rate, 2); err != nil {
			t.Fatal(err)
		}
		e, _ := NewEncoder(rate, 2, DefaultEncoderOptions())
		e.Close()
	}
	runtime.GC()
	runtime.GC()
}

func TestFloatRoundTrip(t *testing.T) {
	enc, dec := newPair(t)
	in := tone(25 * frame)
	f := make([]float32, len(in))
	for i, v := range in {
		f[i] = float32(v) / 32768
	}
	pkt := make([]byte, 1276)
	pcm := make([]float32, 2*frame)
	var out []float64
	for i := range 25 {
		n, err := enc.EncodeFloat(f[i*2*frame:(i+1)*2*frame], pkt)
		if err != nil {
			t.Fatal(err)
		}
		m, err := dec.DecodeFloat(pkt[:n], pcm)
		if err != nil || m != frame {
			t.Fatalf("DecodeFloat = %d, %v", m, err)
		}
		if i >= 5 {
			for j := range m {
				out = append(out, float64(pcm[2*j]))
			}
		}
	}
	if amp, snr := fit(out, 440); snr < 25 || math.Abs(amp-0.2512) > 0.03 {
		t.Errorf("float: 440 Hz amplitude %.4f SNR %.1f dB", amp, snr)
	}
}

// TestPLCAndFEC decodes a stream with every fifth packet lost, once by
// concealment and once by FEC; both keep the tone going.
func TestPLCAndFEC(t *testing.T) {
	for _, fec := range []bool{false, true} {
		enc, err := NewEncoder(rate, 2, EncoderOptions{Complexity: 10, FEC: fec, PacketLossPercent: 20, Bitrate: 64000})
		if err != nil {
			t.Fatal(err)
		}
		dec, err := NewDecoder(rate, 2)
		if err != nil {
			t.Fatal(err)
		}
		in := tone(50 * frame)
		var pkts [][]byte
		for i := range 50 {
			pkt := make([]byte, 1276)
			n, err := enc.Encode(in[i*2*frame:(i+1)*2*frame], pkt)
			if err != nil {
				t.Fatal(err)
			}
			pkts = append(pkts, pkt[:n])
		}
		pcm := make([]int16, 2*frame)
		var out []float64
		minLost := 1.0
		for i, p := range pkts {
			var n int
			switch {
			case i%5 == 2 && fec:
				n, err = dec.DecodeFEC(pkts[i+1], pcm)
			case i%5 == 2:
				n, err = dec.DecodePLC(pcm)
			default:
				n, err = dec.Decode(p, pcm)
			}
			if err != nil || n != frame {
				t.Fatalf("fec=%v packet %d: %d, %v", fec, i, n, err)
			}
			if i >= 5 {
				x := channel(pcm[:2*n], 0)
				out = append(out, x...)
				if i%5 == 2 {
					minLost = min(minLost, rms(x))
				}
			}
		}
		if d, err := dec.LastPacketDuration(); err != nil || d != frame {
			t.Errorf("LastPacketDuration = %d, %v", d, err)
		}
		// A lossy stream cannot keep phase, so check levels: the
		// concealed frames carry the tone (RMS 0.178) rather than silence,
		// and the stream as a whole still fits a 440 Hz sine.
		amp, snr := fit(out, 440)
		t.Logf("fec=%v: amplitude %.4f SNR %.1f dB, quietest concealed frame RMS %.4f", fec, amp, snr, minLost)
		if amp < 0.12 || amp > 0.3 {
			t.Errorf("fec=%v: amplitude %.4f after losses", fec, amp)
		}
		if minLost < 0.05 {
			t.Errorf("fec=%v: a concealed frame has RMS %.4f", fec, minLost)
		}
		enc.Close()
		dec.Close()
	}
}

func TestNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations differ under -race")
	}
	enc, dec := newPair(t)
	in := tone(frame)
	f := make([]float32, len(in))
	pkt := make([]byte, 1276)
	pcm := make([]int16, 2*frame)
	fpcm := make([]float32, 2*frame)
	var n int
	checks := map[string]func(){
		"Encode":        func() { n, _ = enc.Encode(in, pkt) },
		"EncodeFloat":   func() { n, _ = enc.EncodeFloat(f, pkt) },
		"Decode":        func() { _, _ = dec.Decode(pkt[:n], pcm) },
		"DecodeFloat":   func() { _, _ = dec.DecodeFloat(pkt[:n], fpcm) },
		"DecodePLC":     func() { _, _ = dec.DecodePLC(pcm) },
		"PacketSamples": func() { _, _ = PacketSamples(pkt[:n]) },
	}
	n, _ = enc.Encode(in, pkt)
	for name, f := range checks {
		if a := testing.AllocsPerRun(50, f); a != 0 {
			t.Errorf("%s: %v allocs per run, want 0", name, a)
		}
	}
}

func rms(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s / float64(len(x)))
}
