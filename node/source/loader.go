package source

import (
	"context"
	"errors"
	"fmt"
	"github.com/audionode/audionode/node/routeplanner"
	"io"
	"io/fs"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/audionode/audionode/node/lavalink"
	"github.com/audionode/audionode/node/settings"
)

// MaxRedirects bounds HTTP redirects and playlist-to-track references, as
// lavaplayer's loader does.
const MaxRedirects = 5

// Defaults of lavaplayer's track info builder.
const (
	UnknownTitle  = "Unknown title"
	UnknownAuthor = "Unknown artist"
)

// Config selects and tunes the sources.
type Config struct {
	HTTP         bool     // lavalink.server.sources.http
	Local        bool     // lavalink.server.sources.local
	LocalRoots   []string // audionode.sources.local.roots; empty = any absolute path
	AllowPrivate bool     // audionode.sources.http.allowPrivate

	ConnectTimeout time.Duration // lavalink.server.timeouts.connectTimeoutMs
	RequestTimeout time.Duration // lavalink.server.timeouts.connectionRequestTimeoutMs
	SocketTimeout  time.Duration // lavalink.server.timeouts.socketTimeoutMs

	// Planner, when set, picks the local address of every outgoing
	// connection (lavalink.server.ratelimit.*).
	Planner *routeplanner.Planner

	// testExempt lets tests pass the guard for exactly one listener, to
	// show that a redirect from it to another private address is refused.
	testExempt netip.AddrPort
}

// SourceManagers lists the enabled sources for /v4/info, in the order the
// reference registers them. Only sources implemented here are listed.
func (c Config) SourceManagers() []string {
	out := []string{}
	if c.HTTP {
		out = append(out, "http")
	}
	if c.Local {
		out = append(out, "local")
	}
	return out
}

// ConfigFromSettings maps the node settings onto a Config.
func ConfigFromSettings(s settings.Settings) Config {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	return Config{
		HTTP:           s.Lavalink.Sources["http"],
		Local:          s.Lavalink.Sources["local"],
		LocalRoots:     s.AudioNode.LocalRoots,
		AllowPrivate:   s.AudioNode.HTTPAllowPrivate,
		ConnectTimeout: ms(s.Lavalink.Timeouts.ConnectTimeoutMs),
		RequestTimeout: ms(s.Lavalink.Timeouts.ConnectionRequestTimeoutMs),
		SocketTimeout:  ms(s.Lavalink.Timeouts.SocketTimeoutMs),
	}
}

// Loader resolves identifiers for the enabled sources. It is safe for
// concurrent use and starts no goroutines of its own (the shared HTTP
// transport's idle connections are closed by Close).
type Loader struct {
	cfg       Config
	client    *http.Client
	transport *http.Transport

	mu    sync.RWMutex // guards roots against a concurrent Close
	roots []localRoot
}

type localRoot struct {
	path string // absolute, cleaned
	root *os.Root
}

// New builds a Loader; it fails if a local root cannot be opened.
func New(cfg Config) (*Loader, error) {
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 3 * time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 3 * time.Second
	}
	if cfg.SocketTimeout <= 0 {
		cfg.SocketTimeout = 3 * time.Second
	}
	l := &Loader{cfg: cfg}
	if cfg.Local {
		for _, p := range cfg.LocalRoots {
			abs, err := filepath.Abs(p)
			if err != nil {
				l.Close()
				return nil, fmt.Errorf("source: local root %q: %w", p, err)
			}
			r, err := os.OpenRoot(abs)
			if err != nil {
				l.Close()
				return nil, fmt.Errorf("source: local root %q: %w", p, err)
			}
			l.roots = append(l.roots, localRoot{path: filepath.Clean(abs), root: r})
		}
	}
	dial := newDialer(cfg).DialContext
	if cfg.Planner != nil {
		// Outgoing connections leave from the route planner's addresses; the
		// guard's Control hook still checks every peer.
		dial = cfg.Planner.DialContext(newDialer(cfg))
	}
	dial = icyDial(dial)
	l.transport = &http.Transport{
		Proxy:                 nil, // never via an environment proxy: the guard checks the real peer
		DialContext:           dial,
		TLSHandshakeTimeout:   cfg.ConnectTimeout,
		ResponseHeaderTimeout: cfg.RequestTimeout + cfg.SocketTimeout,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   4,
		MaxConnsPerHost:       64,
		IdleConnTimeout:       60 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	var rt http.RoundTripper = l.transport
	if cfg.Planner != nil {
		rt = cfg.Planner.Transport(rt) // a 429 bans the address it came from
	}
	l.client = &http.Client{
		Transport: rt,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > MaxRedirects {
				return ErrTooManyRedirects
			}
			return nil
		},
	}
	return l, nil
}

