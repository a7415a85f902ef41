package source

import (
	"bufio"
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/audionode/audionode/node/lavalink"
	"github.com/audionode/audionode/node/routeplanner"
)

// hlsServer serves fixed resources and counts the requests for each path.
type hlsServer struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string]func(w http.ResponseWriter, r *http.Request)
	hits  map[string]int
}

func newHLSServer(t *testing.T) *hlsServer {
	s := &hlsServer{files: map[string]func(http.ResponseWriter, *http.Request){}, hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		h := s.files[r.URL.Path]
		s.mu.Unlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// file serves b with range support (http.ServeContent).
func (s *hlsServer) file(path string, b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, path, time.Time{}, bytes.NewReader(b))
	}
}

func (s *hlsServer) handle(path string, h func(w http.ResponseWriter, r *http.Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = h
}

func (s *hlsServer) hitsOf(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func segData(i int) []byte { return []byte(fmt.Sprintf("<segment %d>", i)) }

// id3 is an ID3v2.4 tag with a PRIV frame, as packed audio starts with.
func id3(payload int) []byte {
	b := []byte{'I', 'D', '3', 4, 0, 0, 0, 0, byte(payload >> 7), byte(payload & 0x7F)}
	return append(b, bytes.Repeat([]byte{'p'}, payload)...)
}

func openHLS(t *testing.T, l *Loader, link string, pos time.Duration) (Media, []byte, error) {
	t.Helper()
	m, err := l.OpenMedia(context.Background(), lavalink.TrackInfo{SourceName: "http", Identifier: link}, pos)
	if err != nil {
		return m, nil, err
	}
	defer m.Body.Close()
	var b []byte
	for {
		part, err := io.ReadAll(m.Body)
		b = append(b, part...)
		if err != nil || m.Resume == nil || !m.Resume() {
			return m, b, err
		}
		b = append(b, "<discontinuity>"...)
	}
}

func TestHLSReaderVOD(t *testing.T) {
	s := newHLSServer(t)
	l := newLoader(t, Config{HTTP: true, AllowPrivate: true})
	for i := range 4 {
		s.file(fmt.Sprintf("/seg%d.mp3", i), append(id3(200), segData(i)...))
	}
	s.file("/vod.m3u8", []byte("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nseg0.mp3\n#EXTINF:2.0,\nseg1.mp3\n#EXTINF:1.5,\nseg2.mp3\n#EXTINF:2,\nseg3.mp3\n#EXT-X-ENDLIST\n"))
	cases := map[string]struct {
		pos      time.Duration
		start    time.Duration
		firstSeg int
	}{
		"from the start":    {0, 0, 0},
		"inside the second": {3 * time.Second, 2 * time.Second, 1},
		"on a boundary":     {5500 * time.Millisecond, 5500 * time.Millisecond, 3},
		"past the end":      {time.Hour, 5500 * time.Millisecond, 3},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m, b, err := openHLS(t, l, s.URL+"/vod.m3u8", c.pos)
			if err != nil {
				t.Fatal(err)
			}
			var want []byte
			for i := c.firstSeg; i < 4; i++ {
				want = append(want, segData(i)...)
			}
			if !m.HLS || m.Start != c.start || m.Length != 7500*time.Millisecond || !m.Seekable() || string(b) != string(want) {
				t.Errorf("media %+v, bytes %q, want start %v and %q", m, b, c.start, want)
			}
		})
	}
}

