package media

import (
	"bytes"
	"strconv"
	"strings"
)

// iTunSMPB is iTunes' gapless tag (moov/udta/meta/ilst/----, name
// "iTunSMPB"): hex fields " 00000000 priming padding total ...".
// Used only when there is no edit list naming the priming.
func parseITunSMPB(moov []byte) (priming, total int64, ok bool) {
	meta := findBox(findBox(moov, fourCC("udta")), fourCC("meta"))
	if len(meta) < 4 {
		return 0, 0, false
	}
	ilst := findBox(meta[4:], fourCC("ilst")) // meta is a full box
	if ilst == nil {
		// Some writers omit meta's version and flags.
		ilst = findBox(meta, fourCC("ilst"))
	}
	_ = eachBox(ilst, func(typ uint32, item []byte) error {
		if typ != fourCC("----") || ok {
			return nil
		}
		name := findBox(item, fourCC("name"))
		data := findBox(item, fourCC("data"))
		if len(name) < 4 || string(name[4:]) != "iTunSMPB" || len(data) < 8 {
			return nil
		}
		f := strings.Fields(string(bytes.TrimRight(data[8:], "\x00")))
		if len(f) < 4 {
			return nil
		}
		p, err1 := strconv.ParseInt(f[1], 16, 64)
		n, err2 := strconv.ParseInt(f[3], 16, 64)
		if err1 != nil || err2 != nil || p < 0 || n <= 0 || p > 1<<20 || n > 1<<40 {
			return nil
		}
		priming, total, ok = p, n, true
		return nil
	})
	return priming, total, ok
}
