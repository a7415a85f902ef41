package mp3

import (
	"encoding/binary"
	"testing"
)

func TestParseInfo(t *testing.T) {
	hdr := []byte{0xFF, 0xFB, 0x90, 0x00} // MPEG-1 128k stereo: side info 32
	frame := func(at int, body []byte) []byte {
		b := make([]byte, 417)
		copy(b, hdr)
		copy(b[at:], body)
		return b
	}
	be32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	xing := append([]byte("Xing"), be32(1|2|4)...)
	xing = append(xing, be32(1000)...)
	xing = append(xing, be32(400000)...)
	toc := make([]byte, 100)
	for i := range toc {
		toc[i] = byte(i * 256 / 100)
	}
	xing = append(xing, toc...)
	lame := make([]byte, 24)
	copy(lame, "LAME3.100")
	lame[21], lame[22], lame[23] = 0x24, 0x01, 0x23 // delay 576, padding 291
	xingLame := append(append([]byte(nil), xing...), lame...)
	vbri := append([]byte("VBRI"), 0, 1, 0x02, 0x40, 0, 50)
	vbri = append(vbri, be32(300000)...)
	vbri = append(vbri, be32(777)...)
	vbri = append(vbri, make([]byte, 8)...)
	h, _ := ParseHeader(hdr)
	tests := []struct {
		name                 string
		frame                []byte
		tag                  string
		frames, bytes        int64
		delay, padding, vdel int
		toc                  bool
	}{
		{"audio frame", frame(36, nil), "", -1, -1, -1, 0, 0, false},
		{"xing", frame(36, xing), "Xing", 1000, 400000, -1, 0, 0, true},
		{"xing lame", frame(36, xingLame), "Xing", 1000, 400000, 576, 291, 0, true},
		{"info truncated", frame(36, []byte("Info\x00\x00\x00\x01"))[:44], "Info", -1, -1, -1, 0, 0, false},
		{"vbri", frame(36, vbri), "VBRI", 777, 300000, -1, 0, 576, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inf := ParseInfo(tt.frame, h)
			if inf.Tag != tt.tag || inf.Frames != tt.frames || inf.Bytes != tt.bytes || inf.Delay != tt.delay ||
				inf.Padding != tt.padding || inf.VBRIDelay != tt.vdel || (len(inf.TOC) == 100) != tt.toc {
				t.Fatalf("got %+v", inf)
			}
			if tt.toc {
				if off := inf.TOCOffset(0.5); off < 199000 || off > 201000 {
					t.Errorf("TOCOffset(0.5) = %d, want ~200000", off)
				}
			} else if inf.TOCOffset(0.5) != -1 {
				t.Error("TOCOffset without a TOC")
			}
		})
	}
}
