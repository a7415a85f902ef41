package lavalink

import (
	"encoding/json"
	"fmt"
)

// Op is the "op" of a WebSocket message.
type Op string

// The server → client ops.
const (
	OpReady        Op = "ready"
	OpPlayerUpdate Op = "playerUpdate"
	OpStats        Op = "stats"
	OpEvent        Op = "event"
)

// EventType is the "type" of an event message.
type EventType string

// The five event types.
const (
	EventTrackStart      EventType = "TrackStartEvent"
	EventTrackEnd        EventType = "TrackEndEvent"
	EventTrackException  EventType = "TrackExceptionEvent"
	EventTrackStuck      EventType = "TrackStuckEvent"
	EventWebSocketClosed EventType = "WebSocketClosedEvent"
)

// Message is any server → client WebSocket message. Each implementation
// marshals with its "op" (and "type" for events) included.
type Message interface {
	Op() Op
}

// Event is a message with op "event".
type Event interface {
	Message
	Type() EventType
	Guild() string
}

// ReadyMessage is sent once per (re)connection.
type ReadyMessage struct {
	Resumed   bool
	SessionID string
}

// Op returns OpReady.
func (ReadyMessage) Op() Op { return OpReady }

// MarshalJSON writes {"op":"ready","resumed":…,"sessionId":…}.
func (m ReadyMessage) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Op        Op     `json:"op"`
		Resumed   bool   `json:"resumed"`
		SessionID string `json:"sessionId"`
	}{OpReady, m.Resumed, m.SessionID})
}

// PlayerUpdateMessage carries a player's state.
type PlayerUpdateMessage struct {
	GuildID string
	State   PlayerState
}

// Op returns OpPlayerUpdate.
func (PlayerUpdateMessage) Op() Op { return OpPlayerUpdate }

// MarshalJSON writes {"op":"playerUpdate","state":…,"guildId":…}.
func (m PlayerUpdateMessage) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Op      Op          `json:"op"`
		State   PlayerState `json:"state"`
		GuildID string      `json:"guildId"`
	}{OpPlayerUpdate, m.State, m.GuildID})
}

// StatsMessage is the periodic stats message. FrameStats is written as null
// when nil (unlike GET /v4/stats, which omits it).
type StatsMessage struct {
	Stats
	FrameStats *FrameStats
}

// Op returns OpStats.
func (StatsMessage) Op() Op { return OpStats }

// MarshalJSON writes {"op":"stats","frameStats":…,"players":…,…}.
func (m StatsMessage) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Op         Op          `json:"op"`
		FrameStats *FrameStats `json:"frameStats"`
		Stats
	}{OpStats, m.FrameStats, m.Stats})
}

// TrackEndReason says why a track ended.
type TrackEndReason string

// The end reasons.
const (
	EndFinished   TrackEndReason = "finished"
	EndLoadFailed TrackEndReason = "loadFailed"
	EndStopped    TrackEndReason = "stopped"
	EndReplaced   TrackEndReason = "replaced"
	EndCleanup    TrackEndReason = "cleanup"
)

// MayStartNext reports whether a client should start the next queued track
// (true for finished and loadFailed). It is not on the wire.
func (r TrackEndReason) MayStartNext() bool { return r == EndFinished || r == EndLoadFailed }

// TrackStartEvent is sent when a track starts (before any audio).
type TrackStartEvent struct {
	GuildID string
	Track   Track
}

// TrackEndEvent is sent when a track ends.
type TrackEndEvent struct {
	GuildID string
	Track   Track
	Reason  TrackEndReason
}

// TrackExceptionEvent is sent when a track fails (before its TrackEndEvent).
type TrackExceptionEvent struct {
	GuildID   string
	Track     Track
	Exception Exception
}

// TrackStuckEvent is sent when a playing track produced no audio for
// ThresholdMs; the track keeps going.
type TrackStuckEvent struct {
	GuildID     string
	Track       Track
	ThresholdMs int64
}

// WebSocketClosedEvent reports the Discord voice WebSocket closing.
type WebSocketClosedEvent struct {
	GuildID  string
	Code     int    // Discord voice close code
	Reason   string // "" if none
	ByRemote bool
}

// Op returns OpEvent.
func (TrackStartEvent) Op() Op      { return OpEvent }
func (TrackEndEvent) Op() Op        { return OpEvent }
func (TrackExceptionEvent) Op() Op  { return OpEvent }
func (TrackStuckEvent) Op() Op      { return OpEvent }
func (WebSocketClosedEvent) Op() Op { return OpEvent }

// Type returns the event type.
func (TrackStartEvent) Type() EventType      { return EventTrackStart }
func (TrackEndEvent) Type() EventType        { return EventTrackEnd }
func (TrackExceptionEvent) Type() EventType  { return EventTrackException }
func (TrackStuckEvent) Type() EventType      { return EventTrackStuck }
func (WebSocketClosedEvent) Type() EventType { return EventWebSocketClosed }

