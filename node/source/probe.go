package source

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// src is random access to the probed bytes. Size is -1 when unknown
// (a stream without Content-Length).
type src interface {
	ReadAt(p []byte, off int64) (int, error)
	Size() int64
}

// bytesSrc serves a byte slice (tests, fuzzing, and bodies read whole).
type bytesSrc struct {
	b    []byte
	size int64 // reported size; -1 for "unknown"
}

func (s bytesSrc) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= int64(len(s.b)) {
		return 0, io.EOF
	}
	n := copy(p, s.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (s bytesSrc) Size() int64 { return s.size }

// read returns up to n bytes at off; fewer at the end of the source.
func read(s src, off int64, n int) ([]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	p := make([]byte, n)
	got, err := s.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return p[:got], err
	}
	return p[:got], nil
}

// Limits on how much the probes look at.
const (
	headSize     = 64 << 10 // first read; enough to detect every container
	tagLimit     = 1 << 20  // largest tag block we parse (bigger ones are skipped)
	tailSize     = 64 << 10 // Ogg: where to look for the last granule
	scanDistance = 1000     // how far into the file a frame sync is searched (as lavaplayer)
	maxBoxes     = 4096     // MP4/Matroska elements visited
	maxEntries   = 1000     // playlist entries kept
)

// probeResult is what the probe learned about one item.
type probeResult struct {
	container string // lavaplayer probe name: mp3, flac, wav, ogg, matroska/webm, mp4, adts, mpegts-adts, m3u, pls
	params    string // probe parameters (written after "|")
	title     string
	author    string
	isrc      string
	length    int64 // ms; -1 unknown
	stream    bool  // live (ICY, live HLS, unbounded)

	hls          bool // an HLS playlist (params "hls-outer")
	playlist     bool // an M3U/PLS list of links (not HLS)
	playlistName string
	entries      []entry
}

// probeInfo is the string stored in the encoded track.
func (r probeResult) probeInfo() string {
	if r.params != "" {
		return r.container + "|" + r.params
	}
	return r.container
}

// entry is one link of an M3U/PLS playlist.
type entry struct {
	url    string
	title  string
	length int64 // ms; -1 unknown
}

// probe detects the container of s and reads what it cheaply can.
func probe(s src) (probeResult, error) {
	head, err := read(s, 0, headSize)
	if err != nil {
		return probeResult{}, err
	}
	r := probeResult{length: -1}
	switch {
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WAVE":
		r.container = "wav"
		err = probeWAV(s, &r)
	case bytes.HasPrefix(head, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		r.container = "matroska/webm"
		err = probeMatroska(s, &r)
	case len(head) >= 8 && string(head[4:8]) == "ftyp":
		r.container = "mp4"
		err = probeMP4(s, &r)
	case bytes.HasPrefix(head, []byte("fLaC")):
		r.container = "flac"
		err = probeFLAC(s, &r)
	case bytes.HasPrefix(head, []byte("OggS")):
		r.container = "ogg"
		err = probeOgg(s, head, &r)
	case bytes.HasPrefix(trimBOM(head), []byte("#EXTM3U")) || bytes.HasPrefix(trimBOM(head), []byte("#EXTINF")):
		r.container = "m3u"
		err = parseM3U(head, &r)
	case isPLS(head):
		r.container = "pls"
		err = parsePLS(head, &r)
	case isPlainLinks(head):
		// lavaplayer's "plain" probe: a text file that starts with a link.
		r.container = "plain"
		err = parseM3U(head, &r)
	case isMPEGTS(head):
		r.container = "mpegts-adts"
	default:
		err = probeFrames(s, head, &r)
	}
	if err != nil {
		return probeResult{}, err
	}
	return r, nil
}

func trimBOM(b []byte) []byte { return bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF}) }

func isPlainLinks(h []byte) bool {
	h = bytes.TrimLeft(trimBOM(h), " \t\r\n")
	return bytes.HasPrefix(h, []byte("http://")) || bytes.HasPrefix(h, []byte("https://"))
}

func isMPEGTS(h []byte) bool {
	return len(h) >= 189 && h[0] == 0x47 && h[188] == 0x47 && (len(h) < 377 || h[376] == 0x47)
}

