package lavalink

import "encoding/json"

// Filters is the player's filter set. Absent (nil) filters are omitted from
// JSON; a present filter always carries every field. Filter objects given in
// a request take the defaults below for omitted fields; null means absent.
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
	p := plain{SinScale: 1, CosScale: 1, TanScale: 1, Scale: 1}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*d = Distortion(p)
	return nil
}

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