// Close releases the local roots and idle HTTP connections. It is idempotent.
func (l *Loader) Close() error {
	l.mu.Lock()
	var errs []error
	for _, r := range l.roots {
		errs = append(errs, r.root.Close())
	}
	l.roots = nil
	l.mu.Unlock()
	if l.transport != nil {
		l.transport.CloseIdleConnections()
	}
	return errors.Join(errs...)
}

// SourceManagers lists the enabled sources for /v4/info, in the order the
// reference registers them.
func (l *Loader) SourceManagers() []string { return l.cfg.SourceManagers() }

// Load resolves identifier (GET /v4/loadtracks, PATCH track.identifier).
// It never fails: problems are "error" results, and identifiers no enabled
// source understands give "empty".
func (l *Loader) Load(ctx context.Context, identifier string) lavalink.LoadResult {
	return l.load(ctx, identifier, "", 0, map[string]bool{})
}

// load resolves id; hint is the title a playlist gave it, hop counts the
// playlist references followed, seen stops loops.
func (l *Loader) load(ctx context.Context, id, hint string, hop int, seen map[string]bool) lavalink.LoadResult {
	if hop > MaxRedirects {
		return errorResult("Too many redirects.", lavalink.SeverityCommon, ErrTooManyRedirects)
	}
	seen[id] = true
	var (
		res  loaded
		from string
	)
	switch {
	case l.cfg.HTTP && isLink(id):
		from = "http"
		res = l.loadHTTP(ctx, httpURL(id))
	case l.cfg.Local && filepath.IsAbs(id):
		from = "local"
		res = l.loadLocal(id)
	default:
		return lavalink.EmptyResult()
	}
	if res.result != nil {
		return *res.result
	}
	p := res.probe
	if p.playlist {
		// Like lavaplayer, an M3U/PLS list refers to its first link (a
		// radio's list of mirrors); a dead first link falls back to the
		// next few, as playback does.
		last := errorResult("The playlist refers to itself.", lavalink.SeverityCommon, ErrPlaylistLoop)
		for i, e := range p.entries {
			if i == maxEntryTries {
				break
			}
			if seen[e.url] {
				continue
			}
			r := l.load(ctx, e.url, e.title, hop+1, seen)
			if r.LoadType == lavalink.LoadTypeTrack {
				return r
			}
			last = r
		}
		return last
	}
	if p.hls && p.stream && from == "http" {
		if err := l.loadHLS(ctx, res.id, &p); err != nil {
			if errors.Is(err, ErrUnsupported) {
				return probeFailure(err)
			}
			return errorResult("Could not read the HLS playlist.", lavalink.SeverityCommon, err)
		}
	}
	t, err := buildTrack(from, res.id, p, res.icy, hint)
	if err != nil {
		return errorResult("Something went wrong while looking up the track.", lavalink.SeverityFault, err)
	}
	return lavalink.TrackResult(t)
}

// loaded is the outcome of one source: a final result, or a probe to turn
// into a track or to follow.
type loaded struct {
	result *lavalink.LoadResult
	id     string // identifier of the probed item (final URL after redirects)
	probe  probeResult
	icy    icyInfo
}

func final(r lavalink.LoadResult) loaded { return loaded{result: &r} }

func errorResult(msg string, sev lavalink.Severity, cause error) lavalink.LoadResult {
	return lavalink.ErrorResult(lavalink.NewException(msg, sev, cause))
}

// probeFailure maps a probe error as lavaplayer's ProbingAudioSourceManager does.
func probeFailure(err error) lavalink.LoadResult {
	switch {
	case errors.Is(err, ErrUnknownFormat):
		return errorResult("Unknown file format.", lavalink.SeverityCommon, err)
	case errors.Is(err, ErrUnsupported):
		msg := strings.TrimPrefix(err.Error(), ErrUnsupported.Error()+": ")
		return errorResult(msg, lavalink.SeverityCommon, err)
	default:
		return errorResult("Could not read the file for detecting file type.", lavalink.SeveritySuspicious, err)
	}
}