// probeFrames handles the formats without a fixed magic: MP3 (optionally
// behind an ID3v2 tag) and ADTS, by finding two consecutive frame headers.
func probeFrames(s src, head []byte, r *probeResult) error {
	var start int64
	if len(head) >= 10 && string(head[:3]) == "ID3" {
		tag, size, err := readID3(s)
		if err != nil {
			return err
		}
		start = size
		r.title, r.author, r.isrc = tag.title, tag.artist, tag.isrc
		if tag.lengthMs > 0 {
			r.length = tag.lengthMs
		}
	}
	buf, err := read(s, start, scanDistance+2048)
	if err != nil {
		return err
	}
	for i := 0; i+4 <= len(buf) && i <= scanDistance; i++ {
		if buf[i] != 0xFF || buf[i+1]&0xE0 != 0xE0 {
			continue
		}
		if h, ok := parseMP3Header(buf[i:]); ok {
			// A second header where the first frame ends confirms the sync
			// (when it lies within what we read).
			if next := i + h.frameLen; next+4 <= len(buf) {
				if _, ok2 := parseMP3Header(buf[next:]); !ok2 {
					continue
				}
			}
			r.container = "mp3"
			mp3Length(s, buf[i:], h, start+int64(i), r)
			return nil
		}
		if h, ok := parseADTSHeader(buf[i:]); ok {
			next := i + h
			if next+7 <= len(buf) {
				if _, ok2 := parseADTSHeader(buf[next:]); !ok2 {
					continue
				}
			}
			r.container = "adts"
			return nil
		}
	}
	if start > 0 {
		// Like lavaplayer's MP3 probe, an ID3v2 tag alone means MP3.
		r.container = "mp3"
		return nil
	}
	return ErrUnknownFormat
}

// ----- MP3 -----

type mp3Header struct {
	version    int // 1, 2, or 25 (MPEG 2.5)
	layer      int
	bitrate    int // kbps
	sampleRate int
	frameLen   int
	samples    int // per frame
	mono       bool
}

var mp3Bitrates = [5][16]int{
	{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448, -1}, // V1 L1
	{0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, -1},    // V1 L2
	{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, -1},     // V1 L3
	{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256, -1},    // V2 L1
	{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, -1},         // V2 L2/L3
}

func parseMP3Header(b []byte) (mp3Header, bool) {
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return mp3Header{}, false
	}
	var h mp3Header
	switch b[1] >> 3 & 3 {
	case 0:
		h.version = 25
	case 2:
		h.version = 2
	case 3:
		h.version = 1
	default:
		return h, false
	}
	switch b[1] >> 1 & 3 {
	case 1:
		h.layer = 3
	case 2:
		h.layer = 2
	case 3:
		h.layer = 1
	default:
		return h, false // layer 0 is ADTS
	}
	bi, si := b[2]>>4, b[2]>>2&3
	if bi == 0 || bi == 15 || si == 3 {
		return h, false // free format is not supported by lavaplayer either
	}
	row := 0
	if h.version == 1 {
		row = h.layer - 1
	} else if h.layer == 1 {
		row = 3
	} else {
		row = 4
	}
	h.bitrate = mp3Bitrates[row][bi]
	h.sampleRate = [3]int{44100, 48000, 32000}[si]
	if h.version == 2 {
		h.sampleRate /= 2
	} else if h.version == 25 {
		h.sampleRate /= 4
	}
	pad := int(b[2] >> 1 & 1)
	h.mono = b[3]>>6 == 3
	switch {
	case h.layer == 1:
		h.samples = 384
		h.frameLen = (12*h.bitrate*1000/h.sampleRate + pad) * 4
	case h.layer == 2 || h.version == 1:
		h.samples = 1152
		h.frameLen = 144*h.bitrate*1000/h.sampleRate + pad
	default:
		h.samples = 576
		h.frameLen = 72*h.bitrate*1000/h.sampleRate + pad
	}
	return h, h.frameLen >= 4
}

// mp3Length fills r.length from a Xing/Info or VBRI header in the first
// frame, or estimates it from the bitrate when the size is known.
func mp3Length(s src, frame []byte, h mp3Header, audioStart int64, r *probeResult) {
	xing := 4 + 32
	switch {
	case h.version == 1 && h.mono:
		xing = 4 + 17
	case h.version != 1 && !h.mono:
		xing = 4 + 17
	case h.version != 1 && h.mono:
		xing = 4 + 9
	}
	if len(frame) >= xing+12 {
		tag := string(frame[xing : xing+4])
		if tag == "Xing" || tag == "Info" {
			flags := binary.BigEndian.Uint32(frame[xing+4:])
			if flags&1 != 0 {
				frames := int64(binary.BigEndian.Uint32(frame[xing+8:]))
				r.length = frames * int64(h.samples) * 1000 / int64(h.sampleRate)
				return
			}
		}
	}
	if len(frame) >= 4+32+18 && string(frame[36:40]) == "VBRI" {
		frames := int64(binary.BigEndian.Uint32(frame[36+14:]))
		r.length = frames * int64(h.samples) * 1000 / int64(h.sampleRate)
		return
	}
	if size := s.Size(); size > audioStart && h.bitrate > 0 {
		r.length = (size - audioStart) * 8 / int64(h.bitrate)
	} else if r.length <= 0 {
		r.length = -1
	}
}

// ----- ADTS -----

// parseADTSHeader returns the frame length of an ADTS header at b.
func parseADTSHeader(b []byte) (int, bool) {
	if len(b) < 7 || b[0] != 0xFF || b[1]&0xF6 != 0xF0 {
		return 0, false
	}
	if b[2]>>2&0x0F >= 13 { // sampling frequency index
		return 0, false
	}
	n := int(b[3]&3)<<11 | int(b[4])<<3 | int(b[5]>>5)
	if n < 7 {
		return 0, false
	}
	return n, true
}

