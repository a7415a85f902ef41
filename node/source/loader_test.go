package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/audionode/audionode/node/lavalink"
	"github.com/audionode/audionode/node/settings"
)

func newLoader(t *testing.T, cfg Config) *Loader {
	t.Helper()
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// checkTrack verifies that the encoded string of a loaded track decodes to
// its info and carries the expected probe info.
func checkTrack(t *testing.T, tr lavalink.Track, probeInfo string) {
	t.Helper()
	et, err := lavalink.ParseEncodedTrack(tr.Encoded)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(et.Info)
	want, _ := json.Marshal(tr.Info)
	if string(got) != string(want) {
		t.Errorf("encoded info\n got %s\nwant %s", got, want)
	}
	if p, err := lavalink.ParseProbeInfo(et.Extra); err != nil || p != probeInfo {
		t.Errorf("probe info = %q, %v; want %q", p, err, probeInfo)
	}
}

func TestLoadLocal(t *testing.T) {
	dir := mediaFiles(t)
	root := t.TempDir()
	data, err := os.ReadFile(filepath.Join(dir, "tags.flac"))
	if err != nil {
		t.Fatal(err)
	}
	inRoot := filepath.Join(root, "a.flac")
	if err := os.WriteFile(inRoot, data, 0o644); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "secret.flac")
	if err := os.WriteFile(outside, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "escape.flac")); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(root, "sub"), 0o755)
	os.WriteFile(filepath.Join(root, "junk.bin"), []byte("not audio at all"), 0o644)

	confined := newLoader(t, Config{Local: true, LocalRoots: []string{root}})
	anywhere := newLoader(t, Config{Local: true})
	disabled := newLoader(t, Config{HTTP: true})

	cases := map[string]struct {
		l        *Loader
		id       string
		loadType lavalink.LoadType
		message  string
	}{
		"in root":          {confined, inRoot, lavalink.LoadTypeTrack, ""},
		"outside root":     {confined, outside, lavalink.LoadTypeError, "The file is outside the allowed local roots."},
		"dotdot escape":    {confined, root + "/../" + filepath.Base(filepath.Dir(outside)) + "/secret.flac", lavalink.LoadTypeError, "The file is outside the allowed local roots."},
		"symlink escape":   {confined, filepath.Join(root, "escape.flac"), lavalink.LoadTypeError, "The file could not be opened."},
		"missing":          {confined, filepath.Join(root, "nope.mp3"), lavalink.LoadTypeEmpty, ""},
		"directory":        {confined, filepath.Join(root, "sub"), lavalink.LoadTypeEmpty, ""},
		"unknown format":   {confined, filepath.Join(root, "junk.bin"), lavalink.LoadTypeError, "Unknown file format."},
		"no roots":         {anywhere, outside, lavalink.LoadTypeTrack, ""},
		"relative ignored": {anywhere, "a.flac", lavalink.LoadTypeEmpty, ""},
		"local disabled":   {disabled, inRoot, lavalink.LoadTypeEmpty, ""},
		"search prefix":    {anywhere, "ytsearch:never gonna", lavalink.LoadTypeEmpty, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := c.l.Load(context.Background(), c.id)
			if r.LoadType != c.loadType {
				b, _ := json.Marshal(r)
				t.Fatalf("loadType %s, want %s: %s", r.LoadType, c.loadType, b)
			}
			switch r.LoadType {
			case lavalink.LoadTypeError:
				if *r.Exception.Message != c.message || r.Exception.Severity != lavalink.SeverityCommon {
					t.Errorf("exception %+v", r.Exception)
				}
			case lavalink.LoadTypeTrack:
				in := r.Track.Info
				if in.SourceName != "local" || in.Identifier != c.id || *in.URI != c.id || in.Title != "Flac T" ||
					in.Author != "Flac A" || *in.ISRC != "GBAYE0000001" || in.IsStream || !in.IsSeekable || abs64(in.Length-2000) > 50 {
					t.Errorf("info %+v", in)
				}
				checkTrack(t, *r.Track, "flac")
			}
		})
	}

	// Open reads the same bytes, confined the same way.
	rc, size, err := confined.Open(context.Background(), lavalink.TrackInfo{SourceName: "local", Identifier: inRoot}, 4)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	n, _ := rc.Read(buf)
	rc.Close()
	if size != int64(len(data)) || n != 4 || string(buf) != string(data[4:8]) {
		t.Errorf("Open: size %d, read % x", size, buf[:n])
	}
	if _, _, err := confined.Open(context.Background(), lavalink.TrackInfo{SourceName: "local", Identifier: outside}, 0); !errors.Is(err, ErrOutsideRoots) {
		t.Errorf("Open outside: %v", err)
	}
	if _, _, err := disabled.Open(context.Background(), lavalink.TrackInfo{SourceName: "local", Identifier: inRoot}, 0); !errors.Is(err, ErrSourceDisabled) {
		t.Errorf("Open disabled: %v", err)
	}
}

