package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/audionode/audionode/node/lavalink"
)

// maxEntryTries bounds how many entries of an M3U/PLS list are tried, at
// load and at playback, before the list counts as unplayable.
const maxEntryTries = 3

// Media is a track opened for playback by OpenMedia. The caller closes Body.
type Media struct {
	Body io.ReadCloser
	// Size is the length of Body in bytes, -1 when unknown (streams).
	Size int64
	// Range reopens the body at a byte offset (an HTTP file of known size,
	// for seeking); nil when that is not possible.
	Range func(off int64) (io.ReadCloser, error)
	// HLS marks an HLS stream. Body then begins at Start: the start of the
	// segment that contains the requested position (VOD), or the live edge
	// (0). Seeking means opening again at the new position.
	HLS   bool
	Start time.Duration
	// Length is an HLS VOD's duration (the sum of its EXTINF); -1 otherwise.
	Length time.Duration
	// Resume is set for HLS: after Body returned io.EOF it reports whether
	// the stream goes on after an EXT-X-DISCONTINUITY, where the encoding
	// may change (the caller then reads on with a fresh decoder).
	Resume func() bool
	// Title reports the current ICY StreamTitle; nil without ICY metadata.
	Title func() string
	// URL is what is finally played, after redirects and playlists.
	URL string
}

// Seekable reports whether the media can be opened at another position:
// a file of known size, or an HLS VOD.
func (m Media) Seekable() bool { return m.Range != nil || (m.HLS && m.Length >= 0) }

// OpenMedia opens a track for playback at pos. Positions only matter for
// HLS (other media seek in the decoder). Over HTTP it asks for ICY
// metadata and strips it, follows an M3U/PLS list to its first playable
// entry, and plays HLS playlists segment by segment. ctx bounds every
// request and read; cancelling it ends a blocked read at once.
func (l *Loader) OpenMedia(ctx context.Context, info lavalink.TrackInfo, pos time.Duration) (Media, error) {
	switch info.SourceName {
	case "local":
		rc, size, err := l.Open(ctx, info, 0)
		if err != nil {
			return Media{}, err
		}
		return Media{Body: rc, Size: size, Length: -1}, nil
	case "http":
		if !l.cfg.HTTP {
			return Media{}, ErrSourceDisabled
		}
		return l.openLink(ctx, httpURL(info.Identifier), max(pos, 0), 0, map[string]bool{})
	}
	return Media{}, fmt.Errorf("%w: %q", ErrSourceDisabled, info.SourceName)
}

func (l *Loader) openLink(ctx context.Context, link string, pos time.Duration, hop int, seen map[string]bool) (Media, error) {
	if hop > MaxRedirects || seen[link] {
		return Media{}, fmt.Errorf("%w: at %s", ErrPlaylistLoop, link)
	}
	seen[link] = true
	resp, body, err := l.get(ctx, link, "", true)
	if err != nil {
		return Media{}, err
	}
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		body.Close()
		return Media{}, fmt.Errorf("source: %s: status code %d", link, resp.StatusCode)
	}
	final := resp.Request.URL.String()
	if mi := resp.Header.Get("icy-metaint"); mi != "" {
		ir, err := newICYReader(body, mi, final)
		if err != nil {
			body.Close()
			return Media{}, err
		}
		ls := newLiveStream(ctx, ir, ir, l.reopenLive(ctx, final))
		return Media{Body: ls, Size: -1, Length: -1, Title: ls.Title, URL: final}, nil
	}
	br := bufio.NewReaderSize(body, 512)
	head, _ := br.Peek(64) // a short or failing body shows up on the first Read
	if !looksLikePlaylist(resp.Header.Get("Content-Type"), head) {
		m := Media{Body: readCloser{br, body}, Size: resp.ContentLength, Length: -1, URL: final}
		if m.Size > 0 {
			m.Range = func(off int64) (io.ReadCloser, error) {
				rc, _, err := l.openHTTP(ctx, final, off)
				return rc, err
			}
		} else {
			m.Body = newLiveStream(ctx, m.Body, nil, l.reopenLive(ctx, final))
		}
		return m, nil
	}
	b, err := io.ReadAll(io.LimitReader(br, maxPlaylistBytes+1))
	body.Close()
	if err != nil {
		return Media{}, err
	}
	if len(b) > maxPlaylistBytes {
		return Media{}, fmt.Errorf("%w: %s has more than %d bytes", ErrPlaylistTooLarge, final, maxPlaylistBytes)
	}
	if isHLS(b) {
		p, err := parseHLS(b, resp.Request.URL)
		if err != nil {
			return Media{}, err
		}
		p, mlink, err := l.mediaPlaylist(ctx, p, final)
		if err != nil {
			return Media{}, err
		}
		r, start, err := l.newHLSReader(ctx, p, mlink, pos)
		if err != nil {
			return Media{}, err
		}
		m := Media{Body: r, Size: -1, HLS: true, Start: start, Length: -1, URL: mlink, Resume: r.resume}
		if p.ended {
			m.Length = p.duration()
		}
		return m, nil
	}
	entries, err := playlistEntries(b)
	if err != nil {
		return Media{}, err
	}
	var errs []error
	for i, e := range entries {
		if i == maxEntryTries {
			break
		}
		m, err := l.openLink(ctx, httpURL(e.url), pos, hop+1, seen)
		if err == nil {
			return m, nil
		}
		if ctx.Err() != nil {
			return Media{}, err
		}
		errs = append(errs, err)
	}
	return Media{}, fmt.Errorf("%w: no playable entry in %s: %w", ErrBadPlaylist, final, errors.Join(errs...))
}

