// Package audio holds the constants and the small contracts shared by the
// parts of the audio path: the player (which produces frames), the media
// pipeline (which decodes and encodes them) and the send scheduler (which
// pulls one frame per player every 20 ms).
package audio

import "time"

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
