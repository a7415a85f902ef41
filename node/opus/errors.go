package opus

/*
#include <opus.h>
*/
import "C"

import (
	"errors"
	"fmt"
)

// Errors returned by this package. libopus error codes map to the first
// seven; ErrClosed is returned by any use of a closed Encoder or Decoder.
var (
	// ErrBadArg means a parameter was invalid or out of range (for example
	// a frame size that is not 2.5, 5, 10, 20, 40 or 60 ms).
	ErrBadArg = errors.New("opus: bad argument")
	// ErrBufferTooSmall means the output buffer cannot hold the result.
	ErrBufferTooSmall = errors.New("opus: buffer too small")
	// ErrInternal is an internal libopus error.
	ErrInternal = errors.New("opus: internal error")
	// ErrInvalidPacket means the packet is corrupted or not Opus.
	ErrInvalidPacket = errors.New("opus: invalid packet")
	// ErrUnimplemented means the request is not supported by this libopus.
	ErrUnimplemented = errors.New("opus: unimplemented")
	// ErrInvalidState means the codec state is corrupt or freed.
	ErrInvalidState = errors.New("opus: invalid state")
	// ErrAllocFail means libopus could not allocate memory.
	ErrAllocFail = errors.New("opus: allocation failed")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("opus: use of closed codec")
)

// codeErr maps a negative libopus return code to a sentinel. It returns
// the sentinel itself (no wrapping) so hot-path failures do not allocate.
func codeErr(code C.int) error {
	switch code {
	case C.OPUS_BAD_ARG:
		return ErrBadArg
	case C.OPUS_BUFFER_TOO_SMALL:
		return ErrBufferTooSmall
	case C.OPUS_INTERNAL_ERROR:
		return ErrInternal
	case C.OPUS_INVALID_PACKET:
		return ErrInvalidPacket
	case C.OPUS_UNIMPLEMENTED:
		return ErrUnimplemented
	case C.OPUS_INVALID_STATE:
		return ErrInvalidState
	case C.OPUS_ALLOC_FAIL:
		return ErrAllocFail
	}
	return fmt.Errorf("%w: libopus code %d", ErrInternal, int(code))
}
