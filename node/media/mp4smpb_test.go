package media

import (
	"encoding/binary"
	"testing"
)

func box(typ string, body ...[]byte) []byte {
	n := 8
	for _, b := range body {
		n += len(b)
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(n))
	out = append(out, typ...)
	for _, b := range body {
		out = append(out, b...)
	}
	return out
}

func TestITunSMPB(t *testing.T) {
	smpb := " 00000000 00000840 000001C0 0000000000046BC0 00000000 00000000"
	item := box("----", box("mean", []byte("\x00\x00\x00\x00com.apple.iTunes")),
		box("name", []byte("\x00\x00\x00\x00iTunSMPB")),
		box("data", []byte("\x00\x00\x00\x01\x00\x00\x00\x00"+smpb)))
	badItem := box("----", box("name", []byte("\x00\x00\x00\x00iTunSMPB")),
		box("data", []byte("\x00\x00\x00\x01\x00\x00\x00\x00 0 zz 1 2")))
	for _, tc := range []struct {
		name string
		moov []byte
		ok   bool
	}{
		{"full box meta", box("udta", box("meta", []byte{0, 0, 0, 0}, box("hdlr", make([]byte, 25)), box("ilst", item))), true},
		{"plain meta", box("udta", box("meta", box("ilst", item))), true},
		{"none", box("udta", box("meta", []byte{0, 0, 0, 0})), false},
		{"bad hex", box("udta", box("meta", []byte{0, 0, 0, 0}, box("ilst", badItem))), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, n, ok := parseITunSMPB(tc.moov)
			if ok != tc.ok {
				t.Fatalf("ok %v", ok)
			}
			if ok && (p != 0x840 || n != 0x46BC0) {
				t.Fatalf("priming %d total %d, want 2112 and 289728", p, n)
			}
		})
	}
}
