package aac

import "fmt"

// Config is an AudioSpecificConfig (ISO 14496-3 §1.6.2.1).
type Config struct {
	ObjectType int // 2 = AAC-LC; 5/29 (SBR/PS) are decoded as their AAC-LC core
	SampleRate int // core sampling rate in Hz
	Channels   int // from channelConfiguration (1..7 → 1,2,3,4,5,6,8), or from a PCE
	// ChannelConfig is the raw channelConfiguration (0 = defined by a PCE).
	ChannelConfig int
	// FrameLength960 is frameLengthFlag: 960-sample frames instead of 1024.
	FrameLength960 bool
	// SBR is set for explicit HE-AAC (object type 5 or 29); ExtSampleRate is
	// then the SBR output rate, which this decoder does not produce.
	SBR           bool
	ExtSampleRate int
}

// sampleRates is the samplingFrequencyIndex table (ISO 14496-3 Table 1.18).
var sampleRates = [13]int{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350}

// channelCounts maps channelConfiguration 1..7 to a channel count.
var channelCounts = [8]int{0, 1, 2, 3, 4, 5, 6, 8}

func rateIndex(rate int) int {
	for i, r := range sampleRates {
		if r == rate {
			return i
		}
	}
	return -1
}

// ParseConfig parses an AudioSpecificConfig, as in an MP4 esds box.
func ParseConfig(asc []byte) (Config, error) {
	var c Config
	br := bitReader{buf: asc}
	c.ObjectType = readObjectType(&br)
	rate := readRate(&br)
	c.ChannelConfig = int(br.read(4))
	if c.ObjectType == 5 || c.ObjectType == 29 {
		c.SBR = true
		c.ExtSampleRate = readRate(&br)
		c.ObjectType = readObjectType(&br)
	}
	if br.overrun() {
		return Config{}, fmt.Errorf("%w: AudioSpecificConfig of %d bytes is short", ErrMalformed, len(asc))
	}
	if rate <= 0 {
		return Config{}, fmt.Errorf("%w: bad sampling frequency", ErrMalformed)
	}
	c.SampleRate = rate
	switch c.ObjectType {
	case 2:
	case 1, 3, 4:
		return Config{}, fmt.Errorf("%w: object type %d (only AAC-LC)", ErrUnsupported, c.ObjectType)
	default:
		return Config{}, fmt.Errorf("%w: object type %d", ErrUnsupported, c.ObjectType)
	}
	// GASpecificConfig
	c.FrameLength960 = br.read(1) == 1
	if br.read(1) == 1 { // dependsOnCoreCoder
		br.skip(14)
	}
	br.read(1) // extensionFlag: 0 for AAC-LC
	if c.ChannelConfig == 0 {
		p, err := parsePCE(&br)
		if err != nil {
			return Config{}, err
		}
		c.Channels = p.channels()
	} else if c.ChannelConfig < 8 {
		c.Channels = channelCounts[c.ChannelConfig]
	} else {
		return Config{}, fmt.Errorf("%w: channel configuration %d", ErrUnsupported, c.ChannelConfig)
	}
	if br.overrun() {
		return Config{}, fmt.Errorf("%w: AudioSpecificConfig of %d bytes is short", ErrMalformed, len(asc))
	}
	if c.Channels == 0 {
		return Config{}, fmt.Errorf("%w: no channels", ErrMalformed)
	}
	return c, nil
}

func readObjectType(br *bitReader) int {
	t := int(br.read(5))
	if t == 31 {
		t = 32 + int(br.read(6))
	}
	return t
}

func readRate(br *bitReader) int {
	i := int(br.read(4))
	if i == 15 {
		return int(br.read(24))
	}
	if i >= len(sampleRates) {
		return -1
	}
	return sampleRates[i]
}

// ADTSHeader is a parsed ADTS fixed+variable header.
type ADTSHeader struct {
	Config
	HeaderLen int // 7 or 9 (with CRC)
	FrameLen  int // whole frame including the header, in bytes
	Blocks    int // raw_data_blocks in the frame (number_of_raw_data_blocks_in_frame+1)
}

// ParseADTS parses the ADTS header at the start of b (b starts at the sync word).
func ParseADTS(b []byte) (ADTSHeader, error) {
	var h ADTSHeader
	if len(b) < 7 {
		return h, fmt.Errorf("%w: ADTS header needs 7 bytes, have %d", ErrMalformed, len(b))
	}
	br := bitReader{buf: b}
	if br.read(12) != 0xfff {
		return h, fmt.Errorf("%w: no ADTS sync word", ErrMalformed)
	}
	br.read(1) // ID (MPEG-2/4): the syntax is the same
	if br.read(2) != 0 {
		return h, fmt.Errorf("%w: ADTS layer not 0", ErrMalformed)
	}
	noCRC := br.read(1) == 1
	h.ObjectType = int(br.read(2)) + 1
	ri := int(br.read(4))
	br.read(1) // private bit
	h.ChannelConfig = int(br.read(3))
	br.skip(4) // original/copy, home, copyright id bit and start
	h.FrameLen = int(br.read(13))
	br.read(11) // buffer fullness
	h.Blocks = int(br.read(2)) + 1
	h.HeaderLen = 7
	if !noCRC {
		h.HeaderLen = 9
	}
	if ri >= len(sampleRates) {
		return h, fmt.Errorf("%w: ADTS sampling frequency index %d", ErrMalformed, ri)
	}
	h.SampleRate = sampleRates[ri]
	h.Channels = channelCounts[h.ChannelConfig]
	if h.FrameLen < h.HeaderLen {
		return h, fmt.Errorf("%w: ADTS frame length %d", ErrMalformed, h.FrameLen)
	}
	if h.ObjectType != 2 {
		return h, fmt.Errorf("%w: ADTS profile %d (only AAC-LC)", ErrUnsupported, h.ObjectType)
	}
	return h, nil
}
