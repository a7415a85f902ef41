package source

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Bounds on playlists (M3U, PLS, HLS): every one is read whole up to
// maxPlaylistBytes, and a longer one is refused rather than cut.
const (
	maxPlaylistBytes = 1 << 20
	maxLineBytes     = 16 << 10
	maxSegments      = 10000 // HLS segments in one media playlist
	maxVariants      = 256   // HLS variants and renditions in a master playlist
)

func isLink(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "icy://")
}

// lines splits a playlist into trimmed lines; a line longer than
// maxLineBytes ends the list there (it is not a playlist line anyone
// writes).
func lines(b []byte) []string {
	out, _ := splitLines(b)
	return out
}

// splitLines is lines that reports the over-long line as an error.
func splitLines(b []byte) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(trimBOM(b)))
	sc.Buffer(make([]byte, 0, 4096), maxLineBytes)
	for sc.Scan() {
		out = append(out, strings.TrimSpace(sc.Text()))
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("%w: %w", ErrBadPlaylist, err)
	}
	return out, nil
}

// isHLS reports an M3U that uses HLS tags (EXT-X-…): a media stream
// rather than a list of links.
func isHLS(b []byte) bool {
	for _, l := range lines(b) {
		if strings.HasPrefix(l, "#EXT-X-STREAM-INF") || strings.HasPrefix(l, "#EXT-X-TARGETDURATION") ||
			strings.HasPrefix(l, "#EXT-X-MEDIA-SEQUENCE") || strings.HasPrefix(l, "#EXT-X-MEDIA:") ||
			strings.HasPrefix(l, "#EXT-X-ENDLIST") {
			return true
		}
	}
	return false
}

// probeBase resolves the relative URIs of a playlist probed without its URL.
var probeBase = &url.URL{Scheme: "http", Host: "probe.invalid", Path: "/"}