// ----- WAV -----

func probeWAV(s src, r *probeResult) error {
	var byteRate int64
	off := int64(12)
	for i := 0; i < 64; i++ {
		h, err := read(s, off, 8)
		if err != nil {
			return err
		}
		if len(h) < 8 {
			break
		}
		id, size := string(h[:4]), int64(binary.LittleEndian.Uint32(h[4:]))
		switch id {
		case "fmt ":
			b, err := read(s, off+8, 16)
			if err != nil {
				return err
			}
			if len(b) < 16 {
				return fmt.Errorf("%w: short WAV fmt chunk", ErrUnknownFormat)
			}
			switch binary.LittleEndian.Uint16(b) {
			case 1, 3, 0xFFFE: // PCM, float, extensible
			default:
				return fmt.Errorf("%w: WAV format %#x", ErrUnsupported, binary.LittleEndian.Uint16(b))
			}
			byteRate = int64(binary.LittleEndian.Uint32(b[8:]))
		case "LIST":
			if size <= tagLimit {
				b, err := read(s, off+8, int(size))
				if err != nil {
					return err
				}
				parseRIFFInfo(b, r)
			}
		case "data":
			if byteRate == 0 {
				return fmt.Errorf("%w: WAV data before fmt", ErrUnsupported)
			}
			if size == 0 || size == 0xFFFFFFFF || (s.Size() >= 0 && off+8+size > s.Size()) {
				if s.Size() < 0 {
					return nil // unbounded: a stream
				}
				size = s.Size() - off - 8
			}
			r.length = size * 1000 / byteRate
			return nil
		}
		off += 8 + size + size&1
	}
	return fmt.Errorf("%w: no WAV data chunk", ErrUnsupported)
}

func parseRIFFInfo(b []byte, r *probeResult) {
	if len(b) < 4 || string(b[:4]) != "INFO" {
		return
	}
	for p := 4; p+8 <= len(b); {
		id, n := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		if n < 0 || p+8+n > len(b) {
			return
		}
		v := string(bytes.TrimRight(b[p+8:p+8+n], "\x00"))
		switch id {
		case "INAM":
			r.title = v
		case "IART":
			r.author = v
		}
		p += 8 + n + n&1
	}
}

// ----- FLAC -----

func probeFLAC(s src, r *probeResult) error {
	off := int64(4)
	var rate, total int64
	for i := 0; i < 128; i++ {
		h, err := read(s, off, 4)
		if err != nil {
			return err
		}
		if len(h) < 4 {
			break
		}
		typ, size := h[0]&0x7F, int64(h[1])<<16|int64(h[2])<<8|int64(h[3])
		switch typ {
		case 0:
			b, err := read(s, off+4, 34)
			if err != nil {
				return err
			}
			if len(b) < 18 {
				return fmt.Errorf("%w: short FLAC STREAMINFO", ErrUnknownFormat)
			}
			rate = int64(b[10])<<12 | int64(b[11])<<4 | int64(b[12])>>4
			total = int64(b[13]&0x0F)<<32 | int64(binary.BigEndian.Uint32(b[14:]))
		case 4:
			if size <= tagLimit {
				b, err := read(s, off+4, int(size))
				if err != nil {
					return err
				}
				parseVorbisComment(b, r)
			}
		}
		off += 4 + size
		if h[0]&0x80 != 0 {
			break
		}
	}
	if rate > 0 && total > 0 {
		r.length = total * 1000 / rate
	}
	return nil
}

// parseVorbisComment reads TITLE, ARTIST and ISRC from a Vorbis comment
// block (Ogg Vorbis/Opus/FLAC and FLAC's VORBIS_COMMENT).
func parseVorbisComment(b []byte, r *probeResult) {
	if len(b) < 4 {
		return
	}
	vendor := int64(binary.LittleEndian.Uint32(b))
	p := 4 + vendor
	if p+4 > int64(len(b)) {
		return
	}
	count := binary.LittleEndian.Uint32(b[p:])
	p += 4
	for i := uint32(0); i < count && p+4 <= int64(len(b)); i++ {
		n := int64(binary.LittleEndian.Uint32(b[p:]))
		p += 4
		if p+n > int64(len(b)) {
			return
		}
		kv := b[p : p+n]
		p += n
		k, v, ok := bytes.Cut(kv, []byte("="))
		if !ok {
			continue
		}
		switch string(bytes.ToUpper(k)) {
		case "TITLE":
			if r.title == "" {
				r.title = string(v)
			}
		case "ARTIST":
			if r.author == "" {
				r.author = string(v)
			}
		case "ISRC":
			if r.isrc == "" {
				r.isrc = string(v)
			}
		}
	}
}
