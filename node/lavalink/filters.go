package lavalink

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// Filters is the player's filter set (lavalink-v4.md §6), the one model
// shared by the API and the DSP chain (node/dsp aliases it). Absent (nil)
// filters are omitted from JSON; a present filter always carries every
// field. Filter objects given in a request take the defaults below for
// omitted fields; null means absent.
type Filters struct {
	Volume        *float64                   `json:"volume,omitempty"`    // 1.0 = unity, 0–5
	Equalizer     []EqualizerBand            `json:"equalizer,omitzero"`  // nil = absent; [] is kept
	Karaoke       *Karaoke                   `json:"karaoke,omitempty"`   //
	Timescale     *Timescale                 `json:"timescale,omitempty"` //
	Tremolo       *Tremolo                   `json:"tremolo,omitempty"`
	Vibrato       *Vibrato                   `json:"vibrato,omitempty"`
	Rotation      *Rotation                  `json:"rotation,omitempty"`
	Distortion    *Distortion                `json:"distortion,omitempty"`
	ChannelMix    *ChannelMix                `json:"channelMix,omitempty"`
	LowPass       *LowPass                   `json:"lowPass,omitempty"`
	PluginFilters map[string]json.RawMessage `json:"pluginFilters,omitempty"` // omitted when empty
}

// Names returns the names (as in lavalink.server.filters.<name> and
// /v4/info) of the built-in filters present in f, in FilterNames order.
func (f Filters) Names() []string {
	var out []string
	add := func(present bool, name string) {
		if present {
			out = append(out, name)
		}
	}
	add(f.Volume != nil, "volume")
	add(f.Equalizer != nil, "equalizer")
	add(f.Karaoke != nil, "karaoke")
	add(f.Timescale != nil, "timescale")
	add(f.Tremolo != nil, "tremolo")
	add(f.Vibrato != nil, "vibrato")
	add(f.Distortion != nil, "distortion")
	add(f.Rotation != nil, "rotation")
	add(f.ChannelMix != nil, "channelMix")
	add(f.LowPass != nil, "lowPass")
	return out
}

// FilterNames lists the built-in filters in the order /v4/info reports them.
var FilterNames = []string{"volume", "equalizer", "karaoke", "timescale", "tremolo", "vibrato", "distortion", "rotation", "channelMix", "lowPass"}

// Bands is the equalizer's band count.
const Bands = 15

// ErrInvalidFilter is wrapped by Filters.Validate; the message names the
// offending field as the Lavalink JSON spells it (e.g. "equalizer[3].gain").
var ErrInvalidFilter = errors.New("invalid filter")

// EqualizerBand is one of the 15 bands (0–14); Gain −0.25…1.0, 0 neutral.
type EqualizerBand struct {
	Band int     `json:"band"`
	Gain float64 `json:"gain"`
}

// UnmarshalJSON defaults an omitted gain to 1.0 as the reference's model does.
func (e *EqualizerBand) UnmarshalJSON(b []byte) error {
	type plain EqualizerBand
	p := plain{Gain: 1.0}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*e = EqualizerBand(p)
	return nil
}

// Karaoke removes a frequency band (usually vocals).
type Karaoke struct {
	Level       float64 `json:"level"`       // 1.0
	MonoLevel   float64 `json:"monoLevel"`   // 1.0
	FilterBand  float64 `json:"filterBand"`  // 220.0 Hz
	FilterWidth float64 `json:"filterWidth"` // 100.0
}

// UnmarshalJSON fills omitted fields with their defaults.
func (k *Karaoke) UnmarshalJSON(b []byte) error {
	type plain Karaoke
	p := plain{Level: 1, MonoLevel: 1, FilterBand: 220, FilterWidth: 100}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*k = Karaoke(p)
	return nil
}

// Timescale changes speed, pitch and rate (each > 0, 1.0 neutral).
type Timescale struct {
	Speed float64 `json:"speed"`
	Pitch float64 `json:"pitch"`
	Rate  float64 `json:"rate"`
}

// UnmarshalJSON fills omitted fields with their defaults.
func (t *Timescale) UnmarshalJSON(b []byte) error {
	type plain Timescale
	p := plain{Speed: 1, Pitch: 1, Rate: 1}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*t = Timescale(p)
	return nil
}

// Tremolo oscillates the volume.
type Tremolo struct {
	Frequency float64 `json:"frequency"` // 2.0, > 0
	Depth     float64 `json:"depth"`     // 0.5, (0,1]
}