func TestHLSReaderMapRangesAndKeys(t *testing.T) {
	s := newHLSServer(t)
	l := newLoader(t, Config{HTTP: true, AllowPrivate: true})
	// One resource holds both init sections and three segments.
	blob := []byte("INIT-A|INIT-B|seg0|seg1|seg2|")
	s.file("/blob.mp4", blob)
	key := []byte("0123456789abcdef")
	s.file("/key", key)
	enc := func(plain []byte, iv []byte) []byte {
		block, _ := aes.NewCipher(key)
		pad := 16 - len(plain)%16
		p := append(append([]byte{}, plain...), bytes.Repeat([]byte{byte(pad)}, pad)...)
		out := make([]byte, len(p))
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, p)
		return out
	}
	seqIV := make([]byte, 16)
	binary.BigEndian.PutUint64(seqIV[8:], 7)
	big := bytes.Repeat([]byte("0123456789"), 1000) // many blocks, streamed
	s.file("/enc7.ts", enc(big, seqIV))
	iv := bytes.Repeat([]byte{0xAB}, 16)
	s.file("/enc8.ts", enc([]byte("short"), iv))
	s.file("/p.m3u8", []byte(`#EXTM3U
#EXT-X-TARGETDURATION:1
#EXT-X-MEDIA-SEQUENCE:4
#EXT-X-MAP:URI="blob.mp4",BYTERANGE="7@0"
#EXTINF:1,
#EXT-X-BYTERANGE:5@14
blob.mp4
#EXTINF:1,
#EXT-X-BYTERANGE:5
blob.mp4
#EXT-X-DISCONTINUITY
#EXT-X-MAP:URI="blob.mp4",BYTERANGE="7@7"
#EXTINF:1,
#EXT-X-BYTERANGE:5@24
blob.mp4
#EXT-X-KEY:METHOD=AES-128,URI="key"
#EXTINF:1,
enc7.ts
#EXT-X-KEY:METHOD=AES-128,URI="key",IV=0xABABABABABABABABABABABABABABABAB
#EXTINF:1,
enc8.ts
#EXT-X-ENDLIST
`))
	_, b, err := openHLS(t, l, s.URL+"/p.m3u8", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := "INIT-A|seg0|seg1|<discontinuity>INIT-B|seg2|" + string(big) + "short"
	if string(b) != want {
		t.Fatalf("got %d bytes %.80q…, want %d bytes %.80q…", len(b), b, len(want), want)
	}
	if n := s.hitsOf("/key"); n != 1 {
		t.Errorf("key fetched %d times, want once", n)
	}
}

// After a discontinuity the next part starts with its init section even
// when it did not change: the new decoder needs it.
func TestHLSReaderDiscontinuitySameInit(t *testing.T) {
	s := newHLSServer(t)
	l := newLoader(t, Config{HTTP: true, AllowPrivate: true})
	s.file("/init.mp4", []byte("INIT|"))
	for i := range 3 {
		s.file(fmt.Sprintf("/s%d.m4s", i), segData(i))
	}
	s.file("/p.m3u8", []byte("#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:1,\ns0.m4s\n#EXTINF:1,\ns1.m4s\n#EXT-X-DISCONTINUITY\n#EXTINF:1,\ns2.m4s\n#EXT-X-ENDLIST\n"))
	_, b, err := openHLS(t, l, s.URL+"/p.m3u8", 0)
	want := "INIT|" + string(segData(0)) + string(segData(1)) + "<discontinuity>INIT|" + string(segData(2))
	if err != nil || string(b) != want {
		t.Fatalf("got %q, %v; want %q", b, err, want)
	}
	// Opened after the discontinuity (a seek), there is no part to end.
	_, b, err = openHLS(t, l, s.URL+"/p.m3u8", 2500*time.Millisecond)
	if err != nil || string(b) != "INIT|"+string(segData(2)) {
		t.Fatalf("from 2.5 s: %q, %v", b, err)
	}
}

