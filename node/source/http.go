package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/audionode/audionode/node/lavalink"
)

const userAgent = "audionode (Lavalink-compatible; +https://github.com/audionode/audionode)"

// Bounds on the extra range requests a probe may make.
const (
	blockSize = 64 << 10
	seqLimit  = 2 << 20 // bytes read on from the first response
	maxBlocks = 32      // cached blocks (and fetches) per probe: 2 MiB
)

func (l *Loader) loadHTTP(ctx context.Context, link string) loaded {
	u, err := url.Parse(link)
	if err != nil || u.Host == "" {
		return final(errorResult("Not a valid URL.", lavalink.SeverityCommon, err))
	}
	ctx, cancel := context.WithTimeout(ctx, l.cfg.ConnectTimeout+l.cfg.RequestTimeout+2*l.cfg.SocketTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return final(errorResult("Not a valid URL.", lavalink.SeverityCommon, err))
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Icy-MetaData", "1") // as playback does, so both see the same stream
	resp, err := l.client.Do(req)
	if err != nil {
		switch {
		case errors.Is(err, ErrTooManyRedirects):
			return final(errorResult("Too many redirects.", lavalink.SeverityCommon, err))
		case errors.Is(err, ErrBlockedAddress):
			return final(errorResult("Connecting to the URL failed.", lavalink.SeverityCommon, err))
		}
		return final(errorResult("Connecting to the URL failed.", lavalink.SeveritySuspicious, err))
	}
	defer resp.Body.Close()
	finalURL := resp.Request.URL.String()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return loaded{result: ptr(lavalink.EmptyResult())}
	case resp.StatusCode < 200 || resp.StatusCode >= 300 || resp.StatusCode == http.StatusNoContent:
		return loaded{result: ptr(errorResult("That URL is not playable.", lavalink.SeverityCommon,
			fmt.Errorf("status code %d", resp.StatusCode)))}
	}
	icy := icyInfo{
		name:        resp.Header.Get("icy-name"),
		description: resp.Header.Get("icy-description"),
		url:         resp.Header.Get("icy-url"),
	}
	for k := range resp.Header {
		if strings.HasPrefix(strings.ToLower(k), "icy-") {
			icy.present = true
		}
	}
	var body io.Reader = resp.Body
	if mi := resp.Header.Get("icy-metaint"); mi != "" {
		ir, err := newICYReader(resp.Body, mi, finalURL)
		if err != nil {
			return final(errorResult("That URL is not playable.", lavalink.SeverityCommon, err))
		}
		body = ir // the probe sees the audio without the metadata blocks
		icy.present = true
	}
	size := resp.ContentLength
	want := int64(headSize)
	if size < 0 {
		want = 16 << 10 // a live stream trickles in at its bitrate
	}
	head, err := io.ReadAll(io.LimitReader(body, want))
	if err != nil && len(head) == 0 {
		return loaded{result: ptr(errorResult("Could not read the file for detecting file type.", lavalink.SeveritySuspicious, err))}
	}
	if int64(len(head)) < want && err == nil {
		size = int64(len(head)) // the whole body
	}
	s := &httpSrc{
		ctx: ctx, l: l, url: finalURL, head: head, size: size, body: body, bodyDone: err != nil || int64(len(head)) < want,
		ranges: size > 0 && strings.EqualFold(resp.Header.Get("Accept-Ranges"), "bytes"),
	}
	p, err := probe(s)
	if err != nil {
		return loaded{result: ptr(probeFailure(err))}
	}
	return loaded{id: finalURL, probe: p, icy: icy}
}

func ptr[T any](v T) *T { return &v }

// httpSrc serves the head of the first response, reads on from that
// response for offsets up to seqLimit (a large ID3 tag, Ogg comments with
// cover art), and fetches other ranges on demand in 64 KiB blocks when the
// server supports range requests.
type httpSrc struct {
	ctx      context.Context
	l        *Loader
	url      string
	head     []byte
	size     int64
	ranges   bool
	body     io.Reader // the first response, positioned at len(head)
	bodyDone bool

	mu      sync.Mutex
	blocks  map[int64][]byte
	fetches int
}

