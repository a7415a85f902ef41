package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/audionode/audionode/node/lavalink"
)

// TestLiveStreamReconnects: a radio whose connections break mid-stream
// (the server aborts them) keeps playing from a new connection, with ICY
// metadata stripped on every connection; a clean end ends the stream, and
// a server that stops answering ends it with ErrStreamLost.
func TestLiveStreamReconnects(t *testing.T) {
	const metaInt, perConn, conns = 1000, 50_000, 4
	chunk := bytes.Repeat([]byte("0123456789abcdef"), perConn/16)
	for _, icy := range []bool{false, true} {
		t.Run(fmt.Sprintf("icy=%v", icy), func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := n.Add(1)
				w.Header().Set("Content-Type", "audio/mpeg")
				body := chunk
				if icy && r.Header.Get("Icy-MetaData") == "1" {
					w.Header().Set("icy-metaint", fmt.Sprint(metaInt))
					body = icyBody(chunk, metaInt, func(j int) string { return fmt.Sprintf("StreamTitle='Conn %d';", i) })
				}
				w.Write(body)
				if i < conns {
					w.(http.Flusher).Flush()
					panic(http.ErrAbortHandler) // a broken connection, not an end
				}
			}))
			defer srv.Close()
			l := newLoader(t, Config{HTTP: true, AllowPrivate: true})
			m, err := l.OpenMedia(context.Background(), lavalink.TrackInfo{SourceName: "http", Identifier: srv.URL + "/radio"}, 0)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(m.Body)
			m.Body.Close()
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if want := bytes.Repeat(chunk, conns); !bytes.Equal(got, want) {
				t.Fatalf("read %d bytes over %d connections, want %d", len(got), n.Load(), len(want))
			}
			if icy && m.Title() != fmt.Sprintf("Conn %d", conns) {
				t.Errorf("title %q after reconnecting", m.Title())
			}
		})
	}
	t.Run("server gone", func(t *testing.T) {
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) > 1 {
				http.Error(w, "gone", http.StatusServiceUnavailable)
				return
			}
			w.Write(chunk)
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}))
		defer srv.Close()
		l := newLoader(t, Config{HTTP: true, AllowPrivate: true})
		m, err := l.OpenMedia(context.Background(), lavalink.TrackInfo{SourceName: "http", Identifier: srv.URL + "/radio"}, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(m.Body)
		m.Body.Close()
		if !errors.Is(err, ErrStreamLost) || len(got) != len(chunk) {
			t.Fatalf("read %d bytes, err %v; want %d and ErrStreamLost", len(got), err, len(chunk))
		}
		if c := n.Load(); c != 1+streamRetries {
			t.Errorf("%d requests, want %d", c, 1+streamRetries)
		}
	})
}
