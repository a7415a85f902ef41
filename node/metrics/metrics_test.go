package metrics

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

type fakeStats struct{}

func (fakeStats) Players() int                           { return 7 }
func (fakeStats) PlayingPlayers() int                    { return 3 }
func (fakeStats) Frames() (sent, nulled, deficit uint64) { return 1000, 5, 2 }
func (fakeStats) VoiceConnections() (int, int)           { return 4, 1 }

func TestExposition(t *testing.T) {
	m := New(fakeStats{}, time.Now().Add(-2*time.Second))
	m.LoadResult("http", "track")
	m.LoadResult("http", "track")
	m.VoiceClosed(4014)
	m.TrackEnded("finished")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	text := string(body)
	for _, want := range []string{
		"lavalink_players_total 7",
		"lavalink_playing_players_total 3",
		"lavalink_uptime_milliseconds ",
		"lavalink_memory_used_bytes ",
		"lavalink_cpu_cores ",
		"process_resident_memory_bytes ",
		"process_open_fds ",
		"process_max_fds ",
		"go_goroutines ",
		"audionode_frames_sent_total 1000",
		"audionode_frames_nulled_total 5",
		"audionode_frames_deficit_total 2",
		`audionode_load_results_total{load_type="track",source="http"} 2`,
		`audionode_voice_closes_total{code="4014"} 1`,
		`audionode_voice_connections{state="connected"} 4`,
		`audionode_voice_connections{state="connecting"} 1`,
		`audionode_track_end_total{reason="finished"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}

// TestDashboardUsesRealMetrics keeps docs/grafana-dashboard.json true: every
// metric a panel queries must exist in the exposition.
func TestDashboardUsesRealMetrics(t *testing.T) {
	raw, err := os.ReadFile("../../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatal(err)
	}
	m := New(fakeStats{}, time.Now())
	m.LoadResult("http", "track")
	m.VoiceClosed(4006)
	m.TrackEnded("finished")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	text := rec.Body.String()
	name := regexp.MustCompile(`\b((?:lavalink|audionode|process|go)_[a-z_]+)\b`)
	seen := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, mm := range name.FindAllStringSubmatch(tg.Expr, -1) {
				seen++
				if !strings.Contains(text, "\n"+mm[1]) {
					t.Errorf("panel %q queries %s, which the node does not export", p.Title, mm[1])
				}
			}
		}
	}
	if seen < 10 {
		t.Fatalf("only %d metric references found", seen)
	}
}
