package opus

/*
#cgo noescape an_decode
#cgo nocallback an_decode
#cgo noescape an_decode_float
#cgo nocallback an_decode_float
#include <opus.h>
int an_dec_get(OpusDecoder *d, int req);
int an_dec_reset(OpusDecoder *d);
int an_decode(OpusDecoder *d, const unsigned char *data, int len, opus_int16 *pcm, int frame, int fec);
int an_decode_float(OpusDecoder *d, const unsigned char *data, int len, float *pcm, int frame, int fec);
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

// Decoder decodes Opus packets into PCM. It is not safe for concurrent use.
type Decoder struct {
	p        *C.OpusDecoder
	channels int
	rate     int
	cleanup  runtime.Cleanup
}

// NewDecoder creates a decoder that outputs sampleRate (8000, 12000,
// 16000, 24000 or 48000) and channels (1 or 2), whatever the packets hold.
func NewDecoder(sampleRate, channels int) (*Decoder, error) {
	if channels != 1 && channels != 2 {
		return nil, fmt.Errorf("%w: %d channels", ErrBadArg, channels)
	}
	var code C.int
	p := C.opus_decoder_create(C.opus_int32(sampleRate), C.int(channels), &code)
	if code != C.OPUS_OK || p == nil {
		return nil, fmt.Errorf("opus: new decoder (%d Hz, %d ch): %w", sampleRate, channels, codeErr(code))
	}
	d := &Decoder{p: p, channels: channels, rate: sampleRate}
	d.cleanup = runtime.AddCleanup(d, func(p *C.OpusDecoder) { C.opus_decoder_destroy(p) }, p)
	return d, nil
}

// Channels returns the output channel count.
func (d *Decoder) Channels() int { return d.channels }

// SampleRate returns the output sample rate.
func (d *Decoder) SampleRate() int { return d.rate }

// Decode decodes packet into pcm (interleaved; its length bounds the
// samples per channel that may be written: 5760 per channel holds the
// longest packet of 120 ms at 48 kHz) and returns the samples per channel
// written. An empty packet conceals one lost packet (PLC) of
// len(pcm)/channels samples. It does not allocate.
func (d *Decoder) Decode(packet []byte, pcm []int16) (int, error) {
	return d.decode(packet, pcm, 0)
}

// DecodePLC conceals one lost packet, filling len(pcm)/channels samples
// per channel (a multiple of 2.5 ms; normally the lost packet's duration).
func (d *Decoder) DecodePLC(pcm []int16) (int, error) { return d.decode(nil, pcm, 0) }

// DecodeFEC recovers the packet before packet from its in-band FEC data
// (falling back to PLC when there is none). pcm must be exactly the lost
// packet's duration.
func (d *Decoder) DecodeFEC(packet []byte, pcm []int16) (int, error) {
	return d.decode(packet, pcm, 1)
}

func (d *Decoder) decode(packet []byte, pcm []int16, fec C.int) (int, error) {
	if d.p == nil {
		return 0, ErrClosed
	}
	frame := len(pcm) / d.channels
	if frame == 0 {
		return 0, ErrBufferTooSmall
	}
	var data *C.uchar
	if len(packet) > 0 {
		data = (*C.uchar)(unsafe.Pointer(&packet[0]))
	}
	n := C.an_decode(d.p, data, C.int(min(len(packet), maxInt32)), (*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(frame), fec)
	runtime.KeepAlive(d)
	if n < 0 {
		return 0, codeErr(n)
	}
	return int(n), nil
}

// DecodeFloat is Decode producing float32 samples.
func (d *Decoder) DecodeFloat(packet []byte, pcm []float32) (int, error) {
	if d.p == nil {
		return 0, ErrClosed
	}
	frame := len(pcm) / d.channels
	if frame == 0 {
		return 0, ErrBufferTooSmall
	}
	var data *C.uchar
	if len(packet) > 0 {
		data = (*C.uchar)(unsafe.Pointer(&packet[0]))
	}
	n := C.an_decode_float(d.p, data, C.int(min(len(packet), maxInt32)), (*C.float)(unsafe.Pointer(&pcm[0])), C.int(frame), 0)
	runtime.KeepAlive(d)
	if n < 0 {
		return 0, codeErr(n)
	}
	return int(n), nil
}

// LastPacketDuration returns the samples per channel of the last decoded
// packet (used to size a PLC call).
func (d *Decoder) LastPacketDuration() (int, error) {
	if d.p == nil {
		return 0, ErrClosed
	}
	r := C.an_dec_get(d.p, C.OPUS_GET_LAST_PACKET_DURATION_REQUEST)
	runtime.KeepAlive(d)
	if r < 0 {
		return 0, codeErr(r)
	}
	return int(r), nil
}

// Reset clears the decoder's history, as after a seek.
func (d *Decoder) Reset() error {
	if d.p == nil {
		return ErrClosed
	}
	r := C.an_dec_reset(d.p)
	runtime.KeepAlive(d)
	if r != C.OPUS_OK {
		return codeErr(r)
	}
	return nil
}

// Close frees the C state. It is idempotent.
func (d *Decoder) Close() error {
	if d.p == nil {
		return nil
	}
	d.cleanup.Stop()
	C.opus_decoder_destroy(d.p)
	d.p = nil
	return nil
}