// A live playlist that grows by one segment per reload and ends with
// ENDLIST is played whole, each segment once, in order.
func TestHLSReaderLive(t *testing.T) {
	s := newHLSServer(t)
	l := newLoader(t, Config{HTTP: true, AllowPrivate: true})
	const total = 6
	var want []byte
	for i := range total {
		s.file(fmt.Sprintf("/s%d.mp3", i), segData(i))
		want = append(want, segData(i)...)
	}
	var mu sync.Mutex
	published := 3
	s.handle("/live.m3u8", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n := published
		if published < total {
			published++
		}
		mu.Unlock()
		first := max(n-4, 0) // a sliding window of four
		fmt.Fprintf(w, "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:%d\n", first)
		for i := first; i < n; i++ {
			fmt.Fprintf(w, "#EXTINF:0.5,\ns%d.mp3\n", i)
		}
		if n == total {
			fmt.Fprint(w, "#EXT-X-ENDLIST\n")
		}
	})
	m, b, err := openHLS(t, l, s.URL+"/live.m3u8", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(want) || m.Seekable() || m.Length != -1 || m.Start != 0 {
		t.Fatalf("got %q, want %q (media %+v)", b, want, m)
	}
	for i := range total {
		if n := s.hitsOf(fmt.Sprintf("/s%d.mp3", i)); n != 1 {
			t.Errorf("segment %d fetched %d times", i, n)
		}
	}
}

