package dsp

import (
	"encoding/json"
	"fmt"
	"math"
)

// Filters mirrors the Lavalink v4 filters object (lavalink-v4.md §6). A nil
// pointer (or an empty Equalizer) is an absent filter. Decoding JSON into
// a filter fills the fields a client omitted with the reference defaults,
// and encoding always writes every field of a present filter.
type Filters struct {
	Volume     *float64        `json:"volume,omitempty"`
	Equalizer  []EqualizerBand `json:"equalizer,omitempty"`
	Karaoke    *Karaoke        `json:"karaoke,omitempty"`
	Timescale  *Timescale      `json:"timescale,omitempty"`
	Tremolo    *Tremolo        `json:"tremolo,omitempty"`
	Vibrato    *Vibrato        `json:"vibrato,omitempty"`
	Rotation   *Rotation       `json:"rotation,omitempty"`
	Distortion *Distortion     `json:"distortion,omitempty"`
	ChannelMix *ChannelMix     `json:"channelMix,omitempty"`
	LowPass    *LowPass        `json:"lowPass,omitempty"`
	// PluginFilters is kept for the API's round trip; this package ignores
	// it (no plugin filters are implemented).
	PluginFilters map[string]json.RawMessage `json:"pluginFilters,omitempty"`
}

// FilterNames lists the filters this package implements, by their JSON
// names, in the order of the Filters object (for /v4/info and the
// lavalink.server.filters.<name> switches).
var FilterNames = []string{"volume", "equalizer", "karaoke", "timescale", "tremolo", "vibrato", "distortion", "rotation", "channelMix", "lowPass"}

// Has reports whether the filter with the given JSON name is present, so
// the API can refuse filters the configuration disabled.
func (f *Filters) Has(name string) bool {
	switch name {
	case "volume":
		return f.Volume != nil
	case "equalizer":
		return len(f.Equalizer) > 0
	case "karaoke":
		return f.Karaoke != nil
	case "timescale":
		return f.Timescale != nil
	case "tremolo":
		return f.Tremolo != nil
	case "vibrato":
		return f.Vibrato != nil
	case "distortion":
		return f.Distortion != nil
	case "rotation":
		return f.Rotation != nil
	case "channelMix":
		return f.ChannelMix != nil
	case "lowPass":
		return f.LowPass != nil
	}
	return false
}

// Bands is the equalizer's band count; BandFrequencies are their centres.
const Bands = 15

// BandFrequencies are the equalizer band centres in Hz.
var BandFrequencies = [Bands]float64{25, 40, 63, 100, 160, 250, 400, 630, 1000, 1600, 2500, 4000, 6300, 10000, 16000}

// EqualizerBand sets one band's gain: -0.25 removes the band, 0 is
// neutral, 0.25 about doubles it, 1.0 is the maximum.
type EqualizerBand struct {
	Band int     `json:"band"`
	Gain float64 `json:"gain"`
}

// UnmarshalJSON defaults an omitted gain to 1.0, as the reference model does.
func (b *EqualizerBand) UnmarshalJSON(data []byte) error {
	type plain EqualizerBand
	p := plain{Gain: 1}
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*b = EqualizerBand(p)
	return nil
}

// Karaoke removes centre-panned audio (usually vocals), keeping a band
// around FilterBand of the mono signal.
type Karaoke struct {
	Level       float64 `json:"level"`
	MonoLevel   float64 `json:"monoLevel"`
	FilterBand  float64 `json:"filterBand"`
	FilterWidth float64 `json:"filterWidth"`
}

// DefaultKaraoke returns the reference defaults.
func DefaultKaraoke() Karaoke {
	return Karaoke{Level: 1, MonoLevel: 1, FilterBand: 220, FilterWidth: 100}
}

// UnmarshalJSON fills omitted fields with the defaults.
func (k *Karaoke) UnmarshalJSON(data []byte) error {
	type plain Karaoke
	p := plain(DefaultKaraoke())
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*k = Karaoke(p)
	return nil
}

