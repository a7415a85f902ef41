// Package aac is a pure-Go AAC-LC decoder (ISO/IEC 14496-3 subpart 4,
// ISO/IEC 13818-7). It decodes raw_data_blocks as found in MP4 samples or
// ADTS frames into interleaved stereo float32. HE-AAC streams (SBR, PS)
// are decoded as their AAC-LC core at the core (half) rate: SBR and PS are
// not implemented. Main, SSR and LTP profiles return ErrUnsupported.
package aac

import "errors"

var (
	// ErrMalformed is wrapped by every error about bytes that break the
	// AAC syntax or this package's limits (ParseConfig, ParseADTS, Decode).
	ErrMalformed = errors.New("aac: malformed data")
	// ErrUnsupported is wrapped by errors about valid streams using tools
	// this decoder does not implement (Main/SSR/LTP profiles, coupling
	// channels, more than 8 channels).
	ErrUnsupported = errors.New("aac: unsupported stream")
)
