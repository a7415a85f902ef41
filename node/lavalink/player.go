package lavalink

import (
	"errors"
	"strings"
)

// Player is the body of GET/PATCH …/players/{guildId}.
type Player struct {
	GuildID string      `json:"guildId"`
	Track   *Track      `json:"track"` // null when nothing is playing
	Volume  int         `json:"volume"`
	Paused  bool        `json:"paused"`
	State   PlayerState `json:"state"`
	Voice   VoiceState  `json:"voice"`
	Filters Filters     `json:"filters"`
}

// PlayerState is the live state in a Player and a playerUpdate message.
type PlayerState struct {
	Time      int64 `json:"time"`      // Unix ms when built
	Position  int64 `json:"position"`  // ms; 0 without a track
	Connected bool  `json:"connected"` // voice gateway open
	Ping      int64 `json:"ping"`      // ms; -1 without a gateway connection
}

// VoiceState is the player's Discord voice server info. In responses,
// unset strings are "" and ChannelID is null.
type VoiceState struct {
	Token     string  `json:"token"`
	Endpoint  string  `json:"endpoint"`
	SessionID string  `json:"sessionId"`
	ChannelID *string `json:"channelId"`
}

// ErrVoiceIncomplete is returned by VoiceState.Validate when a field is blank.
var ErrVoiceIncomplete = errors.New("lavalink: voice state is incomplete")

// Validate checks that token, endpoint, sessionId and channelId are all
// non-blank, as the reference (4.2.0+) requires on PATCH. The error names the
// missing fields.
func (v VoiceState) Validate() error {
	var missing []string
	if strings.TrimSpace(v.Token) == "" {
		missing = append(missing, "token")
	}
	if strings.TrimSpace(v.Endpoint) == "" {
		missing = append(missing, "endpoint")
	}
	if strings.TrimSpace(v.SessionID) == "" {
		missing = append(missing, "sessionId")
	}
	if v.ChannelID == nil || strings.TrimSpace(*v.ChannelID) == "" {
		missing = append(missing, "channelId")
	}
	if missing != nil {
		return &VoiceIncompleteError{Missing: missing}
	}
	return nil
}

// VoiceIncompleteError lists the blank voice fields; it matches
// ErrVoiceIncomplete with errors.Is.
type VoiceIncompleteError struct{ Missing []string }

func (e *VoiceIncompleteError) Error() string {
	return "Partial Lavalink voice state: " + strings.Join(e.Missing, ", ") + " must not be blank"
}

// Is makes errors.Is(err, ErrVoiceIncomplete) true.
func (e *VoiceIncompleteError) Is(target error) bool { return target == ErrVoiceIncomplete }

// PlayerUpdate is the body of PATCH /v4/sessions/{sessionId}/players/{guildId}.
// Every field is optional; absent fields leave the player unchanged.
type PlayerUpdate struct {
	Track Optional[PlayerUpdateTrack] `json:"track,omitzero"`
	// EncodedTrack is the deprecated top-level form of track.encoded
	// (null stops the track).
	EncodedTrack Nullable[string] `json:"encodedTrack,omitzero"`
	// Identifier is the deprecated top-level form of track.identifier.
	Identifier Optional[string] `json:"identifier,omitzero"`
	Position   Optional[int64]  `json:"position,omitzero"`
	// EndTime must be > 0; null is accepted and (like the reference's code)
	// changes nothing for the current track.
	EndTime Nullable[int64]      `json:"endTime,omitzero"`
	Volume  Optional[int]        `json:"volume,omitzero"`
	Paused  Optional[bool]       `json:"paused,omitzero"`
	Filters Optional[Filters]    `json:"filters,omitzero"`
	Voice   Optional[VoiceState] `json:"voice,omitzero"`
}

// PlayerUpdateTrack is the "track" object of a PlayerUpdate. Encoded and
// Identifier are mutually exclusive.
type PlayerUpdateTrack struct {
	Encoded    Nullable[string] `json:"encoded,omitzero"` // null stops the track
	Identifier Optional[string] `json:"identifier,omitzero"`
	UserData   Optional[Object] `json:"userData,omitzero"`
}

// SessionUpdate is the body of PATCH /v4/sessions/{sessionId}.
type SessionUpdate struct {
	Resuming Optional[bool]  `json:"resuming,omitzero"`
	Timeout  Optional[int64] `json:"timeout,omitzero"` // seconds
}

// Session is the response of PATCH /v4/sessions/{sessionId}.
type Session struct {
	Resuming bool  `json:"resuming"`
	Timeout  int64 `json:"timeout"` // seconds
}

// DefaultSessionTimeout is the resume timeout of a new session, in seconds.
const DefaultSessionTimeout = 60
