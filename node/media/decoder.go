package media

// pcmDecoder yields interleaved stereo float32 PCM at its native rate.
type pcmDecoder interface {
	rate() int
	// read fills dst (an even length) with stereo samples and returns how
	// many it wrote (even); io.EOF at the end, possibly with n > 0.
	read(dst []float32) (int, error)
	// seek moves to the frame (sample per channel) nearest at or before
	// frame and returns the frame reached.
	seek(frame int64) (int64, error)
	// frames is the total length in frames, -1 when unknown.
	frames() int64
}

// packetSource yields Opus packets (48 kHz timeline) from a container.
type packetSource interface {
	// next returns the next packet (valid until the following call) and
	// its start on the granule timeline (pre-skip included).
	next() (pkt []byte, start int64, err error)
	// seek positions before a packet that starts at or before granule and
	// returns that packet's start.
	seek(granule int64) (int64, error)
	preSkip() int
	// end is the granule of the last sample, -1 when unknown.
	end() int64
}
