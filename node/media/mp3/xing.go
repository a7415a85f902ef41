package mp3

import (
	"encoding/binary"
	"strings"
)

// DecoderDelay is the synthesis filterbank's delay in samples, which
// LAME's encoder delay field does not include.
const DecoderDelay = 529

// Info is what a Xing/Info (with LAME extension) or VBRI tag in a
// stream's first frame says about the stream.
type Info struct {
	Tag     string // "Xing", "Info", "VBRI" or "" when the frame is audio
	Frames  int64  // audio frames after the tag frame, -1 unknown
	Bytes   int64  // stream bytes from the tag frame on, -1 unknown
	TOC     []byte // Xing: 100 entries, position/256 of Bytes at each percent
	Delay   int    // encoder delay in samples (LAME tag), -1 unknown
	Padding int    // encoder padding in samples at the end
	// VBRIDelay is the VBRI header's delay field. Decoders (ffmpeg too)
	// do not trim by it, so neither does Delay.
	VBRIDelay int
}

// ParseInfo reads the tag, if any, in frame (a whole first frame whose
// header h has been parsed).
func ParseInfo(frame []byte, h Header) Info {
	inf := Info{Frames: -1, Bytes: -1, Delay: -1}
	p := 4 + h.sideInfoSize()
	if h.CRC {
		p += 2
	}
	if len(frame) >= 36+26 && string(frame[36:40]) == "VBRI" {
		b := frame[36:]
		inf.Tag = "VBRI"
		inf.VBRIDelay = int(binary.BigEndian.Uint16(b[6:]))
		inf.Bytes = int64(binary.BigEndian.Uint32(b[10:]))
		inf.Frames = int64(binary.BigEndian.Uint32(b[14:]))
		return inf
	}
	if len(frame) < p+8 || (string(frame[p:p+4]) != "Xing" && string(frame[p:p+4]) != "Info") {
		return inf
	}
	inf.Tag = string(frame[p : p+4])
	flags := binary.BigEndian.Uint32(frame[p+4:])
	p += 8
	if flags&1 != 0 {
		if len(frame) < p+4 {
			return inf
		}
		inf.Frames = int64(binary.BigEndian.Uint32(frame[p:]))
		p += 4
	}
	if flags&2 != 0 {
		if len(frame) < p+4 {
			return inf
		}
		inf.Bytes = int64(binary.BigEndian.Uint32(frame[p:]))
		p += 4
	}
	if flags&4 != 0 {
		if len(frame) < p+100 {
			return inf
		}
		inf.TOC = append([]byte(nil), frame[p:p+100]...) // frame is the caller's buffer
		p += 100
	}
	if flags&8 != 0 {
		p += 4
	}
	if len(frame) >= p+24 {
		enc := string(frame[p : p+4])
		if strings.HasPrefix(enc, "LAME") || strings.HasPrefix(enc, "Lav") {
			v := int(frame[p+21])<<16 | int(frame[p+22])<<8 | int(frame[p+23])
			inf.Delay, inf.Padding = v>>12, v&0xFFF
		}
	}
	return inf
}

// TOCOffset maps a fraction 0..1 of the duration to a byte offset from
// the tag frame by the Xing TOC, or -1 without one.
func (inf Info) TOCOffset(frac float64) int64 {
	if len(inf.TOC) != 100 || inf.Bytes <= 0 {
		return -1
	}
	pct := min(max(frac*100, 0), 99.999)
	i := int(pct)
	a := float64(inf.TOC[i])
	b := 256.0
	if i < 99 {
		b = float64(inf.TOC[i+1])
	}
	x := a + (b-a)*(pct-float64(i))
	return int64(x / 256 * float64(inf.Bytes))
}
