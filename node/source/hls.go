package source

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// Bounds of HLS playback.
const (
	maxSegmentBytes = 64 << 20 // one media segment
	maxInitBytes    = 4 << 20  // one EXT-X-MAP section
	maxPending      = 32       // live segments queued ahead of the one playing
	liveEdge        = 3        // a live stream starts this many segments from the end (RFC 8216 §6.3.3)
	maxReloadFails  = 3        // consecutive failed reloads that end a live stream
)

// liveStallTargets target durations without a new segment end a live
// stream (its encoder is gone); a variable so tests can shorten it.
var liveStallTargets time.Duration = 10

// get sends one GET through the guarded client. rng is a Range header
// value or "". The body fails with ErrIdleTimeout when the server stalls
// for the socket timeout, and ends at once when ctx is cancelled.
func (l *Loader) get(ctx context.Context, link, rng string, icy bool) (*http.Response, *idleBody, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		cancel(nil)
		return nil, nil, err
	}
	req.Header.Set("User-Agent", userAgent)
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	if icy {
		req.Header.Set("Icy-MetaData", "1")
	}
	resp, err := l.client.Do(req)
	if err != nil {
		cancel(nil)
		return nil, nil, err
	}
	return resp, newIdleBody(resp.Body, ctx, cancel, l.cfg.SocketTimeout), nil
}

// fetchAll reads a whole small resource (playlist, init section, key) of
// at most limit bytes; a longer one is ErrPlaylistTooLarge.
func (l *Loader) fetchAll(ctx context.Context, link string, rng hlsRange, limit int64) ([]byte, *url.URL, error) {
	resp, body, err := l.get(ctx, link, rng.header(), false)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrSegment, link, err)
	}
	defer body.Close()
	if err := checkStatus(resp, rng); err != nil {
		return nil, nil, err
	}
	if rng.length > 0 {
		limit = min(limit, rng.length)
	}
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrSegment, link, err)
	}
	if int64(len(b)) > limit {
		if rng.length > 0 {
			b = b[:limit] // a server that ignored the range: the check below catches an offset
		} else {
			return nil, nil, fmt.Errorf("%w: %s has more than %d bytes", ErrPlaylistTooLarge, link, limit)
		}
	}
	return b, resp.Request.URL, nil
}

func checkStatus(resp *http.Response, rng hlsRange) error {
	link := resp.Request.URL.String()
	switch {
	case rng.length > 0 && rng.offset > 0 && resp.StatusCode != http.StatusPartialContent:
		return fmt.Errorf("%w: %s: status code %d for a byte range", ErrSegment, link, resp.StatusCode)
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		return fmt.Errorf("%w: %s: status code %d", ErrSegment, link, resp.StatusCode)
	}
	return nil
}

// loadPlaylist fetches and parses an HLS playlist; a master playlist is
// resolved to the media playlist of its audio (one level only).
func (l *Loader) loadPlaylist(ctx context.Context, link string) (*hlsPlaylist, string, error) {
	b, u, err := l.fetchAll(ctx, link, hlsRange{}, maxPlaylistBytes)
	if err != nil {
		return nil, "", err
	}
	p, err := parseHLS(b, u)
	if err != nil {
		return nil, "", err
	}
	return l.mediaPlaylist(ctx, p, u.String())
}

// mediaPlaylist follows a master playlist to its audio media playlist.
func (l *Loader) mediaPlaylist(ctx context.Context, p *hlsPlaylist, link string) (*hlsPlaylist, string, error) {
	if !p.master {
		return p, link, checkKeys(p)
	}
	next, err := p.audioURL()
	if err != nil {
		return nil, "", err
	}
	b, u, err := l.fetchAll(ctx, next, hlsRange{}, maxPlaylistBytes)
	if err != nil {
		return nil, "", err
	}
	m, err := parseHLS(b, u)
	if err != nil {
		return nil, "", err
	}
	if m.master {
		return nil, "", fmt.Errorf("%w: master playlist %s refers to another master playlist", ErrPlaylistLoop, link)
	}
	return m, u.String(), checkKeys(m)
}

// checkKeys refuses encryption other than whole-segment AES-128 up front.
func checkKeys(p *hlsPlaylist) error {
	for _, s := range p.segments {
		if m := s.key.method; m != "NONE" && m != "AES-128" {
			return fmt.Errorf("%w: HLS encryption %s", ErrUnsupported, m)
		}
	}
	return nil
}