// Segments that leave the window before the reader reloads are counted
// and logged; the reader goes on from the oldest one still listed.
func TestHLSReaderLiveGap(t *testing.T) {
	s := newHLSServer(t)
	l := newLoader(t, Config{HTTP: true, AllowPrivate: true})
	for i := range 20 {
		s.file(fmt.Sprintf("/s%d.mp3", i), segData(i))
	}
	var mu sync.Mutex
	calls := 0
	s.handle("/live.m3u8", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		c := calls
		mu.Unlock()
		first, end := 0, ""
		if c > 1 {
			first, end = 10, "#EXT-X-ENDLIST\n"
		}
		fmt.Fprintf(w, "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:%d\n", first)
		for i := first; i < first+3; i++ {
			fmt.Fprintf(w, "#EXTINF:1,\ns%d.mp3\n", i)
		}
		fmt.Fprint(w, end)
	})
	m, err := l.OpenMedia(context.Background(), lavalink.TrackInfo{SourceName: "http", Identifier: s.URL + "/live.m3u8"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Body.Close()
	b, err := io.ReadAll(m.Body)
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for _, i := range []int{0, 1, 2, 10, 11, 12} {
		want = append(want, segData(i)...)
	}
	if string(b) != string(want) {
		t.Fatalf("got %q, want %q", b, want)
	}
	if g := m.Body.(*hlsReader).gaps; g != 7 {
		t.Errorf("gaps %d, want 7", g)
	}
}

// Cancelling the context ends a read that waits for the next reload.
func TestHLSReaderCancel(t *testing.T) {
	s := newHLSServer(t)
	l := newLoader(t, Config{HTTP: true, AllowPrivate: true})
	s.file("/s0.mp3", segData(0))
	s.file("/live.m3u8", []byte("#EXTM3U\n#EXT-X-TARGETDURATION:30\n#EXTINF:30,\ns0.mp3\n"))
	ctx, cancel := context.WithCancel(context.Background())
	m, err := l.OpenMedia(ctx, lavalink.TrackInfo{SourceName: "http", Identifier: s.URL + "/live.m3u8"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Body.Close()
	buf := make([]byte, len(segData(0)))
	if n, err := io.ReadFull(m.Body, buf); err != nil || string(buf[:n]) != string(segData(0)) {
		t.Fatalf("first read %q, %v", buf[:n], err)
	}
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err = m.Body.Read(buf)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 2*time.Second {
		t.Fatalf("read after cancel: %v after %v", err, time.Since(start))
	}
}

// Broken playlists and segments end in matchable errors, never a panic or
// a hang.
func TestHLSErrors(t *testing.T) {
	s := newHLSServer(t)
	l := newLoader(t, Config{HTTP: true, AllowPrivate: true})
	u := s.URL
	s.file("/s0.mp3", segData(0))
	s.file("/big.m3u8", append([]byte("#EXTM3U\n"), bytes.Repeat([]byte("#comment\n"), maxPlaylistBytes/9+1)...))
	s.file("/missing.m3u8", []byte("#EXTM3U\n#EXTINF:1,\ns0.mp3\n#EXTINF:1,\nnope.mp3\n#EXT-X-ENDLIST\n"))
	s.file("/sample-aes.m3u8", []byte("#EXTM3U\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"k\"\n#EXTINF:1,\ns0.mp3\n#EXT-X-ENDLIST\n"))
	s.file("/badkey.m3u8", []byte("#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"s0.mp3\"\n#EXTINF:1,\ns0.mp3\n#EXT-X-ENDLIST\n"))
	s.file("/nokey.m3u8", []byte("#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"nokey\"\n#EXTINF:1,\ns0.mp3\n#EXT-X-ENDLIST\n"))
	s.file("/master2.m3u8", []byte("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nmaster2.m3u8\n"))
	s.file("/empty.m3u8", []byte("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-ENDLIST\n"))
	s.file("/loop.pls", []byte(fmt.Sprintf("[playlist]\nFile1=%s/loop2.m3u\n", u)))
	s.file("/loop2.m3u", []byte(fmt.Sprintf("#EXTM3U\n%s/loop.pls\n", u)))
	s.file("/dead.pls", []byte(fmt.Sprintf("[playlist]\nFile1=%[1]s/gone1\nFile2=%[1]s/gone2\n", u)))
	s.file("/undecryptable.m3u8", []byte("#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"key16\"\n#EXTINF:1,\ns0.mp3\n#EXT-X-ENDLIST\n"))
	s.file("/key16", []byte("0123456789abcdef"))
	s.handle("/huge-seg.mp3", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "audio/mpeg")
		w.(http.Flusher).Flush()
		chunk := make([]byte, 1<<20)
		for range maxSegmentBytes>>20 + 1 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	s.file("/huge.m3u8", []byte("#EXTM3U\n#EXTINF:1,\nhuge-seg.mp3\n#EXT-X-ENDLIST\n"))
	cases := map[string]struct {
		path string
		err  error
	}{
		"playlist too large":        {"/big.m3u8", ErrPlaylistTooLarge},
		"missing segment":           {"/missing.m3u8", ErrSegment},
		"SAMPLE-AES":                {"/sample-aes.m3u8", ErrUnsupported},
		"key of the wrong size":     {"/badkey.m3u8", ErrBadPlaylist},
		"missing key":               {"/nokey.m3u8", ErrSegment},
		"master refers to a master": {"/master2.m3u8", ErrPlaylistLoop},
		"VOD without segments":      {"/empty.m3u8", ErrBadPlaylist},
		"playlists refer in a loop": {"/loop.pls", ErrPlaylistLoop},
		"no entry plays":            {"/dead.pls", ErrBadPlaylist},
		"segment not whole blocks":  {"/undecryptable.m3u8", ErrBadPlaylist},
		"segment too large":         {"/huge.m3u8", ErrPlaylistTooLarge},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := openHLS(t, l, u+c.path, 0)
			if !errors.Is(err, c.err) {
				t.Fatalf("err %v, want %v", err, c.err)
			}
		})
	}
}

// Reading within a segment allocates nothing (segment boundaries do:
// one HTTP request each).
func TestHLSReaderAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	s := newHLSServer(t)
	l := newLoader(t, Config{HTTP: true, AllowPrivate: true})
	key := []byte("0123456789abcdef")
	plain := make([]byte, 8<<20)
	block, _ := aes.NewCipher(key)
	encd := make([]byte, len(plain)+16)
	copy(encd, plain)
	for i := len(plain); i < len(encd); i++ {
		encd[i] = 16
	}
	cipher.NewCBCEncrypter(block, make([]byte, 16)).CryptBlocks(encd, encd)
	s.file("/clear.ts", plain)
	s.file("/enc.ts", encd)
	s.file("/key", key)
	for name, pl := range map[string]string{
		"clear":   "#EXTM3U\n#EXTINF:60,\nclear.ts\n#EXT-X-ENDLIST\n",
		"AES-128": "#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"key\",IV=0x0\n#EXTINF:60,\nenc.ts\n#EXT-X-ENDLIST\n",
	} {
		t.Run(name, func(t *testing.T) {
			s.file("/a.m3u8", []byte(pl))
			m, err := l.OpenMedia(context.Background(), lavalink.TrackInfo{SourceName: "http", Identifier: s.URL + "/a.m3u8"}, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Body.Close()
			buf := make([]byte, 4000) // 20 ms of a 1.6 Mbit/s stream
			if _, err := io.ReadFull(m.Body, buf); err != nil {
				t.Fatal(err)
			}
			allocs := testing.AllocsPerRun(500, func() {
				if _, err := io.ReadFull(m.Body, buf); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%.2f allocations per 20 ms read, want 0", allocs)
			}
		})
	}
}

// FuzzCBCReader: arbitrary ciphertext never panics and never yields more
// bytes than it had.
func FuzzCBCReader(f *testing.F) {
	f.Add(make([]byte, 32), 3)
	f.Add(make([]byte, 17), 1)
	f.Add(make([]byte, 8192), 4096)
	block, _ := aes.NewCipher(make([]byte, 16))
	f.Fuzz(func(t *testing.T, b []byte, chunk int) {
		var c cbcReader
		var in io.Reader = bytes.NewReader(b)
		if chunk > 0 {
			in = &chunkReader{r: in, n: chunk}
		}
		c.reset(in, cipher.NewCBCDecrypter(block, make([]byte, 16)))
		out, err := io.ReadAll(&c)
		if len(out) > len(b) {
			t.Fatalf("%d bytes from %d", len(out), len(b))
		}
		if err == nil && len(b)%16 != 0 {
			t.Fatalf("no error for %d bytes", len(b))
		}
	})
}

type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}

// BenchmarkHLSReader reads a 128 kbit/s stream of 1 s segments in 20 ms
// pieces from a local server: the per-segment requests included.
func BenchmarkHLSReader(b *testing.B) {
	for _, enc := range []bool{false, true} {
		name := "clear"
		if enc {
			name = "AES-128"
		}
		b.Run(name, func(b *testing.B) {
			mux := http.NewServeMux()
			seg := make([]byte, 16000)
			key := make([]byte, 16)
			keyLine := ""
			if enc {
				block, _ := aes.NewCipher(key)
				seg = append(seg, bytes.Repeat([]byte{16}, 16)...)
				cipher.NewCBCEncrypter(block, make([]byte, 16)).CryptBlocks(seg, seg)
				keyLine = "#EXT-X-KEY:METHOD=AES-128,URI=\"key\",IV=0x1\n"
			}
			mux.HandleFunc("/seg.mp3", func(w http.ResponseWriter, r *http.Request) { w.Write(seg) })
			mux.HandleFunc("/key", func(w http.ResponseWriter, r *http.Request) { w.Write(key) })
			var pl strings.Builder
			pl.WriteString("#EXTM3U\n#EXT-X-TARGETDURATION:1\n" + keyLine)
			for range maxSegments {
				pl.WriteString("#EXTINF:1,\nseg.mp3\n")
			}
			pl.WriteString("#EXT-X-ENDLIST\n")
			mux.HandleFunc("/p.m3u8", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, pl.String()) })
			srv := httptest.NewServer(mux)
			defer srv.Close()
			l, _ := New(Config{HTTP: true, AllowPrivate: true})
			defer l.Close()
			open := func() io.ReadCloser {
				m, err := l.OpenMedia(context.Background(), lavalink.TrackInfo{SourceName: "http", Identifier: srv.URL + "/p.m3u8"}, 0)
				if err != nil {
					b.Fatal(err)
				}
				return m.Body
			}
			body := open()
			defer func() { body.Close() }()
			buf := make([]byte, 320) // 20 ms at 128 kbit/s
			b.ReportAllocs()
			for b.Loop() {
				if _, err := io.ReadFull(body, buf); err != nil {
					// The end of 10000 segments: start over (rare).
					body.Close()
					body = open()
				}
			}
			b.ReportMetric(float64(20*time.Millisecond)/(float64(b.Elapsed())/float64(b.N)), "x_realtime")
		})
	}
}

