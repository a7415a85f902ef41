package mp3

// FindFrame returns the offset in b of the first frame header that
// parses and, when b holds the following header too, is followed by a
// frame of the same version, layer and sample rate (so that a stray
// 0xFFE in garbage or tags is not taken for a frame). ok is false when
// b holds no such frame.
func FindFrame(b []byte) (off int, h Header, ok bool) {
	for i := 0; i+4 <= len(b); i++ {
		if b[i] != 0xFF || b[i+1]&0xE0 != 0xE0 {
			continue
		}
		h, err := ParseHeader(b[i:])
		if err != nil {
			continue
		}
		next := i + h.FrameSize
		if next+4 <= len(b) {
			h2, err := ParseHeader(b[next:])
			if err != nil || h2.Version != h.Version || h2.SampleRate != h.SampleRate {
				continue
			}
		}
		return i, h, true
	}
	return 0, Header{}, false
}

// ID3v2Size returns the length of an ID3v2 tag at the start of b
// (header, body and footer), or 0.
func ID3v2Size(b []byte) int {
	if len(b) < 10 || string(b[:3]) != "ID3" || b[6]|b[7]|b[8]|b[9] >= 0x80 {
		return 0 // not a tag: the size is syncsafe
	}
	n := int(b[6])<<21 | int(b[7])<<14 | int(b[8])<<7 | int(b[9])
	n += 10
	if b[5]&0x10 != 0 {
		n += 10
	}
	return n
}
