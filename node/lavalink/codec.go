package lavalink

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Layout of an encoded track (lavaplayer's MessageOutput + DefaultAudioPlayerManager.encodeTrack):
//
//	u32   header: bits 31..30 flags (1 = versioned), bits 29..0 = size of the rest
//	u8    version (only when versioned; otherwise the layout is version 1)
//	UTF   title, UTF author, i64 length, UTF identifier, bool isStream
//	NT    uri (v≥2), NT artworkUrl (v≥3), NT isrc (v≥3)
//	UTF   sourceName
//	…     source-specific bytes
//	i64   position (the last 8 bytes)
//
// UTF is Java's writeUTF (u16 length + modified UTF-8); NT is a bool byte
// followed by UTF when true.

const (
	flagVersioned = 1 << 30
	sizeMask      = 1<<30 - 1
	// CurrentVersion is the version every encoder of Lavalink 4 writes.
	CurrentVersion = 3
)

// EncodedTrack is the full content of an encoded track string.
type EncodedTrack struct {
	// Version is the layout version 1–3. Unversioned is true for messages
	// without a version byte (the oldest form, always version 1).
	Version     int
	Unversioned bool
	// Info holds the decoded fields; IsSeekable is derived (!IsStream)
	// because it is not part of the bytes.
	Info TrackInfo
	// Extra is the source-specific bytes between sourceName and position,
	// kept verbatim so any source round-trips. Decoding does not interpret
	// them (a track whose extras we do not understand still decodes); use
	// ParseProbeInfo or ParseLavaSrcExtra to read them.
	Extra []byte
}

// DecodeTrack decodes an encoded track string into a Track whose Encoded is
// the input (as /v4/decodetrack returns it). Sources whose extras we do not
// know keep the common fields; the position is the last 8 bytes.
func DecodeTrack(encoded string) (Track, error) {
	et, err := ParseEncodedTrack(encoded)
	if err != nil {
		return Track{}, err
	}
	return Track{Encoded: encoded, Info: et.Info}, nil
}

// Track returns the API view of et with Encoded set to its encoding.
func (et EncodedTrack) Track() (Track, error) {
	s, err := et.Encode()
	if err != nil {
		return Track{}, err
	}
	return Track{Encoded: s, Info: et.Info}, nil
}

// ParseEncodedTrack decodes the base64 string and then the message.
func ParseEncodedTrack(encoded string) (EncodedTrack, error) {
	b, err := decodeBase64(encoded)
	if err != nil {
		return EncodedTrack{}, err
	}
	var et EncodedTrack
	if err := et.UnmarshalBinary(b); err != nil {
		return EncodedTrack{}, err
	}
	return et, nil
}

// decodeBase64 follows java.util.Base64.getDecoder(): standard alphabet,
// optional padding, no whitespace.
func decodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, fmt.Errorf("%w: contains a line break", ErrBadBase64)
	}
	t := strings.TrimRight(s, "=")
	if pad := len(s) - len(t); pad > 2 || (pad > 0 && (len(t)+pad)%4 != 0) {
		return nil, fmt.Errorf("%w: bad padding", ErrBadBase64)
	}
	b, err := base64.RawStdEncoding.DecodeString(t)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadBase64, err)
	}
	return b, nil
}