// testServer serves the generated media plus the special routes below.
func testServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	dir := mediaFiles(t)
	var hits atomic.Int64
	mux := http.NewServeMux()
	mux.Handle("/media/", http.StripPrefix("/media/", http.FileServer(http.Dir(dir))))
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		var code int
		fmt.Sscan(r.PathValue("code"), &code)
		w.WriteHeader(code)
	})
	mux.HandleFunc("/redirect/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.PathValue("n"), &n)
		if n == 0 {
			http.Redirect(w, r, "/media/id3.mp3", http.StatusFound)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/redirect/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/radio", func(w http.ResponseWriter, r *http.Request) {
		data, _ := os.ReadFile(filepath.Join(dir, "cbr.mp3"))
		w.Header().Set("Content-Type", "audio/mpeg")
		w.Header().Set("icy-name", "Test Radio")
		w.Header().Set("icy-description", "Live Show")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush() // chunked: no Content-Length
		w.Write(data)
		w.(http.Flusher).Flush()
		<-r.Context().Done() // live: the body never ends
	})
	mux.HandleFunc("/oggstream", func(w http.ResponseWriter, r *http.Request) {
		data, _ := os.ReadFile(filepath.Join(dir, "opus.ogg"))
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		w.Write(data)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("/bigid3.mp3", func(w http.ResponseWriter, r *http.Request) {
		// 300 KiB of ID3 padding before the audio, no range support.
		data, _ := os.ReadFile(filepath.Join(dir, "cbr.mp3"))
		pad := 300 << 10
		tag := []byte{'I', 'D', '3', 3, 0, 0, byte(pad >> 21 & 0x7F), byte(pad >> 14 & 0x7F), byte(pad >> 7 & 0x7F), byte(pad & 0x7F)}
		tag = append(tag, make([]byte, pad)...)
		body := append(tag, data...)
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.Write(body)
	})
	text := func(path, body string) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) })
	}
	// The playlists refer to the server itself; filled in below.
	var base string
	mux.HandleFunc("/list.m3u", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "#EXTM3U\n#EXTINF:2,Song One\n%[1]s/media/id3.mp3\n#EXTINF:-1,Radio\n%[1]s/radio\n", base)
	})
	mux.HandleFunc("/single.pls", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "[playlist]\nFile1=%s/media/cbr.mp3\nTitle1=From PLS\nNumberOfEntries=1\n", base)
	})
	mux.HandleFunc("/fallback.pls", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "[playlist]\nFile1=%[1]s/status/404\nFile2=%[1]s/radio\nTitle2=From PLS\n", base)
	})
	mux.HandleFunc("/loop.m3u", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "#EXTM3U\n%[1]s/loop.m3u\n", base)
	})
	// A VOD too long for the probe's head: the loader reads it whole.
	text("/vod.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:2\n"+strings.Repeat("#"+strings.Repeat("c", 1000)+"\n", 100)+
		"#EXTINF:2.5,\na.mp3\n#EXTINF:5,\nb.mp3\n#EXT-X-ENDLIST\n")
	text("/master.m3u8", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=9,RESOLUTION=1x1\nnope.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"mp4a.40.2\"\nvod.m3u8\n")
	text("/sample-aes.m3u8", "#EXTM3U\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"k\"\n#EXTINF:1,\na.ts\n#EXT-X-ENDLIST\n")
	text("/live.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:1\n#EXTINF:6,\nseg1.ts\n")
	text("/empty.m3u", "#EXTM3U\n")
	text("/notaudio", "<html>hello</html>")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		mux.ServeHTTP(w, r)
	}))
	base = srv.URL
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestLoadHTTP(t *testing.T) {
	srv, _ := testServer(t)
	l := newLoader(t, Config{HTTP: true, AllowPrivate: true})
	u := srv.URL
	cases := map[string]struct {
		id       string
		loadType lavalink.LoadType
		check    func(t *testing.T, r lavalink.LoadResult)
	}{
		"mp3 with tags": {u + "/media/id3.mp3", lavalink.LoadTypeTrack, func(t *testing.T, r lavalink.LoadResult) {
			in := r.Track.Info
			if in.Title != "Tïtle" || in.Author != "Art" || *in.ISRC != "USRC17607839" || in.SourceName != "http" || in.IsStream || abs64(in.Length-2000) > 100 {
				t.Errorf("info %+v", in)
			}
			checkTrack(t, *r.Track, "mp3")
		}},
		"m4a moov at end via range": {u + "/media/end.m4a", lavalink.LoadTypeTrack, func(t *testing.T, r lavalink.LoadResult) {
			if in := r.Track.Info; in.Title != "M4a T" || abs64(in.Length-2000) > 100 {
				t.Errorf("info %+v", in)
			}
			checkTrack(t, *r.Track, "mp4")
		}},
		"ogg length via range": {u + "/media/opus.ogg", lavalink.LoadTypeTrack, func(t *testing.T, r lavalink.LoadResult) {
			if in := r.Track.Info; abs64(in.Length-2000) > 100 || in.IsStream {
				t.Errorf("info %+v", in)
			}
			checkTrack(t, *r.Track, "ogg")
		}},
		"webm": {u + "/media/opus.webm", lavalink.LoadTypeTrack, func(t *testing.T, r lavalink.LoadResult) { checkTrack(t, *r.Track, "matroska/webm") }},
		"defaults": {u + "/media/cbr.mp3", lavalink.LoadTypeTrack, func(t *testing.T, r lavalink.LoadResult) {
			if in := r.Track.Info; in.Title != UnknownTitle || in.Author != UnknownAuthor || in.ISRC != nil || in.ArtworkURL != nil {
				t.Errorf("info %+v", in)
			}
		}},
		"redirects to final url": {u + "/redirect/4", lavalink.LoadTypeTrack, func(t *testing.T, r lavalink.LoadResult) {
			if in := r.Track.Info; in.Identifier != u+"/media/id3.mp3" || *in.URI != in.Identifier {
				t.Errorf("identifier %q", in.Identifier)
			}
		}},
		"too many redirects": {u + "/redirect/5", lavalink.LoadTypeError, wantException("Too many redirects.", lavalink.SeverityCommon)},
		"404 is empty":       {u + "/status/404", lavalink.LoadTypeEmpty, nil},
		"500":                {u + "/status/500", lavalink.LoadTypeError, wantException("That URL is not playable.", lavalink.SeverityCommon)},
		"403":                {u + "/status/403", lavalink.LoadTypeError, wantException("That URL is not playable.", lavalink.SeverityCommon)},
		"not audio":          {u + "/notaudio", lavalink.LoadTypeError, wantException("Unknown file format.", lavalink.SeverityCommon)},
		"icy radio": {u + "/radio", lavalink.LoadTypeTrack, func(t *testing.T, r lavalink.LoadResult) {
			in := r.Track.Info
			if !in.IsStream || in.IsSeekable || in.Length != lavalink.StreamLength || in.Author != "Test Radio" || in.Title != "Live Show" {
				t.Errorf("info %+v", in)
			}
			checkTrack(t, *r.Track, "mp3")
		}},
		"icy scheme": {"icy://" + strings.TrimPrefix(u, "http://") + "/radio", lavalink.LoadTypeTrack, nil},
		"ogg without length is a stream": {u + "/oggstream", lavalink.LoadTypeTrack, func(t *testing.T, r lavalink.LoadResult) {
			if in := r.Track.Info; !in.IsStream || in.Length != lavalink.StreamLength || in.Title != "Opus T" {
				t.Errorf("info %+v", in)
			}
		}},
		"big id3 without ranges": {u + "/bigid3.mp3", lavalink.LoadTypeTrack, func(t *testing.T, r lavalink.LoadResult) {
			if in := r.Track.Info; in.IsStream || abs64(in.Length-2000) > 100 {
				t.Errorf("info %+v", in)
			}
			checkTrack(t, *r.Track, "mp3")
		}},
		"m3u refers to its first link, as lavaplayer": {u + "/list.m3u", lavalink.LoadTypeTrack, func(t *testing.T, r lavalink.LoadResult) {
			if in := r.Track.Info; in.Identifier != u+"/media/id3.mp3" || in.Title != "Tïtle" || in.IsStream {
				t.Errorf("info %+v", in)
			}
			checkTrack(t, *r.Track, "mp3")
		}},
		"pls with a dead first link falls back to the next": {u + "/fallback.pls", lavalink.LoadTypeTrack, func(t *testing.T, r lavalink.LoadResult) {
			if in := r.Track.Info; in.Identifier != u+"/radio" || in.Title != "Live Show" || !in.IsStream {
				t.Errorf("info %+v", in)
			}
		}},
		"playlists in a loop": {u + "/loop.m3u", lavalink.LoadTypeError, wantException("The playlist refers to itself.", lavalink.SeverityCommon)},
		"hls vod": {u + "/vod.m3u8", lavalink.LoadTypeTrack, func(t *testing.T, r lavalink.LoadResult) {
			if in := r.Track.Info; in.IsStream || !in.IsSeekable || in.Length != 7500 {
				t.Errorf("info %+v", in)
			}
			checkTrack(t, *r.Track, "m3u|hls-outer")
		}},
		"hls master of a vod": {u + "/master.m3u8", lavalink.LoadTypeTrack, func(t *testing.T, r lavalink.LoadResult) {
			if in := r.Track.Info; in.IsStream || !in.IsSeekable || in.Length != 7500 || in.Identifier != u+"/master.m3u8" {
				t.Errorf("info %+v", in)
			}
			checkTrack(t, *r.Track, "m3u|hls-outer")
		}},
		"hls sample-aes": {u + "/sample-aes.m3u8", lavalink.LoadTypeError, wantException("HLS encryption SAMPLE-AES", lavalink.SeverityCommon)},
		"pls with one entry refers to it": {u + "/single.pls", lavalink.LoadTypeTrack, func(t *testing.T, r lavalink.LoadResult) {
			if in := r.Track.Info; in.Title != "From PLS" || in.Identifier != u+"/media/cbr.mp3" {
				t.Errorf("info %+v", in)
			}
		}},
		"hls live": {u + "/live.m3u8", lavalink.LoadTypeTrack, func(t *testing.T, r lavalink.LoadResult) {
			if in := r.Track.Info; !in.IsStream || in.Length != lavalink.StreamLength {
				t.Errorf("info %+v", in)
			}
			checkTrack(t, *r.Track, "m3u|hls-outer")
		}},
		"playlist without links": {u + "/empty.m3u", lavalink.LoadTypeError, wantException("The playlist file contains no links.", lavalink.SeverityCommon)},
		"connection refused":     {"http://127.0.0.1:1/x.mp3", lavalink.LoadTypeError, wantException("Connecting to the URL failed.", lavalink.SeveritySuspicious)},
		"bad url":                {"http://[::1", lavalink.LoadTypeError, wantException("Not a valid URL.", lavalink.SeverityCommon)},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := l.Load(context.Background(), c.id)
			if r.LoadType != c.loadType {
				b, _ := json.Marshal(r)
				t.Fatalf("loadType %s, want %s: %s", r.LoadType, c.loadType, b)
			}
			if c.check != nil {
				c.check(t, r)
			}
			if _, err := json.Marshal(r); err != nil {
				t.Fatal(err)
			}
		})
	}

	// Open streams the bytes with a range.
	rc, size, err := l.Open(context.Background(), lavalink.TrackInfo{SourceName: "http", Identifier: u + "/media/id3.mp3"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	rc.Read(buf)
	rc.Close()
	if size <= 3 || string(buf) != "\x04\x00" { // "ID3" then version 4.0
		t.Errorf("Open: size %d, bytes % x", size, buf)
	}
}

func wantException(msg string, sev lavalink.Severity) func(*testing.T, lavalink.LoadResult) {
	return func(t *testing.T, r lavalink.LoadResult) {
		t.Helper()
		if r.Exception.Message == nil || *r.Exception.Message != msg || r.Exception.Severity != sev || r.Exception.Cause == "" {
			t.Errorf("exception %+v, want %q %s", r.Exception, msg, sev)
		}
	}
}

// The SSRF guard refuses private and special addresses in the dialer's
// Control hook, i.e. before connect(2): nothing reaches the peer.
func TestGuardRefusesBeforeConnecting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	defer func() { ln.Close(); <-done }()

	d := newDialer(Config{ConnectTimeout: time.Second})
	port := ln.Addr().(*net.TCPAddr).Port
	targets := []string{
		fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("localhost:%d", port), // loopback, also through DNS
		"10.1.2.3:80", "172.16.0.1:80", "192.168.1.1:80", "169.254.169.254:80", "100.64.0.1:80",
		"0.0.0.0:80", "224.0.0.1:80", "[::1]:80", "[fd00:ec2::254]:80", "[fe80::1%lo]:80",
		"[::ffff:127.0.0.1]:80", "[64:ff9b::a00:1]:80", "[::]:80",
	}
	for _, target := range targets {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := d.DialContext(ctx, "tcp", target)
		cancel()
		if err == nil {
			c.Close()
			t.Errorf("%s: dial succeeded", target)
			continue
		}
		if !errors.Is(err, ErrBlockedAddress) {
			t.Errorf("%s: err = %v, want ErrBlockedAddress", target, err)
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("listener accepted %d connections; the guard must refuse before connecting", n)
	}
	for _, a := range []string{"1.1.1.1", "8.8.8.8", "2606:4700:4700::1111", "93.184.216.34"} {
		if !AddrAllowed(netip.MustParseAddr(a)) {
			t.Errorf("%s refused", a)
		}
	}
}

func TestLoadHTTPGuardedByDefault(t *testing.T) {
	srv, hits := testServer(t)
	l := newLoader(t, Config{HTTP: true})
	for _, id := range []string{srv.URL + "/media/id3.mp3", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/a.mp3"} {
		r := l.Load(context.Background(), id)
		if r.LoadType != lavalink.LoadTypeError || !strings.Contains(r.Exception.Cause, ErrBlockedAddress.Error()) ||
			r.Exception.Severity != lavalink.SeverityCommon {
			b, _ := json.Marshal(r)
			t.Errorf("%s: %s", id, b)
		}
	}
	if _, _, err := l.Open(context.Background(), lavalink.TrackInfo{SourceName: "http", Identifier: srv.URL + "/media/id3.mp3"}, 0); !errors.Is(err, ErrBlockedAddress) {
		t.Errorf("Open: %v", err)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("server saw %d requests", n)
	}
}

func TestSourceManagers(t *testing.T) {
	cases := map[string]struct {
		cfg  Config
		want string
	}{
		"none":  {Config{}, "[]"},
		"http":  {Config{HTTP: true}, `["http"]`},
		"both":  {Config{HTTP: true, Local: true}, `["http","local"]`},
		"local": {Config{Local: true}, `["local"]`},
	}
	for name, c := range cases {
		l := newLoader(t, c.cfg)
		b, _ := json.Marshal(l.SourceManagers())
		if string(b) != c.want {
			t.Errorf("%s: %s, want %s", name, b, c.want)
		}
	}
	if _, err := New(Config{Local: true, LocalRoots: []string{"/nonexistent/root/dir"}}); err == nil {
		t.Error("missing root accepted")
	}
}

// A redirect is a new connection and goes through the guard again: the
// first server is exempted for the test, the one it redirects to is not.
func TestGuardChecksRedirects(t *testing.T) {
	var targetHits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { targetHits.Add(1) }))
	defer target.Close()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/a.mp3", http.StatusFound)
	}))
	defer front.Close()
	exempt := netip.MustParseAddrPort(strings.TrimPrefix(front.URL, "http://"))
	l := newLoader(t, Config{HTTP: true, testExempt: exempt})
	r := l.Load(context.Background(), front.URL+"/start")
	if r.LoadType != lavalink.LoadTypeError || !strings.Contains(r.Exception.Cause, ErrBlockedAddress.Error()) {
		b, _ := json.Marshal(r)
		t.Fatalf("got %s", b)
	}
	if n := targetHits.Load(); n != 0 {
		t.Errorf("redirect target saw %d requests", n)
	}
}

