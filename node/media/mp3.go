package media

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/audionode/audionode/node/media/mp3"
)

// mp3MaxFrame bounds a Layer III frame (320 kbit/s at 32 kHz: 1441
// bytes; LSF 160 kbit/s at 8 kHz: 1441).
const mp3MaxFrame = 1448

// mp3MaxResync is how far we scan for the next frame header through
// garbage before giving up.
const mp3MaxResync = 1 << 20

// mp3PCM decodes MPEG audio Layer III with node/media/mp3.
type mp3PCM struct {
	in    *input
	dec   *mp3.Decoder
	frame [mp3MaxFrame]byte
	pcm   [2304]float32
	pcmN  int // values in pcm
	pcmAt int // next value of pcm to hand out

	sampleRate int
	spf        int     // samples per frame
	first      int64   // offset of the first audio frame
	tag        int64   // offset of the Xing/VBRI tag frame, which TOC offsets count from
	avgFrame   float64 // CBR bytes per frame; 0 for VBR
	index      []int64 // VBR: frame offsets, extended by seeks as far as needed
	indexDone  bool    // index reaches the last frame
	info       mp3.Info

	skip     int64 // decoded samples before the real audio (gapless)
	total    int64 // frames of real audio, -1 unknown
	cur      int64 // decoded-sample index of pcm[pcmAt]
	next     int64 // index of the next frame to read
	dropTill int64 // decoded samples before this are discarded
}

func openMP3(in *input) (*mp3PCM, error) {
	head, _ := in.peek(10)
	if n := mp3.ID3v2Size(head); n > 0 {
		if err := in.skip(int64(n)); err != nil {
			return nil, fmt.Errorf("%w: mp3: ID3v2 tag past the end", ErrMalformed)
		}
	}
	d := &mp3PCM{in: in, dec: mp3.NewDecoder(), total: -1}
	h, err := d.sync(64 << 10)
	if err != nil {
		return nil, err
	}
	if h.SampleRate < 8000 || h.SampleRate > 48000 {
		return nil, fmt.Errorf("%w: mp3 at %d Hz", ErrUnsupported, h.SampleRate)
	}
	d.sampleRate, d.spf = h.SampleRate, h.Samples
	b, err := in.peek(h.FrameSize)
	if err != nil {
		return nil, fmt.Errorf("%w: mp3: truncated first frame", ErrMalformed)
	}
	d.info = mp3.ParseInfo(b, h)
	d.tag = in.pos
	if d.info.Tag != "" {
		// The tag frame decodes as silence; skip it (ffmpeg does too).
		if err := in.skip(int64(h.FrameSize)); err != nil {
			return nil, err
		}
	}
	d.first = in.pos
	if d.info.Tag == "" || d.info.Tag == "Info" {
		d.avgFrame = float64(h.Samples) / 8 * float64(h.Bitrate) / float64(h.SampleRate)
	}
	if d.info.Delay >= 0 {
		d.skip = int64(d.info.Delay) + mp3.DecoderDelay
	}
	switch {
	case d.info.Frames > 0:
		d.total = d.info.Frames * int64(d.spf)
		if d.info.Delay >= 0 {
			d.total = max(d.total-int64(d.info.Delay)-int64(d.info.Padding), 0)
		}
	case d.avgFrame > 0 && in.size > d.first:
		frames := int64(math.Round(float64(in.size-d.first) / d.avgFrame))
		d.total = max(frames*int64(d.spf)-d.skip, 0)
	}
	d.dropTill = d.skip
	return d, nil
}

func (d *mp3PCM) rate() int     { return d.sampleRate }
func (d *mp3PCM) frames() int64 { return d.total }

var errMP3NoFrame = errors.New("mp3: no frame header found")

