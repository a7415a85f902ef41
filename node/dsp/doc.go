// Package dsp is the PCM half of the audio path: a windowed-sinc polyphase
// resampler with a variable ratio (to 48 kHz, and for timescale.rate), the
// ten Lavalink filters with lavadsp's semantics and order, and the player
// volume (0–1000 %) with lavaplayer's curve and clipping.
//
// All processing is on interleaved stereo float32 at 48 kHz (int16
// wrappers are provided), in caller-owned buffers, and allocates nothing
// in steady state. A Chain is owned by one goroutine (the player's
// producer); it is not safe for concurrent use. Parameter changes arrive
// through Chain.Update, which crossfades from the old settings to the new
// ones over one 20 ms frame so that a PATCH never clicks.
package dsp
