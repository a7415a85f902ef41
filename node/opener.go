package node

import (
	"context"
	"encoding/json"
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
	var r io.Reader = rc
	if _, ok := rc.(io.ReadSeeker); !ok && size > 0 && t.Info.SourceName == "http" {
		r = &rangeReader{ctx: ctx, loader: o.loader, info: t.Info, size: size, rc: rc}
	}
	s, err := media.Open(ctx, r, o.opts)
	if err != nil {
		closeReader(r, rc)
		cancel()
		return nil, err
	}
	ts := &trackStream{Stream: s, abort: cancel, closeIn: func() { closeReader(r, rc); cancel() }}
	if pos > 0 {
		if err := s.Seek(pos); err != nil && !errors.Is(err, audio.ErrNotSeekable) {
			_ = ts.Close()
			return nil, fmt.Errorf("seek to %v: %w", pos, err)
		}
	}
	return ts, nil
}

func closeReader(r io.Reader, rc io.ReadCloser) {
	if c, ok := r.(io.Closer); ok && r != io.Reader(rc) {
		_ = c.Close()
		return
	}
	_ = rc.Close()
}

// trackStream adds the player's Adjustable contract and closes the input.
type trackStream struct {
	*media.Stream
	abort   context.CancelFunc
	closeIn func()
}

// Abort cancels remote reads so a producer blocked in one returns at once.
func (s *trackStream) Abort() { s.abort() }

// SetFilters converts the Lavalink filters to the DSP chain's model (same
// JSON field names) and applies them with the player volume.
func (s *trackStream) SetFilters(f lavalink.Filters, volume int) error {
	df, err := toDSP(f)
	if err != nil {
		return err
	}
	s.Stream.SetVolume(volume)
	return s.Stream.SetFilters(df)
}

func (s *trackStream) Close() error {
	err := s.Stream.Close()
	s.closeIn()
	return err
}

// toDSP maps wire filters to dsp.Filters; the two share Lavalink's field names.
func toDSP(f lavalink.Filters) (dsp.Filters, error) {
	var df dsp.Filters
	b, err := json.Marshal(f)
	if err != nil {
		return df, err
	}
	if err := json.Unmarshal(b, &df); err != nil {
		return df, err
	}
	return df, nil
}

// validateFilters range-checks filters at PATCH time so bad values are a
// 400 naming the field instead of broken playback.
func validateFilters(f lavalink.Filters) error {
	df, err := toDSP(f)
	if err != nil {
		return err
	}
	return df.Validate()
}

// rangeReader makes an HTTP track seekable by reopening it with a Range
// request at the new offset (lazily, on the next Read).
type rangeReader struct {
	ctx    context.Context
	loader *source.Loader
	info   lavalink.TrackInfo
	size   int64
	pos    int64
	rc     io.ReadCloser // nil after a seek until the next Read
}

func (r *rangeReader) Read(p []byte) (int, error) {
	if r.pos >= r.size {
		return 0, io.EOF
	}
	if r.rc == nil {
		rc, _, err := r.loader.Open(r.ctx, r.info, r.pos)
		if err != nil {
			return 0, err
		}
		r.rc = rc
	}
	n, err := r.rc.Read(p)
	r.pos += int64(n)
	return n, err
}

func (r *rangeReader) Seek(off int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = off
	case io.SeekCurrent:
		abs = r.pos + off
	case io.SeekEnd:
		abs = r.size + off
	}
	if abs < 0 {
		return 0, errors.New("negative position")
	}
	if abs != r.pos && r.rc != nil {
		_ = r.rc.Close()
		r.rc = nil
	}
	r.pos = abs
	return abs, nil
}

func (r *rangeReader) Close() error {
	if r.rc != nil {
		return r.rc.Close()
	}
	return nil
}