// Playlist entries, HLS segments and keys go through the SSRF guard like
// the first request: a public-facing playlist cannot point playback at a
// private address. (The front server is exempted for the test.)
func TestGuardChecksPlaylistTargets(t *testing.T) {
	var targetHits sync.Map
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		targetHits.Store(r.URL.Path, true)
		w.Write([]byte("sixteen byte key"))
	}))
	defer target.Close()
	front := newHLSServer(t)
	front.file("/s0.mp3", segData(0))
	front.file("/radio.pls", []byte("[playlist]\nFile1="+target.URL+"/stream\n"))
	front.file("/seg.m3u8", []byte("#EXTM3U\n#EXTINF:1,\n"+target.URL+"/seg.ts\n#EXT-X-ENDLIST\n"))
	front.file("/key.m3u8", []byte("#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\""+target.URL+"/key\"\n#EXTINF:1,\ns0.mp3\n#EXT-X-ENDLIST\n"))
	front.file("/master.m3u8", []byte("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n"+target.URL+"/media.m3u8\n"))
	exempt := netip.MustParseAddrPort(strings.TrimPrefix(front.URL, "http://"))
	l := newLoader(t, Config{HTTP: true, testExempt: exempt})
	for _, p := range []string{"/radio.pls", "/seg.m3u8", "/key.m3u8", "/master.m3u8"} {
		t.Run(p, func(t *testing.T) {
			_, _, err := openHLS(t, l, front.URL+p, 0)
			if !errors.Is(err, ErrBlockedAddress) {
				t.Fatalf("err %v, want %v", err, ErrBlockedAddress)
			}
		})
	}
	targetHits.Range(func(k, _ any) bool {
		t.Errorf("private target saw %v", k)
		return true
	})
}

