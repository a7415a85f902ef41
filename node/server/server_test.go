package server

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/goleak"

	"github.com/audionode/audionode/node/lavalink"
	"github.com/audionode/audionode/node/settings"
)

// The end-to-end behaviour (sessions, players, resume, drain) is tested in
// package node against real clients; these are the unit-level checks.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestAuthenticator(t *testing.T) {
	a := NewAuthenticator("pw")
	for _, tc := range []struct {
		name string
		hdr  []string
		want int
	}{
		{"missing", nil, 401},
		{"wrong", []string{"nope"}, 403},
		{"prefix", []string{"p"}, 403},
		{"longer", []string{"pww"}, 403},
		{"right", []string{"pw"}, 0},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.hdr != nil {
			r.Header["Authorization"] = tc.hdr
		}
		if got := a.Check(r); got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestErrorBodyAndHeader(t *testing.T) {
	cfg := settings.Default()
	s := New(cfg, slog.New(slog.DiscardHandler), Deps{})
	defer s.Close()
	for _, trace := range []bool{false, true} {
		url := "/v4/sessions/none/players"
		if trace {
			url += "?trace=true"
		}
		r := httptest.NewRequest("GET", url, nil)
		r.Header.Set("Authorization", cfg.Lavalink.Password)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		var e lavalink.ErrorResponse
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		if w.Code != http.StatusNotFound || e.Message != "Session not found" || e.Path != "/v4/sessions/none/players" || e.Error != "Not Found" || (e.Trace != "") != trace {
			t.Errorf("trace=%v: %d %s", trace, w.Code, w.Body)
		}
		if w.Header().Get("Lavalink-Api-Version") != "4" {
			t.Error("no Lavalink-Api-Version")
		}
	}
	// Route planner routes without a planner.
	r := httptest.NewRequest("GET", "/v4/routeplanner/status", nil)
	r.Header.Set("Authorization", cfg.Lavalink.Password)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusNoContent {
		t.Errorf("routeplanner status without planner: %d", w.Code)
	}
}
