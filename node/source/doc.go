// Package source resolves Lavalink track identifiers into tracks: absolute
// paths for the "local" source and http(s) URLs for the "http" source. It
// probes the container from its first bytes (MP3, FLAC, WAV, Ogg,
// WebM/Matroska, MP4/M4A, ADTS, MPEG-TS, M3U/HLS, PLS), reads tags and the
// duration where that is cheap, and answers with a lavalink.LoadResult the
// way the reference's lavaplayer does (error messages and severities
// included).
//
// HTTP goes through one shared client with an SSRF guard: the resolved
// address of every connection (first request, redirects, DNS answers alike)
// is checked in the dialer's Control hook, before connect(2), and private,
// loopback, link-local, metadata, unspecified and multicast ranges are
// refused unless Config.AllowPrivate is set.
//
// The probing code here is deliberately small and self-contained; full
// demuxing and decoding belong to the media pipeline.
package source
