package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"testing"
	"time"

	"github.com/audionode/audionode/node/audio"
	"github.com/audionode/audionode/node/opus"
)

// withOutputGain sets the OpusHead output gain (Q7.8 dB) of an Ogg Opus
// file built by opusBytes, whose first page holds only the OpusHead.
func withOutputGain(data []byte, q int16) []byte {
	b := append([]byte(nil), data...)
	body := oggHeaderLen + int(b[26])
	binary.LittleEndian.PutUint16(b[body+16:], uint16(q))
	end := body
	for _, l := range b[oggHeaderLen : oggHeaderLen+int(b[26])] {
		end += int(l)
	}
	binary.LittleEndian.PutUint32(b[22:], 0)
	binary.LittleEndian.PutUint32(b[22:], oggCRC(0, b[:end]))
	return b
}

// TestOpusOutputGain plays a file whose OpusHead asks for −6 dB: the
// decoded output is 6 dB quieter and never passed through.
func TestOpusOutputGain(t *testing.T) {
	data := opusBytes(t, 100, 4096)
	levels := map[int16]float64{}
	for _, q := range []int16{0, -6 * 256} {
		s, err := Open(context.Background(), bytes.NewReader(withOutputGain(data, q)), DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		pcm, passed := decodeAll(t, s, 0, nil)
		s.Close()
		levels[q] = rmsDB(channel(pcm[2*9600:], 0))
		for i, p := range passed {
			if p != (q == 0) {
				t.Fatalf("gain %d: frame %d passthrough %v", q, i, p)
			}
		}
	}
	if d := levels[-6*256] - levels[0]; math.Abs(d+6) > 0.2 {
		t.Errorf("output gain changed the level by %.2f dB, want -6", d)
	}
}

// TestPeekBeyondBuffer: asking for more than the buffer holds is an
// error, never a silently short slice.
func TestPeekBeyondBuffer(t *testing.T) {
	in := newInput(bytes.NewReader(make([]byte, 3*bufSize)))
	if b, err := in.peek(bufSize + 1); err == nil {
		t.Errorf("peek past the buffer: %d bytes and no error", len(b))
	}
	if b, err := in.peek(bufSize); err != nil || len(b) != bufSize {
		t.Errorf("peek of the buffer size: %d bytes, %v", len(b), err)
	}
}

// TestOggSeekLong seeks in a 60 s Ogg Opus file (over 1 MB), so the
// granule bisection runs many steps.
func TestOggSeekLong(t *testing.T) {
	data := opusBytes(t, 3000, 4096)
	s, err := Open(context.Background(), bytes.NewReader(data), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, target := range []time.Duration{47*time.Second + 130*time.Millisecond, 3 * time.Second, 59 * time.Second, 30 * time.Second} {
		if err := s.Seek(target); err != nil {
			t.Fatal(err)
		}
		if d := s.Position() - target; d > 0 || d < -audio.FrameDuration {
			t.Errorf("position %v after seek to %v", s.Position(), target)
		}
		pcm, _ := decodeAll(t, s, 10, nil)
		if f := dominant(channel(pcm[2*960:], 0)); math.Abs(f-toneL) > 10 {
			t.Errorf("after seek to %v: dominant %v Hz", target, f)
		}
	}
}

// TestWebMDiscardPadding reads every packet of a WebM file from ffmpeg,
// whose last packet sits in a BlockGroup with DiscardPadding: trimming
// the last packet at end() leaves exactly the 3 s of audio after the
// pre-skip. (end() itself is placed by millisecond timestamps.)
func TestWebMDiscardPadding(t *testing.T) {
	s := openFile(t, "tone.webm", DefaultOptions())
	var total, lastStart, lastN int64
	for {
		pkt, start, err := s.pkts.next()
		if err != nil {
			break
		}
		n, _ := opus.PacketSamples(pkt)
		total += int64(n)
		lastStart, lastN = start, int64(n)
	}
	trim := lastStart + lastN - s.pkts.end()
	if got := total - trim - int64(s.pkts.preSkip()); got != toneSecs*48000 {
		t.Errorf("%d samples after trimming %d, want %d", got, trim, toneSecs*48000)
	}
}
