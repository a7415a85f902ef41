// Package media turns the bytes of a track into 20 ms Opus frames for the
// player: it sniffs the container, demuxes and decodes it in pure Go,
// resamples to 48 kHz (node/dsp), runs the filter chain and volume, and
// encodes with libopus (node/opus). A 48 kHz Opus source is passed through
// packet by packet while the chain is the identity (volume 100, no
// filters), and switches to decode→filter→encode at the next frame
// boundary when that changes, and back.
//
// Formats: WAV (PCM 8/16/24/32-bit integer, 32/64-bit float), Ogg Opus and
// WebM/Matroska Opus (own demuxers, passthrough-capable), FLAC (own
// decoder), MP3 (own Layer III decoder in mp3/, with LAME/Xing gapless
// trimming) and Ogg Vorbis
// (own demuxer, node/media/vorbis packets). Mono is duplicated to stereo;
// 3–8 channels are downmixed with ITU-R BS.775 gains (downmix.go).
// RangeReader turns ranged HTTP opens into the io.ReadSeeker that
// seeking needs.
//
// A Stream is used by one goroutine (the player's producer) for ReadFrame,
// Seek and Close. SetFilters and SetVolume may be called from any
// goroutine: they park the change in an atomic slot that ReadFrame applies
// at the next frame boundary. Position, Duration and Passthrough are safe
// from any goroutine too.
//
// Every parser here reads untrusted bytes: sizes are capped, garbage
// returns an error wrapping ErrMalformed or ErrUnsupported, and nothing
// panics.
package media
