// Package source resolves Lavalink track identifiers into tracks: absolute
// paths for the "local" source and http(s)/icy URLs for the "http" source.
// It probes the container from its first bytes (MP3, FLAC, WAV, Ogg,
// WebM/Matroska, MP4/M4A, ADTS, MPEG-TS, M3U/HLS, PLS), reads tags and the
// duration where that is cheap, and answers with a lavalink.LoadResult the
// way the reference's lavaplayer does (error messages and severities
// included).
//
// HTTP goes through one shared client with an SSRF guard: the resolved
// address of every connection (first request, redirects, playlist entries,
// HLS playlists, segments and keys alike) is checked in the dialer's
// Control hook, before connect(2), and private, loopback, link-local,
// metadata, unspecified and multicast ranges are refused unless
// Config.AllowPrivate is set. The route planner, when configured, picks
// every connection's local address.
//
// Streams, at load time and in playback (Loader.OpenMedia) alike:
//
//   - ICY: requests carry "Icy-MetaData: 1"; when the answer has
//     icy-metaint, the metadata blocks (at most 16·255 bytes each) are cut
//     out of the body so title changes never reach the decoder, and the
//     current StreamTitle is kept (Media.Title) and logged at debug level.
//     SHOUTcast v1 servers answering "ICY 200 OK" work: the first bytes of
//     each plain connection are rewritten to "HTTP/1.0 200 OK".
//   - M3U/PLS lists (not HLS) refer to their first link, as lavaplayer's
//     probes do: loading one gives the track of that link (with the
//     list's title for it), and playing one plays it. A dead link falls
//     back to the next (three at most); lists nest at most MaxRedirects
//     deep and never loop.
//   - HLS: a playlist loads as one track. A VOD (EXT-X-ENDLIST) has the sum
//     of its EXTINF as length and is seekable by segment; a live one is a
//     stream. A master playlist plays its best audio-only variant, else
//     the audio rendition of its variants (DEFAULT first), else its
//     lowest-bandwidth variant. Playback is one byte stream for the media
//     demuxers: segments in order (EXT-X-BYTERANGE honoured), each
//     EXT-X-MAP init section once before the first segment that uses it
//     (again when it changes), AES-128 decrypted (SAMPLE-AES is refused),
//     with the ID3 tag that starts a packed-audio segment removed. At an
//     EXT-X-DISCONTINUITY, where the encoding may change, the body reads
//     io.EOF once and Media.Resume goes on with the next part (which
//     starts with its init section), so the player opens a fresh decoder. Live playlists are reloaded every
//     target duration (half of one when nothing changed); segments are
//     followed by media sequence number, so none plays twice, and ones that
//     leave the playlist before they are fetched (or overflow the queue of
//     32 pending segments) are logged and counted. Sequence numbers that go
//     back mean a restarted encoder: the stream is joined again at its live
//     edge as a new part. A failed reload is retried (three failures in a
//     row end the stream), and a live playlist without a new segment for
//     ten target durations ends it; both errors wrap ErrSegment, as does a
//     missing segment. A reader error is final: it never skips ahead.
//     All fetching happens in Read on the caller's goroutine; cancelling
//     the context ends a blocked read at once.
//
// Every playlist is read whole up to 1 MiB (10000 segments, 256 variants),
// segments up to 64 MiB, init sections up to 4 MiB, keys exactly 16 bytes;
// beyond that an error wraps ErrPlaylistTooLarge.
//
// The probing code here is deliberately small and self-contained; full
// demuxing and decoding belong to the media pipeline.
package source