func (s *httpSrc) Size() int64 { return s.size }

func (s *httpSrc) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		o := off + int64(n)
		if s.size >= 0 && o >= s.size {
			return n, io.EOF
		}
		// Only finite bodies are read on: a live stream would block here.
		if want := off + int64(len(p)); o >= int64(len(s.head)) && !s.bodyDone && s.size >= 0 && want <= seqLimit {
			s.extend(want)
		}
		var chunk []byte
		if o < int64(len(s.head)) {
			chunk = s.head[o:]
		} else {
			b, err := s.block(o / blockSize)
			if err != nil {
				return n, err
			}
			i := o % blockSize
			if i >= int64(len(b)) {
				return n, io.EOF
			}
			chunk = b[i:]
		}
		n += copy(p[n:], chunk)
	}
	return n, nil
}

// extend reads the first response on until head reaches upTo bytes.
func (s *httpSrc) extend(upTo int64) {
	need := upTo - int64(len(s.head))
	more, err := io.ReadAll(io.LimitReader(s.body, need))
	s.head = append(s.head, more...)
	if err != nil || int64(len(more)) < need {
		s.bodyDone = true
	}
}

// errNoRange stops a probe that needs bytes the server will not give.
var errNoRange = errors.New("source: server does not support range requests")

func (s *httpSrc) block(i int64) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.blocks[i]; ok {
		return b, nil
	}
	if !s.ranges {
		return nil, io.EOF // treat as the end: the probe degrades to less info
	}
	if s.fetches >= maxBlocks {
		return nil, errNoRange
	}
	s.fetches++
	start := i * blockSize
	end := min(start+blockSize, s.size) - 1
	req, err := http.NewRequestWithContext(s.ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", start, end))
	resp, err := s.l.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent {
		s.ranges = false
		return nil, io.EOF
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, end-start+1))
	if err != nil {
		return nil, err
	}
	if s.blocks == nil {
		s.blocks = map[int64][]byte{}
	}
	s.blocks[i] = b
	return b, nil
}

func (l *Loader) openHTTP(ctx context.Context, link string, offset int64) (io.ReadCloser, int64, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		cancel(nil)
		return nil, 0, err
	}
	req.Header.Set("User-Agent", userAgent)
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	resp, err := l.client.Do(req)
	if err != nil {
		cancel(nil)
		return nil, 0, err
	}
	b := newIdleBody(resp.Body, ctx, cancel, l.cfg.SocketTimeout)
	size := resp.ContentLength
	switch {
	case offset > 0 && resp.StatusCode == http.StatusPartialContent:
		if size >= 0 {
			size += offset
		}
		return b, size, nil
	case resp.StatusCode == http.StatusOK:
		if offset > 0 { // no range support: skip ahead
			if _, err := io.CopyN(io.Discard, b, offset); err != nil {
				b.Close()
				return nil, 0, err
			}
		}
		return b, size, nil
	}
	b.Close()
	return nil, 0, fmt.Errorf("source: %s: status code %d", link, resp.StatusCode)
}

// idleBody fails a read once the server has sent nothing for idle while
// it waited. The timer runs only inside Read, so a player that stops
// reading (paused, buffer full) does not time the connection out. It is
// a runtime timer, not a goroutine; Close stops it.
type idleBody struct {
	rc     io.ReadCloser
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
	idle   time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.timer.Reset(b.idle)
	n, err := b.rc.Read(p)
	b.timer.Stop()
	if err != nil && errors.Is(context.Cause(b.ctx), ErrIdleTimeout) {
		err = ErrIdleTimeout
	}
	return n, err
}

func newIdleBody(rc io.ReadCloser, ctx context.Context, cancel context.CancelCauseFunc, idle time.Duration) *idleBody {
	b := &idleBody{rc: rc, ctx: ctx, cancel: cancel, idle: idle}
	b.timer = time.AfterFunc(idle, func() { cancel(ErrIdleTimeout) })
	b.timer.Stop() // armed by Read
	return b
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	err := b.rc.Close()
	b.cancel(nil)
	return err
}
