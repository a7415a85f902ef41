package source

import (
	"bufio"
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

func isLink(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "icy://")
}

func lines(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(trimBOM(b)))
	sc.Buffer(make([]byte, 0, 4096), len(b)+1)
	for sc.Scan() {
		out = append(out, strings.TrimSpace(sc.Text()))
	}
	return out
}

// parseM3U reads an M3U list or an HLS playlist. head holds the whole
// file when size is small; a longer list is parsed as far as head goes.
func parseM3U(head []byte, r *probeResult) error {
	ls := lines(head)
	hls, master, ended := false, false, false
	var hlsLen float64
	for _, l := range ls {
		switch {
		case strings.HasPrefix(l, "#EXT-X-STREAM-INF"):
			hls, master = true, true
		case strings.HasPrefix(l, "#EXT-X-TARGETDURATION"), strings.HasPrefix(l, "#EXT-X-MEDIA-SEQUENCE"):
			hls = true
		case strings.HasPrefix(l, "#EXT-X-ENDLIST"):
			ended = true
		case strings.HasPrefix(l, "#EXTINF:"):
			d, _, _ := strings.Cut(l[len("#EXTINF:"):], ",")
			if f, err := strconv.ParseFloat(strings.TrimSpace(d), 64); err == nil && f > 0 {
				hlsLen += f
			}
		}
	}
	if hls {
		r.params = "hls-outer"
		if !master && ended && hlsLen > 0 {
			r.length = int64(hlsLen * 1000)
		} else {
			r.stream = true
		}
		return nil
	}
	r.playlist = true
	var cur entry
	cur.length = -1
	for _, l := range ls {
		switch {
		case strings.HasPrefix(l, "#PLAYLIST:"):
			r.playlistName = strings.TrimSpace(l[len("#PLAYLIST:"):])
		case strings.HasPrefix(l, "#EXTINF"):
			info := strings.TrimPrefix(l, "#EXTINF:")
			d, title, _ := strings.Cut(info, ",")
			cur.title = title
			if f, err := strconv.ParseFloat(strings.TrimSpace(d), 64); err == nil && f > 0 {
				cur.length = int64(f * 1000)
			}
		case l == "" || strings.HasPrefix(l, "#"):
		default:
			if isLink(l) && len(r.entries) < maxEntries {
				cur.url = l
				r.entries = append(r.entries, cur)
			}
			cur = entry{length: -1}
		}
	}
	if len(r.entries) == 0 {
		//lint:ignore ST1005 lavaplayer's exact message, which clients show to users
		return fmt.Errorf("%w: The playlist file contains no links.", ErrUnsupported)
	}
	return nil
}

func isPLS(head []byte) bool {
	h := bytes.TrimLeft(trimBOM(head), " \t\r\n")
	return len(h) >= 10 && strings.EqualFold(string(h[:10]), "[playlist]")
}

// parsePLS reads a PLS playlist (FileN, TitleN, LengthN).
func parsePLS(head []byte, r *probeResult) error {
	r.playlist = true
	byIndex := map[int]*entry{}
	for _, l := range lines(head) {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		var field string
		for _, f := range []string{"file", "title", "length"} {
			if strings.HasPrefix(k, f) {
				field = f
				break
			}
		}
		if field == "" {
			continue
		}
		n, err := strconv.Atoi(k[len(field):])
		if err != nil || n < 0 {
			continue
		}
		e := byIndex[n]
		if e == nil {
			if len(byIndex) >= maxEntries {
				continue
			}
			e = &entry{length: -1}
			byIndex[n] = e
		}
		switch field {
		case "file":
			e.url = v
		case "title":
			e.title = v
		case "length":
			if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs > 0 {
				e.length = secs * 1000
			}
		}
	}
	idx := make([]int, 0, len(byIndex))
	for i, e := range byIndex {
		if isLink(e.url) {
			idx = append(idx, i)
		}
	}
	sort.Ints(idx)
	for _, i := range idx {
		r.entries = append(r.entries, *byIndex[i])
	}
	if len(r.entries) == 0 {
		//lint:ignore ST1005 lavaplayer's exact message, which clients show to users
		return fmt.Errorf("%w: The playlist file contains no links.", ErrUnsupported)
	}
	return nil
}
