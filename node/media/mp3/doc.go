// Package mp3 decodes MPEG-1, MPEG-2 (LSF) and MPEG-2.5 audio Layer III
// (ISO/IEC 11172-3, 13818-3) into float32 stereo, written from the
// standards. A Decoder keeps all its state in fixed arrays, so decoding a
// frame allocates nothing. Layers I and II and free-format bitrates are
// ErrUnsupported.
package mp3

import "errors"

var (
	// ErrMalformed is wrapped by every error about bytes that break the
	// format's rules.
	ErrMalformed = errors.New("mp3: malformed data")
	// ErrUnsupported is returned for valid MPEG audio this package does
	// not decode (Layer I/II, free format).
	ErrUnsupported = errors.New("mp3: unsupported")
)
