package media

import (
	"encoding/binary"
	"fmt"
)

// mp4Track is the audio track found in moov.
type mp4Track struct {
	info      trackInfo
	id        uint32
	timescale int64 // mdhd
	// Sample table of a regular file.
	off  []int64
	size []uint32
	dts  []int64 // len(off)+1 entries: the last is the end
	// trex defaults of a fragmented file.
	fragmented  bool
	defDuration uint32
	defSize     uint32
	// Edit list, in the track's timescale.
	editStart int64 // media_time of the first non-empty edit
	editLen   int64 // its duration, -1 when unknown
}

// parseMoov picks the first audio track it can play.
func parseMoov(moov []byte, fileSize int64) (*mp4Track, error) {
	movieScale := int64(0)
	if b := findBox(moov, boxMvhd); b != nil {
		r := be{b: b}
		v := r.u8()
		r.take(3)
		r.uv(v)
		r.uv(v)
		movieScale = int64(r.u32())
	}
	var found *mp4Track
	var firstErr error
	err := eachBox(moov, func(typ uint32, body []byte) error {
		if typ != boxTrak || found != nil {
			return nil
		}
		t, err := parseTrak(body, movieScale, fileSize)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return nil
		}
		found = t
		return nil
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		if firstErr != nil {
			return nil, firstErr
		}
		return nil, fmt.Errorf("%w: MP4 without an audio track", ErrUnsupported)
	}
	if found.editStart == 0 && found.editLen < 0 {
		if p, n, ok := parseITunSMPB(moov); ok && found.timescale == int64(found.info.rate) {
			found.editStart, found.editLen = p, n
		}
	}
	if mvex := findBox(moov, boxMvex); mvex != nil {
		found.fragmented = true
		_ = eachBox(mvex, func(typ uint32, b []byte) error {
			if typ != boxTrex {
				return nil
			}
			r := be{b: b}
			r.u32()
			if r.u32() != found.id {
				return nil
			}
			r.u32()
			d, s := r.u32(), r.u32()
			if !r.bad {
				found.defDuration, found.defSize = d, s
			}
			return nil
		})
	}
	return found, nil
}

func parseTrak(trak []byte, movieScale, fileSize int64) (*mp4Track, error) {
	t := &mp4Track{editLen: -1}
	if b := findBox(trak, boxTkhd); b != nil {
		r := be{b: b}
		v := r.u8()
		r.take(3)
		r.uv(v)
		r.uv(v)
		t.id = r.u32()
	}
	mdia := findBox(trak, boxMdia)
	hdlr := findBox(mdia, boxHdlr)
	if len(hdlr) < 12 || binary.BigEndian.Uint32(hdlr[8:]) != handlerSoun {
		return nil, fmt.Errorf("%w: MP4 track is not audio", ErrUnsupported)
	}
	if b := findBox(mdia, boxMdhd); b != nil {
		r := be{b: b}
		v := r.u8()
		r.take(3)
		r.uv(v)
		r.uv(v)
		t.timescale = int64(r.u32())
	}
	if t.timescale <= 0 {
		return nil, fmt.Errorf("%w: MP4 track without a timescale", ErrMalformed)
	}
	stbl := findBox(findBox(mdia, boxMinf), boxStbl)
	if stbl == nil {
		return nil, fmt.Errorf("%w: MP4 track without stbl", ErrMalformed)
	}
	if err := parseStsd(findBox(stbl, boxStsd), &t.info); err != nil {
		return nil, err
	}
	if elst := findBox(findBox(trak, boxEdts), boxElst); elst != nil {
		r := be{b: elst}
		v := r.u8()
		r.take(3)
		n := r.u32()
		for i := uint32(0); i < n && i < 16 && !r.bad; i++ {
			dur := int64(r.uv(v))
			mt := int64(r.uv(v))
			if v == 0 {
				mt = int64(int32(mt))
			}
			r.u32()
			if r.bad || mt < 0 {
				continue // an empty edit (a delay) is not played as silence
			}
			t.editStart = min(mt, 1<<40)
			if dur > 0 && movieScale > 0 && dur < 1<<40 {
				t.editLen = dur * t.timescale / movieScale
			}
			break
		}
	}
	if err := t.parseSampleTable(stbl, fileSize); err != nil {
		return nil, err
	}
	return t, nil
}

