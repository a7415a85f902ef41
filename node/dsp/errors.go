package dsp

import "errors"

// ErrInvalidFilter is wrapped by Filters.Validate; the message names the
// offending field as the Lavalink JSON spells it (e.g. "equalizer[3].gain").
var ErrInvalidFilter = errors.New("invalid filter")

// ErrBadRate is returned by NewResampler and SetRates for rates that are
// not finite and positive, or whose ratio is out of range.
var ErrBadRate = errors.New("dsp: bad sample rate")
