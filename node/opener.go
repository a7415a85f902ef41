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
func (o *mediaOpener) Open(openCtx context.Context, t lavalink.Track, pos time.Duration) (audio.TrackStream, error) {
	// Remote reads live as long as the track, not the PATCH that started it;
	// while opening (playlists, an HLS master), the PATCH can still end them.
	ctx, cancel := context.WithCancel(context.Background())
	defer context.AfterFunc(openCtx, cancel)()
	m, err := o.loader.OpenMedia(ctx, t.Info, pos)
	if err != nil {
		cancel()
		return nil, err
	}
	if m.HLS {
		return o.openHLS(ctx, cancel, t, m, pos)
	}
	r := m.Body
	if m.Range != nil {
		// Seekable over HTTP Range requests; the first response is reused.
		first := m.Body
		r = media.NewRangeReader(m.Size, func(off int64) (io.ReadCloser, error) {
			if first != nil && off == 0 {
				b := first
				first = nil
				return b, nil
			}
			if first != nil {
				_ = first.Close()
				first = nil
			}
			return m.Range(off)
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

// openHLS starts an HLS stream. Its bytes begin at a segment boundary, so
// the decoder drops the audio up to pos; a seek opens the playlist again
// at the segment that holds the target.
func (o *mediaOpener) openHLS(ctx context.Context, cancel context.CancelFunc, t lavalink.Track, m source.Media, pos time.Duration) (audio.TrackStream, error) {
	h := &hlsStream{o: o, ctx: ctx, cancel: cancel, info: t.Info, seekable: m.Seekable(), length: m.Length, opts: o.opts}
	if err := h.start(m, pos); err != nil {
		cancel()
		return nil, err
	}
	return h, nil
}

// hlsStream is a playing HLS track: a media.Stream over the segment bytes,
// replaced on every seek, and at every EXT-X-DISCONTINUITY (where the
// encoding may change) by one with a fresh decoder on the same reader.
type hlsStream struct {
	o        *mediaOpener
	ctx      context.Context
	cancel   context.CancelFunc
	info     lavalink.TrackInfo
	seekable bool
	length   time.Duration
	opts     media.Options // with the filters and volume in force, for a reopen
	s        *media.Stream
	body     io.ReadCloser // owned here: each media.Stream reads a part of it
	resume   func() bool
}

func (h *hlsStream) start(m source.Media, pos time.Duration) error {
	opts := h.opts
	opts.Offset = m.Start
	opts.Skip = max(pos-m.Start, 0)
	if m.Start == 0 && !h.seekable {
		opts.Skip = 0 // live: the stream starts at its live edge
	}
	s, err := media.Open(h.ctx, struct{ io.Reader }{m.Body}, opts)
	if err != nil {
		_ = m.Body.Close()
		return err
	}
	h.closeMedia()
	h.s, h.body, h.resume = s, m.Body, m.Resume
	return nil
}

func (h *hlsStream) closeMedia() {
	if h.s != nil {
		_ = h.s.Close()
		_ = h.body.Close()
	}
}

func (h *hlsStream) ReadFrame(dst []byte) (int, error) {
	n, err := h.s.ReadFrame(dst)
	for err == io.EOF && h.resume != nil && h.resume() {
		opts := h.opts
		opts.Offset = h.s.Position()
		s, oerr := media.Open(h.ctx, struct{ io.Reader }{h.body}, opts)
		if oerr != nil {
			return 0, fmt.Errorf("hls: after a discontinuity: %w", oerr)
		}
		_ = h.s.Close()
		h.s = s
		n, err = h.s.ReadFrame(dst)
	}
	return n, err
}

// Seek opens the playlist again at pos (VOD only).
func (h *hlsStream) Seek(pos time.Duration) error {
	if !h.seekable {
		return fmt.Errorf("hls: %w", audio.ErrNotSeekable)
	}
	pos = min(max(pos, 0), h.length)
	m, err := h.o.loader.OpenMedia(h.ctx, h.info, pos)
	if err != nil {
		return err
	}
	if !m.HLS {
		_ = m.Body.Close()
		return fmt.Errorf("hls: %s is no longer an HLS playlist", h.info.Identifier)
	}
	return h.start(m, pos)
}

// SetFilters applies the filters with the player volume, and keeps them
// for the stream a seek opens.
func (h *hlsStream) SetFilters(f lavalink.Filters, volume int) error {
	if err := h.s.SetFilters(f); err != nil {
		return err
	}
	h.s.SetVolume(volume)
	h.opts.Filters, h.opts.Volume = f, volume
	return nil
}

// Abort cancels remote reads so a producer blocked in one returns at once.
func (h *hlsStream) Abort() { h.cancel() }

// Passthrough reports whether the last frame was a source packet passed on.
func (h *hlsStream) Passthrough() bool { return h.s.Passthrough() }

func (h *hlsStream) Close() error {
	err := h.s.Close()
	_ = h.body.Close()
	h.cancel()
	return err
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