func TestConfigFromSettings(t *testing.T) {
	s := settings.Default()
	c := ConfigFromSettings(s)
	if !c.HTTP || c.Local || c.AllowPrivate || c.ConnectTimeout != 3*time.Second || c.SocketTimeout != 3*time.Second {
		t.Errorf("defaults: %+v", c)
	}
	s.Lavalink.Sources["local"] = true
	s.AudioNode.LocalRoots = []string{"/music"}
	s.AudioNode.HTTPAllowPrivate = true
	s.Lavalink.Timeouts.SocketTimeoutMs = 500
	c = ConfigFromSettings(s)
	if !c.Local || c.LocalRoots[0] != "/music" || !c.AllowPrivate || c.SocketTimeout != 500*time.Millisecond {
		t.Errorf("mapped: %+v", c)
	}
	if got := c.SourceManagers(); len(got) != 2 || got[0] != "http" || got[1] != "local" {
		t.Errorf("source managers %v", got)
	}
}

func TestOpenIdleTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("some bytes"))
		w.(http.Flusher).Flush()
		select { // then stall
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	l := newLoader(t, Config{HTTP: true, AllowPrivate: true, SocketTimeout: 100 * time.Millisecond})
	rc, _, err := l.Open(context.Background(), lavalink.TrackInfo{SourceName: "http", Identifier: srv.URL + "/live"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	buf := make([]byte, 64)
	for {
		_, err := rc.Read(buf)
		if err != nil {
			if !errors.Is(err, ErrIdleTimeout) {
				t.Fatalf("err = %v, want ErrIdleTimeout", err)
			}
			return
		}
	}
}

// An endless body is read only as far as the probe needs: the load
// returns a stream track, having consumed a bounded amount.
func TestLoadEndlessBodyIsBounded(t *testing.T) {
	dir := mediaFiles(t)
	frames, err := os.ReadFile(filepath.Join(dir, "cbr.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	var written atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for r.Context().Err() == nil {
			n, err := w.Write(frames)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	l := newLoader(t, Config{HTTP: true, AllowPrivate: true})
	r := l.Load(context.Background(), srv.URL+"/endless")
	if r.LoadType != lavalink.LoadTypeTrack || !r.Track.Info.IsStream {
		b, _ := json.Marshal(r)
		t.Fatalf("got %s", b)
	}
	// Socket buffers absorb some megabytes; an unbounded read would not stop.
	if n := written.Load(); n > 64<<20 {
		t.Errorf("server wrote %d bytes", n)
	}
}

// Close is idempotent, and a closed confined loader never falls back to
// opening paths without its roots.
func TestCloseConfined(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "a.mp3"), []byte("ID3\x03\x00\x00\x00\x00\x00\x00"), 0o644)
	l, err := New(Config{Local: true, LocalRoots: []string{root}})
	if err != nil {
		t.Fatal(err)
	}
	if r := l.Load(context.Background(), filepath.Join(root, "a.mp3")); r.LoadType != lavalink.LoadTypeTrack {
		t.Fatalf("before close: %s", r.LoadType)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if r := l.Load(context.Background(), filepath.Join(root, "a.mp3")); r.LoadType != lavalink.LoadTypeError {
		t.Fatalf("after close: %s", r.LoadType)
	}
}
