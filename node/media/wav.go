package media

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// Limits for WAV headers; real files are far inside them.
const (
	wavMaxChunks   = 64
	wavMaxFmt      = 1024
	wavMaxChannels = 32
	wavMaxRate     = 768000
	wavReadFrames  = 1024 // frames converted per read call
)

const (
	wavPCM        = 1
	wavFloat      = 3
	wavExtensible = 0xFFFE
)

// wavDecoder decodes RIFF WAVE PCM and IEEE float data.
type wavDecoder struct {
	in        *input
	sr        int
	channels  int
	bits      int
	float     bool
	block     int   // bytes per frame
	dataStart int64 // offset of the first sample
	dataLen   int64 // bytes of sample data, -1 when unknown (streamed)
	pos       int64 // next frame
	raw       []byte
	mask      uint32    // WAVE_FORMAT_EXTENSIBLE speaker positions, 0 if none
	mix       *mixer    // more than two channels
	inter     []float32 // interleaved scratch for the mixer
}

// openWAV parses the header up to the data chunk.
func openWAV(in *input) (*wavDecoder, error) {
	var hdr [12]byte
	if err := in.readFull(hdr[:]); err != nil {
		return nil, fmt.Errorf("%w: wav header: %w", ErrMalformed, err)
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: not RIFF WAVE", ErrMalformed)
	}
	d := &wavDecoder{in: in}
	haveFmt := false
	for range wavMaxChunks {
		var ch [8]byte
		if err := in.readFull(ch[:]); err != nil {
			return nil, fmt.Errorf("%w: wav chunk: %w", ErrMalformed, err)
		}
		size := int64(binary.LittleEndian.Uint32(ch[4:]))
		switch string(ch[0:4]) {
		case "fmt ":
			if size < 16 || size > wavMaxFmt {
				return nil, fmt.Errorf("%w: fmt chunk of %d bytes", ErrMalformed, size)
			}
			buf := make([]byte, size+size&1)
			if err := in.readFull(buf); err != nil {
				return nil, fmt.Errorf("%w: fmt chunk: %w", ErrMalformed, err)
			}
			if err := d.parseFmt(buf[:size]); err != nil {
				return nil, err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, fmt.Errorf("%w: data before fmt", ErrMalformed)
			}
			d.dataStart = in.pos
			d.dataLen = size
			// Streamed writers leave 0 or 0xFFFFFFFF; read to the end then.
			if size == 0 || size == 0xFFFFFFFF {
				d.dataLen = -1
			}
			if in.size >= 0 {
				avail := in.size - d.dataStart
				if d.dataLen < 0 || d.dataLen > avail {
					d.dataLen = avail
				}
			}
			if d.dataLen >= 0 {
				d.dataLen -= d.dataLen % int64(d.block)
			}
			d.raw = make([]byte, wavReadFrames*d.block)
			if d.channels > 2 {
				layout := defaultLayout(d.channels, false)
				if d.mask != 0 {
					layout = layoutFromMask(d.mask, d.channels)
				}
				d.mix = newMixer(layout, d.channels)
				d.inter = make([]float32, wavReadFrames*d.channels)
			}
			return d, nil
		default:
			if err := in.skip(size + size&1); err != nil {
				return nil, fmt.Errorf("%w: skipping chunk: %w", ErrMalformed, err)
			}
		}
	}
	return nil, fmt.Errorf("%w: no data chunk in the first %d chunks", ErrMalformed, wavMaxChunks)
}