// hlsReader presents an HLS media playlist as one byte stream: the
// segments in order, each init section (EXT-X-MAP) once before the first
// segment that uses it, AES-128 decrypted, with the ID3 tag that starts
// a packed-audio segment removed (demuxers then see one continuous
// MP3/ADTS/TS/fMP4 stream). A live playlist is reloaded about every
// target duration; segments are identified by media sequence number, so
// none is played twice, and one that left the playlist before it could
// be fetched is logged and counted, never skipped silently.
//
// All fetching happens inside Read on the caller's goroutine: the reader
// owns no goroutine, and cancelling ctx ends a blocked Read at once.
type hlsReader struct {
	ctx  context.Context
	l    *Loader
	url  string // media playlist
	live bool

	queue    []hlsSegment
	nextSeq  int64 // live: the sequence number the next new segment must have
	reloadAt time.Time
	target   time.Duration
	timer    *time.Timer

	body      io.ReadCloser // current segment
	pend      []byte        // bytes to return before body (init section, peeked head)
	head      [10]byte
	cbc       cbcReader
	lastInit  string
	lastRng   hlsRange
	keyURL    string
	key       [16]byte
	gaps      int       // live segments lost to a lagging reload
	prevFirst int64     // live: EXT-X-MEDIA-SEQUENCE of the last load
	lastNew   time.Time // live: when a reload last brought a segment
	started   bool      // a segment was opened
	atDisc    bool      // Read returns io.EOF at a discontinuity until resume
	resumed   bool      // resume was called: the next segment starts the new part
	err       error     // the first failure, returned from then on
	fails     int       // consecutive failed reloads
}

// newHLSReader starts p at pos (VOD: the segment containing pos; live:
// near the live edge). start is the track time of the first byte.
func (l *Loader) newHLSReader(ctx context.Context, p *hlsPlaylist, link string, pos time.Duration) (r *hlsReader, start time.Duration, err error) {
	r = &hlsReader{ctx: ctx, l: l, url: link, live: !p.ended, target: p.target}
	if len(p.segments) == 0 && p.ended {
		return nil, 0, fmt.Errorf("%w: playlist without segments", ErrBadPlaylist)
	}
	if r.live {
		first := max(len(p.segments)-liveEdge, 0)
		r.queue = append(r.queue, p.segments[first:]...)
		r.nextSeq = p.firstSeq + int64(len(p.segments))
		r.prevFirst = p.firstSeq
		r.lastNew = time.Now()
		r.reloadAt = time.Now().Add(r.target)
		return r, 0, nil
	}
	i := 0
	for i+1 < len(p.segments) && p.segments[i+1].start <= pos {
		i++
	}
	r.queue = p.segments[i:]
	return r, p.segments[i].start, nil
}

// Read returns the stream's bytes. An error is final: a reader that
// failed never skips on to the next segment on a later call.
func (r *hlsReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

func (r *hlsReader) read(p []byte) (int, error) {
	for {
		if len(r.pend) > 0 {
			n := copy(p, r.pend)
			r.pend = r.pend[n:]
			return n, nil
		}
		if r.body != nil {
			n, err := r.body.Read(p)
			if err == io.EOF {
				r.body.Close()
				r.body = nil
				if n > 0 {
					return n, nil
				}
				continue
			}
			return n, err
		}
		if r.atDisc {
			return 0, io.EOF
		}
		if err := r.next(); err != nil {
			return 0, err
		}
	}
}

// resume continues after the io.EOF that Read returns at an
// EXT-X-DISCONTINUITY (the encoding may change there, so the caller
// starts a fresh decoder); it reports whether there was one.
func (r *hlsReader) resume() bool {
	was := r.atDisc
	r.atDisc = false
	r.resumed = r.resumed || was
	return was
}

// next opens the next segment, reloading a live playlist when due.
func (r *hlsReader) next() error {
	if r.live && !time.Now().Before(r.reloadAt) {
		if err := r.tryReload(); err != nil {
			return err
		}
	}
	for len(r.queue) == 0 {
		if !r.live {
			return io.EOF
		}
		if err := r.sleepUntil(r.reloadAt); err != nil {
			return err
		}
		if err := r.tryReload(); err != nil {
			return err
		}
	}
	s := r.queue[0]
	if s.discontinuity && r.started && !r.resumed {
		// End this part; the next one starts with its own init section.
		r.atDisc = true
		r.lastInit, r.lastRng = "", hlsRange{}
		return nil
	}
	r.queue = r.queue[1:]
	r.started, r.resumed = true, false
	return r.open(s)
}

func (r *hlsReader) sleepUntil(t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return r.ctx.Err()
	}
	if r.timer == nil {
		r.timer = time.NewTimer(d)
	} else {
		r.timer.Reset(d)
	}
	select {
	case <-r.ctx.Done():
		return context.Cause(r.ctx)
	case <-r.timer.C:
		return nil
	}
}

