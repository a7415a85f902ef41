//go:build cgo

// Package tone encodes test tones as 20 ms stereo Opus frames with the
// system libopus, so tests can feed the voice path real Opus. It exists
// for tests and benchmarks only.
package tone

/*
#cgo pkg-config: opus
#include <opus.h>

static int enc_ctl_bitrate(OpusEncoder *e, int v) { return opus_encoder_ctl(e, OPUS_SET_BITRATE(v)); }
static int enc_ctl_complexity(OpusEncoder *e, int v) { return opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(v)); }
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"unsafe"
)

// ErrEncode wraps libopus failures.
var ErrEncode = errors.New("tone: opus encode failed")

// Frames encodes n frames of a sine at leftHz on the left channel and
// rightHz on the right, at amplitude amp (0..1 of full scale).
func Frames(leftHz, rightHz, amp float64, n int) ([][]byte, error) {
	var cerr C.int
	enc := C.opus_encoder_create(48000, 2, C.OPUS_APPLICATION_AUDIO, &cerr)
	if cerr != C.OPUS_OK || enc == nil {
		return nil, fmt.Errorf("%w: create: %d", ErrEncode, int(cerr))
	}
	defer C.opus_encoder_destroy(enc)
	C.enc_ctl_bitrate(enc, 96000)
	C.enc_ctl_complexity(enc, 5)
	pcm := make([]int16, 960*2)
	out := make([]byte, 1276)
	frames := make([][]byte, 0, n)
	for f := range n {
		for i := range 960 {
			t := float64(f*960+i) / 48000
			pcm[2*i] = int16(amp * 32767 * math.Sin(2*math.Pi*leftHz*t))
			pcm[2*i+1] = int16(amp * 32767 * math.Sin(2*math.Pi*rightHz*t))
		}
		got := C.opus_encode(enc, (*C.opus_int16)(unsafe.Pointer(&pcm[0])), 960,
			(*C.uchar)(unsafe.Pointer(&out[0])), C.opus_int32(len(out)))
		if got < 0 {
			return nil, fmt.Errorf("%w: %d", ErrEncode, int(got))
		}
		frames = append(frames, append([]byte(nil), out[:got]...))
	}
	return frames, nil
}