// parseM3U reads an M3U list or an HLS playlist for the probe. head holds
// the start of the file: an HLS VOD that fits gets its length here; the
// loader reads any other (master, live, longer) whole (Loader.loadHLS).
func parseM3U(head []byte, r *probeResult) error {
	if isHLS(head) {
		r.params = "hls-outer"
		r.hls = true
		r.stream = true
		p, err := parseHLS(head, probeBase)
		if err != nil {
			return nil // perhaps cut off; the loader reads it whole
		}
		if err := checkKeys(p); err != nil {
			return err
		}
		if p.ended && !p.master && len(p.segments) > 0 {
			r.stream = false
			r.length = p.duration().Milliseconds()
		}
		return nil
	}
	r.playlist = true
	var cur entry
	cur.length = -1
	for _, l := range lines(head) {
		switch {
		case strings.HasPrefix(l, "#PLAYLIST:"):
			r.playlistName = strings.TrimSpace(l[len("#PLAYLIST:"):])
		case strings.HasPrefix(l, "#EXTINF"):
			info := strings.TrimPrefix(l, "#EXTINF:")
			d, title, _ := strings.Cut(info, ",")
			cur.title = title
			if f, err := strconv.ParseFloat(strings.TrimSpace(d), 64); err == nil && f > 0 && f < 1e7 {
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
			if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs > 0 && secs < 1e7 {
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
	slices.Sort(idx)
	for _, i := range idx {
		r.entries = append(r.entries, *byIndex[i])
	}
	if len(r.entries) == 0 {
		//lint:ignore ST1005 lavaplayer's exact message, which clients show to users
		return fmt.Errorf("%w: The playlist file contains no links.", ErrUnsupported)
	}
	return nil
}

// ----- HLS (RFC 8216) -----

// hlsPlaylist is a parsed HLS playlist: a master (variants, renditions) or
// a media playlist (segments).
type hlsPlaylist struct {
	master     bool
	variants   []hlsVariant
	renditions []hlsRendition

	target   time.Duration // EXT-X-TARGETDURATION
	firstSeq int64         // EXT-X-MEDIA-SEQUENCE
	ended    bool          // EXT-X-ENDLIST: VOD, or a live stream that finished
	segments []hlsSegment
}

type hlsVariant struct {
	url       string
	bandwidth int64
	codecs    string
	audio     string // GROUP-ID of its audio renditions
	video     bool   // RESOLUTION or a video codec
}

type hlsRendition struct {
	url       string // empty: the audio is muxed into the variants
	group     string
	isDefault bool
}

// hlsKey is an EXT-X-KEY in force for a segment.
type hlsKey struct {
	method string // NONE, AES-128, SAMPLE-AES…
	url    string
	iv     []byte // nil: the media sequence number is the IV
}

// hlsRange is a byte range of a resource (EXT-X-BYTERANGE, EXT-X-MAP BYTERANGE).
type hlsRange struct {
	length, offset int64 // length 0: the whole resource
}

func (r hlsRange) header() string {
	if r.length <= 0 {
		return ""
	}
	return fmt.Sprintf("bytes=%d-%d", r.offset, r.offset+r.length-1)
}

type hlsSegment struct {
	url           string
	rng           hlsRange
	duration      time.Duration
	seq           int64
	start         time.Duration // sum of the durations before it (VOD timeline)
	discontinuity bool
	init          string   // EXT-X-MAP URI, resolved
	initRange     hlsRange //
	key           hlsKey
}

// hlsDuration bounds an EXTINF or target duration.
const maxHLSDuration = 24 * time.Hour

// parseHLS reads a whole HLS playlist; relative URIs resolve against base.
func parseHLS(b []byte, base *url.URL) (*hlsPlaylist, error) {
	if len(b) > maxPlaylistBytes {
		return nil, fmt.Errorf("%w: playlist of more than %d bytes", ErrPlaylistTooLarge, maxPlaylistBytes)
	}
	ls, err := splitLines(b)
	if err != nil {
		return nil, err
	}
	if len(ls) == 0 || ls[0] != "#EXTM3U" {
		return nil, fmt.Errorf("%w: no #EXTM3U header", ErrBadPlaylist)
	}
	p := &hlsPlaylist{}
	var (
		dur       time.Duration
		haveInf   bool
		disc      bool
		rng       hlsRange
		haveRange bool
		lastURL   string
		lastEnd   int64
		init      string
		initRange hlsRange
		key       = hlsKey{method: "NONE"}
		variant   *hlsVariant
		start     time.Duration
	)
	resolve := func(ref string) (string, error) {
		u, err := url.Parse(ref)
		if err != nil {
			return "", fmt.Errorf("%w: URI %q", ErrBadPlaylist, ref)
		}
		if base != nil {
			u = base.ResolveReference(u)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return "", fmt.Errorf("%w: URI %q is not http(s)", ErrBadPlaylist, ref)
		}
		return u.String(), nil
	}
	for _, l := range ls[1:] {
		tag, val, _ := strings.Cut(l, ":")
		switch tag {
		case "#EXT-X-STREAM-INF":
			a := hlsAttrs(val)
			bw, _ := strconv.ParseInt(a["BANDWIDTH"], 10, 64)
			c := strings.ToLower(a["CODECS"])
			variant = &hlsVariant{bandwidth: bw, codecs: c, audio: a["AUDIO"],
				video: a["RESOLUTION"] != "" || hasVideoCodec(c)}
			p.master = true
		case "#EXT-X-MEDIA":
			a := hlsAttrs(val)
			p.master = true
			if a["TYPE"] != "AUDIO" {
				continue
			}
			if len(p.renditions) >= maxVariants {
				return nil, fmt.Errorf("%w: more than %d renditions", ErrPlaylistTooLarge, maxVariants)
			}
			r := hlsRendition{group: a["GROUP-ID"], isDefault: a["DEFAULT"] == "YES"}
			if u := a["URI"]; u != "" {
				var err error
				if r.url, err = resolve(u); err != nil {
					return nil, err
				}
			}
			p.renditions = append(p.renditions, r)
		case "#EXT-X-TARGETDURATION":
			s, err := strconv.ParseInt(val, 10, 64)
			if err != nil || s <= 0 || time.Duration(s)*time.Second > maxHLSDuration {
				return nil, fmt.Errorf("%w: EXT-X-TARGETDURATION %q", ErrBadPlaylist, val)
			}
			p.target = time.Duration(s) * time.Second
		case "#EXT-X-MEDIA-SEQUENCE":
			s, err := strconv.ParseInt(val, 10, 64)
			if err != nil || s < 0 || s > 1<<62 {
				return nil, fmt.Errorf("%w: EXT-X-MEDIA-SEQUENCE %q", ErrBadPlaylist, val)
			}
			p.firstSeq = s
		case "#EXTINF":
			d, _, _ := strings.Cut(val, ",")
			secs, err := strconv.ParseFloat(strings.TrimSpace(d), 64)
			if err != nil || secs < 0 || secs > maxHLSDuration.Seconds() {
				return nil, fmt.Errorf("%w: EXTINF %q", ErrBadPlaylist, val)
			}
			dur, haveInf = time.Duration(secs*float64(time.Second)), true
		case "#EXT-X-BYTERANGE":
			r, ok := parseByteRange(val)
			if !ok {
				return nil, fmt.Errorf("%w: EXT-X-BYTERANGE %q", ErrBadPlaylist, val)
			}
			rng, haveRange = r, true
		case "#EXT-X-DISCONTINUITY":
			disc = true
		case "#EXT-X-MAP":
			a := hlsAttrs(val)
			if a["URI"] == "" {
				return nil, fmt.Errorf("%w: EXT-X-MAP without URI", ErrBadPlaylist)
			}
			var err error
			if init, err = resolve(a["URI"]); err != nil {
				return nil, err
			}
			initRange = hlsRange{}
			if br := a["BYTERANGE"]; br != "" {
				r, ok := parseByteRange(br)
				if !ok || r.offset < 0 {
					return nil, fmt.Errorf("%w: EXT-X-MAP BYTERANGE %q", ErrBadPlaylist, br)
				}
				initRange = r
			}
		case "#EXT-X-KEY":
			a := hlsAttrs(val)
			key = hlsKey{method: a["METHOD"]}
			switch key.method {
			case "NONE":
			case "":
				return nil, fmt.Errorf("%w: EXT-X-KEY without METHOD", ErrBadPlaylist)
			default:
				if a["URI"] == "" {
					return nil, fmt.Errorf("%w: EXT-X-KEY without URI", ErrBadPlaylist)
				}
				var err error
				if key.url, err = resolve(a["URI"]); err != nil {
					return nil, err
				}
				if iv := a["IV"]; iv != "" {
					h := strings.TrimPrefix(strings.TrimPrefix(iv, "0x"), "0X")
					if len(h)%2 == 1 {
						h = "0" + h
					}
					b, err := hex.DecodeString(h)
					if err != nil || len(b) > 16 {
						return nil, fmt.Errorf("%w: EXT-X-KEY IV %q", ErrBadPlaylist, iv)
					}
					key.iv = make([]byte, 16)
					copy(key.iv[16-len(b):], b)
				}
			}
		case "#EXT-X-ENDLIST":
			p.ended = true
		default:
			if strings.HasPrefix(l, "#") || l == "" {
				continue
			}
			u, err := resolve(l)
			if err != nil {
				return nil, err
			}
			if variant != nil {
				if len(p.variants) >= maxVariants {
					return nil, fmt.Errorf("%w: more than %d variants", ErrPlaylistTooLarge, maxVariants)
				}
				variant.url = u
				p.variants = append(p.variants, *variant)
				variant = nil
				continue
			}
			if !haveInf {
				return nil, fmt.Errorf("%w: segment %q without EXTINF", ErrBadPlaylist, l)
			}
			if len(p.segments) >= maxSegments {
				return nil, fmt.Errorf("%w: more than %d segments", ErrPlaylistTooLarge, maxSegments)
			}
			s := hlsSegment{url: u, duration: dur, seq: p.firstSeq + int64(len(p.segments)), start: start,
				discontinuity: disc, init: init, initRange: initRange, key: key}
			if haveRange {
				if rng.offset < 0 { // no offset: it follows the previous range of the same resource
					if lastURL != u {
						return nil, fmt.Errorf("%w: EXT-X-BYTERANGE without offset after another resource", ErrBadPlaylist)
					}
					rng.offset = lastEnd
				}
				s.rng = rng
				lastURL, lastEnd = u, rng.offset+rng.length
			} else {
				lastURL, lastEnd = "", 0
			}
			p.segments = append(p.segments, s)
			start += dur
			dur, haveInf, disc, haveRange = 0, false, false, false
		}
	}
	if !p.master && !p.ended && p.target <= 0 {
		return nil, fmt.Errorf("%w: live playlist without EXT-X-TARGETDURATION", ErrBadPlaylist)
	}
	return p, nil
}

// parseByteRange reads "<n>[@<o>]"; the offset is -1 when absent.
func parseByteRange(v string) (hlsRange, bool) {
	n, o, hasO := strings.Cut(strings.TrimSpace(v), "@")
	length, err := strconv.ParseInt(n, 10, 64)
	if err != nil || length <= 0 || length > maxSegmentBytes {
		return hlsRange{}, false
	}
	r := hlsRange{length: length, offset: -1}
	if hasO {
		off, err := strconv.ParseInt(o, 10, 64)
		if err != nil || off < 0 || off > 1<<50 {
			return hlsRange{}, false
		}
		r.offset = off
	}
	return r, true
}

// hlsAttrs parses an attribute list: KEY=VALUE,KEY="quoted, value".
func hlsAttrs(s string) map[string]string {
	m := map[string]string{}
	for len(s) > 0 && len(m) < 32 {
		k, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		k = strings.TrimSpace(k)
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				v, rest = rest[1:], ""
			} else {
				v, rest = rest[1:1+end], rest[2+end:]
			}
			_, rest, _ = strings.Cut(rest, ",")
		} else {
			v, rest, _ = strings.Cut(rest, ",")
		}
		m[k] = strings.TrimSpace(v)
		s = rest
	}
	return m
}

func hasVideoCodec(codecs string) bool {
	for _, c := range []string{"avc", "hvc", "hev", "vp0", "vp8", "vp9", "av01", "mp4v", "dvh"} {
		if strings.Contains(codecs, c) {
			return true
		}
	}
	return false
}

// audioURL chooses what to play from a master playlist: the
// highest-bandwidth audio-only variant; else the audio rendition the
// variants use (DEFAULT=YES first); else the lowest-bandwidth variant,
// whose muxed audio costs the least video to download.
func (p *hlsPlaylist) audioURL() (string, error) {
	var best *hlsVariant
	for i := range p.variants {
		v := &p.variants[i]
		if !v.video && (best == nil || v.bandwidth > best.bandwidth) {
			best = v
		}
	}
	if best != nil {
		return best.url, nil
	}
	var rend *hlsRendition
	for i := range p.renditions {
		r := &p.renditions[i]
		if r.url == "" || !p.groupUsed(r.group) {
			continue
		}
		if rend == nil || (r.isDefault && !rend.isDefault) {
			rend = r
		}
	}
	if rend != nil {
		return rend.url, nil
	}
	for i := range p.variants {
		v := &p.variants[i]
		if best == nil || v.bandwidth < best.bandwidth {
			best = v
		}
	}
	if best == nil {
		return "", fmt.Errorf("%w: master playlist without variants", ErrBadPlaylist)
	}
	return best.url, nil
}

func (p *hlsPlaylist) groupUsed(g string) bool {
	if len(p.variants) == 0 {
		return true
	}
	for _, v := range p.variants {
		if v.audio == g {
			return true
		}
	}
	return false
}

// duration is the sum of the segment durations.
func (p *hlsPlaylist) duration() time.Duration {
	if len(p.segments) == 0 {
		return 0
	}
	last := p.segments[len(p.segments)-1]
	return last.start + last.duration
}