func httpURL(id string) string {
	if rest, ok := strings.CutPrefix(id, "icy://"); ok {
		return "http://" + rest
	}
	return id
}

// icyInfo holds the Icecast/Shoutcast headers lavaplayer reads.
type icyInfo struct {
	name, description, url string
	present                bool
}

// buildTrack turns a probe into a Track. Precedence of the title and
// author as in lavaplayer: file tags, then ICY headers, then the playlist's
// title for the entry, then "Unknown title"/"Unknown artist".
func buildTrack(source, identifier string, p probeResult, icy icyInfo, hint string) (lavalink.Track, error) {
	title := firstNonEmpty(p.title, icy.description, icy.url, hint, UnknownTitle)
	author := firstNonEmpty(p.author, icy.name, UnknownAuthor)
	length := p.length
	stream := p.stream || icy.present || length < 0
	if stream {
		length = lavalink.StreamLength
	}
	uri := identifier
	info := lavalink.TrackInfo{
		Identifier: identifier,
		IsSeekable: !stream,
		Author:     author,
		Length:     length,
		IsStream:   stream,
		Title:      title,
		URI:        &uri,
		SourceName: source,
	}
	if p.isrc != "" {
		isrc := p.isrc
		info.ISRC = &isrc
	}
	extra, err := lavalink.AppendProbeInfo(nil, p.probeInfo())
	if err != nil {
		return lavalink.Track{}, err
	}
	enc, err := lavalink.EncodeTrack(info, extra)
	if err != nil {
		return lavalink.Track{}, err
	}
	return lavalink.Track{Encoded: enc, Info: info}, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// ----- local -----

// openLocal opens path, confined to the configured roots when there are any.
func (l *Loader) openLocal(path string) (*os.File, error) {
	path = filepath.Clean(path)
	l.mu.RLock()
	defer l.mu.RUnlock()
	if len(l.cfg.LocalRoots) == 0 {
		return os.Open(path)
	}
	for _, r := range l.roots {
		rel, err := filepath.Rel(r.path, path)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		// os.Root refuses symlinks and ".." that leave the root.
		return r.root.Open(rel)
	}
	return nil, ErrOutsideRoots
}

func (l *Loader) loadLocal(path string) loaded {
	f, err := l.openLocal(path)
	if err != nil {
		switch {
		case errors.Is(err, ErrOutsideRoots):
			return final(errorResult("The file is outside the allowed local roots.", lavalink.SeverityCommon, err))
		case errors.Is(err, fs.ErrNotExist):
			return final(lavalink.EmptyResult())
		default:
			// lavaplayer skips files it cannot read; an escape attempt
			// through a symlink lands here too.
			return final(errorResult("The file could not be opened.", lavalink.SeverityCommon, err))
		}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return final(lavalink.EmptyResult())
	}
	p, err := probe(fileSrc{f: f, size: st.Size()})
	if err != nil {
		return final(probeFailure(err))
	}
	return loaded{id: path, probe: p}
}

type fileSrc struct {
	f    *os.File
	size int64
}

func (s fileSrc) ReadAt(p []byte, off int64) (int, error) { return s.f.ReadAt(p, off) }
func (s fileSrc) Size() int64                             { return s.size }

// Open returns the raw bytes of a track, starting at offset, and the total
// size (-1 when unknown): no ICY stripping, playlist following or HLS
// (playback uses OpenMedia; Open serves its range requests). The caller closes the reader. For HTTP,
// ctx bounds the whole read and a read that makes no progress for the
// socket timeout fails with ErrIdleTimeout.
func (l *Loader) Open(ctx context.Context, info lavalink.TrackInfo, offset int64) (io.ReadCloser, int64, error) {
	switch info.SourceName {
	case "local":
		if !l.cfg.Local {
			return nil, 0, ErrSourceDisabled
		}
		f, err := l.openLocal(info.Identifier)
		if err != nil {
			return nil, 0, err
		}
		st, err := f.Stat()
		if err == nil && offset > 0 {
			_, err = f.Seek(offset, io.SeekStart)
		}
		if err != nil {
			f.Close()
			return nil, 0, err
		}
		return f, st.Size(), nil
	case "http":
		if !l.cfg.HTTP {
			return nil, 0, ErrSourceDisabled
		}
		return l.openHTTP(ctx, httpURL(info.Identifier), offset)
	}
	return nil, 0, fmt.Errorf("%w: %q", ErrSourceDisabled, info.SourceName)
}
