// Package audio holds the constants and the small contracts shared by the
// parts of the audio path: the player (which produces frames), the media
// pipeline (which decodes and encodes them) and the send scheduler (which
// pulls one frame per player every 20 ms).
package audio

import (
	"context"
	"errors"
	"time"
)

// The format Discord voice carries: 48 kHz stereo Opus in 20 ms frames.
const (
	SampleRate    = 48000
	Channels      = 2
	FrameDuration = 20 * time.Millisecond
	FrameSamples  = SampleRate / 50 // samples per channel in one frame (960)
	// MaxOpusFrame bounds one encoded frame; libopus never produces more
	// than 1275 bytes per frame, and RTP buffers are sized from this.
	MaxOpusFrame = 1276
)

// FrameSource yields encoded 20 ms Opus frames. The send scheduler calls
// ReadFrame once per tick from its shard goroutine; implementations must not
// block, lock or allocate there.
type FrameSource interface {
	// ReadFrame copies the next frame into dst (len(dst) >= MaxOpusFrame) and
	// returns its length. ok is false when no frame is ready (paused, buffer
	// underrun, or nothing playing); the scheduler then counts a nulled frame
	// or sends silence as the voice rules require.
	ReadFrame(dst []byte) (n int, ok bool)
}

// SilenceFrame is the Opus frame Discord expects when audio stops
// (five of them, then speaking 0).
var SilenceFrame = [3]byte{0xF8, 0xFF, 0xFE}

// TrackStream is a playing track as the player sees it: a source of 20 ms
// Opus frames produced by the media pipeline (decode → resample → filters →
// encode, or Opus passthrough). It is used by one goroutine at a time (the
// player's producer), never by the send scheduler directly.
type TrackStream interface {
	// ReadFrame writes the next 20 ms Opus frame into dst
	// (len(dst) >= MaxOpusFrame) and returns its length; io.EOF at the end.
	ReadFrame(dst []byte) (int, error)
	// Seek moves to pos; it returns an error wrapping ErrNotSeekable for streams.
	Seek(pos time.Duration) error
	// Close releases the source (files, connections) and is idempotent.
	Close() error
}

// ErrNotSeekable is wrapped by TrackStream.Seek on live streams.
var ErrNotSeekable = errors.New("track is not seekable")

// VoiceState is what a Lavalink client sends in a player PATCH's "voice"
// object, plus the ids the node knows from the session and the path.
type VoiceState struct {
	GuildID   string
	UserID    string
	ChannelID string
	SessionID string
	Token     string
	Endpoint  string
}

// VoiceClose describes why a voice connection ended, for the client's
// WebSocketClosedEvent.
type VoiceClose struct {
	Code     int
	Reason   string
	ByRemote bool
}

// VoiceConnector opens voice connections to Discord. The voice engine
// implements it; the player calls Connect when a PATCH brings voice details.
type VoiceConnector interface {
	// Connect performs the voice handshake (bounded by ctx) and starts
	// sending frames pulled from src on the shared scheduler. onClose is
	// called at most once per unrecoverable close, from a voice goroutine;
	// it must not block.
	Connect(ctx context.Context, st VoiceState, src FrameSource, onClose func(VoiceClose)) (VoiceConn, error)
}

// VoiceConn is one live voice connection, owned by one player.
type VoiceConn interface {
	Connected() bool
	Ping() time.Duration // gateway heartbeat round trip; -1 when unknown
	// Frames reports frames sent and frames nulled (nothing to send) so far.
	Frames() (sent, nulled uint64)
	// Close sends no more audio, closes the gateway and UDP socket and waits
	// for every goroutine of the connection. Idempotent.
	Close() error
}