// Guild returns the guild id.
func (e TrackStartEvent) Guild() string      { return e.GuildID }
func (e TrackEndEvent) Guild() string        { return e.GuildID }
func (e TrackExceptionEvent) Guild() string  { return e.GuildID }
func (e TrackStuckEvent) Guild() string      { return e.GuildID }
func (e WebSocketClosedEvent) Guild() string { return e.GuildID }

type eventHead struct {
	Op      Op        `json:"op"`
	Type    EventType `json:"type"`
	GuildID string    `json:"guildId"`
}

// MarshalJSON writes {"op":"event","type":"TrackStartEvent","guildId":…,"track":…}.
func (e TrackStartEvent) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		eventHead
		Track Track `json:"track"`
	}{eventHead{OpEvent, EventTrackStart, e.GuildID}, e.Track})
}

// MarshalJSON writes {"op":"event","type":"TrackEndEvent","guildId":…,"track":…,"reason":…}.
func (e TrackEndEvent) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		eventHead
		Track  Track          `json:"track"`
		Reason TrackEndReason `json:"reason"`
	}{eventHead{OpEvent, EventTrackEnd, e.GuildID}, e.Track, e.Reason})
}

// MarshalJSON writes {"op":"event","type":"TrackExceptionEvent","guildId":…,"track":…,"exception":…}.
func (e TrackExceptionEvent) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		eventHead
		Track     Track     `json:"track"`
		Exception Exception `json:"exception"`
	}{eventHead{OpEvent, EventTrackException, e.GuildID}, e.Track, e.Exception})
}

// MarshalJSON writes {"op":"event","type":"TrackStuckEvent","guildId":…,"track":…,"thresholdMs":…}.
func (e TrackStuckEvent) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		eventHead
		Track       Track `json:"track"`
		ThresholdMs int64 `json:"thresholdMs"`
	}{eventHead{OpEvent, EventTrackStuck, e.GuildID}, e.Track, e.ThresholdMs})
}

// MarshalJSON writes {"op":"event","type":"WebSocketClosedEvent","guildId":…,"code":…,"reason":…,"byRemote":…}.
func (e WebSocketClosedEvent) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		eventHead
		Code     int    `json:"code"`
		Reason   string `json:"reason"`
		ByRemote bool   `json:"byRemote"`
	}{eventHead{OpEvent, EventWebSocketClosed, e.GuildID}, e.Code, e.Reason, e.ByRemote})
}

// ParseMessage decodes one server → client WebSocket frame into the matching
// Message type (used by tests and Go clients). Unknown ops or event types
// return an error wrapping ErrUnknownMessage.
func ParseMessage(b []byte) (Message, error) {
	var head struct {
		Op        Op              `json:"op"`
		Type      EventType       `json:"type"`
		GuildID   string          `json:"guildId"`
		Resumed   bool            `json:"resumed"`
		SessionID string          `json:"sessionId"`
		State     PlayerState     `json:"state"`
		Track     Track           `json:"track"`
		Reason    json.RawMessage `json:"reason"`
		Exception Exception       `json:"exception"`
		Threshold int64           `json:"thresholdMs"`
		Code      int             `json:"code"`
		ByRemote  bool            `json:"byRemote"`
		Frame     *FrameStats     `json:"frameStats"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, err
	}
	switch head.Op {
	case OpReady:
		return ReadyMessage{Resumed: head.Resumed, SessionID: head.SessionID}, nil
	case OpPlayerUpdate:
		return PlayerUpdateMessage{GuildID: head.GuildID, State: head.State}, nil
	case OpStats:
		var s Stats
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, err
		}
		return StatsMessage{Stats: s, FrameStats: head.Frame}, nil
	case OpEvent:
		var reason string
		if len(head.Reason) > 0 {
			if err := json.Unmarshal(head.Reason, &reason); err != nil {
				return nil, err
			}
		}
		switch head.Type {
		case EventTrackStart:
			return TrackStartEvent{GuildID: head.GuildID, Track: head.Track}, nil
		case EventTrackEnd:
			return TrackEndEvent{GuildID: head.GuildID, Track: head.Track, Reason: TrackEndReason(reason)}, nil
		case EventTrackException:
			return TrackExceptionEvent{GuildID: head.GuildID, Track: head.Track, Exception: head.Exception}, nil
		case EventTrackStuck:
			return TrackStuckEvent{GuildID: head.GuildID, Track: head.Track, ThresholdMs: head.Threshold}, nil
		case EventWebSocketClosed:
			return WebSocketClosedEvent{GuildID: head.GuildID, Code: head.Code, Reason: reason, ByRemote: head.ByRemote}, nil
		}
		return nil, fmt.Errorf("%w: event type %q", ErrUnknownMessage, head.Type)
	}
	return nil, fmt.Errorf("%w: op %q", ErrUnknownMessage, head.Op)
}