var errStalled = errors.New("live playlist stalled")

// tryReload reloads a live playlist, retrying a failed reload (a CDN
// hiccup) half a target duration later, up to maxReloadFails in a row.
func (r *hlsReader) tryReload() error {
	err := r.reload()
	if err == nil {
		r.fails = 0
		return nil
	}
	if r.fails++; r.fails >= maxReloadFails || r.ctx.Err() != nil || errors.Is(err, errStalled) {
		return err
	}
	slog.Warn("source: HLS live playlist reload failed; retrying", "url", r.url, "err", err)
	r.reloadAt = time.Now().Add(max(r.target/2, 100*time.Millisecond))
	return nil
}

// reload fetches the live playlist again and queues the segments not seen
// yet, by media sequence number.
func (r *hlsReader) reload() error {
	b, u, err := r.l.fetchAll(r.ctx, r.url, hlsRange{}, maxPlaylistBytes)
	if err != nil {
		return err
	}
	p, err := parseHLS(b, u)
	if err != nil {
		return err
	}
	if p.master {
		return fmt.Errorf("%w: media playlist %s became a master playlist", ErrBadPlaylist, r.url)
	}
	if err := checkKeys(p); err != nil {
		return err
	}
	restart := false
	if n := len(p.segments); n > 0 && p.segments[n-1].seq < r.prevFirst {
		// The numbers went back past the last window: the stream restarted
		// (a new encoder). Join it at its live edge, with a fresh decoder.
		slog.Warn("source: HLS media sequence went back; the live stream restarted",
			"url", r.url, "was", r.prevFirst, "now", p.firstSeq)
		r.nextSeq = p.segments[max(n-liveEdge, 0)].seq
		restart = true
	}
	r.prevFirst = p.firstSeq
	if p.firstSeq > r.nextSeq {
		r.gaps += int(min(p.firstSeq-r.nextSeq, 1<<20))
		slog.Warn("source: HLS segments left the live playlist before they were fetched",
			"url", r.url, "from", r.nextSeq, "to", p.firstSeq-1)
		r.nextSeq = p.firstSeq
	}
	added := false
	for _, s := range p.segments {
		if s.seq < r.nextSeq {
			continue
		}
		if len(r.queue) >= maxPending {
			r.gaps++
			slog.Warn("source: HLS live queue full, dropping the oldest segment", "url", r.url, "seq", r.queue[0].seq)
			r.queue = r.queue[1:]
		}
		if restart {
			s.discontinuity, restart = true, false
		}
		r.queue = append(r.queue, s)
		r.nextSeq = s.seq + 1
		added = true
	}
	now := time.Now()
	if added {
		r.lastNew = now
	} else if !p.ended && now.Sub(r.lastNew) > liveStallTargets*r.target {
		return fmt.Errorf("%w: %w: %s brought no new segment for %v", ErrSegment, errStalled, r.url, now.Sub(r.lastNew).Round(time.Second))
	}
	if p.target > 0 {
		r.target = p.target
	}
	r.live = !p.ended
	// RFC 8216 §6.3.4: wait a target duration after a change, half of one
	// after a reload that brought nothing new.
	wait := r.target
	if !added {
		wait /= 2
	}
	r.reloadAt = now.Add(max(wait, 100*time.Millisecond))
	return nil
}

// open starts segment s: its init section if it changed, its key, and
// the body limited to the segment's bounds.
func (r *hlsReader) open(s hlsSegment) error {
	if s.init != "" && (s.init != r.lastInit || s.initRange != r.lastRng) {
		b, _, err := r.l.fetchAll(r.ctx, s.init, s.initRange, maxInitBytes)
		if err != nil {
			return err
		}
		r.lastInit, r.lastRng = s.init, s.initRange
		r.pend = b
	}
	resp, body, err := r.l.get(r.ctx, s.url, s.rng.header(), false)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrSegment, s.url, err)
	}
	if err := checkStatus(resp, s.rng); err != nil {
		body.Close()
		return err
	}
	limit := int64(maxSegmentBytes)
	if s.rng.length > 0 {
		limit = s.rng.length
	}
	var seg io.Reader = &boundedBody{r: body, left: limit, strict: s.rng.length <= 0, url: s.url}
	if s.key.method == "AES-128" {
		if err := r.loadKey(s.key.url); err != nil {
			body.Close()
			return err
		}
		iv := s.key.iv
		if iv == nil {
			var b [16]byte
			binary.BigEndian.PutUint64(b[8:], uint64(s.seq))
			iv = b[:]
		}
		block, err := aes.NewCipher(r.key[:])
		if err != nil {
			body.Close()
			return err
		}
		r.cbc.reset(seg, cipher.NewCBCDecrypter(block, iv))
		seg = &r.cbc
	}
	r.body = readCloser{seg, body}
	return r.skipID3()
}

