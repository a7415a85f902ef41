package aac

import (
	"fmt"
	"math"
)

// Syntactic elements of a raw_data_block (ISO 14496-3 Table 4.85).
const (
	idSCE = iota
	idCPE
	idCCE
	idLFE
	idDSE
	idPCE
	idFIL
	idEND
)

// maxChannels bounds the per-channel state; more channels are refused.
const maxChannels = 16

// Decoder decodes AAC-LC access units. It is not safe for concurrent use.
type Decoder struct {
	rateIdx int
	cfg     Config
	fb      *filterbank
	ch      [maxChannels]channelState
	ics     [2]ics
	msUsed  [8][maxBands]bool
	pcm     [1024]float32
	mixL    [1024]float32
	mixR    [1024]float32
	noise   uint32 // PNS random state

	// channelOut, when set (tests), sees each channel before the downmix,
	// in element order, scaled like the output.
	channelOut func(ch int, pcm []float32)
}

// NewDecoder returns a decoder for c; every work buffer is allocated here.
func NewDecoder(c Config) (*Decoder, error) {
	if c.ObjectType != 2 {
		return nil, fmt.Errorf("%w: object type %d", ErrUnsupported, c.ObjectType)
	}
	ri := rateIndex(c.SampleRate)
	if ri < 0 {
		return nil, fmt.Errorf("%w: sample rate %d", ErrUnsupported, c.SampleRate)
	}
	if c.FrameLength960 {
		return nil, fmt.Errorf("%w: 960-sample frames", ErrUnsupported)
	}
	return &Decoder{rateIdx: ri, cfg: c, fb: newFilterbank(), noise: 1}, nil
}

// Reset forgets overlap state (after a seek).
func (d *Decoder) Reset() {
	for i := range d.ch {
		d.ch[i] = channelState{}
	}
}

// Decode decodes one access unit (one raw_data_block) into dst as
// interleaved stereo and returns the samples per channel (1024). Mono is
// copied to both sides; more channels are downmixed with ITU-R BS.775 gains
// (centre and surrounds −3 dB, LFE dropped), normalised so the louder side's
// gains sum to 1 as ffmpeg's -ac 2 does. len(dst) must be ≥ 2*1024.
func (d *Decoder) Decode(au []byte, dst []float32) (int, error) {
	n, _, err := d.DecodeBlock(au, dst)
	return n, err
}

// DecodeBlock is Decode that also returns the bytes the raw_data_block used
// (up to the byte alignment after END), so an ADTS frame with several
// blocks and no CRC — where only decoding finds the boundaries — can be
// decoded block by block.
func (d *Decoder) DecodeBlock(au []byte, dst []float32) (int, int, error) {
	n, br, err := d.decode(au, dst)
	if err != nil {
		return 0, 0, err
	}
	br.align()
	return n, br.pos / 8, nil
}

func (d *Decoder) decode(au []byte, dst []float32) (int, bitReader, error) {
	if len(dst) < 2*1024 {
		return 0, bitReader{}, fmt.Errorf("aac: dst holds %d values, need %d", len(dst), 2*1024)
	}
	clear(d.mixL[:])
	clear(d.mixR[:])
	br := bitReader{buf: au}
	nch := 0 // channels decoded so far in this block
	nSCE, nCPE := 0, 0
	for {
		id := int(br.read(3))
		if br.overrun() {
			return 0, br, fmt.Errorf("%w: raw_data_block without END", ErrMalformed)
		}
		if id == idEND {
			break
		}
		switch id {
		case idSCE, idLFE:
			br.skip(4)
			if nch >= maxChannels {
				return 0, br, fmt.Errorf("%w: more than %d channels", ErrUnsupported, maxChannels)
			}
			c := &d.ics[0]
			if err := d.readICS(&br, c, false); err != nil {
				return 0, br, err
			}
			d.pns(c, nil, 0)
			gl, gr := d.sceGains(id == idLFE)
			d.output(c, nch, gl, gr)
			nch++
			if id == idSCE {
				nSCE++
			}
		case idCPE:
			br.skip(4)
			if nch+2 > maxChannels {
				return 0, br, fmt.Errorf("%w: more than %d channels", ErrUnsupported, maxChannels)
			}
			if err := d.readCPE(&br); err != nil {
				return 0, br, err
			}
			g := float32(1) // the first pair is the front
			if nCPE > 0 {
				g = surroundGain
			}
			d.output(&d.ics[0], nch, g, 0)
			d.output(&d.ics[1], nch+1, 0, g)
			nch += 2
			nCPE++
		case idCCE:
			return 0, br, fmt.Errorf("%w: coupling channel element", ErrUnsupported)
		case idDSE:
			br.skip(4)
			align := br.read1()
			n := int(br.read(8))
			if n == 255 {
				n += int(br.read(8))
			}
			if align {
				br.align()
			}
			br.skip(8 * n)
		case idPCE:
			if _, err := parsePCE(&br); err != nil {
				return 0, br, err
			}
		case idFIL:
			// Fill and extension payloads (SBR among them) are skipped whole.
			n := int(br.read(4))
			if n == 15 {
				n += int(br.read(8)) - 1
			}
			br.skip(8 * n)
		}
		if br.overrun() {
			return 0, br, fmt.Errorf("%w: access unit of %d bytes is short", ErrMalformed, len(au))
		}
	}
	if nch == 0 {
		return 0, br, fmt.Errorf("%w: raw_data_block with no audio channel", ErrMalformed)
	}
	norm := float32(1.0 / 32768)
	if nch == 1 && nSCE == 1 && d.cfg.Channels != 1 {
		norm /= surroundGain // a lone SCE (PCE-configured mono) was mixed as a centre
	}
	if nch > 2 {
		norm /= 1 + 2*surroundGain // front + centre + surround on each side
	}
	for i := 0; i < 1024; i++ {
		dst[2*i] = d.mixL[i] * norm
		dst[2*i+1] = d.mixR[i] * norm
	}
	return 1024, br, nil
}

// surroundGain is −3 dB, the BS.775 gain for centre and surround channels.
const surroundGain = math.Sqrt2 / 2

// sceGains maps a single channel to the two sides: in a mono stream both
// sides get it whole; otherwise it is a centre (or back centre), −3 dB each.
func (d *Decoder) sceGains(lfe bool) (float32, float32) {
	switch {
	case lfe:
		return 0, 0
	case d.cfg.Channels == 1:
		return 1, 1
	}
	return surroundGain, surroundGain
}

// output runs TNS and the filterbank for one channel and mixes it in.
func (d *Decoder) output(c *ics, ch int, gl, gr float32) {
	d.applyTNS(c)
	d.fb.synth(&d.ch[ch], c.spec[:], c.info.seq, c.info.shape, d.pcm[:])
	if d.channelOut != nil {
		d.channelOut(ch, d.pcm[:])
	}
	if gl != 0 {
		for i, v := range d.pcm {
			d.mixL[i] += v * gl
		}
	}
	if gr != 0 {
		for i, v := range d.pcm {
			d.mixR[i] += v * gr
		}
	}
}
