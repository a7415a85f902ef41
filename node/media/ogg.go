package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Ogg framing (RFC 3533).
const (
	oggHeaderLen = 27
	oggMaxBody   = 255 * 255
	oggMaxPage   = oggHeaderLen + 255 + oggMaxBody
	// oggMaxPacket caps one reassembled packet. Opus packets are at most
	// 120 ms (a few KiB); Vorbis setup headers can reach tens of KiB.
	oggMaxPacket = 1 << 20
	// oggSeekScan bounds how far a bisection step scans for a page.
	oggSeekScan = 256 << 10
	// oggResyncScan bounds the search for a good page after a damaged one.
	oggResyncScan = 1 << 20

	flagContinued = 1
	flagBOS       = 2
	flagEOS       = 4
)

var errBadPage = errors.New("bad ogg page")

var oggCRCTable = func() (t [256]uint32) {
	for i := range t {
		r := uint32(i) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04C11DB7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return t
}()

func oggCRC(crc uint32, b []byte) uint32 {
	for _, v := range b {
		crc = crc<<8 ^ oggCRCTable[byte(crc>>24)^v]
	}
	return crc
}

// oggReader demuxes one logical stream of an Ogg file into packets, using
// each page's segment table (a page may hold many packets, and a packet may
// span pages).
type oggReader struct {
	in      *input
	serial  uint32
	locked  bool // serial chosen
	eos     bool // the stream's last page was seen; a new chain may follow
	resyncs int  // damaged pages skipped

	hdr      [oggHeaderLen]byte
	segs     [255]byte
	body     []byte
	nsegs    int
	seg      int // next segment
	bodyPos  int
	flags    byte
	granule  int64
	pageEnd  int64 // offset after the current page
	resync   bool  // drop the tail of a packet begun before a seek
	pkt      []byte
	partial  bool // pkt holds the start of a packet continuing on the next page
	lastPage bool // the current page's segments end with a complete packet
	lastEnd  int  // segment ending the page's last complete packet, -1 if none
	pktEnd   int  // segment that ended the packet last returned
	discard  bool // skipPacket: drop the bytes instead of keeping them
}

func newOggReader(in *input) *oggReader {
	return &oggReader{in: in, body: make([]byte, oggMaxBody), pkt: make([]byte, 0, 4096)}
}

// readPage reads and checks the page at the current offset, whatever its
// serial. It returns errBadPage (wrapped) for a page that fails its
// checks, io.EOF at a clean end.
func (o *oggReader) readPage() error {
	if err := o.in.readFull(o.hdr[:]); err != nil {
		if err == io.EOF {
			return io.EOF
		}
		return fmt.Errorf("%w: %w: truncated header: %w", ErrMalformed, errBadPage, err)
	}
	h := o.hdr[:]
	if string(h[0:4]) != "OggS" || h[4] != 0 {
		return fmt.Errorf("%w: %w: no capture pattern", ErrMalformed, errBadPage)
	}
	o.nsegs = int(h[26])
	if err := o.in.readFull(o.segs[:o.nsegs]); err != nil {
		return fmt.Errorf("%w: %w: truncated segment table: %w", ErrMalformed, errBadPage, err)
	}
	n := 0
	for _, l := range o.segs[:o.nsegs] {
		n += int(l)
	}
	if err := o.in.readFull(o.body[:n]); err != nil {
		return fmt.Errorf("%w: %w: truncated body: %w", ErrMalformed, errBadPage, err)
	}
	want := binary.LittleEndian.Uint32(h[22:])
	h[22], h[23], h[24], h[25] = 0, 0, 0, 0
	crc := oggCRC(0, h)
	crc = oggCRC(crc, o.segs[:o.nsegs])
	crc = oggCRC(crc, o.body[:n])
	if crc != want {
		return fmt.Errorf("%w: %w: CRC mismatch", ErrMalformed, errBadPage)
	}
	o.flags = h[5]
	o.granule = int64(binary.LittleEndian.Uint64(h[6:]))
	o.seg, o.bodyPos = 0, 0
	o.pageEnd = o.in.pos
	o.lastPage = o.nsegs > 0 && o.segs[o.nsegs-1] < 255
	o.lastEnd = -1
	for i := o.nsegs - 1; i >= 0; i-- {
		if o.segs[i] < 255 {
			o.lastEnd = i
			break
		}
	}
	o.pktEnd = -2
	return nil
}

func (o *oggReader) pageSerial() uint32 { return binary.LittleEndian.Uint32(o.hdr[14:]) }

// nextPage reads pages until one of the stream's serial (the first page's
// serial if none is chosen yet).
func (o *oggReader) nextPage() error {
	for {
		at := o.in.pos
		if err := o.readPage(); err != nil {
			if !errors.Is(err, errBadPage) || !o.locked {
				return err
			}
			// A damaged page (or a stream joined mid-page): find the next
			// good one and drop the packet it broke.
			if o.in.seekable() {
				if err := o.in.seek(at + 1); err != nil {
					return err
				}
			}
			if _, err := o.syncPage(oggResyncScan); err != nil {
				if err == io.EOF {
					return io.EOF
				}
				return fmt.Errorf("%w: no Ogg page after damage: %w", ErrMalformed, err)
			}
			o.resync = true
			o.resyncs++
		}
		s := o.pageSerial()
		if !o.locked || (o.eos && o.flags&flagBOS != 0) {
			// The first stream, or the next link of a chained file.
			o.serial, o.locked, o.eos = s, true, false
		}
		if s == o.serial {
			o.eos = o.flags&flagEOS != 0
			return nil
		}
	}
}

// packet returns the next complete packet of the stream; the slice is
// valid until the next call.
func (o *oggReader) packet() ([]byte, error) {
	if !o.partial {
		o.pkt = o.pkt[:0]
	}
	for {
		if o.seg >= o.nsegs {
			if err := o.nextPage(); err != nil {
				if err == io.EOF && o.partial {
					err = fmt.Errorf("%w: stream ends inside a packet", ErrMalformed)
				}
				return nil, err
			}
			cont := o.flags&flagContinued != 0
			if o.resync || cont != o.partial {
				// After a seek, or a lost page: drop the half packet, and
				// the tail of one begun on a page we did not see.
				o.pkt = o.pkt[:0]
				o.partial = false
				o.resync = cont && !o.dropContinuation()
			}
			continue
		}
		l := int(o.segs[o.seg])
		o.seg++
		if !o.discard {
			if len(o.pkt)+l > oggMaxPacket {
				return nil, fmt.Errorf("%w: packet over %d bytes", ErrMalformed, oggMaxPacket)
			}
			o.pkt = append(o.pkt, o.body[o.bodyPos:o.bodyPos+l]...)
		}
		o.bodyPos += l
		if l < 255 {
			o.partial = false
			o.pktEnd = o.seg - 1
			return o.pkt, nil
		}
		o.partial = true
	}
}

// skipPacket drops the next packet without keeping it, whatever its size
// (a Vorbis comment header can carry megabytes of cover art).
func (o *oggReader) skipPacket() error {
	o.discard = true
	_, err := o.packet()
	o.discard = false
	o.pkt = o.pkt[:0]
	return err
}

// endGranule returns the page granule when the packet last returned is the
// last one completed on its page (the granule is then where its audio
// ends), else -1.
func (o *oggReader) endGranule() int64 {
	if o.pktEnd == o.lastEnd && o.pktEnd >= 0 {
		return o.granule
	}
	return -1
}

// dropContinuation skips the segments that finish a packet begun on an
// earlier page; it reports whether that packet ended on this page.
func (o *oggReader) dropContinuation() bool {
	for o.seg < o.nsegs {
		l := int(o.segs[o.seg])
		o.seg++
		o.bodyPos += l
		if l < 255 {
			return true
		}
	}
	return false
}

// syncPage scans forward from the current offset for the next page that
// passes its checks, reading at most limit bytes, and leaves it loaded.
func (o *oggReader) syncPage(limit int64) (start int64, err error) {
	from := o.in.pos
	for o.in.pos-from < limit {
		p, perr := o.in.peek(bufSize)
		if len(p) < oggHeaderLen {
			if perr == nil {
				perr = io.EOF
			}
			return 0, perr
		}
		i := bytes.Index(p, []byte("OggS"))
		if i < 0 {
			if err := o.in.skip(int64(len(p) - 3)); err != nil {
				return 0, err
			}
			continue
		}
		if err := o.in.skip(int64(i)); err != nil {
			return 0, err
		}
		at := o.in.pos
		if err := o.readPage(); err != nil {
			if !errors.Is(err, errBadPage) {
				return 0, err
			}
			if o.in.seekable() {
				if err := o.in.seek(at + 1); err != nil {
					return 0, err
				}
			}
			continue
		}
		return at, nil
	}
	return 0, io.EOF
}

// findPage is syncPage for a page of the stream that carries a granule.
func (o *oggReader) findPage(limit int64) (start, granule int64, err error) {
	from := o.in.pos
	for {
		at, err := o.syncPage(limit - (o.in.pos - from))
		if err != nil {
			return 0, 0, err
		}
		if o.pageSerial() == o.serial && o.granule != -1 {
			return at, o.granule, nil
		}
	}
}

// lastGranule returns the granule of the stream's last page (seekable
// input only), and restores the offset. Call it between pages only.
func (o *oggReader) lastGranule() (int64, error) {
	back := o.in.pos
	defer func() {
		// Restore the offset; a failure shows on the next read. The page
		// buffers now hold a later page: start afresh at a page boundary.
		_ = o.in.seek(back)
		o.nsegs, o.seg = 0, 0
	}()
	last := int64(-1)
	for span := int64(64 << 10); ; span *= 4 {
		from := max(o.in.size-span, 0)
		if err := o.in.seek(from); err != nil {
			return -1, err
		}
		for {
			_, g, err := o.findPage(o.in.size)
			if err != nil {
				break
			}
			last = g
		}
		if last >= 0 || from == 0 || span > 16<<20 {
			return last, nil
		}
	}
}

// seekGranule positions the reader at the start of the first packet that
// ends after the last page whose granule is at or below target, bisecting
// between dataStart (the first audio page) and the end of the file. It
// returns the granule where that packet starts (startGranule when no page
// is at or below target).
func (o *oggReader) seekGranule(target, dataStart, startGranule int64) (int64, error) {
	if !o.in.seekable() {
		return 0, errNotSeekable
	}
	lo, hi := dataStart, o.in.size
	bestOff, bestGran := dataStart, startGranule
	for range 64 {
		if hi-lo < 2*bufSize {
			break
		}
		mid := lo + (hi-lo)/2
		if err := o.in.seek(mid); err != nil {
			return 0, err
		}
		start, g, err := o.findPage(min(oggSeekScan, hi-mid))
		if err != nil || start >= hi {
			hi = mid
			continue
		}
		if g <= target {
			lo = start
			bestOff, bestGran = o.pageEnd, g
		} else {
			hi = mid
		}
	}
	// Walk forward from lo to the last page at or below target.
	if err := o.in.seek(lo); err != nil {
		return 0, err
	}
	for {
		err := o.nextPage()
		if err != nil {
			break
		}
		if o.granule == -1 {
			continue
		}
		if o.granule > target {
			break
		}
		bestOff, bestGran = o.pageEnd, o.granule
	}
	if err := o.in.seek(bestOff); err != nil {
		return 0, err
	}
	o.nsegs, o.seg = 0, 0
	o.pkt = o.pkt[:0]
	o.partial = false
	o.resync = true
	return bestGran, nil
}
