package dsp

import "github.com/audionode/audionode/node/lavalink"

// The filter model is the Lavalink wire model (node/lavalink), with its
// range checks (Validate) and the reference's "active" rule (Active); the
// aliases keep this package's API self-describing.
type (
	Filters       = lavalink.Filters
	EqualizerBand = lavalink.EqualizerBand
	Karaoke       = lavalink.Karaoke
	Timescale     = lavalink.Timescale
	Tremolo       = lavalink.Tremolo
	Vibrato       = lavalink.Vibrato
	Rotation      = lavalink.Rotation
	Distortion    = lavalink.Distortion
	ChannelMix    = lavalink.ChannelMix
	LowPass       = lavalink.LowPass
)

// FilterNames lists the filters this package implements, by their JSON
// names (for /v4/info and the lavalink.server.filters.<name> switches).
var FilterNames = lavalink.FilterNames

// Bands is the equalizer's band count; BandFrequencies are their centres.
const Bands = lavalink.Bands

// BandFrequencies are the equalizer band centres in Hz.
var BandFrequencies = [Bands]float64{25, 40, 63, 100, 160, 250, 400, 630, 1000, 1600, 2500, 4000, 6300, 10000, 16000}

// ErrInvalidFilter is wrapped by Filters.Validate.
var ErrInvalidFilter = lavalink.ErrInvalidFilter

// DefaultKaraoke returns the reference defaults.
func DefaultKaraoke() Karaoke {
	return Karaoke{Level: 1, MonoLevel: 1, FilterBand: 220, FilterWidth: 100}
}

// DefaultDistortion returns the reference defaults (the filter is inactive
// at these values).
func DefaultDistortion() Distortion {
	return Distortion{SinScale: 1, CosScale: 1, TanScale: 1, Scale: 1}
}
