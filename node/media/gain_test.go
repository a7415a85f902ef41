package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"testing"
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
