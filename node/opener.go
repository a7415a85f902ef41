package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/audionode/audionode/node/audio"
	"github.com/audionode/audionode/node/dsp"
	"github.com/audionode/audionode/node/lavalink"
	"github.com/audionode/audionode/node/media"
	"github.com/audionode/audionode/node/opus"
	"github.com/audionode/audionode/node/settings"
	"github.com/audionode/audionode/node/source"
)

// mediaOpener turns a loaded track into a playing media.Stream: the source
// loader gives the bytes (local file, or HTTP with Range requests for seeks),
// the media package decodes and encodes them.
type mediaOpener struct {
	loader *source.Loader
	opts   media.Options
}

func newMediaOpener(l *source.Loader, cfg settings.Settings) *mediaOpener {
	opts := media.DefaultOptions()
	opts.ResamplingQuality = dsp.ParseQuality(cfg.Lavalink.ResamplingQuality)
	opts.Encoder = opus.DefaultEncoderOptions()
	opts.Encoder.Complexity = opus.ComplexityFromQuality(cfg.Lavalink.OpusEncodingQuality)
	return &mediaOpener{loader: l, opts: opts}
}

// Open starts t at pos. The returned stream owns its reader and the context
// bounding remote reads; Close releases both.
func (o *mediaOpener) Open(_ context.Context, t lavalink.Track, pos time.Duration) (audio.TrackStream, error) {
	// Remote reads live as long as the track, not the PATCH that started it.
	ctx, cancel := context.WithCancel(context.Background())
	rc, size, err := o.loader.Open(ctx, t.Info, 0)
	if err != nil {
		cancel()
		return nil, err
	}
	var r io.ReadCloser = rc
	if _, ok := rc.(io.ReadSeeker); !ok && size > 0 && t.Info.SourceName == "http" {
		// Seekable over HTTP Range requests; the first response is reused.
		first := rc
		r = media.NewRangeReader(size, func(off int64) (io.ReadCloser, error) {
			if first != nil && off == 0 {
				b := first
				first = nil
				return b, nil
			}
			if first != nil {
				_ = first.Close()
				first = nil
			}
			body, _, err := o.loader.Open(ctx, t.Info, off)
			return body, err
		})
	}
	s, err := media.Open(ctx, r, o.opts)
	if err != nil {
		_ = r.Close()
		cancel()
		return nil, err
	}
	// The stream owns r now and closes it; cancel ends remote reads.
	ts := &trackStream{Stream: s, abort: cancel, closeIn: cancel}
	if pos > 0 {
		if err := s.Seek(pos); err != nil && !errors.Is(err, audio.ErrNotSeekable) {
			_ = ts.Close()
			return nil, fmt.Errorf("seek to %v: %w", pos, err)
		}
	}
	return ts, nil
}

// trackStream adds the player's Adjustable contract and closes the input.
type trackStream struct {
	*media.Stream
	abort   context.CancelFunc
	closeIn func()
}

// Abort cancels remote reads so a producer blocked in one returns at once.
func (s *trackStream) Abort() { s.abort() }

// SetFilters applies the filters with the player volume.
func (s *trackStream) SetFilters(f lavalink.Filters, volume int) error {
	s.Stream.SetVolume(volume)
	return s.Stream.SetFilters(f)
}

func (s *trackStream) Close() error {
	err := s.Stream.Close()
	s.closeIn()
	return err
}

// validateFilters range-checks filters at PATCH time so bad values are a
// 400 naming the field instead of broken playback.
func validateFilters(f lavalink.Filters) error { return f.Validate() }
