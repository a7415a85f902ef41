package node

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"go.uber.org/goleak"

	"github.com/audionode/audionode/node/buildinfo"
	"github.com/audionode/audionode/node/settings"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestVersionAuthAndShutdown(t *testing.T) {
	cfg := settings.Default()
	cfg.Server.Address, cfg.Server.Port = "127.0.0.1", 0
	cfg.Lavalink.Password = "s3cret"
	n, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	url := "http://" + n.Addr().String() + "/version"
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for _, tc := range []struct {
		name, auth string
		setAuth    bool
		want       int
		body       string
	}{
		{"missing", "", false, 401, ""},
		{"wrong", "nope", true, 403, ""},
		{"empty", "", true, 403, ""},
		{"right", "s3cret", true, 200, buildinfo.LavalinkVersion},
	} {
		req, _ := http.NewRequest("GET", url, nil)
		if tc.setAuth {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || string(b) != tc.body {
			t.Errorf("%s: got %d %q, want %d %q", tc.name, resp.StatusCode, b, tc.want, tc.body)
		}
		if resp.Header.Get("Lavalink-Api-Version") != "4" {
			t.Errorf("%s: missing Lavalink-Api-Version", tc.name)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}
