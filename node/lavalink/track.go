package lavalink

import (
	"encoding/json"
	"fmt"
)

// Track is a playable track as the API shows it.
type Track struct {
	Encoded    string    `json:"encoded"` // base64 lavaplayer message, see DecodeTrack
	Info       TrackInfo `json:"info"`
	PluginInfo Object    `json:"pluginInfo"` // always written; {} when empty
	UserData   Object    `json:"userData"`   // set by the client via PATCH; not part of Encoded
}

// TrackInfo is the metadata of a track, in the reference's field order.
type TrackInfo struct {
	Identifier string  `json:"identifier"`
	IsSeekable bool    `json:"isSeekable"`
	Author     string  `json:"author"`
	Length     int64   `json:"length"` // ms; StreamLength for streams
	IsStream   bool    `json:"isStream"`
	Position   int64   `json:"position"` // ms
	Title      string  `json:"title"`
	URI        *string `json:"uri"`
	SourceName string  `json:"sourceName"`
	ArtworkURL *string `json:"artworkUrl"`
	ISRC       *string `json:"isrc"`
}

// StreamLength is the length the reference reports for live streams
// (Java's Long.MAX_VALUE).
const StreamLength int64 = 1<<63 - 1

// PlaylistInfo describes a loaded playlist.
type PlaylistInfo struct {
	Name          string `json:"name"`
	SelectedTrack int    `json:"selectedTrack"` // -1 when none
}

// Playlist is the data of a "playlist" load result.
type Playlist struct {
	Info       PlaylistInfo `json:"info"`
	PluginInfo Object       `json:"pluginInfo"`
	Tracks     []Track      `json:"tracks"`
}

// MarshalJSON writes tracks as [] rather than null when there are none.
func (p Playlist) MarshalJSON() ([]byte, error) {
	type plain Playlist
	if p.Tracks == nil {
		p.Tracks = []Track{}
	}
	return json.Marshal(plain(p))
}

// Severity classifies an Exception.
type Severity string

// The severities of lavaplayer's FriendlyException.
const (
	// SeverityCommon is a known, expected cause (not found, unsupported, …).
	SeverityCommon Severity = "common"
	// SeveritySuspicious is probably an external cause, such as an unexpected
	// upstream format.
	SeveritySuspicious Severity = "suspicious"
	// SeverityFault is an unknown cause or a bug.
	SeverityFault Severity = "fault"
)

// Exception is a track or load failure (TrackExceptionEvent.exception and
// the data of an "error" load result).
type Exception struct {
	Message         *string  `json:"message"` // user-facing message; null when none
	Severity        Severity `json:"severity"`
	Cause           string   `json:"cause"`           // root cause as text
	CauseStackTrace string   `json:"causeStackTrace"` // stack or error chain text
}

// NewException builds an Exception with a message.
func NewException(message string, sev Severity, cause error) Exception {
	e := Exception{Message: &message, Severity: sev}
	if cause != nil {
		e.Cause = cause.Error()
		e.CauseStackTrace = errorChain(cause)
	}
	return e
}

// errorChain renders the wrapped chain one error per line, the closest we
// have to a Java stack trace.
func errorChain(err error) string {
	s := ""
	for i := 0; err != nil && i < 32; i++ {
		if i > 0 {
			s += "Caused by: "
		}
		s += fmt.Sprintf("%s\n", err.Error())
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			break
		}
		err = u.Unwrap()
	}
	return s
}

// LoadType is the discriminator of a LoadResult.
type LoadType string

// The five load types.
const (
	LoadTypeTrack    LoadType = "track"
	LoadTypePlaylist LoadType = "playlist"
	LoadTypeSearch   LoadType = "search"
	LoadTypeEmpty    LoadType = "empty"
	LoadTypeError    LoadType = "error"
)

// LoadResult is the body of GET /v4/loadtracks. Exactly one of the data
// fields matching LoadType is used: Track, Playlist, Tracks (search),
// Exception (error); "empty" has data null.
type LoadResult struct {
	LoadType  LoadType
	Track     *Track
	Playlist  *Playlist
	Tracks    []Track
	Exception *Exception
}

// TrackResult returns a "track" result.
func TrackResult(t Track) LoadResult { return LoadResult{LoadType: LoadTypeTrack, Track: &t} }

// PlaylistResult returns a "playlist" result.
func PlaylistResult(p Playlist) LoadResult {
	return LoadResult{LoadType: LoadTypePlaylist, Playlist: &p}
}

// SearchResult returns a "search" result.
func SearchResult(tracks []Track) LoadResult {
	return LoadResult{LoadType: LoadTypeSearch, Tracks: tracks}
}

// EmptyResult returns an "empty" result (data null).
func EmptyResult() LoadResult { return LoadResult{LoadType: LoadTypeEmpty} }

// ErrorResult returns an "error" result.
func ErrorResult(e Exception) LoadResult {
	return LoadResult{LoadType: LoadTypeError, Exception: &e}
}

type loadResultJSON struct {
	LoadType LoadType        `json:"loadType"`
	Data     json.RawMessage `json:"data"`
}

// MarshalJSON writes {"loadType":…,"data":…}.
func (r LoadResult) MarshalJSON() ([]byte, error) {
	var data any
	switch r.LoadType {
	case LoadTypeTrack:
		data = r.Track
	case LoadTypePlaylist:
		data = r.Playlist
	case LoadTypeSearch:
		if r.Tracks == nil {
			data = []Track{}
		} else {
			data = r.Tracks
		}
	case LoadTypeError:
		data = r.Exception
	case LoadTypeEmpty:
		data = nil
	default:
		return nil, fmt.Errorf("lavalink: unknown load type %q", r.LoadType)
	}
	b, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	return json.Marshal(loadResultJSON{LoadType: r.LoadType, Data: b})
}

// UnmarshalJSON reads a load result; "empty" accepts null or {}.
func (r *LoadResult) UnmarshalJSON(b []byte) error {
	var raw loadResultJSON
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := LoadResult{LoadType: raw.LoadType}
	var err error
	switch raw.LoadType {
	case LoadTypeTrack:
		out.Track = new(Track)
		err = json.Unmarshal(raw.Data, out.Track)
	case LoadTypePlaylist:
		out.Playlist = new(Playlist)
		err = json.Unmarshal(raw.Data, out.Playlist)
	case LoadTypeSearch:
		err = json.Unmarshal(raw.Data, &out.Tracks)
	case LoadTypeError:
		out.Exception = new(Exception)
		err = json.Unmarshal(raw.Data, out.Exception)
	case LoadTypeEmpty:
	default:
		return fmt.Errorf("%w: loadType %q", ErrUnknownMessage, raw.LoadType)
	}
	if err != nil {
		return err
	}
	*r = out
	return nil
}
