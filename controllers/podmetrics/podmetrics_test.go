package podmetrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const sample = `# HELP lavalink_players_total Players on this node.
# TYPE lavalink_players_total gauge
lavalink_players_total 12
lavalink_playing_players_total 9
process_resident_memory_bytes 1.234567e+08
process_open_fds 57
process_max_fds 1.048576e+06
audionode_load_results_total{load_type="track",source="http"} 2
go_goroutines 40
`

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Load
		err  error
	}{
		{"full", sample, Load{Players: 12, Playing: 9, RSSBytes: 123456700, OpenFDs: 57, MaxFDs: 1048576}, nil},
		{"timestamps allowed", "lavalink_players_total 3 1700000000000\nlavalink_playing_players_total 1\n", Load{Players: 3, Playing: 1}, nil},
		{"players missing is an error, never zero", "process_open_fds 5\n", Load{}, ErrMissing},
		{"garbage values skipped", "lavalink_players_total NaN\nlavalink_players_total -1\nlavalink_players_total 2\nlavalink_playing_players_total +Inf\nlavalink_playing_players_total 0\n", Load{Players: 2}, nil},
		{"labelled samples ignored", "lavalink_players_total{x=\"1\"} 99\nlavalink_players_total 4\nlavalink_playing_players_total 4\n", Load{Players: 4, Playing: 4}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tc.in))
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Errorf("got %+v %v, want %+v %v", got, err, tc.want, tc.err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(sample)
	f.Add("lavalink_players_total 1e308\nlavalink_playing_players_total 1\n")
	f.Add(strings.Repeat("x", 70000))
	f.Fuzz(func(t *testing.T, in string) {
		l, err := Parse(strings.NewReader(in))
		if err == nil && (l.Players < 0 || l.Playing < 0 || l.RSSBytes < 0 || l.OpenFDs < 0) {
			t.Fatalf("negative figures %+v", l)
		}
	})
}

func TestScrapeAndDrain(t *testing.T) {
	var drainBody, drainAuth string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/metrics":
			_, _ = io.WriteString(w, sample)
		case "/slow":
			time.Sleep(300 * time.Millisecond)
		case "/audionode/v1/drain":
			b, _ := io.ReadAll(r.Body)
			drainBody, drainAuth = string(b), r.Header.Get("Authorization")
			w.WriteHeader(http.StatusAccepted)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer ts.Close()
	c := New(100 * time.Millisecond)
	l, err := c.Scrape(context.Background(), ts.URL+"/metrics")
	if err != nil || l.Players != 12 {
		t.Fatalf("got %+v %v", l, err)
	}
	if _, err := c.Scrape(context.Background(), ts.URL+"/slow"); err == nil {
		t.Error("slow pod did not time out")
	}
	if _, err := c.Scrape(context.Background(), ts.URL+"/nope"); !errors.Is(err, ErrStatus) {
		t.Errorf("404: got %v", err)
	}
	if err := c.Drain(context.Background(), ts.URL, "pw", 90*time.Second); err != nil {
		t.Fatal(err)
	}
	if drainBody != `{"timeoutMs":90000}` || drainAuth != "pw" {
		t.Errorf("drain sent %q auth %q", drainBody, drainAuth)
	}
}
