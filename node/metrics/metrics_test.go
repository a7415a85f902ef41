package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type fakeStats struct{}

func (fakeStats) Players() int                           { return 7 }
func (fakeStats) PlayingPlayers() int                    { return 3 }
func (fakeStats) Frames() (sent, nulled, deficit uint64) { return 1000, 5, 2 }

func TestExposition(t *testing.T) {
	m := New(fakeStats{}, time.Now().Add(-2*time.Second))
	m.LoadResult("http", "track")
	m.LoadResult("http", "track")
	m.VoiceClosed(4014)
	m.VoiceConnections("connected", 4)
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
		`audionode_track_end_total{reason="finished"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}
