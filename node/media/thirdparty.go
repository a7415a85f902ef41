package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/hajimehoshi/go-mp3"
)

// The decoders in this file wrap pure-Go third-party libraries. They were
// not written for hostile input, so every call into them recovers a panic
// into an error wrapping ErrMalformed.

var errPanic = errors.New("decoder panic")

func recovered(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %w: %v", ErrMalformed, errPanic, r)
	}
}

// mp3Decoder decodes MPEG-1/2 Layer III with github.com/hajimehoshi/go-mp3,
// which always yields 16-bit stereo.
type mp3Decoder struct {
	d     *mp3.Decoder
	raw   []byte
	total int64
	gap   mp3Gapless
	drop  int64 // frames still to drop from the decoder's output
	pos   int64 // next frame of real audio
}

func openMP3(in *input) (d *mp3Decoder, err error) {
	defer recovered(&err)
	want := bufSize
	if !in.seekable() {
		// A stream (radio, live HLS) may trickle in: look at what has
		// arrived rather than wait for 64 KiB of it.
		want = max(in.br.Buffered(), 4)
	}
	head, _ := in.peek(want)
	gap := parseMP3Gapless(head)
	var r io.Reader = in
	if !in.seekable() {
		r = struct{ io.Reader }{in} // keep go-mp3 from scanning for a length
	}
	md, err := mp3.NewDecoder(r)
	if err != nil {
		return nil, fmt.Errorf("%w: mp3: %w", ErrMalformed, err)
	}
	if sr := md.SampleRate(); sr < 8000 || sr > 48000 {
		return nil, fmt.Errorf("%w: mp3 at %d Hz", ErrUnsupported, sr)
	}
	d = &mp3Decoder{d: md, raw: make([]byte, 4*1024), total: -1, gap: gap, drop: gap.skip}
	if l := md.Length(); l > 0 {
		d.total = max(l/4-gap.skip, 0)
	}
	if gap.total >= 0 {
		d.total = gap.total
	}
	return d, nil
}

func (d *mp3Decoder) rate() int     { return d.d.SampleRate() }
func (d *mp3Decoder) frames() int64 { return d.total }

func (d *mp3Decoder) read(dst []float32) (n int, err error) {
	defer recovered(&err)
	for d.drop > 0 {
		k, err := io.ReadFull(d.d, d.raw[:min(int64(len(d.raw)), 4*d.drop)])
		d.drop -= int64(k / 4)
		if err != nil {
			return 0, io.EOF
		}
	}
	want := min(len(dst)/2, len(d.raw)/4)
	if d.gap.total >= 0 {
		// Stop before the encoder's padding.
		want = int(min(int64(want), d.gap.total-d.pos))
		if want <= 0 {
			return 0, io.EOF
		}
	}
	k, err := io.ReadFull(d.d, d.raw[:4*want])
	k -= k % 4
	d.pos += int64(k / 4)
	for i := 0; i < k; i += 4 {
		dst[n] = float32(int16(binary.LittleEndian.Uint16(d.raw[i:]))) / (1 << 15)
		dst[n+1] = float32(int16(binary.LittleEndian.Uint16(d.raw[i+2:]))) / (1 << 15)
		n += 2
	}
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return n, io.EOF
	case err != nil:
		return n, fmt.Errorf("%w: mp3: %w", ErrMalformed, err)
	}
	return n, nil
}

func (d *mp3Decoder) seek(f int64) (got int64, err error) {
	defer recovered(&err)
	off, err := d.d.Seek((max(f, 0)+d.gap.skip)*4, io.SeekStart)
	if err != nil {
		return 0, fmt.Errorf("%w: mp3 seek: %w", ErrMalformed, err)
	}
	d.drop = 0
	d.pos = max(off/4-d.gap.skip, 0)
	return d.pos, nil
}
