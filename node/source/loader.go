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
	"net/url"
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
	id, hint := identifier, ""
	for hop := 0; hop <= MaxRedirects; hop++ {
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
			if len(p.entries) == 1 { // like lavaplayer: a one-link list refers to its track
				id, hint = p.entries[0].url, p.entries[0].title
				continue
			}
			return playlistResult(res.id, p)
		}
		t, err := buildTrack(from, res.id, p, res.icy, hint)
		if err != nil {
			return errorResult("Something went wrong while looking up the track.", lavalink.SeverityFault, err)
		}
		return lavalink.TrackResult(t)
	}
	return errorResult("Too many redirects.", lavalink.SeverityCommon, ErrTooManyRedirects)
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

// playlistResult lists the links of an M3U/PLS playlist. The entries are
// not fetched (that would cost one request each); their probe info is
// guessed from the extension and the media pipeline probes them on play.
func playlistResult(identifier string, p probeResult) lavalink.LoadResult {
	name := p.playlistName
	if name == "" {
		name = playlistName(identifier)
	}
	tracks := make([]lavalink.Track, 0, len(p.entries))
	for _, e := range p.entries {
		ep := probeResult{container: guessContainer(e.url), title: e.title, length: e.length}
		t, err := buildTrack("http", httpURL(e.url), ep, icyInfo{}, "")
		if err != nil {
			continue
		}
		tracks = append(tracks, t)
	}
	return lavalink.PlaylistResult(lavalink.Playlist{
		Info:   lavalink.PlaylistInfo{Name: name, SelectedTrack: -1},
		Tracks: tracks,
	})
}

func playlistName(identifier string) string {
	if u, err := url.Parse(identifier); err == nil && u.Path != "" {
		identifier = u.Path
	}
	if b := filepath.Base(identifier); b != "." && b != "/" {
		return b
	}
	return "Playlist"
}

// guessContainer maps a file extension to a lavaplayer probe name.
func guessContainer(link string) string {
	if u, err := url.Parse(link); err == nil {
		link = u.Path
	}
	switch strings.ToLower(filepath.Ext(link)) {
	case ".mp3":
		return "mp3"
	case ".flac":
		return "flac"
	case ".wav":
		return "wav"
	case ".ogg", ".oga", ".opus":
		return "ogg"
	case ".webm", ".mkv", ".mka":
		return "matroska/webm"
	case ".mp4", ".m4a", ".m4b":
		return "mp4"
	case ".aac":
		return "adts"
	case ".ts":
		return "mpegts-adts"
	case ".m3u", ".m3u8":
		return "m3u"
	case ".pls":
		return "pls"
	}
	return ""
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

// Open returns the bytes of a track for playback, starting at offset, and
// the total size (-1 when unknown). The caller closes the reader. For HTTP,
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
