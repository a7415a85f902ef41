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

// ErrBadICY is returned (wrapped) for an unusable icy-metaint header.
var ErrBadICY = errors.New("source: bad ICY metadata interval")

// ErrBadPlaylist is returned (wrapped) for an M3U, PLS or HLS playlist
// that cannot be played: no header, a bad tag value, no playable entry.
var ErrBadPlaylist = errors.New("source: bad playlist")

// ErrPlaylistTooLarge is returned (wrapped) for a playlist, segment, init
// section or key beyond its size bound, or with too many entries.
var ErrPlaylistTooLarge = errors.New("source: playlist or segment too large")

// ErrPlaylistLoop is returned (wrapped) when playlists refer to each
// other in a loop or nest deeper than MaxRedirects.
var ErrPlaylistLoop = errors.New("source: playlists nest too deep or loop")

// ErrSegment is returned (wrapped) when an HLS segment, init section or
// key cannot be fetched (status code, short body).
var ErrSegment = errors.New("source: HLS segment unavailable")

// ErrStreamLost ends a live stream whose connection broke and could not be
// re-established (see liveStream).
var ErrStreamLost = errors.New("source: live stream lost")
