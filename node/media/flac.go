package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// Our own FLAC decoder (RFC 9639). Frames are decoded from a window over
// the input into preallocated int32 planes, so steady-state decoding
// allocates nothing. Seeking narrows the range with the SEEKTABLE,
// bisects on frame headers and decodes forward to the exact sample.

const (
	flacMaxChannels = 8
	flacMaxBlock    = 65535
	// flacMaxFrame caps one frame: verbatim 65535 samples × 8 channels ×
	// 25 bits (a 24-bit side channel) is under 1.7 MB.
	flacMaxFrame  = 2 << 20
	flacWindow    = 64 << 10 // initial window; grows up to flacMaxFrame
	flacMaxMeta   = 1024     // metadata blocks before the audio
	flacMaxSeekPt = 65536    // seek points kept
	flacSeekScan  = 256 << 10
	// flacMaxResync bounds damaged frames skipped in a row before the
	// track fails.
	flacMaxResync = 16
	flacChunk     = 1024 // frames mixed per step for more than 2 channels
	flacMaxRate   = 768000
)

var errFLACCRC = errors.New("flac frame CRC mismatch")

var flacCRC8Table = func() (t [256]byte) {
	for i := range t {
		c := byte(i)
		for range 8 {
			if c&0x80 != 0 {
				c = c<<1 ^ 0x07
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

var flacCRC16Table = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x8005
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

func flacCRC16(b []byte) uint16 {
	var c uint16
	for _, v := range b {
		c = c<<8 ^ flacCRC16Table[byte(c>>8)^v]
	}
	return c
}

type flacSeekPoint struct{ sample, offset int64 }

type flacDecoder struct {
	in *input
	// The window: buf[lo:hi] are the bytes at file offset off onwards.
	buf    []byte
	lo, hi int
	off    int64
	rerr   error // sticky error of the input, seen once the window drains

	sr, ch, bps        int
	minBlock, maxBlock int
	maxFrame           int   // from STREAMINFO, 0 when unknown
	total              int64 // samples per channel, -1 when unknown
	firstFrame         int64 // offset of the first frame
	seekPts            []flacSeekPoint

	br     flacBits
	planes [flacMaxChannels][]int32
	scale  float32
	mix    *mixer
	inter  []float32 // interleaved scratch for the mixer

	cur     int64 // sample after the decoded block
	lo2     int   // next pending sample in planes
	hi2     int   // samples in planes
	drop    int64 // drop output before this sample (after a seek)
	resyncs int   // damaged frames skipped
}

func openFLAC(in *input) (*flacDecoder, error) {
	d := &flacDecoder{in: in, buf: make([]byte, flacWindow), off: in.pos, total: -1}
	var sig [4]byte
	if err := d.readFull(sig[:]); err != nil || string(sig[:]) != "fLaC" {
		return nil, fmt.Errorf("%w: flac: no signature", ErrMalformed)
	}
	haveInfo := false
	for i := 0; ; i++ {
		if i >= flacMaxMeta {
			return nil, fmt.Errorf("%w: flac: over %d metadata blocks", ErrMalformed, flacMaxMeta)
		}
		var h [4]byte
		if err := d.readFull(h[:]); err != nil {
			return nil, fmt.Errorf("%w: flac metadata header: %w", ErrMalformed, err)
		}
		last, typ := h[0]&0x80 != 0, h[0]&0x7f
		size := int(h[1])<<16 | int(h[2])<<8 | int(h[3])
		switch {
		case i == 0 && typ != 0:
			return nil, fmt.Errorf("%w: flac: first metadata block is not STREAMINFO", ErrMalformed)
		case typ == 0 && i == 0:
			if size != 34 {
				return nil, fmt.Errorf("%w: flac STREAMINFO of %d bytes", ErrMalformed, size)
			}
			var b [34]byte
			if err := d.readFull(b[:]); err != nil {
				return nil, fmt.Errorf("%w: flac STREAMINFO: %w", ErrMalformed, err)
			}
			if err := d.parseStreamInfo(b[:]); err != nil {
				return nil, err
			}
			haveInfo = true
		case typ == 3 && size%18 == 0 && size/18 <= flacMaxSeekPt:
			if err := d.readSeekTable(size / 18); err != nil {
				return nil, err
			}
		case typ == 127:
			return nil, fmt.Errorf("%w: flac metadata block type 127", ErrMalformed)
		default:
			// Pictures and tags can be megabytes: skip, never buffer.
			if err := d.skip(int64(size)); err != nil {
				return nil, fmt.Errorf("%w: flac metadata: %w", ErrMalformed, err)
			}
		}
		if last {
			break
		}
	}
	if !haveInfo {
		return nil, fmt.Errorf("%w: flac without STREAMINFO", ErrMalformed)
	}
	d.firstFrame = d.off
	for c := range d.ch {
		d.planes[c] = make([]int32, d.maxBlock)
	}
	d.scale = 1 / float32(int64(1)<<(d.bps-1))
	if d.ch > 2 {
		d.mix = newMixer(defaultLayout(d.ch, false), d.ch)
		d.inter = make([]float32, flacChunk*d.ch)
	}
	if d.maxFrame > 0 {
		// Start with a window that holds the largest frame.
		d.grow(min(d.maxFrame+16, flacMaxFrame))
	}
	return d, nil
}

func (d *flacDecoder) parseStreamInfo(b []byte) error {
	d.minBlock = int(binary.BigEndian.Uint16(b[0:]))
	d.maxBlock = int(binary.BigEndian.Uint16(b[2:]))
	d.maxFrame = int(b[7])<<16 | int(b[8])<<8 | int(b[9])
	v := binary.BigEndian.Uint64(b[10:])
	d.sr = int(v >> 44)
	d.ch = int(v>>41&7) + 1
	d.bps = int(v>>36&31) + 1
	if n := int64(v & (1<<36 - 1)); n > 0 {
		d.total = n
	}
	minFrame := int(b[4])<<16 | int(b[5])<<8 | int(b[6])
	if d.maxBlock < 16 || d.minBlock > d.maxBlock || (d.maxFrame > 0 && minFrame > d.maxFrame) {
		return fmt.Errorf("%w: flac block sizes %d..%d, frame sizes %d..%d", ErrMalformed, d.minBlock, d.maxBlock, minFrame, d.maxFrame)
	}
	// 32-bit FLAC needs 33-bit side channels; nobody ships it.
	if d.sr < 1000 || d.sr > flacMaxRate || d.bps < 4 || d.bps > 24 {
		return fmt.Errorf("%w: flac %d Hz, %d bits", ErrUnsupported, d.sr, d.bps)
	}
	return nil
}

func (d *flacDecoder) readSeekTable(n int) error {
	var p [18]byte
	for range n {
		if err := d.readFull(p[:]); err != nil {
			return fmt.Errorf("%w: flac SEEKTABLE: %w", ErrMalformed, err)
		}
		s := binary.BigEndian.Uint64(p[0:])
		o := binary.BigEndian.Uint64(p[8:])
		if s == ^uint64(0) || s > 1<<40 || o > 1<<50 {
			continue // placeholder or nonsense
		}
		d.seekPts = append(d.seekPts, flacSeekPoint{int64(s), int64(o)})
	}
	return nil
}

// Window over the input.

// grow enlarges the window to n bytes (n ≤ flacMaxFrame).
func (d *flacDecoder) grow(n int) {
	if n <= len(d.buf) {
		return
	}
	nb := make([]byte, n)
	d.hi = copy(nb, d.buf[d.lo:d.hi])
	d.lo = 0
	d.buf = nb
}

// fill reads until n bytes are in the window or the input ends; n must
// not exceed len(d.buf).
func (d *flacDecoder) fill(n int) {
	if d.hi-d.lo >= n {
		return
	}
	if d.lo+n > len(d.buf) {
		d.hi = copy(d.buf, d.buf[d.lo:d.hi])
		d.lo = 0
	}
	for d.hi-d.lo < n && d.rerr == nil {
		k, err := io.ReadAtLeast(d.in, d.buf[d.hi:], 1)
		d.hi += k
		if err != nil {
			d.rerr = err
		}
	}
}

func (d *flacDecoder) readFull(p []byte) error {
	d.fill(len(p))
	if d.hi-d.lo < len(p) {
		return io.ErrUnexpectedEOF
	}
	copy(p, d.buf[d.lo:])
	d.consume(len(p))
	return nil
}

func (d *flacDecoder) consume(n int) {
	d.lo += n
	d.off += int64(n)
}

func (d *flacDecoder) skip(n int64) error {
	if n <= int64(d.hi-d.lo) {
		d.consume(int(n))
		return nil
	}
	if d.in.seekable() {
		return d.seekTo(d.off + n)
	}
	for n > 0 {
		d.fill(1)
		k := int(min(n, int64(d.hi-d.lo)))
		if k == 0 {
			return io.ErrUnexpectedEOF
		}
		d.consume(k)
		n -= int64(k)
	}
	return nil
}

// seekTo moves the window to the absolute offset off.
func (d *flacDecoder) seekTo(off int64) error {
	if start := d.off - int64(d.lo); off >= start && off <= d.off+int64(d.hi-d.lo) {
		d.lo = int(off - start)
		d.off = off
		return nil
	}
	if err := d.in.seek(off); err != nil {
		return err
	}
	d.lo, d.hi, d.off, d.rerr = 0, 0, off, nil
	return nil
}

// Frames.

type flacHeader struct {
	len    int   // bytes up to and including the CRC-8
	block  int   // samples per channel
	assign int   // channel assignment (0–7 independent, 8–10 stereo)
	sample int64 // first sample, -1 when it cannot be known
}

// parseHeader checks the frame header at the start of b against the
// stream's parameters and its CRC-8.
func (d *flacDecoder) parseHeader(b []byte) (h flacHeader, ok bool) {
	if len(b) < 6 || b[0] != 0xFF || b[1]&0xFE != 0xF8 {
		return h, false
	}
	variable := b[1]&1 != 0
	bsCode, rateCode := b[2]>>4, b[2]&15
	h.assign = int(b[3] >> 4)
	ssCode := b[3] >> 1 & 7
	if bsCode == 0 || rateCode == 15 || h.assign > 10 || ssCode == 3 || b[3]&1 != 0 {
		return h, false
	}
	// The frame or sample number, coded like UTF-8 (up to 36 bits).
	c := b[4]
	var num uint64
	extra := 0
	switch {
	case c < 0x80:
		num = uint64(c)
	case c&0xE0 == 0xC0:
		num, extra = uint64(c&0x1F), 1
	case c&0xF0 == 0xE0:
		num, extra = uint64(c&0x0F), 2
	case c&0xF8 == 0xF0:
		num, extra = uint64(c&0x07), 3
	case c&0xFC == 0xF8:
		num, extra = uint64(c&0x03), 4
	case c&0xFE == 0xFC:
		num, extra = uint64(c&0x01), 5
	case c == 0xFE:
		extra = 6
	default:
		return h, false
	}
	p := 5
	if len(b) < p+extra+5 {
		return h, false
	}
	for range extra {
		if b[p]&0xC0 != 0x80 {
			return h, false
		}
		num = num<<6 | uint64(b[p]&0x3F)
		p++
	}
	switch {
	case bsCode == 1:
		h.block = 192
	case bsCode <= 5:
		h.block = 576 << (bsCode - 2)
	case bsCode == 6:
		h.block = int(b[p]) + 1
		p++
	case bsCode == 7:
		h.block = int(binary.BigEndian.Uint16(b[p:])) + 1
		p += 2
	default:
		h.block = 256 << (bsCode - 8)
	}
	switch rateCode {
	case 12:
		p++
	case 13, 14:
		p += 2
	}
	var crc byte
	for _, x := range b[:p] {
		crc = flacCRC8Table[crc^x]
	}
	if crc != b[p] {
		return h, false
	}
	bps := [8]int{d.bps, 8, 12, 0, 16, 20, 24, 32}[ssCode]
	nch := h.assign + 1
	if h.assign >= 8 {
		nch = 2
	}
	if h.block > d.maxBlock || nch != d.ch || bps != d.bps {
		return h, false
	}
	switch {
	case variable:
		h.sample = int64(num)
	case num >= 1<<31:
		return h, false
	case d.minBlock == d.maxBlock:
		h.sample = int64(num) * int64(d.maxBlock)
	default:
		// A fixed-size stream whose STREAMINFO disagrees: every frame but
		// the last has the stream's block size.
		h.sample = int64(num) * int64(h.block)
	}
	h.len = p + 1
	return h, true
}

// decodeFrame decodes the frame at the window into the planes. With check
// it also verifies the CRC-16 (seek candidates; playback skips it, as
// ffmpeg does by default).
func (d *flacDecoder) decodeFrame(check bool) (flacHeader, error) {
	want := min(max(d.maxFrame+16, 16<<10), len(d.buf))
	for {
		d.fill(want)
		b := d.buf[d.lo:d.hi]
		if len(b) == 0 {
			return flacHeader{}, io.EOF
		}
		h, ok := d.parseHeader(b)
		if !ok {
			return h, fmt.Errorf("%w: flac frame header at %d", ErrMalformed, d.off)
		}
		d.br.reset(b[h.len:])
		err := d.decodeSubframes(h)
		if d.br.over() && d.rerr == nil && len(b) < flacMaxFrame {
			// The frame is longer than what the window holds (fill stops
			// short only at the end of the input): look further.
			want = min(len(b)*4, flacMaxFrame)
			d.grow(want)
			continue
		}
		if err == nil && d.br.over() {
			err = fmt.Errorf("%w: flac frame truncated", ErrMalformed)
		}
		if err != nil {
			return h, err
		}
		n := h.len + d.br.bytes() + 2 // byte-aligned, then CRC-16
		if n > len(b) {
			return h, fmt.Errorf("%w: flac frame footer truncated", ErrMalformed)
		}
		if check && flacCRC16(b[:n]) != 0 {
			return h, fmt.Errorf("%w: %w", ErrMalformed, errFLACCRC)
		}
		d.consume(n)
		return h, nil
	}
}

func (d *flacDecoder) decodeSubframes(h flacHeader) error {
	for c := range d.ch {
		bps := d.bps
		if (h.assign == 8 && c == 1) || (h.assign == 9 && c == 0) || (h.assign == 10 && c == 1) {
			bps++ // the side channel has one more bit
		}
		if err := d.subframe(d.planes[c][:h.block], bps); err != nil {
			return err
		}
		if d.br.over() {
			return nil
		}
	}
	if h.assign < 8 {
		return nil
	}
	l, r := d.planes[0][:h.block], d.planes[1][:h.block]
	switch h.assign {
	case 8: // left, side
		for i := range l {
			r[i] = l[i] - r[i]
		}
	case 9: // side, right
		for i := range l {
			l[i] += r[i]
		}
	case 10: // mid, side
		for i := range l {
			m, s := l[i]<<1|r[i]&1, r[i]
			l[i], r[i] = (m+s)>>1, (m-s)>>1
		}
	}
	return nil
}

func (d *flacDecoder) subframe(out []int32, bps int) error {
	br := &d.br
	if br.read(1) != 0 {
		return fmt.Errorf("%w: flac subframe padding bit", ErrMalformed)
	}
	typ := br.read(6)
	wasted := uint(0)
	if br.read(1) == 1 {
		wasted = uint(br.unary()) + 1
		if int(wasted) >= bps {
			return fmt.Errorf("%w: flac wasted bits", ErrMalformed)
		}
		bps -= int(wasted)
	}
	ub := uint(bps)
	switch {
	case typ == 0: // constant
		v := br.signed(ub)
		for i := range out {
			out[i] = v
		}
	case typ == 1: // verbatim
		for i := range out {
			out[i] = br.signed(ub)
		}
	case typ >= 8 && typ <= 12: // fixed predictor
		order := int(typ - 8)
		if order > len(out) {
			return fmt.Errorf("%w: flac predictor order %d", ErrMalformed, order)
		}
		for i := range order {
			out[i] = br.signed(ub)
		}
		if err := d.residual(out, order); err != nil {
			return err
		}
		fixedPredict(out, order)
	case typ >= 32: // LPC
		order := int(typ-32) + 1
		if order > len(out) {
			return fmt.Errorf("%w: flac LPC order %d", ErrMalformed, order)
		}
		for i := range order {
			out[i] = br.signed(ub)
		}
		prec := br.read(4) + 1
		if prec == 16 {
			return fmt.Errorf("%w: flac LPC precision", ErrMalformed)
		}
		shift := br.signed(5)
		if shift < 0 {
			return fmt.Errorf("%w: flac negative LPC shift", ErrMalformed)
		}
		var coef [32]int32
		for i := range order {
			coef[i] = br.signed(uint(prec))
		}
		if err := d.residual(out, order); err != nil {
			return err
		}
		// 32-bit sums are exact when the sample, coefficient and order
		// bits fit (libFLAC makes the same choice).
		if bps+int(prec)+bits.Len(uint(order)) <= 32 {
			lpcPredict32(out, coef[:order], uint(shift))
		} else {
			lpcPredict64(out, coef[:order], uint(shift))
		}
	default:
		return fmt.Errorf("%w: flac subframe type %d", ErrMalformed, typ)
	}
	if wasted > 0 {
		for i := range out {
			out[i] <<= wasted
		}
	}
	return nil
}

// residual decodes the partitioned Rice residual into out[order:].
func (d *flacDecoder) residual(out []int32, order int) error {
	br := &d.br
	method := br.read(2)
	if method > 1 {
		return fmt.Errorf("%w: flac residual coding method %d", ErrMalformed, method)
	}
	pbits, escape := uint(4), uint32(15)
	if method == 1 {
		pbits, escape = 5, 31
	}
	porder := br.read(4)
	parts := 1 << porder
	if len(out)%parts != 0 || len(out)>>porder < order {
		return fmt.Errorf("%w: flac partition order %d", ErrMalformed, porder)
	}
	per := len(out) >> porder
	i := order
	for p := range parts {
		end := (p + 1) * per
		k := br.read(pbits)
		if k == escape {
			n := uint(br.read(5))
			for ; i < end; i++ {
				out[i] = br.signed(n)
			}
			continue
		}
		if !br.rice(out[i:end], uint(k)) {
			return nil // ran out of bytes: the caller looks further or fails
		}
		i = end
	}
	return nil
}

func fixedPredict(s []int32, order int) {
	switch order {
	case 1:
		for i := 1; i < len(s); i++ {
			s[i] += s[i-1]
		}
	case 2:
		for i := 2; i < len(s); i++ {
			s[i] += 2*s[i-1] - s[i-2]
		}
	case 3:
		for i := 3; i < len(s); i++ {
			s[i] += 3*(s[i-1]-s[i-2]) + s[i-3]
		}
	case 4:
		for i := 4; i < len(s); i++ {
			s[i] += 4*(s[i-1]+s[i-3]) - 6*s[i-2] - s[i-4]
		}
	}
}

func lpcPredict32(s []int32, coef []int32, shift uint) {
	order := len(coef)
	if order == 8 {
		// The common order of ffmpeg's and libFLAC's default levels.
		c0, c1, c2, c3, c4, c5, c6, c7 := coef[0], coef[1], coef[2], coef[3], coef[4], coef[5], coef[6], coef[7]
		for i := 8; i < len(s); i++ {
			h := s[i-8 : i : i]
			sum := c0*h[7] + c1*h[6] + c2*h[5] + c3*h[4] + c4*h[3] + c5*h[2] + c6*h[1] + c7*h[0]
			s[i] += sum >> shift
		}
		return
	}
	for i := order; i < len(s); i++ {
		h := s[i-order : i]
		var sum int32
		for j, c := range coef {
			sum += c * h[order-1-j]
		}
		s[i] += sum >> shift
	}
}

func lpcPredict64(s []int32, coef []int32, shift uint) {
	order := len(coef)
	switch order {
	case 8:
		c0, c1, c2, c3 := int64(coef[0]), int64(coef[1]), int64(coef[2]), int64(coef[3])
		c4, c5, c6, c7 := int64(coef[4]), int64(coef[5]), int64(coef[6]), int64(coef[7])
		for i := 8; i < len(s); i++ {
			h := s[i-8 : i : i]
			sum := c0*int64(h[7]) + c1*int64(h[6]) + c2*int64(h[5]) + c3*int64(h[4]) +
				c4*int64(h[3]) + c5*int64(h[2]) + c6*int64(h[1]) + c7*int64(h[0])
			s[i] += int32(sum >> shift)
		}
		return
	case 12:
		c0, c1, c2, c3 := int64(coef[0]), int64(coef[1]), int64(coef[2]), int64(coef[3])
		c4, c5, c6, c7 := int64(coef[4]), int64(coef[5]), int64(coef[6]), int64(coef[7])
		c8, c9, c10, c11 := int64(coef[8]), int64(coef[9]), int64(coef[10]), int64(coef[11])
		for i := 12; i < len(s); i++ {
			h := s[i-12 : i : i]
			sum := c0*int64(h[11]) + c1*int64(h[10]) + c2*int64(h[9]) + c3*int64(h[8]) +
				c4*int64(h[7]) + c5*int64(h[6]) + c6*int64(h[5]) + c7*int64(h[4]) +
				c8*int64(h[3]) + c9*int64(h[2]) + c10*int64(h[1]) + c11*int64(h[0])
			s[i] += int32(sum >> shift)
		}
		return
	}
	// Coefficients reversed so both slices run forwards.
	var rc [32]int64
	for j, c := range coef {
		rc[order-1-j] = int64(c)
	}
	r := rc[:order]
	for i := order; i < len(s); i++ {
		h := s[i-order : i]
		h = h[:len(r)]
		var sum int64
		for j, c := range r {
			sum += c * int64(h[j])
		}
		s[i] += int32(sum >> shift)
	}
}

// flacBits reads big-endian bits from a byte slice. Reads past the end
// return zeros and set over, so a truncated frame never panics.
type flacBits struct {
	b   []byte
	pos uint // bit position
}

func (br *flacBits) reset(b []byte) { br.b, br.pos = b, 0 }

func (br *flacBits) over() bool { return br.pos > uint(len(br.b))*8 }

// bytes is the number of bytes consumed, the last one partly.
func (br *flacBits) bytes() int { return int((br.pos + 7) / 8) }

// peek returns the next 64 bits left-aligned, of which at least 57 are
// real bits unless the slice ends (zeros then).
func (br *flacBits) peek() uint64 {
	i := br.pos >> 3
	var w uint64
	if i+8 <= uint(len(br.b)) {
		w = binary.BigEndian.Uint64(br.b[i:])
	} else {
		for j := range uint(8) {
			w <<= 8
			if i+j < uint(len(br.b)) {
				w |= uint64(br.b[i+j])
			}
		}
	}
	return w << (br.pos & 7)
}

// read returns k (≤ 32) bits.
func (br *flacBits) read(k uint) uint32 {
	if k == 0 {
		return 0
	}
	v := uint32(br.peek() >> (64 - k))
	br.pos += k
	return v
}

func (br *flacBits) signed(k uint) int32 {
	if k == 0 {
		return 0
	}
	v := br.read(k)
	return int32(v<<(32-k)) >> (32 - k)
}

// unary counts zero bits up to the next one bit, which it consumes.
func (br *flacBits) unary() uint32 {
	var q uint32
	for {
		sh := br.pos & 7
		w := br.peek()
		if lz := uint(bits.LeadingZeros64(w)); lz < 64-sh {
			br.pos += lz + 1
			return q + uint32(lz)
		}
		br.pos += 64 - sh
		q += uint32(64 - sh)
		if br.over() {
			return 0
		}
	}
}

// rice decodes Rice codes with parameter k into out; false when the
// bytes ran out.
func (br *flacBits) rice(out []int32, k uint) bool {
	b := br.b
	pos := br.pos
	end := uint(len(b))
	for i := range out {
		j := pos >> 3
		if j+8 > end {
			// Slow path near the end of the slice.
			br.pos = pos
			q := br.unary()
			v := q<<k | br.read(k)
			out[i] = int32(v>>1) ^ -int32(v&1)
			if br.over() {
				return false
			}
			pos = br.pos
			continue
		}
		w := binary.BigEndian.Uint64(b[j:]) << (pos & 7)
		q := uint(bits.LeadingZeros64(w))
		if q+1+k <= 64-(pos&7) {
			v := uint32((w<<(q+1))>>(64-k)) | uint32(q)<<k
			out[i] = int32(v>>1) ^ -int32(v&1)
			pos += q + 1 + k
			continue
		}
		br.pos = pos
		q2 := br.unary()
		v := q2<<k | br.read(k)
		out[i] = int32(v>>1) ^ -int32(v&1)
		if br.over() {
			return false
		}
		pos = br.pos
	}
	br.pos = pos
	return true
}

// pcmDecoder.

func (d *flacDecoder) rate() int     { return d.sr }
func (d *flacDecoder) frames() int64 { return d.total }

// next decodes frames until one has samples at or after skip, resyncing
// past damaged frames.
func (d *flacDecoder) next() error {
	bad := 0
	for {
		if d.total > 0 && d.cur >= d.total {
			return io.EOF // tags or junk after the last frame
		}
		at := d.off
		h, err := d.decodeFrame(false)
		if err == io.EOF {
			return io.EOF
		}
		if err != nil {
			bad++
			d.resyncs++
			if bad > flacMaxResync {
				return err
			}
			// Find the next frame after the damage.
			off, s, ok := d.frameAt(at+1, flacMaxFrame, false)
			if !ok {
				return io.EOF
			}
			if err := d.seekTo(off); err != nil {
				return err
			}
			if s >= 0 {
				d.cur = s
			}
			continue
		}
		start := d.cur
		d.cur += int64(h.block)
		d.lo2, d.hi2 = 0, h.block
		if d.total > 0 && d.cur > d.total {
			d.hi2 = int(max(d.total-start, 0))
		}
		if d.drop > start {
			d.lo2 = int(min(d.drop-start, int64(d.hi2)))
		}
		if d.lo2 < d.hi2 {
			return nil
		}
	}
}

func (d *flacDecoder) read(dst []float32) (int, error) {
	if d.lo2 == d.hi2 {
		if err := d.next(); err != nil {
			return 0, err
		}
	}
	n := min(len(dst)/2, d.hi2-d.lo2)
	lo, s := d.lo2, d.scale
	switch d.ch {
	case 1:
		dd := dst[:2*n]
		for i, v := range d.planes[0][lo : lo+n] {
			x := float32(v) * s
			dd[2*i], dd[2*i+1] = x, x
		}
	case 2:
		a, b := d.planes[0][lo:lo+n], d.planes[1][lo:lo+n]
		dd := dst[:2*n]
		for i := range a {
			dd[2*i] = float32(a[i]) * s
			dd[2*i+1] = float32(b[i]) * s
		}
	default:
		n = min(n, flacChunk)
		ch := d.ch
		for c := range ch {
			for i, v := range d.planes[c][lo : lo+n] {
				d.inter[i*ch+c] = float32(v) * s
			}
		}
		d.mix.mix(dst, d.inter, n)
	}
	d.lo2 += n
	d.drop = 0
	return 2 * n, nil
}

// frameAt finds the first frame header at or after off, scanning at most
// limit bytes, and returns its offset and first sample. With verify the
// frame must also decode with a good CRC-16 (a false sync inside audio
// data passes the header's CRC-8 one time in 256).
func (d *flacDecoder) frameAt(off int64, limit int, verify bool) (int64, int64, bool) {
	if d.seekTo(off) != nil {
		return 0, 0, false
	}
	for scanned := 0; scanned < limit; {
		d.fill(flacWindow)
		b := d.buf[d.lo:d.hi]
		if len(b) < 16 {
			return 0, 0, false
		}
		i := bytes.IndexByte(b[:len(b)-15], 0xFF)
		if i < 0 {
			scanned += len(b) - 15
			d.consume(len(b) - 15)
			continue
		}
		scanned += i
		d.consume(i)
		h, ok := d.parseHeader(d.buf[d.lo:d.hi])
		if !ok {
			scanned++
			d.consume(1)
			continue
		}
		at := d.off
		if !verify {
			return at, h.sample, true
		}
		if _, err := d.decodeFrame(true); err == nil && h.sample >= 0 {
			return at, h.sample, true
		}
		// A failed decode consumed nothing, so at+1 is in the window.
		if d.seekTo(at+1) != nil {
			return 0, 0, false
		}
		scanned++
	}
	return 0, 0, false
}

func (d *flacDecoder) seek(target int64) (int64, error) {
	if !d.in.seekable() {
		return 0, errNotSeekable
	}
	target = max(target, 0)
	d.lo2, d.hi2, d.resyncs = 0, 0, 0
	if d.total > 0 && target >= d.total {
		d.cur, d.drop = d.total, d.total
		return d.total, nil
	}
	lo, hi := d.firstFrame, d.in.size
	best, bestS := d.firstFrame, int64(0)
	if target < int64(d.maxBlock) {
		hi = lo // in the first frame: no search
	}
	for _, p := range d.seekPts {
		off := d.firstFrame + p.offset
		if off >= hi {
			continue
		}
		if p.sample <= target && off > best {
			best, bestS, lo = off, p.sample, off
		} else if p.sample > target {
			hi = min(hi, off)
		}
	}
	for range 64 {
		if hi-lo <= 2*flacWindow {
			break
		}
		mid := lo + (hi-lo)/2
		off, s, ok := d.frameAt(mid, flacSeekScan, true)
		if !ok || s > target || off >= hi {
			hi = mid
			continue
		}
		best, bestS, lo = off, s, off
		if target-s < int64(d.maxBlock) {
			break
		}
	}
	// Decode forward from there, dropping samples before the target.
	if err := d.seekTo(best); err != nil {
		return 0, err
	}
	d.cur, d.drop = bestS, target
	return target, nil
}