// sync skips to the next valid frame header, scanning at most limit
// bytes of garbage; io.EOF at the end of the data or at a trailing
// ID3v1/APE tag.
func (d *mp3PCM) sync(limit int) (mp3.Header, error) {
	scanned := 0
	for {
		b, err := d.in.peek(4)
		if len(b) < 4 {
			return mp3.Header{}, endErr(err)
		}
		if h, err := mp3.ParseHeader(b); err == nil && (d.sampleRate == 0 || h.SampleRate == d.sampleRate && h.Samples == d.spf) {
			return h, nil
		} else if d.sampleRate == 0 && errors.Is(err, mp3.ErrUnsupported) && b[0] == 0xFF {
			if nb, _ := d.in.peek(64 << 10); len(nb) > 0 {
				if _, h2, ok := mp3.FindFrame(nb); !ok || h2.Layer != 3 {
					return h, fmt.Errorf("%w: %w", ErrUnsupported, err)
				}
			}
		}
		if string(b[:3]) == "TAG" || string(b) == "APET" {
			return mp3.Header{}, io.EOF // trailing tags end the audio
		}
		// Look at what has arrived (at least a few frames' worth) rather
		// than wait for 64 KiB of a slow stream.
		win, _ := d.in.peek(min(max(d.in.br.Buffered(), 4*mp3MaxFrame), bufSize, limit-scanned+4))
		off, _, ok := mp3.FindFrame(win[1:])
		step := off + 1
		if !ok {
			step = max(len(win)-3, 1)
		}
		if scanned += step; scanned > limit {
			return mp3.Header{}, fmt.Errorf("%w: %w", ErrMalformed, errMP3NoFrame)
		}
		if err := d.in.skip(int64(step)); err != nil {
			return mp3.Header{}, endErr(err)
		}
	}
}

// endErr maps the end of the input (even mid-frame) to io.EOF and keeps
// any other read error (a failed HLS segment, a dropped connection).
func endErr(err error) error {
	if err == nil || err == io.EOF || err == io.ErrUnexpectedEOF {
		return io.EOF
	}
	return err
}

// decodeNext reads and decodes the next frame into d.pcm.
func (d *mp3PCM) decodeNext() error {
	h, err := d.sync(mp3MaxResync)
	if err != nil {
		return err
	}
	if h.FrameSize > len(d.frame) {
		return fmt.Errorf("%w: mp3 frame of %d bytes", ErrMalformed, h.FrameSize)
	}
	if err := d.in.readFull(d.frame[:h.FrameSize]); err != nil {
		return endErr(err) // EOF: a truncated last frame
	}
	n, err := d.dec.DecodeFrame(d.frame[:h.FrameSize], d.pcm[:])
	if err != nil {
		// A damaged frame plays as silence and keeps the timeline.
		n = 2 * h.Samples
		clear(d.pcm[:n])
	}
	d.pcmN, d.pcmAt = n, 0
	d.cur = d.next * int64(d.spf)
	d.next++
	return nil
}

func (d *mp3PCM) read(dst []float32) (n int, err error) {
	for n+2 <= len(dst) {
		if d.pcmAt >= d.pcmN {
			if err := d.decodeNext(); err != nil {
				if err == io.EOF {
					return n, io.EOF
				}
				return n, err
			}
		}
		avail := int64((d.pcmN - d.pcmAt) / 2)
		if d.cur < d.dropTill {
			k := min(avail, d.dropTill-d.cur)
			d.pcmAt += int(2 * k)
			d.cur += k
			continue
		}
		k := min(avail, int64((len(dst)-n)/2))
		if d.total >= 0 {
			left := d.total - (d.cur - d.skip)
			if left <= 0 {
				return n, io.EOF
			}
			k = min(k, left)
		}
		copy(dst[n:], d.pcm[d.pcmAt:d.pcmAt+int(2*k)])
		n += int(2 * k)
		d.pcmAt += int(2 * k)
		d.cur += k
	}
	return n, nil
}

// mp3Overhead bounds a frame's bytes that are not main data: header,
// CRC and side information.
const mp3Overhead = 4 + 2 + 32

// mp3MaxIndex caps the VBR seek index (about 14 hours at 44.1 kHz).
const mp3MaxIndex = 1 << 20

// mp3TOCMinScan is how many bytes of frame headers a VBR seek may scan
// for its exact index before it jumps by the Xing table of contents
// instead: a far seek in a long remote file (an hour-long podcast) would
// otherwise download everything before the target. A variable for tests.
var mp3TOCMinScan int64 = 8 << 20

