// Package vorbis is a pure-Go Vorbis I decoder written from the Xiph.org
// Vorbis I specification. It reads the three header packets and decodes
// audio packets into interleaved float32 in Vorbis channel order without
// allocating: every buffer is sized when the setup header is read, within
// a per-stream memory budget.
//
// Floor type 0 (LSP) returns ErrUnsupported: libvorbis has not written it
// since 2002.
package vorbis

import "errors"

var (
	// ErrMalformed is wrapped by every error about bytes that break the
	// Vorbis I syntax (headers and audio packets).
	ErrMalformed = errors.New("vorbis: malformed data")
	// ErrUnsupported is wrapped by errors about valid streams this decoder
	// refuses: floor type 0, or a setup needing more memory than the
	// per-stream budget.
	ErrUnsupported = errors.New("vorbis: unsupported stream")
)
