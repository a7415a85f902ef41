package opus

import (
	"errors"
	"io"
	"math"
	"testing"

	"github.com/audionode/audionode/node/dsp"
)

// sourcePackets encodes n 20 ms frames of the test tone.
func sourcePackets(t testing.TB, n int) [][]byte {
	t.Helper()
	enc, err := NewEncoder(rate, 2, DefaultEncoderOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	in := tone(n * frame)
	pkts := make([][]byte, n)
	for i := range pkts {
		p := make([]byte, 1276)
		m, err := enc.Encode(in[i*2*frame:(i+1)*2*frame], p)
		if err != nil {
			t.Fatal(err)
		}
		pkts[i] = p[:m]
	}
	return pkts
}

func sliceSource(pkts [][]byte) PacketSource {
	i := 0
	return func(dst []byte) (int, error) {
		if i == len(pkts) {
			return 0, io.EOF
		}
		i++
		return copy(dst, pkts[i-1]), nil
	}
}

func TestSwitcherPassthrough(t *testing.T) {
	pkts := sourcePackets(t, 20)
	chain := dsp.NewChain(dsp.QualityLow)
	chain.SetVolume(100) // a PATCH repeating the default must not leave passthrough
	s, err := NewSwitcher(sliceSource(pkts), chain, true, DefaultEncoderOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	buf := make([]byte, 1276)
	for i, p := range pkts {
		n, err := s.ReadFrame(buf)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if string(buf[:n]) != string(p) || !s.Passthrough() {
			t.Fatalf("frame %d: not passed through untouched", i)
		}
	}
	if _, err := s.ReadFrame(buf); !errors.Is(err, io.EOF) {
		t.Errorf("after the last frame: %v, want io.EOF", err)
	}
}

// TestSwitcherSwitching passes through, switches to transcoding for a
// filter, and back, then decodes the sent stream as a receiver would: the
// 440 Hz tone must keep its phase across both switches (no gap and no
// position jump) and follow the expected gain.
func TestSwitcherSwitching(t *testing.T) {
	const frames = 100
	pkts := sourcePackets(t, frames)
	chain := dsp.NewChain(dsp.QualityLow)
	s, err := NewSwitcher(sliceSource(pkts), chain, true, DefaultEncoderOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rx, err := NewDecoder(rate, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	half := 0.5
	buf := make([]byte, 1276)
	pcm := make([]int16, 2*frame)
	var got []float64
	var modes []bool
	for i := 0; ; i++ {
		switch i {
		case 30:
			if err := chain.Update(dsp.Filters{Volume: &half}); err != nil {
				t.Fatal(err)
			}
		case 60:
			if err := chain.Update(dsp.Filters{}); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.ReadFrame(buf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		modes = append(modes, s.Passthrough())
		m, err := rx.Decode(buf[:n], pcm)
		if err != nil {
			t.Fatalf("receiver decode of frame %d: %v", i, err)
		}
		got = append(got, channel(pcm[:2*m], 0)...)
	}
	if len(modes) != frames {
		t.Errorf("sent %d frames for %d source packets", len(modes), frames)
	}
	for i, pt := range modes {
		want := i < 30 || i > 61
		if i == 61 {
			want = pt // the frame where the crossfade ends may go either way
		}
		if pt != want {
			t.Errorf("frame %d: passthrough %v, want %v", i, pt, want)
		}
	}
	// The source's own codec delay is common to both paths; fit per 10 ms
	// block against one global sine and check phase and level.
	const blk = 480
	var ref float64
	for b := 10; (b+1)*blk <= len(got); b++ {
		x := got[b*blk : (b+1)*blk]
		var ss, cc, xs, xc float64
		for i, v := range x {
			w := 2 * math.Pi * 440 * float64(b*blk+i) / rate
			s, c := math.Sin(w), math.Cos(w)
			ss += s * s
			cc += c * c
			xs += v * s
			xc += v * c
		}
		a, c := xs/ss, xc/cc
		amp, ph := math.Hypot(a, c), math.Atan2(c, a)
		if b == 10 {
			ref = ph
		}
		d := math.Remainder(ph-ref, 2*math.Pi)
		tm := b * blk / frame
		wantAmp := 0.2512
		if tm >= 31 && tm < 60 {
			wantAmp *= 0.5
		}
		// Joining another encoder's stream leaves the receiver's decoder a
		// transient of a frame or three (≤ 0.2 rad, ≤ 20 % level). A
		// lookahead's position jump would be 1.8 rad at 440 Hz and a lost
		// frame 4.0 rad, and neither would settle.
		settling := (tm >= 30 && tm <= 33) || (tm >= 60 && tm <= 63)
		phaseTol, ampTol := 0.1, 0.1
		if settling {
			phaseTol, ampTol = 0.4, 0.3
		}
		if math.Abs(d) > phaseTol {
			t.Errorf("block at frame %d: phase moved %.3f rad (position jump or gap)", tm, d)
		}
		if tm != 30 && tm != 60 && math.Abs(amp-wantAmp) > ampTol*wantAmp {
			t.Errorf("block at frame %d: amplitude %.4f, want %.4f", tm, amp, wantAmp)
		}
	}
}

func TestSwitcherTimescaleAndNoPassthrough(t *testing.T) {
	pkts := sourcePackets(t, 100)
	chain, err := dsp.NewChainWith(dsp.Filters{Timescale: &dsp.Timescale{Speed: 1.25, Pitch: 1, Rate: 1}}, dsp.QualityLow)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSwitcher(sliceSource(pkts), chain, false, DefaultEncoderOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	buf := make([]byte, 1276)
	n := 0
	for ; ; n++ {
		if n == 40 {
			if err := chain.Update(dsp.Filters{}); err != nil {
				t.Fatal(err)
			}
		}
		_, err := s.ReadFrame(buf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if s.Passthrough() {
			t.Fatal("passed through although the source does not allow it")
		}
	}
	// 40 frames at 1.25× consume 50 packets; the other 50 play at 1×.
	if n < 85 || n > 95 {
		t.Errorf("sent %d frames, want ≈ 90", n)
	}
}

func TestSwitcherSourceError(t *testing.T) {
	boom := errors.New("boom")
	s, err := NewSwitcher(func([]byte) (int, error) { return 0, boom }, dsp.NewChain(dsp.QualityLow), true, DefaultEncoderOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.ReadFrame(make([]byte, 1276)); !errors.Is(err, boom) || !errors.Is(err, ErrPacketSource) {
		t.Errorf("err = %v, want wrapped boom", err)
	}
}

// loopSource cycles through pkts forever.
func loopSource(pkts [][]byte) PacketSource {
	i := 0
	return func(dst []byte) (int, error) {
		n := copy(dst, pkts[i])
		i = (i + 1) % len(pkts)
		return n, nil
	}
}

func TestSwitcherNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations differ under -race")
	}
	pkts := sourcePackets(t, 50)
	for _, transcode := range []bool{false, true} {
		chain := dsp.NewChain(dsp.QualityLow)
		if transcode {
			chain.SetVolume(80)
		}
		s, err := NewSwitcher(loopSource(pkts), chain, true, DefaultEncoderOptions())
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1276)
		s.ReadFrame(buf)
		if a := testing.AllocsPerRun(100, func() { _, _ = s.ReadFrame(buf) }); a != 0 {
			t.Errorf("transcode=%v: %v allocs per frame", transcode, a)
		}
		s.Close()
	}
}

func BenchmarkSwitcher(b *testing.B) {
	pkts := sourcePackets(b, 50)
	for _, tc := range []struct {
		name   string
		volume int
	}{{"passthrough", 100}, {"transcode_volume", 80}} {
		b.Run(tc.name, func(b *testing.B) {
			chain := dsp.NewChain(dsp.QualityLow)
			chain.SetVolume(tc.volume)
			s, err := NewSwitcher(loopSource(pkts), chain, true, DefaultEncoderOptions())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			buf := make([]byte, 1276)
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				if _, err := s.ReadFrame(buf); err != nil {
					b.Fatal(err)
				}
			}
			reportFrame(b, cpu0)
		})
	}
}

func TestSwitcherReset(t *testing.T) {
	pkts := sourcePackets(t, 10)
	chain := dsp.NewChain(dsp.QualityLow)
	chain.SetVolume(50)
	s, err := NewSwitcher(sliceSource(pkts), chain, true, DefaultEncoderOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	buf := make([]byte, 1276)
	for range 12 {
		s.ReadFrame(buf)
	}
	// After a seek the source has data again.
	s.src = sliceSource(pkts[5:])
	s.Reset()
	n := 0
	for {
		if _, err := s.ReadFrame(buf); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		n++
	}
	if n != 5 {
		t.Errorf("after Reset: %d frames, want 5", n)
	}
}

func TestSwitcherGarbageSource(t *testing.T) {
	s, err := NewSwitcher(func(dst []byte) (int, error) { return copy(dst, []byte{0x03, 0x00}), nil }, dsp.NewChain(dsp.QualityLow), true, DefaultEncoderOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.ReadFrame(make([]byte, 1276)); !errors.Is(err, ErrInvalidPacket) {
		t.Errorf("endless malformed packets: err = %v, want ErrInvalidPacket", err)
	}
}

func TestSwitcherOptionsAndLazyCodecs(t *testing.T) {
	if _, err := NewSwitcher(sliceSource(nil), dsp.NewChain(dsp.QualityLow), true, EncoderOptions{Complexity: 11}); !errors.Is(err, ErrBadArg) {
		t.Errorf("complexity 11: err = %v, want ErrBadArg", err)
	}
	if _, err := NewSwitcher(sliceSource(nil), dsp.NewChain(dsp.QualityLow), true, EncoderOptions{Bitrate: 100}); !errors.Is(err, ErrBadArg) {
		t.Errorf("bitrate 100: err = %v, want ErrBadArg", err)
	}
	pkts := sourcePackets(t, 3)
	s, err := NewSwitcher(sliceSource(pkts), dsp.NewChain(dsp.QualityLow), true, DefaultEncoderOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range 3 {
		if _, err := s.ReadFrame(make([]byte, 1276)); err != nil {
			t.Fatal(err)
		}
	}
	if s.enc != nil || s.pcm != nil {
		t.Error("a passthrough-only track created codecs")
	}
}