// Playlists, segments, keys and SHOUTcast v1 streams all leave from the
// route planner's address.
func TestStreamsUseRoutePlanner(t *testing.T) {
	p, err := routeplanner.New(routeplanner.Config{
		IPBlocks:    []netip.Prefix{netip.MustParsePrefix("127.0.0.0/29")},
		ExcludedIPs: []netip.Addr{netip.MustParseAddr("127.0.0.0"), netip.MustParseAddr("127.0.0.1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	l := newLoader(t, Config{HTTP: true, AllowPrivate: true, Planner: p})
	var mu sync.Mutex
	from := map[string]bool{}
	mux := http.NewServeMux()
	mux.HandleFunc("/p.m3u8", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"key\",IV=0x1\n#EXTINF:1,\ns.ts\n#EXT-X-ENDLIST\n")
	})
	key := []byte("0123456789abcdef")
	mux.HandleFunc("/key", func(w http.ResponseWriter, r *http.Request) { w.Write(key) })
	mux.HandleFunc("/s.ts", func(w http.ResponseWriter, r *http.Request) {
		b := append([]byte("0123456789"), bytes.Repeat([]byte{6}, 6)...)
		block, _ := aes.NewCipher(key)
		iv := make([]byte, 16)
		iv[15] = 1
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(b, b)
		w.Write(b)
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		mu.Lock()
		from[host] = true
		mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	defer srv.Close()
	if _, b, err := openHLS(t, l, srv.URL+"/p.m3u8", 0); err != nil || string(b) != "0123456789" {
		t.Fatalf("hls: %q, %v", b, err)
	}
	mu.Lock()
	if len(from) != 1 || !from["127.0.0.2"] {
		t.Errorf("requests came from %v, want 127.0.0.2", from)
	}
	mu.Unlock()
	// SHOUTcast v1 through the planner's dialer and the ICY rewrite.
	audio := bytes.Repeat([]byte("audio"), 5000)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
		peer <- host
		http.ReadRequest(bufio.NewReader(c))
		c.Write([]byte("ICY 200 OK\r\nicy-metaint:1000\r\n\r\n"))
		c.Write(icyBody(audio, 1000, func(int) string { return "StreamTitle='x';" }))
	}()
	m, err := l.OpenMedia(context.Background(), lavalink.TrackInfo{SourceName: "http", Identifier: "http://" + ln.Addr().String() + "/"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(m.Body)
	m.Body.Close()
	if err != nil || !bytes.Equal(got, audio) || <-peer != "127.0.0.2" {
		t.Fatalf("icy: %d bytes, %v", len(got), err)
	}
}

// A live stream whose media sequence numbers go back (its encoder
// restarted) is joined again at its live edge, as a new part.
func TestHLSReaderLiveRestart(t *testing.T) {
	s := newHLSServer(t)
	l := newLoader(t, Config{HTTP: true, AllowPrivate: true})
	var mu sync.Mutex
	calls := 0
	s.handle("/live.m3u8", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		c := calls
		mu.Unlock()
		first, end := 100, ""
		if c > 1 {
			first, end = 0, "#EXT-X-ENDLIST\n"
		}
		fmt.Fprintf(w, "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:%d\n", first)
		for i := first; i < first+3; i++ {
			fmt.Fprintf(w, "#EXTINF:1,\ns%d.mp3\n", i)
		}
		fmt.Fprint(w, end)
	})
	for _, i := range []int{0, 1, 2, 100, 101, 102} {
		s.file(fmt.Sprintf("/s%d.mp3", i), segData(i))
	}
	_, b, err := openHLS(t, l, s.URL+"/live.m3u8", 0)
	want := string(segData(100)) + string(segData(101)) + string(segData(102)) + "<discontinuity>" +
		string(segData(0)) + string(segData(1)) + string(segData(2))
	if err != nil || string(b) != want {
		t.Fatalf("got %q, %v; want %q", b, err, want)
	}
}

// A live playlist that stops growing ends the stream with an error
// instead of waiting forever.
func TestHLSReaderLiveStall(t *testing.T) {
	defer func(v time.Duration) { liveStallTargets = v }(liveStallTargets)
	liveStallTargets = 1
	s := newHLSServer(t)
	l := newLoader(t, Config{HTTP: true, AllowPrivate: true})
	s.file("/s0.mp3", segData(0))
	s.file("/live.m3u8", []byte("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\ns0.mp3\n"))
	start := time.Now()
	_, b, err := openHLS(t, l, s.URL+"/live.m3u8", 0)
	if !errors.Is(err, ErrSegment) || string(b) != string(segData(0)) || time.Since(start) > 3*time.Second {
		t.Fatalf("got %q, %v after %v", b, err, time.Since(start))
	}
}

// The queue of pending live segments is bounded: a reload that lists more
// keeps the newest, counting the dropped ones.
func TestHLSReaderLiveQueueBound(t *testing.T) {
	s := newHLSServer(t)
	l := newLoader(t, Config{HTTP: true, AllowPrivate: true})
	var mu sync.Mutex
	calls := 0
	s.handle("/live.m3u8", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		c := calls
		mu.Unlock()
		last, end := 3, ""
		if c > 1 {
			last, end = 51, "#EXT-X-ENDLIST\n"
		}
		fmt.Fprint(w, "#EXTM3U\n#EXT-X-TARGETDURATION:1\n")
		for i := range last {
			fmt.Fprintf(w, "#EXTINF:1,\ns%d.mp3\n", i)
		}
		fmt.Fprint(w, end)
	})
	var want []byte
	for i := range 51 {
		s.file(fmt.Sprintf("/s%d.mp3", i), segData(i))
		if i < 3 || i >= 51-maxPending {
			want = append(want, segData(i)...)
		}
	}
	m, b, err := openHLS(t, l, s.URL+"/live.m3u8", 0)
	if err != nil || string(b) != string(want) {
		t.Fatalf("got %q, %v; want %q", b, err, want)
	}
	if g := m.Body.(*hlsReader).gaps; g != 48-maxPending {
		t.Errorf("gaps %d, want %d", g, 48-maxPending)
	}
}

// A live playlist reload that fails once is retried; three in a row end
// the stream.
func TestHLSReaderLiveReloadRetry(t *testing.T) {
	for name, c := range map[string]struct {
		failures int
		want     string
		err      error
	}{
		"one failure":    {1, string(segData(0)) + string(segData(1)) + string(segData(2)), nil},
		"three failures": {3, string(segData(0)) + string(segData(1)), ErrSegment},
	} {
		t.Run(name, func(t *testing.T) {
			s := newHLSServer(t)
			l := newLoader(t, Config{HTTP: true, AllowPrivate: true})
			for i := range 3 {
				s.file(fmt.Sprintf("/s%d.mp3", i), segData(i))
			}
			var mu sync.Mutex
			calls := 0
			s.handle("/live.m3u8", func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				calls++
				cl := calls
				mu.Unlock()
				switch {
				case cl == 1:
					io.WriteString(w, "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\ns0.mp3\n#EXTINF:1,\ns1.mp3\n")
				case cl <= 1+c.failures:
					http.Error(w, "busy", http.StatusServiceUnavailable)
				default:
					io.WriteString(w, "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\ns0.mp3\n#EXTINF:1,\ns1.mp3\n#EXTINF:1,\ns2.mp3\n#EXT-X-ENDLIST\n")
				}
			})
			_, b, err := openHLS(t, l, s.URL+"/live.m3u8", 0)
			if string(b) != c.want || !errors.Is(err, c.err) {
				t.Fatalf("got %q, %v; want %q, %v", b, err, c.want, c.err)
			}
		})
	}
}

// fakeRT serves a fuzzed playlist for *.m3u8 and a fuzzed segment for
// everything else, without a network.
type fakeRT struct{ playlist, seg []byte }

func (f fakeRT) RoundTrip(r *http.Request) (*http.Response, error) {
	body := f.seg
	if strings.HasSuffix(r.URL.Path, ".m3u8") {
		body = f.playlist
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, ContentLength: -1,
		Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
}

// FuzzHLSReader plays arbitrary playlists over arbitrary segment bytes
// (ID3 headers, AES blocks, discontinuities, byte ranges): never a panic,
// never more bytes than the segments hold.
func FuzzHLSReader(f *testing.F) {
	f.Add([]byte("#EXTM3U\n#EXTINF:1,\na.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:1,\nb.ts\n#EXT-X-ENDLIST\n"), append(id3(20), "data"...), int64(0))
	f.Add([]byte("#EXTM3U\n#EXT-X-MAP:URI=\"i.mp4\"\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\"\n#EXTINF:1,\n#EXT-X-BYTERANGE:16@0\na.ts\n#EXT-X-ENDLIST\n"), make([]byte, 32), int64(500))
	f.Add([]byte("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n"), []byte("ID3\x04\x00\x10\x7f\x7f\x7f\x7f"), int64(0))
	f.Add([]byte("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\na.ts\n"), []byte("x"), int64(0))
	f.Fuzz(func(t *testing.T, playlist, seg []byte, posMs int64) {
		l := &Loader{cfg: Config{HTTP: true, SocketTimeout: time.Second}, client: &http.Client{Transport: fakeRT{playlist, seg}}}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		m, err := l.OpenMedia(ctx, lavalink.TrackInfo{SourceName: "http", Identifier: "http://fuzz.invalid/p.m3u8"}, time.Duration(posMs)*time.Millisecond)
		if err != nil {
			return
		}
		defer m.Body.Close()
		total := 0
		for parts := 0; parts < 100; parts++ {
			b, err := io.ReadAll(io.LimitReader(m.Body, 1<<20))
			total += len(b)
			if err != nil || m.Resume == nil || !m.Resume() {
				break
			}
		}
		if limit := (maxSegments + 1) * (len(seg) + len(playlist)); total > limit {
			t.Fatalf("%d bytes from segments of %d", total, len(seg))
		}
	})
}
