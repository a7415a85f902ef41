package opus

/*
#cgo noescape an_encode
#cgo nocallback an_encode
#cgo noescape an_encode_float
#cgo nocallback an_encode_float
#include <opus.h>
int an_enc_set(OpusEncoder *e, int req, int v);
int an_enc_get(OpusEncoder *e, int req);
int an_enc_reset(OpusEncoder *e);
int an_encode(OpusEncoder *e, const opus_int16 *pcm, int frame, unsigned char *out, int max);
int an_encode_float(OpusEncoder *e, const float *pcm, int frame, unsigned char *out, int max);
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

// Application selects libopus's coding mode.
type Application int

// Applications, as in libopus. Lavaplayer uses Audio.
const (
	AppAudio              Application = C.OPUS_APPLICATION_AUDIO
	AppVoIP               Application = C.OPUS_APPLICATION_VOIP
	AppRestrictedLowDelay Application = C.OPUS_APPLICATION_RESTRICTED_LOWDELAY
)

// Special bitrate values.
const (
	// BitrateAuto lets libopus choose: about 99 kbps for 48 kHz stereo in
	// 20 ms frames. Lavaplayer never sets a bitrate, so this is Lavalink's
	// behaviour and our default.
	BitrateAuto = int(C.OPUS_AUTO)
	// BitrateMax uses as many bits as the packet size limit allows.
	BitrateMax = int(C.OPUS_BITRATE_MAX)
)

// DefaultComplexity is Lavalink's default opusEncodingQuality.
const DefaultComplexity = 10

// EncoderOptions configures a new Encoder. Start from
// DefaultEncoderOptions: the zero value means complexity 0.
type EncoderOptions struct {
	Application Application // 0 means AppAudio
	// Complexity 0–10 (Lavalink's opusEncodingQuality; higher is better
	// and slower).
	Complexity int
	// Bitrate in bits per second (500–512000), BitrateAuto or BitrateMax;
	// 0 means BitrateAuto.
	Bitrate int
	// DisableVBR selects constant bitrate (libopus defaults to VBR).
	DisableVBR bool
	// FEC enables in-band forward error correction; it only has an effect
	// with PacketLossPercent > 0.
	FEC bool
	// PacketLossPercent 0–100 is the expected loss the encoder plans for.
	PacketLossPercent int
}

// DefaultEncoderOptions returns Lavalink's encoder settings: application
// audio, complexity 10, automatic bitrate, VBR, no FEC.
func DefaultEncoderOptions() EncoderOptions {
	return EncoderOptions{Application: AppAudio, Complexity: DefaultComplexity, Bitrate: BitrateAuto}
}

// validate checks the options without creating an encoder.
func (o EncoderOptions) validate() error {
	switch {
	case o.Application != 0 && o.Application != AppAudio && o.Application != AppVoIP && o.Application != AppRestrictedLowDelay:
		return fmt.Errorf("%w: application %d", ErrBadArg, o.Application)
	case o.Complexity < 0 || o.Complexity > 10:
		return fmt.Errorf("%w: complexity %d", ErrBadArg, o.Complexity)
	case o.Bitrate != 0 && o.Bitrate != BitrateAuto && o.Bitrate != BitrateMax && (o.Bitrate < 500 || o.Bitrate > 512000):
		return fmt.Errorf("%w: bitrate %d", ErrBadArg, o.Bitrate)
	case o.PacketLossPercent < 0 || o.PacketLossPercent > 100:
		return fmt.Errorf("%w: packet loss %d%%", ErrBadArg, o.PacketLossPercent)
	}
	return nil
}

// ComplexityFromQuality maps Lavalink's opusEncodingQuality to a libopus
// complexity: 0–10 as is, anything else 10 (as the reference does).
func ComplexityFromQuality(q int) int {
	if q < 0 || q > 10 {
		return DefaultComplexity
	}
	return q
}

// Encoder encodes PCM into Opus packets. It is not safe for concurrent use.
type Encoder struct {
	p        *C.OpusEncoder
	channels int
	rate     int
	cleanup  runtime.Cleanup
}

// NewEncoder creates an encoder for sampleRate (8000, 12000, 16000, 24000
// or 48000) and channels (1 or 2).
func NewEncoder(sampleRate, channels int, opts EncoderOptions) (*Encoder, error) {
	if channels != 1 && channels != 2 {
		return nil, fmt.Errorf("%w: %d channels", ErrBadArg, channels)
	}
	app := opts.Application
	if app == 0 {
		app = AppAudio
	}
	var code C.int
	p := C.opus_encoder_create(C.opus_int32(sampleRate), C.int(channels), C.int(app), &code)
	if code != C.OPUS_OK || p == nil {
		return nil, fmt.Errorf("opus: new encoder (%d Hz, %d ch): %w", sampleRate, channels, codeErr(code))
	}
	e := &Encoder{p: p, channels: channels, rate: sampleRate}
	e.cleanup = runtime.AddCleanup(e, func(p *C.OpusEncoder) { C.opus_encoder_destroy(p) }, p)
	bitrate := opts.Bitrate
	if bitrate == 0 {
		bitrate = BitrateAuto
	}
	for _, set := range []func() error{
		func() error { return e.SetComplexity(opts.Complexity) },
		func() error { return e.SetBitrate(bitrate) },
		func() error { return e.SetVBR(!opts.DisableVBR) },
		func() error { return e.SetFEC(opts.FEC) },
		func() error { return e.SetPacketLossPercent(opts.PacketLossPercent) },
	} {
		if err := set(); err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
}

// Channels returns the channel count the encoder was created with.
func (e *Encoder) Channels() int { return e.channels }

// SampleRate returns the sample rate the encoder was created with.
func (e *Encoder) SampleRate() int { return e.rate }

func (e *Encoder) set(name string, req C.int, v int) error {
	if e.p == nil {
		return ErrClosed
	}
	r := C.an_enc_set(e.p, req, C.int(v))
	runtime.KeepAlive(e)
	if r != C.OPUS_OK {
		return fmt.Errorf("opus: set %s %d: %w", name, v, codeErr(r))
	}
	return nil
}

func (e *Encoder) get(req C.int) (int, error) {
	if e.p == nil {
		return 0, ErrClosed
	}
	r := C.an_enc_get(e.p, req)
	runtime.KeepAlive(e)
	if r < 0 {
		return 0, codeErr(r)
	}
	return int(r), nil
}

// SetComplexity sets the complexity, 0–10.
func (e *Encoder) SetComplexity(c int) error {
	return e.set("complexity", C.OPUS_SET_COMPLEXITY_REQUEST, c)
}

// Complexity returns the current complexity.
func (e *Encoder) Complexity() (int, error) { return e.get(C.OPUS_GET_COMPLEXITY_REQUEST) }

// SetBitrate sets the target bitrate in bits per second, or BitrateAuto
// or BitrateMax.
func (e *Encoder) SetBitrate(bps int) error { return e.set("bitrate", C.OPUS_SET_BITRATE_REQUEST, bps) }

// Bitrate returns the bitrate in use (BitrateAuto resolves to a number).
func (e *Encoder) Bitrate() (int, error) { return e.get(C.OPUS_GET_BITRATE_REQUEST) }

// SetVBR turns variable bitrate on or off.
func (e *Encoder) SetVBR(on bool) error { return e.set("vbr", C.OPUS_SET_VBR_REQUEST, b2i(on)) }

// SetFEC turns in-band forward error correction on or off.
func (e *Encoder) SetFEC(on bool) error { return e.set("fec", C.OPUS_SET_INBAND_FEC_REQUEST, b2i(on)) }

// SetPacketLossPercent sets the expected packet loss, 0–100.
func (e *Encoder) SetPacketLossPercent(p int) error {
	return e.set("packet loss", C.OPUS_SET_PACKET_LOSS_PERC_REQUEST, p)
}

// Lookahead returns the encoder's delay in samples per channel (at the
// encoder's rate), which a decoder's output lags the input by.
func (e *Encoder) Lookahead() (int, error) { return e.get(C.OPUS_GET_LOOKAHEAD_REQUEST) }

// Reset clears the encoder's history, as for a new stream.
func (e *Encoder) Reset() error {
	if e.p == nil {
		return ErrClosed
	}
	r := C.an_enc_reset(e.p)
	runtime.KeepAlive(e)
	if r != C.OPUS_OK {
		return codeErr(r)
	}
	return nil
}

// Encode encodes one frame of interleaved PCM (len(pcm)/channels samples
// per channel: 2.5, 5, 10, 20, 40 or 60 ms) into dst and returns the packet
// length. dst should hold audio.MaxOpusFrame bytes. It does not allocate.
func (e *Encoder) Encode(pcm []int16, dst []byte) (int, error) {
	if e.p == nil {
		return 0, ErrClosed
	}
	if len(pcm) == 0 || len(pcm)%e.channels != 0 || len(dst) == 0 {
		return 0, ErrBadArg
	}
	n := C.an_encode(e.p, (*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)/e.channels),
		(*C.uchar)(unsafe.Pointer(&dst[0])), C.int(min(len(dst), maxInt32)))
	runtime.KeepAlive(e)
	if n < 0 {
		return 0, codeErr(n)
	}
	return int(n), nil
}

// EncodeFloat is Encode for float32 samples in [-1, 1] (values beyond are
// clipped by libopus's decoder side, not here).
func (e *Encoder) EncodeFloat(pcm []float32, dst []byte) (int, error) {
	if e.p == nil {
		return 0, ErrClosed
	}
	if len(pcm) == 0 || len(pcm)%e.channels != 0 || len(dst) == 0 {
		return 0, ErrBadArg
	}
	n := C.an_encode_float(e.p, (*C.float)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)/e.channels),
		(*C.uchar)(unsafe.Pointer(&dst[0])), C.int(min(len(dst), maxInt32)))
	runtime.KeepAlive(e)
	if n < 0 {
		return 0, codeErr(n)
	}
	return int(n), nil
}

// Close frees the C state. It is idempotent.
func (e *Encoder) Close() error {
	if e.p == nil {
		return nil
	}
	e.cleanup.Stop()
	C.opus_encoder_destroy(e.p)
	e.p = nil
	return nil
}

const maxInt32 = 1<<31 - 1

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