// UnmarshalJSON fills omitted fields with their defaults.
func (t *Tremolo) UnmarshalJSON(b []byte) error {
	type plain Tremolo
	p := plain{Frequency: 2, Depth: 0.5}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*t = Tremolo(p)
	return nil
}

// Vibrato oscillates the pitch.
type Vibrato struct {
	Frequency float64 `json:"frequency"` // 2.0, (0,14]
	Depth     float64 `json:"depth"`     // 0.5, (0,1]
}

// UnmarshalJSON fills omitted fields with their defaults.
func (v *Vibrato) UnmarshalJSON(b []byte) error {
	type plain Vibrato
	p := plain{Frequency: 2, Depth: 0.5}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*v = Vibrato(p)
	return nil
}

// Rotation pans the audio around the stereo field.
type Rotation struct {
	RotationHz float64 `json:"rotationHz"` // 0.0
}

// Distortion applies sin/cos/tan shaping.
type Distortion struct {
	SinOffset float64 `json:"sinOffset"` // 0
	SinScale  float64 `json:"sinScale"`  // 1
	CosOffset float64 `json:"cosOffset"` // 0
	CosScale  float64 `json:"cosScale"`  // 1
	TanOffset float64 `json:"tanOffset"` // 0
	TanScale  float64 `json:"tanScale"`  // 1
	Offset    float64 `json:"offset"`    // 0
	Scale     float64 `json:"scale"`     // 1
}

// UnmarshalJSON fills omitted fields with their defaults.
func (d *Distortion) UnmarshalJSON(b []byte) error {
	type plain Distortion
	p := plain(defaultDistortion)
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*d = Distortion(p)
	return nil
}

// defaultDistortion is the reference default (inactive at these values).
var defaultDistortion = Distortion{SinScale: 1, CosScale: 1, TanScale: 1, Scale: 1}

// ChannelMix mixes the left and right channels (each 0–1).
type ChannelMix struct {
	LeftToLeft   float64 `json:"leftToLeft"`   // 1
	LeftToRight  float64 `json:"leftToRight"`  // 0
	RightToLeft  float64 `json:"rightToLeft"`  // 0
	RightToRight float64 `json:"rightToRight"` // 1
}

// UnmarshalJSON fills omitted fields with their defaults.
func (c *ChannelMix) UnmarshalJSON(b []byte) error {
	type plain ChannelMix
	p := plain{LeftToLeft: 1, RightToRight: 1}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*c = ChannelMix(p)
	return nil
}

// LowPass suppresses high frequencies; active only when Smoothing > 1.
type LowPass struct {
	Smoothing float64 `json:"smoothing"` // 20.0
}

// UnmarshalJSON fills omitted fields with their defaults.
func (l *LowPass) UnmarshalJSON(b []byte) error {
	type plain LowPass
	p := plain{Smoothing: 20}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*l = LowPass(p)
	return nil
}

// Bounds added where the reference has none but unbounded values would
// break playback or cost without limit.
const (
	// MaxTimescale bounds speed, pitch and rate (the reference only
	// requires > 0); 10× either way is far past any musical use.
	MaxTimescale = 10
	// MaxDistortion bounds every distortion parameter's magnitude so the
	// product of the three terms cannot overflow.
	MaxDistortion = 1e4
	// MaxLFO bounds tremolo and rotation frequencies (Hz).
	MaxLFO = 24000
)

