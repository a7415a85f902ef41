package media

import (
	"encoding/binary"
	"strings"
)

// mp3Gapless is what the Xing/Info and LAME tags of an MP3 file's first
// frame say about the real audio: the decoder's output begins with the
// tag frame itself (decoded as silence), the encoder delay and the
// decoder's own delay, and ends with padding.
type mp3Gapless struct {
	skip  int64 // frames to drop at the start of the decoder's output
	total int64 // frames of real audio, -1 unknown
}

// mp3DecoderDelay is the MP3 synthesis filterbank's delay (529 samples),
// which LAME's delay field does not include.
const mp3DecoderDelay = 529

// parseMP3Gapless reads the tags from the start of the file (ID3v2 first)
// in b; it returns zero values when there is no Xing/Info frame.
func parseMP3Gapless(b []byte) mp3Gapless {
	g := mp3Gapless{total: -1}
	if len(b) >= 10 && string(b[:3]) == "ID3" {
		n := int(b[6]&0x7F)<<21 | int(b[7]&0x7F)<<14 | int(b[8]&0x7F)<<7 | int(b[9]&0x7F)
		n += 10
		if b[5]&0x10 != 0 {
			n += 10 // footer
		}
		if n > len(b) {
			return g
		}
		b = b[n:]
	}
	if len(b) < 4 || !isMP3Sync(b) {
		return g
	}
	version := b[1] >> 3 & 3
	mono := b[3]>>6 == 3
	spf := int64(576)
	side := 17
	if mono {
		side = 9
	}
	if version == 3 { // MPEG-1
		spf = 1152
		side = 32
		if mono {
			side = 17
		}
	}
	p := 4 + side
	if b[1]&1 == 0 {
		p += 2 // CRC
	}
	if len(b) < p+8 || (string(b[p:p+4]) != "Xing" && string(b[p:p+4]) != "Info") {
		return g
	}
	flags := binary.BigEndian.Uint32(b[p+4:])
	p += 8
	frames := int64(-1)
	if flags&1 != 0 {
		if len(b) < p+4 {
			return g
		}
		frames = int64(binary.BigEndian.Uint32(b[p:]))
		p += 4
	}
	if flags&2 != 0 {
		p += 4
	}
	if flags&4 != 0 {
		p += 100
	}
	if flags&8 != 0 {
		p += 4
	}
	delay, padding := int64(-1), int64(0)
	if len(b) >= p+24 {
		enc := string(b[p : p+4])
		if strings.HasPrefix(enc, "LAME") || strings.HasPrefix(enc, "Lav") {
			v := int64(b[p+21])<<16 | int64(b[p+22])<<8 | int64(b[p+23])
			delay, padding = v>>12, v&0xFFF
		}
	}
	g.skip = spf + mp3DecoderDelay // the tag frame, then the filterbank
	if delay >= 0 {
		g.skip += delay
	}
	if frames > 0 && delay >= 0 {
		g.total = max(frames*spf-delay-padding, 0)
	}
	return g
}
