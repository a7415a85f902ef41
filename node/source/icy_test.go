package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/audionode/audionode/node/lavalink"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

// icyBody interleaves audio with metadata blocks every metaInt bytes, the
// way Icecast does; titles[i] goes into block i ("" gives an empty block).
func icyBody(audio []byte, metaInt int, titles func(i int) string) []byte {
	var b bytes.Buffer
	for i := 0; len(audio) > 0; i++ {
		n := min(metaInt, len(audio))
		b.Write(audio[:n])
		audio = audio[n:]
		if n < metaInt {
			break
		}
		t := titles(i)
		if t == "" {
			b.WriteByte(0)
			continue
		}
		m := []byte(t)
		pad := (16 - len(m)%16) % 16
		m = append(m, make([]byte, pad)...)
		b.WriteByte(byte(len(m) / 16))
		b.Write(m)
	}
	return b.Bytes()
}

func TestICYReader(t *testing.T) {
	audio := make([]byte, 100_000)
	for i := range audio {
		audio[i] = byte(i*7 + i>>8)
	}
	cases := map[string]struct {
		body      []byte
		metaInt   string
		oneByte   bool
		wantAudio []byte
		wantTitle string
		wantErr   error
	}{
		"titles change every block": {
			body:    icyBody(audio, 8192, func(i int) string { return fmt.Sprintf("StreamTitle='Song %d';StreamUrl='';", i) }),
			metaInt: "8192", wantAudio: audio, wantTitle: "Song 11",
		},
		"empty blocks": {
			body:    icyBody(audio, 1000, func(int) string { return "" }),
			metaInt: "1000", wantAudio: audio,
		},
		"one byte at a time": {
			body:    icyBody(audio[:5000], 333, func(i int) string { return "StreamTitle='It''s ok';" }),
			metaInt: "333", oneByte: true, wantAudio: audio[:5000], wantTitle: "It''s ok",
		},
		"largest block": {
			body:    icyBody(audio[:3000], 1000, func(int) string { return "StreamTitle='" + strings.Repeat("x", 16*255-15) + "';" }),
			metaInt: "1000", wantAudio: audio[:3000], wantTitle: strings.Repeat("x", 16*255-15),
		},
		"quote inside the title": {
			body:    icyBody(audio[:2000], 1000, func(int) string { return "StreamTitle='Rock 'n' Roll';" }),
			metaInt: "1000", wantAudio: audio[:2000], wantTitle: "Rock 'n' Roll",
		},
		"truncated block": {
			body:    append(append([]byte{}, audio[:100]...), 3, 'S', 't'),
			metaInt: "100", wantAudio: audio[:100], wantErr: io.ErrUnexpectedEOF,
		},
		"metaint zero":      {metaInt: "0", wantErr: ErrBadICY},
		"metaint garbage":   {metaInt: "8k", wantErr: ErrBadICY},
		"metaint too large": {metaInt: "99999999", wantErr: ErrBadICY},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var in io.Reader = bytes.NewReader(c.body)
			if c.oneByte {
				in = iotest.OneByteReader(in)
			}
			r, err := newICYReader(io.NopCloser(in), c.metaInt, "test")
			if err != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("newICYReader: %v, want %v", err, c.wantErr)
				}
				return
			}
			got, err := io.ReadAll(r)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("read: %v, want %v", err, c.wantErr)
			}
			if !bytes.Equal(got, c.wantAudio) {
				t.Fatalf("audio: %d bytes, want %d (first difference at %d)", len(got), len(c.wantAudio), firstDiff(got, c.wantAudio))
			}
			if r.Title() != c.wantTitle {
				t.Errorf("title %q, want %q", r.Title(), c.wantTitle)
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// The steady state (audio between blocks, a block with an unchanged
// title) allocates nothing.
func TestICYReaderAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	audio := make([]byte, 4096)
	block := icyBody(audio, 4096, func(int) string { return "StreamTitle='Same';" })
	src := &loopReader{b: block}
	r, err := newICYReader(io.NopCloser(src), "4096", "test")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3840) // about 20 ms of 1.5 Mbit/s audio
	if _, err := r.Read(buf); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := r.Read(buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per read, want 0", allocs)
	}
	if r.Title() != "Same" {
		t.Errorf("title %q", r.Title())
	}
}

// loopReader repeats b forever.
type loopReader struct {
	b   []byte
	off int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.b[l.off:])
	l.off = (l.off + n) % len(l.b)
	return n, nil
}