func (d *wavDecoder) parseFmt(b []byte) error {
	tag := binary.LittleEndian.Uint16(b[0:])
	d.channels = int(binary.LittleEndian.Uint16(b[2:]))
	d.sr = int(binary.LittleEndian.Uint32(b[4:]))
	d.block = int(binary.LittleEndian.Uint16(b[12:]))
	d.bits = int(binary.LittleEndian.Uint16(b[14:]))
	if tag == wavExtensible {
		if len(b) < 26 {
			return fmt.Errorf("%w: short WAVE_FORMAT_EXTENSIBLE", ErrMalformed)
		}
		d.mask = binary.LittleEndian.Uint32(b[20:])
		// The sub-format GUID starts with the plain format tag.
		tag = binary.LittleEndian.Uint16(b[24:])
	}
	switch tag {
	case wavPCM:
		if d.bits != 8 && d.bits != 16 && d.bits != 24 && d.bits != 32 {
			return fmt.Errorf("%w: %d-bit PCM", ErrUnsupported, d.bits)
		}
	case wavFloat:
		if d.bits != 32 && d.bits != 64 {
			return fmt.Errorf("%w: %d-bit float", ErrUnsupported, d.bits)
		}
		d.float = true
	default:
		return fmt.Errorf("%w: WAV format tag %#x", ErrUnsupported, tag)
	}
	if d.channels < 1 || d.channels > wavMaxChannels {
		return fmt.Errorf("%w: %d channels", ErrMalformed, d.channels)
	}
	if d.sr < 1000 || d.sr > wavMaxRate {
		return fmt.Errorf("%w: sample rate %d", ErrUnsupported, d.sr)
	}
	if d.block != d.channels*d.bits/8 {
		return fmt.Errorf("%w: block align %d for %d×%d bits", ErrMalformed, d.block, d.channels, d.bits)
	}
	return nil
}

func (d *wavDecoder) rate() int { return d.sr }

func (d *wavDecoder) frames() int64 {
	if d.dataLen < 0 {
		return -1
	}
	return d.dataLen / int64(d.block)
}

func (d *wavDecoder) seek(frame int64) (int64, error) {
	if !d.in.seekable() {
		return 0, errNotSeekable
	}
	if n := d.frames(); n >= 0 && frame > n {
		frame = n
	}
	frame = max(frame, 0)
	if err := d.in.seek(d.dataStart + frame*int64(d.block)); err != nil {
		return 0, err
	}
	d.pos = frame
	return frame, nil
}

func (d *wavDecoder) read(dst []float32) (int, error) {
	want := min(len(dst)/2, wavReadFrames)
	if n := d.frames(); n >= 0 {
		want = int(min(int64(want), n-d.pos))
	}
	if want <= 0 {
		return 0, io.EOF
	}
	raw := d.raw[:want*d.block]
	n, err := io.ReadFull(d.in, raw)
	got := n / d.block
	d.convert(dst[:2*got], raw[:got*d.block])
	d.pos += int64(got)
	switch {
	case err == io.ErrUnexpectedEOF, err == io.EOF:
		// A truncated file ends at its last whole frame.
		return 2 * got, io.EOF
	case err != nil:
		return 2 * got, err
	}
	return 2 * got, nil
}

// convert turns raw frames into stereo float32.
func (d *wavDecoder) convert(dst []float32, raw []byte) {
	bps := d.bits / 8
	if d.mix != nil {
		n := len(dst) / 2
		for i := range n * d.channels {
			d.inter[i] = d.sample(raw[i*bps:])
		}
		d.mix.mix(dst, d.inter, n)
		return
	}
	for i := 0; i+1 < len(dst); i += 2 {
		f := raw[(i/2)*d.block:]
		l := d.sample(f)
		r := l
		if d.channels > 1 {
			r = d.sample(f[bps:])
		}
		dst[i], dst[i+1] = l, r
	}
}

func (d *wavDecoder) sample(b []byte) float32 {
	if d.float {
		var v float32
		if d.bits == 32 {
			v = math.Float32frombits(binary.LittleEndian.Uint32(b))
		} else {
			v = float32(math.Float64frombits(binary.LittleEndian.Uint64(b)))
		}
		// NaN and huge values would poison the filters and the encoder.
		if !(v >= -8 && v <= 8) {
			return 0
		}
		return v
	}
	switch d.bits {
	case 8:
		return float32(int(b[0])-128) / 128
	case 16:
		return float32(int16(binary.LittleEndian.Uint16(b))) / (1 << 15)
	case 24:
		v := int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8
		return float32(v) / (1 << 23)
	default:
		return float32(float64(int32(binary.LittleEndian.Uint32(b))) / (1 << 31))
	}
}