// looksLikePlaylist tells an M3U/PLS/HLS playlist from media by its
// content type or first bytes.
func looksLikePlaylist(contentType string, head []byte) bool {
	ct := strings.ToLower(contentType)
	if strings.Contains(ct, "mpegurl") || strings.Contains(ct, "scpls") {
		return true
	}
	h := bytes.TrimLeft(trimBOM(head), " \t\r\n")
	return bytes.HasPrefix(h, []byte("#EXTM3U")) || bytes.HasPrefix(h, []byte("#EXTINF")) || isPLS(h) || isPlainLinks(h)
}

// playlistEntries lists the links of an M3U or PLS playlist, with the
// same parsers the probe uses at load time.
func playlistEntries(b []byte) ([]entry, error) {
	var r probeResult
	var err error
	if isPLS(b) {
		err = parsePLS(b, &r)
	} else {
		err = parseM3U(b, &r)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadPlaylist, err)
	}
	if r.hls {
		return nil, fmt.Errorf("%w: HLS where a list of links was expected", ErrBadPlaylist)
	}
	return r.entries, nil
}

// loadHLS reads an HLS playlist whole at load time (the probe saw only
// its head), following a master playlist to its audio: a VOD gets its
// length and becomes seekable, a live one stays a stream.
func (l *Loader) loadHLS(ctx context.Context, link string, p *probeResult) error {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.ConnectTimeout+l.cfg.RequestTimeout+2*l.cfg.SocketTimeout)
	defer cancel()
	pl, _, err := l.loadPlaylist(ctx, link)
	if err != nil {
		return err
	}
	if pl.ended {
		if len(pl.segments) == 0 {
			return fmt.Errorf("%w: playlist without segments", ErrBadPlaylist)
		}
		p.stream = false
		p.length = pl.duration().Milliseconds()
	}
	return nil
}

// reopenLive requests a live stream again after its connection broke,
// stripping ICY metadata if the new answer carries it.
func (l *Loader) reopenLive(ctx context.Context, link string) func() (io.ReadCloser, *icyReader, error) {
	return func() (io.ReadCloser, *icyReader, error) {
		resp, body, err := l.get(ctx, link, "", true)
		if err != nil {
			return nil, nil, err
		}
		if resp.StatusCode < 200 || resp.StatusCode >= 300 {
			body.Close()
			return nil, nil, fmt.Errorf("source: %s: status code %d", link, resp.StatusCode)
		}
		if mi := resp.Header.Get("icy-metaint"); mi != "" {
			ir, err := newICYReader(body, mi, link)
			if err != nil {
				body.Close()
				return nil, nil, err
			}
			return ir, ir, nil
		}
		return body, nil, nil
	}
}
