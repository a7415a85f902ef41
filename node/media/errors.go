package media

import "errors"

var (
	// ErrUnknownFormat is returned by Open when the first bytes match no
	// supported container.
	ErrUnknownFormat = errors.New("media: unknown format")
	// ErrUnsupported is returned for a recognised container whose codec or
	// parameters are not supported (e.g. multistream Opus, 12-bit PCM).
	ErrUnsupported = errors.New("media: unsupported format")
	// ErrMalformed is wrapped by every error about bytes that break the
	// format's rules or this package's size limits.
	ErrMalformed = errors.New("media: malformed data")
	// ErrClosed is returned by a Stream's methods after Close.
	ErrClosed = errors.New("media: stream closed")
)