// Timescale changes speed (tempo, pitch kept), pitch (tempo kept) and rate
// (both, like a record played faster).
type Timescale struct {
	Speed float64 `json:"speed"`
	Pitch float64 `json:"pitch"`
	Rate  float64 `json:"rate"`
}

// UnmarshalJSON fills omitted fields with 1.0.
func (t *Timescale) UnmarshalJSON(data []byte) error {
	type plain Timescale
	p := plain{Speed: 1, Pitch: 1, Rate: 1}
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*t = Timescale(p)
	return nil
}

// Tremolo modulates the volume.
type Tremolo struct {
	Frequency float64 `json:"frequency"`
	Depth     float64 `json:"depth"`
}

// UnmarshalJSON fills omitted fields with frequency 2, depth 0.5.
func (t *Tremolo) UnmarshalJSON(data []byte) error {
	type plain Tremolo
	p := plain{Frequency: 2, Depth: 0.5}
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*t = Tremolo(p)
	return nil
}

// Vibrato modulates the pitch.
type Vibrato struct {
	Frequency float64 `json:"frequency"`
	Depth     float64 `json:"depth"`
}

// UnmarshalJSON fills omitted fields with frequency 2, depth 0.5.
func (v *Vibrato) UnmarshalJSON(data []byte) error {
	type plain Vibrato
	p := plain{Frequency: 2, Depth: 0.5}
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*v = Vibrato(p)
	return nil
}

// Rotation pans the audio around the listener (audio panning LFO).
type Rotation struct {
	RotationHz float64 `json:"rotationHz"`
}

// Distortion applies
// out = offset + scale·(sinOffset+sin(x·sinScale))·(cosOffset+cos(x·cosScale))·(tanOffset+tan(x·tanScale)),
// clipped to [-1, 1].
type Distortion struct {
	SinOffset float64 `json:"sinOffset"`
	SinScale  float64 `json:"sinScale"`
	CosOffset float64 `json:"cosOffset"`
	CosScale  float64 `json:"cosScale"`
	TanOffset float64 `json:"tanOffset"`
	TanScale  float64 `json:"tanScale"`
	Offset    float64 `json:"offset"`
	Scale     float64 `json:"scale"`
}

// DefaultDistortion returns the reference defaults (the filter is inactive
// at these values).
func DefaultDistortion() Distortion {
	return Distortion{SinScale: 1, CosScale: 1, TanScale: 1, Scale: 1}
}

// UnmarshalJSON fills omitted fields with the defaults.
func (d *Distortion) UnmarshalJSON(data []byte) error {
	type plain Distortion
	p := plain(DefaultDistortion())
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*d = Distortion(p)
	return nil
}

// ChannelMix mixes the channels: left' = LeftToLeft·l + RightToLeft·r,
// right' = LeftToRight·l + RightToRight·r (each clipped to [-1, 1]).
type ChannelMix struct {
	LeftToLeft   float64 `json:"leftToLeft"`
	LeftToRight  float64 `json:"leftToRight"`
	RightToLeft  float64 `json:"rightToLeft"`
	RightToRight float64 `json:"rightToRight"`
}

// UnmarshalJSON fills omitted fields with the identity mix.
func (c *ChannelMix) UnmarshalJSON(data []byte) error {
	type plain ChannelMix
	p := plain{LeftToLeft: 1, RightToRight: 1}
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*c = ChannelMix(p)
	return nil
}

// LowPass is a one-pole smoother: v += (x - v) / Smoothing.
type LowPass struct {
	Smoothing float64 `json:"smoothing"`
}

// UnmarshalJSON fills an omitted smoothing with 20.
func (l *LowPass) UnmarshalJSON(data []byte) error {
	type plain LowPass
	p := plain{Smoothing: 20}
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*l = LowPass(p)
	return nil
}

// Bounds this package adds where the reference has none but unbounded
// values would break playback or cost without limit.
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
	return f.Distortion != nil && *f.Distortion != DefaultDistortion()
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
