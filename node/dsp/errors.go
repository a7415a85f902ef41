package dsp

import "errors"

// ErrBadRate is returned by NewResampler and SetRates for rates that are
// not finite and positive, or whose ratio is out of range.
var ErrBadRate = errors.New("dsp: bad sample rate")