// seek lands exactly on frame f: it finds the MPEG frame holding f (CBR
// arithmetic, or an index of frame offsets for VBR, since a Xing or VBRI
// table of contents only gives an approximate position), starts decoding
// enough frames earlier to refill the bit reservoir (main_data_begin
// reaches back up to 511 bytes) and the IMDCT overlap, and discards
// output up to the target. A VBR seek that would scan more than
// mp3TOCMinScan bytes to extend its index jumps by the Xing TOC instead
// and is exact only to the TOC's precision (1 % steps, interpolated).
func (d *mp3PCM) seek(f int64) (int64, error) {
	f = max(f, 0)
	if d.total >= 0 {
		f = min(f, d.total)
	}
	target := f + d.skip
	k := target / int64(d.spf)
	if d.avgFrame > 0 {
		pre := 2 + int64(math.Ceil(511/max(d.avgFrame-mp3Overhead, 1)))
		start := max(k-pre, 0)
		est := d.first + int64(float64(start)*d.avgFrame)
		if err := d.in.seek(max(est-2, d.first)); err != nil {
			return 0, err
		}
		if _, err := d.sync(4 * mp3MaxFrame); err != nil && err != io.EOF {
			return 0, err
		}
		off := d.in.pos
		// Padding makes frame sizes differ by a byte; the nearest whole
		// frame count is exact.
		d.next = int64(math.Round(float64(off-d.first) / d.avgFrame))
	} else if start, at, ok := d.tocJump(k); ok {
		if err := d.in.seek(at); err != nil {
			return 0, err
		}
		if _, err := d.sync(4 * mp3MaxFrame); err != nil && err != io.EOF {
			return 0, err
		}
		d.next = start
	} else {
		if err := d.extendIndex(k); err != nil {
			return 0, err
		}
		// Frame k-1 must decode whole (its second half overlaps into
		// frame k), so the frames before it must supply 511 bytes of
		// main data (frame bytes less header and side info).
		start := max(k-2, 0)
		for start > 0 && k-1 < int64(len(d.index)) &&
			d.index[k-1]-d.index[start]-mp3Overhead*(k-1-start) < 511 {
			start--
		}
		if start >= int64(len(d.index)) {
			start = int64(len(d.index)) - 1
		}
		off := d.first
		if start >= 0 {
			off = d.index[start]
		}
		if err := d.in.seek(off); err != nil {
			return 0, err
		}
		d.next = max(start, 0)
	}
	d.dec.Reset()
	d.pcmN, d.pcmAt = 0, 0
	d.cur = d.next * int64(d.spf)
	d.dropTill = target
	return f, nil
}

// extendIndex scans frame headers (reading, not decoding) until the
// index reaches frame k or the end, so a seek reads only up to its target
// once.
func (d *mp3PCM) extendIndex(k int64) error {
	if d.indexDone || int64(len(d.index)) > k {
		return nil
	}
	off := d.first
	if n := len(d.index); n > 0 {
		off = d.index[n-1]
	}
	if err := d.in.seek(off); err != nil {
		return err
	}
	if n := len(d.index); n > 0 {
		d.index = d.index[:n-1] // re-add the last frame after skipping it
	}
	for int64(len(d.index)) <= k {
		if len(d.index) >= mp3MaxIndex {
			d.indexDone = true
			break
		}
		h, err := d.sync(mp3MaxResync)
		if err != nil {
			d.indexDone = true
			break
		}
		d.index = append(d.index, d.in.pos)
		if err := d.in.skip(int64(h.FrameSize)); err != nil {
			d.indexDone = true
			break
		}
	}
	return nil
}

// tocJump reports where the Xing TOC puts a seek to frame k, and the
// frame it starts decoding from, when the exact index would need to scan
// more than mp3TOCMinScan bytes to get there.
func (d *mp3PCM) tocJump(k int64) (start, at int64, ok bool) {
	inf := d.info
	if inf.Frames <= 0 || inf.Bytes <= 0 || d.info.TOCOffset(0) < 0 {
		return 0, 0, false
	}
	avg := float64(inf.Bytes) / float64(inf.Frames)
	indexed := int64(len(d.index))
	if k < indexed || d.indexDone || float64(k-indexed)*avg <= float64(mp3TOCMinScan) {
		return 0, 0, false
	}
	// The reservoir preroll, as for CBR, from the average frame size.
	start = max(k-2-int64(math.Ceil(511/max(avg-mp3Overhead, 1))), 0)
	at = d.tag + d.info.TOCOffset(float64(start)/float64(inf.Frames))
	return start, max(at, d.first), true
}