func BenchmarkICYReader(b *testing.B) {
	audio := make([]byte, 16000) // 1 s of 128 kbit/s audio
	body := icyBody(audio, 8000, func(int) string { return "StreamTitle='Artist - Title';" })
	r, _ := newICYReader(io.NopCloser(&loopReader{b: body}), "8000", "bench")
	buf := make([]byte, 320) // 20 ms of 128 kbit/s
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := io.ReadFull(r, buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(20*time.Millisecond)/(float64(b.Elapsed())/float64(b.N)), "x_realtime")
}

func FuzzICYReader(f *testing.F) {
	f.Add(icyBody(make([]byte, 64), 16, func(i int) string { return "StreamTitle='a';" }), 16)
	f.Add([]byte("abcd\x02StreamTitle='x - y';\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00efgh\x00ij"), 4)
	f.Add([]byte("\x00\x00\x00\x00\xff"), 2)
	f.Fuzz(func(t *testing.T, b []byte, metaInt int) {
		r, err := newICYReader(io.NopCloser(bytes.NewReader(b)), fmt.Sprint(metaInt), "fuzz")
		if err != nil {
			return
		}
		out, _ := io.ReadAll(r)
		if len(out) > len(b) {
			t.Fatalf("%d bytes of audio from %d", len(out), len(b))
		}
		if len(r.Title()) > maxICYBlock {
			t.Fatalf("title of %d bytes", len(r.Title()))
		}
	})
}

// shoutcastV1 accepts connections on 127.0.0.1 and answers each request
// with an "ICY 200 OK" status line, ICY headers and body, then closes.
func shoutcastV1(t *testing.T, metaInt int, body []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				hdr := "ICY 200 OK\r\nicy-notice1:<BR>This stream requires Winamp<BR>\r\nicy-name:Old Radio\r\ncontent-type:audio/mpeg\r\n"
				b := body
				if req.Header.Get("Icy-MetaData") == "1" {
					hdr += fmt.Sprintf("icy-metaint:%d\r\n", metaInt)
					b = icyBody(body, metaInt, func(i int) string { return fmt.Sprintf("StreamTitle='Track %d';", i) })
				}
				c.Write([]byte(hdr + "\r\n"))
				c.Write(b)
			})
		}
	})
	return "http://" + ln.Addr().String() + "/;stream.mp3"
}

func TestICYStatusLine(t *testing.T) {
	audio, err := os.ReadFile(filepath.Join(mediaFiles(t), "cbr.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	link := shoutcastV1(t, 8192, audio)
	l := newLoader(t, Config{HTTP: true, AllowPrivate: true})
	m, err := l.OpenMedia(context.Background(), lavalink.TrackInfo{SourceName: "http", Identifier: link}, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(m.Body)
	m.Body.Close()
	if err != nil || !bytes.Equal(got, audio) || m.Title == nil || m.Title() != fmt.Sprintf("Track %d", len(audio)/8192-1) || m.Seekable() {
		t.Fatalf("read %d bytes (%v), want %d; media %+v", len(got), err, len(audio), m)
	}
	// The loader sees the same stream: ICY headers make it a live stream.
	r := l.Load(context.Background(), "icy://"+strings.TrimPrefix(link, "http://"))
	if r.LoadType != lavalink.LoadTypeTrack || !r.Track.Info.IsStream || r.Track.Info.Author != "Old Radio" {
		t.Fatalf("load %+v %+v", r, r.Exception)
	}
}

// A paused player stops reading for longer than the socket timeout; that
// is not the server stalling, so the next read still works.
func TestIdleTimeoutOnlyWhileReading(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
		for i := 0; i < 4 && r.Context().Err() == nil; i++ {
			w.Write(bytes.Repeat([]byte("x"), 1000))
			w.(http.Flusher).Flush()
		}
	}))
	defer srv.Close()
	l := newLoader(t, Config{HTTP: true, AllowPrivate: true, SocketTimeout: 100 * time.Millisecond})
	m, err := l.OpenMedia(context.Background(), lavalink.TrackInfo{SourceName: "http", Identifier: srv.URL + "/live"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Body.Close()
	buf := make([]byte, 1000)
	if _, err := io.ReadFull(m.Body, buf); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // paused
	if _, err := io.ReadFull(m.Body, buf); err != nil {
		t.Fatalf("read after a pause: %v", err)
	}
}