// parseStsd reads the first sample entry.
func parseStsd(b []byte, info *trackInfo) error {
	r := be{b: b}
	r.take(4)
	if r.u32() == 0 || r.bad {
		return fmt.Errorf("%w: MP4 track without a sample description", ErrMalformed)
	}
	var entry []byte
	var typ uint32
	if err := eachBox(r.b, func(t uint32, body []byte) error {
		if entry == nil {
			entry, typ = body, t
		}
		return nil
	}); err != nil {
		return err
	}
	// AudioSampleEntry: 6 reserved, data reference index, version,
	// revision, vendor, channels, sample size, 2 fields, rate 16.16.
	e := be{b: entry}
	e.take(8)
	version := e.u16()
	e.take(6)
	info.channels = int(e.u16())
	e.take(6)
	info.rate = int(e.u32() >> 16)
	switch version { // QuickTime sound description versions
	case 1:
		e.take(16)
	case 2:
		e.take(36)
	}
	if e.bad {
		return fmt.Errorf("%w: short MP4 audio sample entry", ErrMalformed)
	}
	children := e.b
	switch typ {
	case boxMp4a:
		esds := findBox(children, boxEsds)
		if esds == nil {
			esds = findBox(findBox(children, boxWave), boxEsds)
		}
		if esds == nil {
			return fmt.Errorf("%w: mp4a without esds", ErrMalformed)
		}
		return parseEsds(esds, info)
	case boxDotMp3:
		info.codec = codecMP3
		return nil
	case boxOpus:
		d := findBox(children, boxDOps)
		if len(d) < 11 {
			return fmt.Errorf("%w: Opus sample entry without dOps", ErrMalformed)
		}
		// dOps is OpusHead in big endian without the magic (ISO/IEC 23003-5
		// style mapping in the Opus-in-ISOBMFF spec); rebuild OpusHead.
		h := make([]byte, 19, 19+len(d))
		copy(h, "OpusHead")
		h[8] = 1
		h[9] = d[1]
		binary.LittleEndian.PutUint16(h[10:], binary.BigEndian.Uint16(d[2:]))
		binary.LittleEndian.PutUint32(h[12:], binary.BigEndian.Uint32(d[4:]))
		binary.LittleEndian.PutUint16(h[16:], binary.BigEndian.Uint16(d[8:]))
		h[18] = d[10]
		info.codec = codecOpus
		info.config = append(h, d[11:]...)
		info.rate = 48000
		return nil
	}
	var name [4]byte
	binary.BigEndian.PutUint32(name[:], typ)
	return fmt.Errorf("%w: MP4 audio codec %q", ErrUnsupported, name[:])
}

// parseEsds reads the ES_Descriptor (ISO/IEC 14496-1 §7.2.6.5).
func parseEsds(b []byte, info *trackInfo) error {
	r := be{b: b}
	r.take(4)
	tag, body := readDescriptor(&r)
	if tag != 0x03 {
		return fmt.Errorf("%w: esds without ES_Descriptor", ErrMalformed)
	}
	es := be{b: body}
	es.u16()
	flags := es.u8()
	if flags&0x80 != 0 {
		es.u16()
	}
	if flags&0x40 != 0 {
		es.take(int(es.u8()))
	}
	if flags&0x20 != 0 {
		es.u16()
	}
	tag, dcd := readDescriptor(&es)
	if tag != 0x04 || len(dcd) < 13 {
		return fmt.Errorf("%w: esds without DecoderConfigDescriptor", ErrMalformed)
	}
	oti := dcd[0]
	d := be{b: dcd[13:]}
	if tag, dsi := readDescriptor(&d); tag == 0x05 {
		info.config = append([]byte(nil), dsi...)
	}
	switch oti {
	case 0x40, 0x66, 0x67, 0x68: // MPEG-4 AAC, MPEG-2 AAC profiles
		info.codec = codecAAC
		if len(info.config) < 2 {
			return fmt.Errorf("%w: AAC without AudioSpecificConfig", ErrMalformed)
		}
		if rate, ch, ok := ascRate(info.config); ok {
			info.rate, info.channels = rate, ch
		}
	case 0x69, 0x6B: // MPEG-2 / MPEG-1 audio
		info.codec = codecMP3
	default:
		return fmt.Errorf("%w: MP4 objectTypeIndication 0x%02x", ErrUnsupported, oti)
	}
	return nil
}

// readDescriptor reads an MPEG-4 descriptor tag and its body (the length
// is up to four 7-bit groups).
func readDescriptor(r *be) (tag byte, body []byte) {
	tag = r.u8()
	n := 0
	for i := 0; i < 4; i++ {
		c := r.u8()
		n = n<<7 | int(c&0x7F)
		if c&0x80 == 0 {
			break
		}
	}
	if r.bad || n > len(r.b) {
		return 0, nil
	}
	return tag, r.take(n)
}

// aacRates is the sampling frequency index table of ISO/IEC 14496-3
// §1.6.3.4.
var aacRates = [13]int{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350}

// ascRate reads the rate and channel configuration of an
// AudioSpecificConfig.
func ascRate(asc []byte) (rate, channels int, ok bool) {
	if len(asc) < 2 {
		return 0, 0, false
	}
	v := uint64(0)
	for i := 0; i < 8; i++ {
		v <<= 8
		if i < len(asc) {
			v |= uint64(asc[i])
		}
	}
	bits := 5
	if v>>59 == 31 {
		bits += 6
	}
	idx := int(v >> (64 - bits - 4) & 15)
	bits += 4
	if idx == 15 {
		rate = int(v >> (64 - bits - 24) & 0xFFFFFF)
		bits += 24
	} else if idx < len(aacRates) {
		rate = aacRates[idx]
	}
	channels = int(v >> (64 - bits - 4) & 15)
	return rate, channels, rate > 0
}
