package voice

import (
	"encoding/json"
	"log/slog"

	"github.com/audionode/audionode/node/sched"
)

// action is what the connection does after its gateway socket ends.
type action int

const (
	actResume   action = iota // reopen and send op 7
	actIdentify               // reopen and identify afresh (at most once)
	actGiveUp                 // report to the client and stop
)

// closeAction is the close-code table of discord-voice.md §1.5.
func closeAction(code int) action {
	switch {
	case code < 4000, code == 4000, code == 4015:
		return actResume
	case code == 4001, code == 4002, code == 4003, code == 4005, code == 4009:
		return actIdentify
	default:
		// 4004 bad token, 4006 session invalid, 4011 server not found,
		// 4012 unknown protocol, 4014 disconnected, 4016 unknown mode,
		// 4017 DAVE required, 4020 bad request, 4021 rate limited, 4022
		// call terminated, and anything unknown: a retry cannot help.
		return actGiveUp
	}
}

// CloseError is the gateway's close as an error: Connect returns it
// (wrapped) when the server refuses the handshake.
type CloseError struct {
	Code     int
	Reason   string
	ByRemote bool
}

func (e *CloseError) Error() string {
	return "voice: gateway closed " + itoa(e.Code) + " " + e.Reason
}

func itoa(v int) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// GatewaySender lets a DAVE session talk back to the voice gateway.
type GatewaySender interface {
	SendJSON(op int, d any) error
	// SendBinary sends [op][payload] as a binary frame.
	SendBinary(op byte, payload []byte) error
}

// DAVEParams are what a DAVE session needs to know about its connection.
type DAVEParams struct {
	GuildID, UserID, ChannelID string
	Gateway                    GatewaySender
	Logger                     *slog.Logger
}

// DAVESession is the seam for end-to-end encryption. The voice connection
// calls it from its gateway goroutine; TransformFrame (the frame
// encryptor) is called from a scheduler shard and must not block or
// allocate. Without a DAVE session the node identifies with
// max_dave_protocol_version 0 and sends frames as they are.
type DAVESession interface {
	sched.FrameTransformer
	// MaxProtocolVersion goes into Identify.
	MaxProtocolVersion() int
	// SessionDescription reports op 4's dave_protocol_version.
	SessionDescription(version int)
	// HandleJSON receives ops 11, 13 and 21–24 (and unknown JSON ops).
	HandleJSON(op int, d json.RawMessage)
	// HandleBinary receives binary ops 25, 27, 29, 30 (after seq and op).
	HandleBinary(op byte, payload []byte)
	// Reset forgets all state before a fresh Identify.
	Reset()
	// Close releases the session; called once when the connection closes.
	Close()
}

func (a action) String() string {
	switch a {
	case actResume:
		return "resume"
	case actIdentify:
		return "identify"
	}
	return "give up"
}
