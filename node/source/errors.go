package source

import "errors"

// ErrBlockedAddress is returned (wrapped) when the SSRF guard refuses to
// connect to an address.
var ErrBlockedAddress = errors.New("source: address is not allowed")

// ErrTooManyRedirects is returned when a URL redirects more than MaxRedirects times.
var ErrTooManyRedirects = errors.New("source: too many redirects")

// ErrOutsideRoots is returned when a local path is not inside any configured root.
var ErrOutsideRoots = errors.New("source: path is outside the local roots")

// ErrUnknownFormat is returned by the probe when no container matches.
var ErrUnknownFormat = errors.New("source: unknown file format")

// ErrUnsupported is returned by the probe for a known container it cannot play.
var ErrUnsupported = errors.New("source: unsupported format")

// ErrSourceDisabled is returned by Open for a source that is not enabled.
var ErrSourceDisabled = errors.New("source: source is disabled")

// ErrIdleTimeout is returned by a reader from Open when the server sent
// nothing for the socket timeout (lavalink.server.timeouts.socketTimeoutMs).
var ErrIdleTimeout = errors.New("source: no data within the socket timeout")