// UnmarshalBinary decodes one track message. Bytes after the message (the
// size in the header) are ignored, as lavaplayer does.
func (et *EncodedTrack) UnmarshalBinary(b []byte) error {
	if len(b) < 4 {
		return fmt.Errorf("%w: %d bytes, header needs 4", ErrMalformedTrack, len(b))
	}
	h := binary.BigEndian.Uint32(b)
	if h>>30&^1 != 0 {
		return fmt.Errorf("%w: unknown header flags %#x", ErrMalformedTrack, h>>30)
	}
	size := int(h & sizeMask)
	if size > len(b)-4 {
		return fmt.Errorf("%w: message size %d exceeds %d bytes", ErrMalformedTrack, size, len(b)-4)
	}
	r := reader{b: b[4 : 4+size]}
	out := EncodedTrack{Version: 1, Unversioned: h&flagVersioned == 0}
	if !out.Unversioned {
		out.Version = int(r.byte())
		if r.err == nil && (out.Version < 1 || out.Version > CurrentVersion) {
			return fmt.Errorf("%w: %d", ErrUnsupportedVersion, out.Version)
		}
	}
	in := &out.Info
	in.Title = r.utf()
	in.Author = r.utf()
	in.Length = r.i64()
	in.Identifier = r.utf()
	in.IsStream = r.bool()
	if out.Version >= 2 {
		in.URI = r.nullableText()
	}
	if out.Version >= 3 {
		in.ArtworkURL = r.nullableText()
		in.ISRC = r.nullableText()
	}
	in.SourceName = r.utf()
	if r.err != nil {
		return r.err
	}
	rest := r.b[r.off:]
	if len(rest) < 8 {
		return fmt.Errorf("%w: no room for the position", ErrMalformedTrack)
	}
	in.Position = int64(binary.BigEndian.Uint64(rest[len(rest)-8:]))
	in.IsSeekable = !in.IsStream
	if len(rest) > 8 {
		out.Extra = append([]byte(nil), rest[:len(rest)-8]...)
	}
	*et = out
	return nil
}