// Validate checks every present filter against the ranges lavadsp enforces
// (and the bounds above), so bad values are rejected at PATCH time with an
// error naming the field, e.g. "equalizer[3].gain: must be in [-0.25, 1]".
// The error wraps ErrInvalidFilter.
func (f *Filters) Validate() error {
	if f.Volume != nil {
		if err := inRange("volume", *f.Volume, 0, 5); err != nil {
			return err
		}
	}
	for i, b := range f.Equalizer {
		if b.Band < 0 || b.Band >= Bands {
			return invalid(fmt.Sprintf("equalizer[%d].band", i), "must be 0–14, got %d", b.Band)
		}
		if err := inRange(fmt.Sprintf("equalizer[%d].gain", i), b.Gain, -0.25, 1); err != nil {
			return err
		}
	}
	if k := f.Karaoke; k != nil {
		for _, c := range []struct {
			name   string
			v, max float64
		}{{"level", k.Level, 1}, {"monoLevel", k.MonoLevel, 1}, {"filterBand", k.FilterBand, 24000}} {
			if err := inRange("karaoke."+c.name, c.v, 0, c.max); err != nil {
				return err
			}
		}
		if err := positive("karaoke.filterWidth", k.FilterWidth, 24000); err != nil {
			return err
		}
	}
	if t := f.Timescale; t != nil {
		for _, c := range []struct {
			name string
			v    float64
		}{{"speed", t.Speed}, {"pitch", t.Pitch}, {"rate", t.Rate}} {
			if err := positive("timescale."+c.name, c.v, MaxTimescale); err != nil {
				return err
			}
		}
	}
	if t := f.Tremolo; t != nil {
		if err := positive("tremolo.frequency", t.Frequency, MaxLFO); err != nil {
			return err
		}
		if err := positive("tremolo.depth", t.Depth, 1); err != nil {
			return err
		}
	}
	if v := f.Vibrato; v != nil {
		if err := positive("vibrato.frequency", v.Frequency, 14); err != nil {
			return err
		}
		if err := positive("vibrato.depth", v.Depth, 1); err != nil {
			return err
		}
	}
	if r := f.Rotation; r != nil {
		if err := inRange("rotation.rotationHz", r.RotationHz, -MaxLFO, MaxLFO); err != nil {
			return err
		}
	}
	if d := f.Distortion; d != nil {
		for _, c := range []struct {
			name string
			v    float64
		}{
			{"sinOffset", d.SinOffset}, {"sinScale", d.SinScale}, {"cosOffset", d.CosOffset}, {"cosScale", d.CosScale},
			{"tanOffset", d.TanOffset}, {"tanScale", d.TanScale}, {"offset", d.Offset}, {"scale", d.Scale},
		} {
			if err := inRange("distortion."+c.name, c.v, -MaxDistortion, MaxDistortion); err != nil {
				return err
			}
		}
	}
	if c := f.ChannelMix; c != nil {
		for _, x := range []struct {
			name string
			v    float64
		}{{"leftToLeft", c.LeftToLeft}, {"leftToRight", c.LeftToRight}, {"rightToLeft", c.RightToLeft}, {"rightToRight", c.RightToRight}} {
			if err := inRange("channelMix."+x.name, x.v, 0, 1); err != nil {
				return err
			}
		}
	}
	if l := f.LowPass; l != nil {
		// Values ≤ 1 are accepted and leave the filter inactive, as in the
		// reference.
		if err := inRange("lowPass.smoothing", l.Smoothing, -math.MaxFloat64, math.MaxFloat64); err != nil {
			return err
		}
	}
	return nil
}

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidFilter, field, fmt.Sprintf(format, args...))
}

func inRange(field string, v, lo, hi float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < lo || v > hi {
		return invalid(field, "must be in [%g, %g], got %g", lo, hi, v)
	}
	return nil
}

func positive(field string, v, hi float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 || v > hi {
		return invalid(field, "must be in (0, %g], got %g", hi, v)
	}
	return nil
}

// The "active" rules decide whether the reference installs a chain at all
// (lavalink-v4.md §6): present but neutral filters do not count.

func (f *Filters) volumeActive() bool { return f.Volume != nil && *f.Volume != 1 }

func (f *Filters) equalizerActive() bool {
	for _, b := range f.Equalizer {
		if b.Gain != 0 {
			return true
		}
	}
	return false
}

func (f *Filters) timescaleActive() bool {
	t := f.Timescale
	return t != nil && (t.Speed != 1 || t.Pitch != 1 || t.Rate != 1)
}

func (f *Filters) rotationActive() bool { return f.Rotation != nil && f.Rotation.RotationHz != 0 }

func (f *Filters) distortionActive() bool {
	return f.Distortion != nil && *f.Distortion != defaultDistortion
}

func (f *Filters) channelMixActive() bool {
	return f.ChannelMix != nil && *f.ChannelMix != ChannelMix{LeftToLeft: 1, RightToRight: 1}
}

func (f *Filters) lowPassActive() bool { return f.LowPass != nil && f.LowPass.Smoothing > 1 }

// Active reports whether any filter is active; only then does the
// reference install a filter chain (and then every present filter runs,
// even neutral ones).
func (f *Filters) Active() bool {
	return f.volumeActive() || f.equalizerActive() || f.Karaoke != nil || f.timescaleActive() ||
		f.Tremolo != nil || f.Vibrato != nil || f.rotationActive() || f.distortionActive() ||
		f.channelMixActive() || f.lowPassActive()
}
