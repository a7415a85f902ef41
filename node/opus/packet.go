package opus

import (
	"errors"
	"fmt"
)

// ErrMalformedPacket is returned by PacketSamples for packets that break
// RFC 6716 §3.1 (empty, missing frame count, zero frames, over 120 ms).
var ErrMalformedPacket = errors.New("opus: malformed packet")

// PacketSamples returns the samples per channel at 48 kHz that packet
// decodes to, from its TOC byte and frame count (RFC 6716 §3.1), without
// touching libopus. The passthrough path uses it to check that a source's
// packets are exactly 20 ms (960). It reads at most two bytes.
func PacketSamples(packet []byte) (int, error) {
	if len(packet) == 0 {
		return 0, fmt.Errorf("%w: empty", ErrMalformedPacket)
	}
	toc := packet[0]
	frames := 1
	switch toc & 3 {
	case 1, 2:
		frames = 2
	case 3:
		if len(packet) < 2 {
			return 0, fmt.Errorf("%w: code 3 without frame count", ErrMalformedPacket)
		}
		frames = int(packet[1] & 0x3F)
		if frames == 0 {
			return 0, fmt.Errorf("%w: zero frames", ErrMalformedPacket)
		}
	}
	n := frames * frameSamples(toc>>3)
	if n > 5760 { // 120 ms
		return 0, fmt.Errorf("%w: %d samples", ErrMalformedPacket, n)
	}
	return n, nil
}

// frameSamples is the duration of one frame of TOC config c at 48 kHz.
func frameSamples(c byte) int {
	switch {
	case c < 12: // SILK: 10, 20, 40, 60 ms
		return [4]int{480, 960, 1920, 2880}[c&3]
	case c < 16: // hybrid: 10, 20 ms
		return [2]int{480, 960}[c&1]
	default: // CELT: 2.5, 5, 10, 20 ms
		return [4]int{120, 240, 480, 960}[c&3]
	}
}
