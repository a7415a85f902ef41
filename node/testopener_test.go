package node

import (
	"context"
	"io"
	"math"
	"sync/atomic"
	"time"

	"github.com/audionode/audionode/node/audio"
	"github.com/audionode/audionode/node/lavalink"
	"github.com/audionode/audionode/node/opus"
)

// toneOpener plays every track as a real Opus stream of 440 Hz (left) and
// 1000 Hz (right) at -12 dBFS scaled by the player volume, as long as the
// track's length. It stands in for the media pipeline so these tests
// exercise the server, player, scheduler and voice path on their own.
type toneOpener struct {
	opened atomic.Int64
	fail   atomic.Bool // Open fails (load failure path)
}

func (o *toneOpener) Open(_ context.Context, t lavalink.Track, pos time.Duration) (audio.TrackStream, error) {
	o.opened.Add(1)
	if o.fail.Load() {
		return nil, io.ErrUnexpectedEOF
	}
	enc, err := opus.NewEncoder(audio.SampleRate, audio.Channels, opus.DefaultEncoderOptions())
	if err != nil {
		return nil, err
	}
	total := int64(math.MaxInt64)
	if !t.Info.IsStream {
		total = t.Info.Length * 48
	}
	return &toneStream{enc: enc, sample: pos.Milliseconds() * 48, total: total, gain: 1, pcm: make([]int16, audio.FrameSamples*2)}, nil
}

type toneStream struct {
	enc    *opus.Encoder
	sample int64 // per channel
	total  int64
	gain   float64
	pcm    []int16
}

func (s *toneStream) ReadFrame(dst []byte) (int, error) {
	if s.sample >= s.total {
		return 0, io.EOF
	}
	amp := math.Pow(10, -12.0/20) * 32767 * s.gain
	for i := range audio.FrameSamples {
		t := float64(s.sample+int64(i)) / audio.SampleRate
		s.pcm[2*i] = int16(amp * math.Sin(2*math.Pi*440*t))
		s.pcm[2*i+1] = int16(amp * math.Sin(2*math.Pi*1000*t))
	}
	s.sample += audio.FrameSamples
	return s.enc.Encode(s.pcm, dst)
}

func (s *toneStream) Seek(pos time.Duration) error {
	s.sample = pos.Milliseconds() * 48
	return nil
}

func (s *toneStream) SetFilters(_ lavalink.Filters, volume int) error {
	s.gain = float64(volume) / 100
	return nil
}

func (s *toneStream) Close() error { return s.enc.Close() }