// Encode returns the base64 string of the message.
func (et EncodedTrack) Encode() (string, error) {
	b, err := et.AppendBinary(nil)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// MarshalBinary returns the message bytes.
func (et EncodedTrack) MarshalBinary() ([]byte, error) { return et.AppendBinary(nil) }

// AppendBinary appends the message bytes to dst.
func (et EncodedTrack) AppendBinary(dst []byte) ([]byte, error) {
	v := et.Version
	if v < 1 || v > CurrentVersion || (et.Unversioned && v != 1) {
		return dst, fmt.Errorf("%w: %d", ErrUnsupportedVersion, v)
	}
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	if !et.Unversioned {
		dst = append(dst, byte(v))
	}
	in := et.Info
	var err error
	w := func(s string) {
		if err == nil {
			dst, err = appendUTF(dst, s)
		}
	}
	nt := func(s *string) {
		if s == nil {
			dst = append(dst, 0)
			return
		}
		dst = append(dst, 1)
		w(*s)
	}
	w(in.Title)
	w(in.Author)
	dst = binary.BigEndian.AppendUint64(dst, uint64(in.Length))
	w(in.Identifier)
	dst = append(dst, boolByte(in.IsStream))
	if v >= 2 {
		nt(in.URI)
	}
	if v >= 3 {
		nt(in.ArtworkURL)
		nt(in.ISRC)
	}
	w(in.SourceName)
	dst = append(dst, et.Extra...)
	dst = binary.BigEndian.AppendUint64(dst, uint64(in.Position))
	if err != nil {
		return dst[:start], err
	}
	size := len(dst) - start - 4
	if size > sizeMask {
		return dst[:start], fmt.Errorf("%w: message of %d bytes", ErrStringTooLong, size)
	}
	h := uint32(size)
	if !et.Unversioned {
		h |= flagVersioned
	}
	binary.BigEndian.PutUint32(dst[start:], h)
	return dst, nil
}

// EncodeTrack encodes info as a version 3 track with the given
// source-specific extra bytes (nil for sources without extras; see
// AppendProbeInfo and LavaSrcExtra.Append).
func EncodeTrack(info TrackInfo, extra []byte) (string, error) {
	return EncodedTrack{Version: CurrentVersion, Info: info, Extra: extra}.Encode()
}

// WithPosition re-encodes an encoded track with a new position, keeping
// every other byte (the reference re-encodes playing tracks this way).
func WithPosition(encoded string, position int64) (string, error) {
	et, err := ParseEncodedTrack(encoded)
	if err != nil {
		return "", err
	}
	et.Info.Position = position
	return et.Encode()
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// IsProbeSource reports whether source writes a probe-info string as its
// extra (lavaplayer's http and local sources).
func IsProbeSource(source string) bool { return source == "http" || source == "local" }

// ParseProbeInfo reads the probe info of an http/local track: the container
// name, optionally followed by "|parameters" (e.g. "mp3", "ogg|opus"...).
func ParseProbeInfo(extra []byte) (string, error) {
	r := reader{b: extra}
	s := r.utf()
	if r.err != nil {
		return "", r.err
	}
	if r.off != len(extra) {
		return "", fmt.Errorf("%w: %d unexpected bytes after probe info", ErrMalformedTrack, len(extra)-r.off)
	}
	return s, nil
}

// AppendProbeInfo appends the probe info extra for an http/local track.
func AppendProbeInfo(dst []byte, probe string) ([]byte, error) { return appendUTF(dst, probe) }

// LavaSrcSources lists the source names whose tracks carry LavaSrc's
// extended fields (LavaSrc's ExtendedAudioSourceManager).
var LavaSrcSources = []string{"spotify", "applemusic", "deezer", "yandexmusic", "vkmusic", "tidal", "qobuz", "jiosaavn"}

// IsLavaSrcSource reports whether source is one of LavaSrcSources.
func IsLavaSrcSource(source string) bool {
	for _, s := range LavaSrcSources {
		if s == source {
			return true
		}
	}
	return false
}

// LavaSrcExtra holds the extended fields LavaSrc sources append.
type LavaSrcExtra struct {
	AlbumName        *string
	AlbumURL         *string
	ArtistURL        *string
	ArtistArtworkURL *string
	PreviewURL       *string
	IsPreview        bool
}

// ParseLavaSrcExtra reads LavaSrc's extended fields.
func ParseLavaSrcExtra(extra []byte) (LavaSrcExtra, error) {
	r := reader{b: extra}
	x := LavaSrcExtra{
		AlbumName: r.nullableText(), AlbumURL: r.nullableText(), ArtistURL: r.nullableText(),
		ArtistArtworkURL: r.nullableText(), PreviewURL: r.nullableText(), IsPreview: r.bool(),
	}
	if r.err != nil {
		return LavaSrcExtra{}, r.err
	}
	if r.off != len(extra) {
		return LavaSrcExtra{}, fmt.Errorf("%w: %d unexpected bytes after LavaSrc fields", ErrMalformedTrack, len(extra)-r.off)
	}
	return x, nil
}

// Append appends the encoded fields to dst.
func (x LavaSrcExtra) Append(dst []byte) ([]byte, error) {
	var err error
	for _, s := range []*string{x.AlbumName, x.AlbumURL, x.ArtistURL, x.ArtistArtworkURL, x.PreviewURL} {
		if s == nil {
			dst = append(dst, 0)
			continue
		}
		dst = append(dst, 1)
		if dst, err = appendUTF(dst, *s); err != nil {
			return dst, err
		}
	}
	return append(dst, boolByte(x.IsPreview)), nil
}

// reader reads big-endian fields; the first failure sticks in err.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) need(n int) bool {
	if r.err != nil {
		return false
	}
	if len(r.b)-r.off < n {
		r.err = fmt.Errorf("%w: truncated at byte %d", ErrMalformedTrack, r.off)
		return false
	}
	return true
}

func (r *reader) byte() byte {
	if !r.need(1) {
		return 0
	}
	r.off++
	return r.b[r.off-1]
}

func (r *reader) bool() bool {
	c := r.byte()
	if c > 1 && r.err == nil {
		// Java's readBoolean accepts any non-zero byte, but only 0/1 can
		// round-trip; nothing real writes anything else.
		r.err = fmt.Errorf("%w: boolean byte %#x", ErrMalformedTrack, c)
	}
	return c == 1
}

func (r *reader) i64() int64 {
	if !r.need(8) {
		return 0
	}
	v := binary.BigEndian.Uint64(r.b[r.off:])
	r.off += 8
	return int64(v)
}

func (r *reader) utf() string {
	if !r.need(2) {
		return ""
	}
	n := int(binary.BigEndian.Uint16(r.b[r.off:]))
	r.off += 2
	if !r.need(n) {
		return ""
	}
	s, err := decodeModifiedUTF8(r.b[r.off : r.off+n])
	if err != nil {
		r.err = err
		return ""
	}
	r.off += n
	return s
}

func (r *reader) nullableText() *string {
	if !r.bool() {
		return nil
	}
	s := r.utf()
	if r.err != nil {
		return nil
	}
	return &s
}

// decodeModifiedUTF8 decodes Java's modified UTF-8. Forms that Java accepts
// but no Java encoder writes (overlong sequences other than C0 80, a raw
// NUL byte, lone surrogates) are rejected so that decoding then encoding
// gives back the same bytes.
func decodeModifiedUTF8(b []byte) (string, error) {
	// Fast path: plain ASCII without NUL is the same in both encodings.
	ascii := true
	for _, c := range b {
		if c == 0 || c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b), nil
	}
	bad := func(i int, why string) error {
		return fmt.Errorf("%w: modified UTF-8 at byte %d: %s", ErrMalformedTrack, i, why)
	}
	units := make([]uint16, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == 0:
			return "", bad(i, "raw NUL")
		case c < 0x80:
			units = append(units, uint16(c))
			i++
		case c>>5 == 0b110:
			if i+1 >= len(b) || b[i+1]>>6 != 0b10 {
				return "", bad(i, "bad 2-byte sequence")
			}
			u := uint16(c&0x1F)<<6 | uint16(b[i+1]&0x3F)
			if u < 0x80 && u != 0 {
				return "", bad(i, "overlong")
			}
			units = append(units, u)
			i += 2
		case c>>4 == 0b1110:
			if i+2 >= len(b) || b[i+1]>>6 != 0b10 || b[i+2]>>6 != 0b10 {
				return "", bad(i, "bad 3-byte sequence")
			}
			u := uint16(c&0x0F)<<12 | uint16(b[i+1]&0x3F)<<6 | uint16(b[i+2]&0x3F)
			if u < 0x800 {
				return "", bad(i, "overlong")
			}
			units = append(units, u)
			i += 3
		default:
			return "", bad(i, "invalid lead byte (4-byte UTF-8 is not modified UTF-8)")
		}
	}
	// Pair surrogates; a lone one cannot be represented in a Go string.
	out := make([]byte, 0, len(b))
	for i := 0; i < len(units); i++ {
		u := rune(units[i])
		if utf16.IsSurrogate(u) {
			if u < 0xDC00 && i+1 < len(units) {
				if r := utf16.DecodeRune(u, rune(units[i+1])); r != utf8.RuneError {
					out = utf8.AppendRune(out, r)
					i++
					continue
				}
			}
			return "", bad(i, "unpaired surrogate")
		}
		out = utf8.AppendRune(out, u)
	}
	return string(out), nil
}