// loadKey fetches an AES-128 key (exactly 16 bytes) unless it is cached.
func (r *hlsReader) loadKey(link string) error {
	if link == r.keyURL {
		return nil
	}
	b, _, err := r.l.fetchAll(r.ctx, link, hlsRange{}, 16)
	if err != nil {
		return err
	}
	if len(b) != 16 {
		return fmt.Errorf("%w: AES-128 key %s has %d bytes", ErrBadPlaylist, link, len(b))
	}
	copy(r.key[:], b)
	r.keyURL = link
	return nil
}

// skipID3 drops the ID3v2 tag (the PRIV timestamp of RFC 8216 §3.4) that
// starts a packed-audio segment, which would otherwise sit in the middle
// of the stream; other bytes it looked at are returned first.
func (r *hlsReader) skipID3() error {
	n, err := io.ReadFull(r.body, r.head[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return err
	}
	h := r.head[:n]
	if n == 10 && string(h[:3]) == "ID3" && h[6]|h[7]|h[8]|h[9] < 0x80 {
		size := int64(h[6])<<21 | int64(h[7])<<14 | int64(h[8])<<7 | int64(h[9])
		if h[5]&0x10 != 0 {
			size += 10 // footer
		}
		if _, err := io.CopyN(io.Discard, r.body, size); err != nil && err != io.EOF {
			return err
		}
		h = nil
	}
	if len(r.pend) > 0 {
		r.pend = append(r.pend, h...) // init section, then the segment
	} else {
		r.pend = h
	}
	return nil
}

// Close ends the current segment request; the reader holds nothing else.
func (r *hlsReader) Close() error {
	if r.timer != nil {
		r.timer.Stop()
	}
	if r.body != nil {
		err := r.body.Close()
		r.body = nil
		return err
	}
	return nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// boundedBody stops a segment at left bytes; strict makes a longer body
// an error (no byte range: the server decides the length).
type boundedBody struct {
	r      io.Reader
	left   int64
	strict bool
	url    string
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		if b.strict {
			var one [1]byte
			if n, _ := b.r.Read(one[:]); n > 0 {
				return 0, fmt.Errorf("%w: segment %s has more than %d bytes", ErrPlaylistTooLarge, b.url, maxSegmentBytes)
			}
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// cbcReader decrypts an AES-128-CBC body with PKCS#7 padding as it
// streams, holding back the last block until the end shows it is the one
// that carries the padding. It reuses its buffers across segments.
type cbcReader struct {
	r     io.Reader
	mode  cipher.BlockMode
	in    [4096]byte
	have  int // ciphertext bytes in in
	out   [4096]byte
	ready []byte
	eof   bool
}

func (c *cbcReader) reset(r io.Reader, mode cipher.BlockMode) {
	c.r, c.mode, c.have, c.ready, c.eof = r, mode, 0, nil, false
}

var errBadPadding = errors.New("bad AES-128 padding")

func (c *cbcReader) Read(p []byte) (int, error) {
	for len(c.ready) == 0 {
		if c.eof {
			return 0, io.EOF
		}
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.ready)
	c.ready = c.ready[n:]
	return n, nil
}

func (c *cbcReader) fill() error {
	for c.have < len(c.in) {
		n, err := c.r.Read(c.in[c.have:])
		c.have += n
		if err == io.EOF {
			if c.have%aes.BlockSize != 0 {
				return fmt.Errorf("%w: AES-128 segment of %d bytes is not whole blocks", ErrBadPlaylist, c.have)
			}
			c.eof = true
			if c.have == 0 {
				return nil
			}
			c.mode.CryptBlocks(c.out[:c.have], c.in[:c.have])
			pad := int(c.out[c.have-1])
			if pad < 1 || pad > aes.BlockSize || pad > c.have {
				return fmt.Errorf("%w: %w", ErrBadPlaylist, errBadPadding)
			}
			c.ready = c.out[:c.have-pad]
			c.have = 0
			return nil
		}
		if err != nil {
			return err
		}
		if c.have >= 2*aes.BlockSize {
			break
		}
	}
	// Everything but the last whole block (and any partial one) is safe.
	k := (c.have/aes.BlockSize - 1) * aes.BlockSize
	c.mode.CryptBlocks(c.out[:k], c.in[:k])
	c.have = copy(c.in[:], c.in[k:c.have])
	c.ready = c.out[:k]
	return nil
}