// modifiedUTF8Len returns the encoded length of s.
func modifiedUTF8Len(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r == 0:
			n += 2
		case r < 0x80:
			n++
		case r < 0x800:
			n += 2
		case r < 0x10000:
			n += 3
		default:
			n += 6
		}
	}
	return n
}

// appendUTF appends s as Java's writeUTF does. Invalid UTF-8 in s is
// written as U+FFFD.
func appendUTF(dst []byte, s string) ([]byte, error) {
	n := modifiedUTF8Len(s)
	if n > 0xFFFF {
		return dst, fmt.Errorf("%w: %d bytes", ErrStringTooLong, n)
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	for _, r := range s {
		switch {
		case r == 0:
			dst = append(dst, 0xC0, 0x80)
		case r < 0x80:
			dst = append(dst, byte(r))
		case r < 0x800:
			dst = append(dst, 0xC0|byte(r>>6), 0x80|byte(r&0x3F))
		case r < 0x10000:
			dst = append3(dst, r)
		default:
			hi, lo := utf16.EncodeRune(r)
			dst = append3(dst, hi)
			dst = append3(dst, lo)
		}
	}
	return dst, nil
}

func append3(dst []byte, r rune) []byte {
	return append(dst, 0xE0|byte(r>>12), 0x80|byte(r>>6&0x3F), 0x80|byte(r&0x3F))
}

// DecodeTracks decodes every string (POST /v4/decodetracks). It returns
// ErrNoTracks for an empty list, and for a bad entry an error naming its
// index that wraps the decode error.
func DecodeTracks(encoded []string) ([]Track, error) {
	if len(encoded) == 0 {
		return nil, ErrNoTracks
	}
	out := make([]Track, len(encoded))
	for i, s := range encoded {
		t, err := DecodeTrack(s)
		if err != nil {
			return nil, fmt.Errorf("track %d: %w", i, err)
		}
		out[i] = t
	}
	return out, nil
}
