package node

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/audionode/audionode/node/lavalink"
	"github.com/audionode/audionode/node/settings"
	"github.com/audionode/audionode/node/voicetest"
)

// A local-source track for PATCH bodies.
func encodedTrack(t *testing.T, base, path string) string {
	t.Helper()
	code, body := do(t, "GET", base+"/v4/loadtracks?identifier="+path, "")
	var res struct {
		LoadType string
		Data     struct{ Encoded string }
	}
	if code != 200 || json.Unmarshal(body, &res) != nil || res.LoadType != "track" {
		t.Fatalf("load: %d %s", code, body)
	}
	return res.Data.Encoded
}

func TestErrorPaths(t *testing.T) {
	n, base, _ := testNode(t, func(c *settings.Settings) {
		c.Lavalink.Filters["karaoke"] = false
		c.AudioNode.MaxRequestBodyBytes = 4096
	})
	ws, ready, _ := dialWS(t, n, "")
	defer ws.Close()
	sid := ready["sessionId"].(string)
	track := encodedTrack(t, base, toneFile(t, 2*time.Second))
	players := base + "/v4/sessions/" + sid + "/players/"
	tests := []struct {
		name, method, url, body string
		status                  int
		message                 string
	}{
		{"malformed JSON", "PATCH", players + "1", `{"volume":`, 400, "Invalid request body"},
		{"wrong type", "PATCH", players + "1", `{"volume":"loud"}`, 400, "Invalid request body"},
		{"null volume", "PATCH", players + "1", `{"volume":null}`, 400, "Invalid request body"},
		{"unknown session", "PATCH", base + "/v4/sessions/nope/players/1", `{}`, 404, "Session not found"},
		{"unknown session players", "GET", base + "/v4/sessions/nope/players", "", 404, "Session not found"},
		{"unknown player", "GET", players + "999", "", 404, "Player not found"},
		{"bad guild id", "GET", players + "abc", "", 400, "Invalid guild id"},
		{"bad base64", "PATCH", players + "1", `{"track":{"encoded":"!!!"}}`, 400, "base64"},
		{"decodetrack bad base64", "GET", base + "/v4/decodetrack?encodedTrack=%21%21", "", 400, "base64"},
		{"decodetrack missing", "GET", base + "/v4/decodetrack", "", 400, "Missing"},
		{"decodetracks empty", "POST", base + "/v4/decodetracks", `[]`, 400, "No tracks"},
		{"encoded plus identifier", "PATCH", players + "1", `{"track":{"encoded":"` + track + `","identifier":"x"}}`, 400, "Cannot specify both"},
		{"track plus encodedTrack", "PATCH", players + "1", `{"track":{"encoded":"` + track + `"},"encodedTrack":"` + track + `"}`, 400, "Cannot specify both"},
		{"volume 5000", "PATCH", players + "1", `{"volume":5000}`, 400, "Volume"},
		{"negative volume", "PATCH", players + "1", `{"volume":-1}`, 400, "Volume"},
		{"endTime zero", "PATCH", players + "1", `{"endTime":0}`, 400, "End time"},
		{"negative position", "PATCH", players + "1", `{"position":-5}`, 400, "Position"},
		{"disabled filter", "PATCH", players + "1", `{"filters":{"karaoke":{}}}`, 400, "disabled in the config: karaoke"},
		{"voice incomplete", "PATCH", players + "1", `{"voice":{"token":"t","endpoint":"e","sessionId":"s"}}`, 400, "channelId"},
		{"identifier not found", "PATCH", players + "1", `{"track":{"identifier":"/no/such/file.mp3"}}`, 400, ""},
		{"oversized body", "PATCH", players + "1", `{"track":{"userData":{"x":"` + strings.Repeat("a", 8000) + `"}}}`, 413, "too large"},
		{"negative session timeout", "PATCH", base + "/v4/sessions/" + sid, `{"timeout":-1}`, 400, "Timeout"},
		{"free address without planner", "POST", base + "/v4/routeplanner/free/address", `{"address":"1.2.3.4"}`, 500, "disabled route planner"},
		{"unknown route", "GET", base + "/v4/nothing", "", 404, "Not Found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := do(t, tc.method, tc.url, tc.body)
			if code != tc.status {
				t.Fatalf("got %d %s, want %d", code, body, tc.status)
			}
			var e lavalink.ErrorResponse
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("not the error shape: %s", body)
			}
			if e.Status != tc.status || e.Timestamp == 0 || e.Error == "" || e.Path == "" || !strings.Contains(e.Message, tc.message) || e.Trace != "" {
				t.Errorf("error body %s", body)
			}
		})
	}
	// A bad request changed nothing: the player created by the bad PATCHes (if any) is idle.
	if code, body := do(t, "GET", players+"1?trace=true", ""); code == 200 {
		var p playerJSON
		_ = json.Unmarshal(body, &p)
		if p.Track != nil || p.Volume != 100 {
			t.Errorf("bad requests changed the player: %s", body)
		}
	}
	// ?trace=true adds a trace.
	_, body := do(t, "GET", players+"abc?trace=true", "")
	if !strings.Contains(string(body), `"trace"`) {
		t.Errorf("no trace with ?trace=true: %s", body)
	}
	// Auth on every route but probes.
	for _, path := range []string{"/version", "/v4/info", "/v4/stats", "/v4/loadtracks?identifier=x", "/v4/sessions/" + sid + "/players", "/v4/routeplanner/status", "/audionode/v1/state"} {
		req, _ := http.NewRequest("GET", base+path, nil)
		resp, err := noKeepAlive.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("%s without auth: %d", path, resp.StatusCode)
		}
		req.Header.Set("Authorization", "wrong")
		resp, _ = noKeepAlive.Do(req)
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Errorf("%s wrong auth: %d", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := noKeepAlive.Get(base + path)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("%s: %v %v", path, resp, err)
		}
		if resp != nil {
			resp.Body.Close()
		}
	}
}

func TestWebSocketHandshake(t *testing.T) {
	n, _, _ := testNode(t, nil)
	url := "ws://" + n.Addr().String() + "/v4/websocket"
	for _, tc := range []struct {
		name string
		h    http.Header
		want int
	}{
		{"no auth", http.Header{"User-Id": {"1"}}, 401},
		{"wrong auth", http.Header{"Authorization": {"x"}, "User-Id": {"1"}}, 401},
		{"no user id", http.Header{"Authorization": {testPassword}}, 400},
		{"zero user id", http.Header{"Authorization": {testPassword}, "User-Id": {"0"}}, 400},
		{"bad user id", http.Header{"Authorization": {testPassword}, "User-Id": {"bot"}}, 400},
	} {
		_, resp, err := websocket.DefaultDialer.Dial(url, tc.h)
		if err == nil || resp == nil || resp.StatusCode != tc.want {
			t.Errorf("%s: got %v %v, want %d", tc.name, resp, err, tc.want)
		}
	}
	c, ready, resp := dialWS(t, n, "")
	defer c.Close()
	if resp.Header.Get("Session-Resumed") != "false" || ready["resumed"] != false || ready["sessionId"] == "" {
		t.Fatalf("ready %v header %v", ready, resp.Header)
	}
	// stats arrives right after connecting.
	readUntil(t, c, "stats", func(m map[string]any) bool { return m["op"] == "stats" })
}

// TestResumeAfterDroppedSocket: players keep playing while the socket is
// gone, events are queued and replayed in order on resume.
func TestResumeAfterDroppedSocket(t *testing.T) {
	fake, err := voicetest.NewServer(voicetest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	n, base, _ := testNode(t, nil)
	creds := voicetest.Credentials{GuildID: "42", UserID: "1", SessionID: "vs", Token: "tk"}
	fake.Expect(creds)
	c, ready, _ := dialWS(t, n, "")
	sid := ready["sessionId"].(string)
	if code, body := do(t, "PATCH", base+"/v4/sessions/"+sid, `{"resuming":true,"timeout":30}`); code != 200 || !strings.Contains(string(body), `"resuming":true`) {
		t.Fatalf("session update: %d %s", code, body)
	}
	track := encodedTrack(t, base, toneFile(t, 1500*time.Millisecond))
	patch := fmt.Sprintf(`{"track":{"encoded":%q},"voice":{"token":"tk","endpoint":%q,"sessionId":"vs","channelId":"7"}}`, track, fake.Endpoint())
	if code, body := do(t, "PATCH", base+"/v4/sessions/"+sid+"/players/42", patch); code != 200 {
		t.Fatalf("play: %d %s", code, body)
	}
	readUntil(t, c, "TrackStartEvent", func(m map[string]any) bool { return m["type"] == "TrackStartEvent" })
	c.Close() // dropped, resumable
	time.Sleep(200 * time.Millisecond)
	if code, _ := do(t, "GET", base+"/v4/sessions/"+sid+"/players", ""); code != 404 {
		t.Errorf("detached session answered %d, want 404", code)
	}
	// The 1.5 s track finishes while detached.
	time.Sleep(2500 * time.Millisecond)
	c2, ready2, resp := dialWS(t, n, sid)
	defer c2.Close()
	if ready2["resumed"] != true || ready2["sessionId"] != sid || resp.Header.Get("Session-Resumed") != "true" {
		t.Fatalf("resume ready %v", ready2)
	}
	seen := readUntil(t, c2, "queued TrackEndEvent", func(m map[string]any) bool { return m["type"] == "TrackEndEvent" })
	end := seen[len(seen)-1]
	if end["reason"] != "finished" {
		t.Fatalf("queued end %v", end)
	}
	if code, _ := do(t, "GET", base+"/v4/sessions/"+sid+"/players", ""); code != 200 {
		t.Errorf("resumed session answered %d", code)
	}
	// Non-resumable drop destroys everything.
	do(t, "PATCH", base+"/v4/sessions/"+sid, `{"resuming":false}`)
	c2.Close()
	deadline := time.Now().Add(5 * time.Second)
	for n.Server().SessionCount() != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := n.Server().SessionCount(); got != 0 || n.Server().Players() != 0 {
		t.Fatalf("after close: %d sessions, %d players", got, n.Server().Players())
	}
}

func TestResumeTimeoutDestroys(t *testing.T) {
	n, base, _ := testNode(t, nil)
	c, ready, _ := dialWS(t, n, "")
	sid := ready["sessionId"].(string)
	do(t, "PATCH", base+"/v4/sessions/"+sid, `{"resuming":true,"timeout":1}`)
	do(t, "PATCH", base+"/v4/sessions/"+sid+"/players/5", `{"volume":50}`)
	c.Close()
	time.Sleep(300 * time.Millisecond)
	if n.Server().SessionCount() != 1 {
		t.Fatal("resumable session dropped at once")
	}
	deadline := time.Now().Add(5 * time.Second)
	for n.Server().SessionCount() != 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n.Server().SessionCount() != 0 || n.Server().Players() != 0 {
		t.Fatal("expired session kept")
	}
	// An expired id gives a new session.
	c2, ready2, _ := dialWS(t, n, sid)
	defer c2.Close()
	if ready2["resumed"] != false || ready2["sessionId"] == sid {
		t.Fatalf("ready %v", ready2)
	}
}

func TestDeleteEmitsStoppedAndIsIdempotent(t *testing.T) {
	fake, err := voicetest.NewServer(voicetest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	fake.Expect(voicetest.Credentials{GuildID: "9", UserID: "1", SessionID: "vs", Token: "tk"})
	n, base, _ := testNode(t, nil)
	c, ready, _ := dialWS(t, n, "")
	defer c.Close()
	sid := ready["sessionId"].(string)
	track := encodedTrack(t, base, toneFile(t, 10*time.Second))
	player := base + "/v4/sessions/" + sid + "/players/9"
	patch := fmt.Sprintf(`{"track":{"encoded":%q,"userData":{"a":1}},"voice":{"token":"tk","endpoint":%q,"sessionId":"vs","channelId":"7"},"volume":80}`, track, fake.Endpoint())
	code, body := do(t, "PATCH", player, patch)
	if code != 200 || !strings.Contains(string(body), `"volume":80`) || !strings.Contains(string(body), `"connected":true`) {
		t.Fatalf("play: %d %s", code, body)
	}
	// noReplace keeps the playing track.
	if code, _ := do(t, "PATCH", player+"?noReplace=true", fmt.Sprintf(`{"track":{"encoded":%q}}`, track)); code != 200 {
		t.Fatal(code)
	}
	// Replacing emits replaced then start.
	do(t, "PATCH", player, fmt.Sprintf(`{"track":{"encoded":%q}}`, track))
	seen := readUntil(t, c, "replaced", func(m map[string]any) bool { return m["type"] == "TrackEndEvent" })
	if seen[len(seen)-1]["reason"] != "replaced" {
		t.Fatalf("got %v", seen[len(seen)-1])
	}
	if code, _ := do(t, "DELETE", player, ""); code != 204 {
		t.Fatal(code)
	}
	seen = readUntil(t, c, "stopped", func(m map[string]any) bool { return m["type"] == "TrackEndEvent" })
	if seen[len(seen)-1]["reason"] != "stopped" {
		t.Fatalf("got %v", seen[len(seen)-1])
	}
	if code, _ := do(t, "DELETE", player, ""); code != 204 {
		t.Fatalf("second DELETE %d", code)
	}
	if n.Server().Players() != 0 {
		t.Fatal("player kept")
	}
}

// TestChurn creates and destroys 1,000 sessions × 10 players and checks
// the registries end empty (goleak in TestMain checks goroutines).
func TestChurn(t *testing.T) {
	if testing.Short() {
		t.Skip("churn")
	}
	n, base, _ := testNode(t, nil)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	defer client.CloseIdleConnections()
	for i := range 1000 {
		c, ready, _ := dialWS(t, n, "")
		sid := ready["sessionId"].(string)
		for g := range 10 {
			req, _ := http.NewRequest("PATCH", fmt.Sprintf("%s/v4/sessions/%s/players/%d", base, sid, g+1), strings.NewReader(`{"volume":50}`))
			req.Header.Set("Authorization", testPassword)
			resp, err := client.Do(req)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("session %d player %d: %v %v", i, g, resp, err)
			}
			resp.Body.Close()
		}
		if i%2 == 0 { // half drop their socket, half delete players first
			c.Close()
			continue
		}
		for g := range 10 {
			req, _ := http.NewRequest("DELETE", fmt.Sprintf("%s/v4/sessions/%s/players/%d", base, sid, g+1), nil)
			req.Header.Set("Authorization", testPassword)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		c.Close()
	}
	deadline := time.Now().Add(20 * time.Second)
	for (n.Server().SessionCount() != 0 || n.Server().Players() != 0) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if s, p := n.Server().SessionCount(), n.Server().Players(); s != 0 || p != 0 {
		t.Fatalf("after churn: %d sessions, %d players", s, p)
	}
}

func TestDrainEndpoint(t *testing.T) {
	n, base, _ := testNode(t, nil)
	c, ready, _ := dialWS(t, n, "")
	defer c.Close()
	sid := ready["sessionId"].(string)
	do(t, "PATCH", base+"/v4/sessions/"+sid+"/players/1", `{"volume":10}`)
	code, body := do(t, "GET", base+"/audionode/v1/state", "")
	if code != 200 || !strings.Contains(string(body), `"state":"serving"`) || !strings.Contains(string(body), `"players":1`) {
		t.Fatalf("state %d %s", code, body)
	}
	code, body = do(t, "POST", base+"/audionode/v1/drain", `{"timeoutMs":60000}`)
	if code != 202 || !strings.Contains(string(body), `"state":"draining"`) {
		t.Fatalf("drain %d %s", code, body)
	}
	resp, err := noKeepAlive.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("readyz while draining: %d", resp.StatusCode)
	}
	// New players refused; existing ones still updatable.
	if code, body := do(t, "PATCH", base+"/v4/sessions/"+sid+"/players/2", `{"volume":10}`); code != 503 || !strings.Contains(string(body), "draining") {
		t.Fatalf("new player while draining: %d %s", code, body)
	}
	if code, _ := do(t, "PATCH", base+"/v4/sessions/"+sid+"/players/1", `{"volume":20}`); code != 200 {
		t.Fatalf("existing player while draining: %d", code)
	}
	readUntil(t, c, "saturated stats", func(m map[string]any) bool {
		return m["op"] == "stats"
	})
	// The last player leaves → drained → sockets closed with 1001.
	do(t, "DELETE", base+"/v4/sessions/"+sid+"/players/1", "")
	select {
	case <-n.Drained():
	case <-time.After(5 * time.Second):
		t.Fatal("drain did not finish")
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
				t.Fatalf("socket ended with %v, want 1001", err)
			}
			break
		}
	}
}

func TestLeakEndpoint(t *testing.T) {
	_, base, _ := testNode(t, func(c *settings.Settings) { c.AudioNode.TestingLeakEndpoint = true })
	code, body := do(t, "POST", base+"/audionode/v1/testing/leak", `{"fds":20,"bytes":1048576}`)
	if code != 200 || !strings.Contains(string(body), `"fds":20`) {
		t.Fatalf("leak: %d %s", code, body)
	}
	_, off, _ := testNode(t, nil)
	if code, _ := do(t, "POST", off+"/audionode/v1/testing/leak", `{"fds":1}`); code != 404 {
		t.Fatalf("leak endpoint without the setting: %d", code)
	}
}

func TestFilterValuesCheckedAtPatch(t *testing.T) {
	n, base, _ := testNode(t, nil)
	c, ready, _ := dialWS(t, n, "")
	defer c.Close()
	players := base + "/v4/sessions/" + ready["sessionId"].(string) + "/players/"
	for body, field := range map[string]string{
		`{"filters":{"timescale":{"speed":-1}}}`:             "timescale.speed",
		`{"filters":{"equalizer":[{"band":3,"gain":-0.3}]}}`: "equalizer",
		`{"filters":{"volume":-2}}`:                          "volume",
	} {
		code, resp := do(t, "PATCH", players+"1", body)
		if code != 400 || !strings.Contains(string(resp), field) {
			t.Errorf("%s: got %d %s, want 400 naming %s", body, code, resp, field)
		}
	}
	if code, resp := do(t, "PATCH", players+"1", `{"filters":{"timescale":{"speed":1.2},"equalizer":[{"band":0,"gain":0.2}]}}`); code != 200 {
		t.Errorf("valid filters: %d %s", code, resp)
	}
}

// TestRoutePlannerRoutes loads over HTTP from a 127.0.0.0/29 block: the
// planner picks the source address, the status shows it, and free routes work.
func TestRoutePlannerRoutes(t *testing.T) {
	media := wavBytes(t)
	var sources []string
	var mu sync.Mutex
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		mu.Lock()
		sources = append(sources, host)
		mu.Unlock()
		http.ServeContent(w, r, "t.wav", time.Time{}, bytes.NewReader(media))
	}))
	defer files.Close()
	_, base, _ := testNode(t, func(c *settings.Settings) {
		c.AudioNode.HTTPAllowPrivate = true
		c.Lavalink.Ratelimit.IPBlocks = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/29")}
		c.Lavalink.Ratelimit.ExcludedIPs = []netip.Addr{netip.MustParseAddr("127.0.0.0"), netip.MustParseAddr("127.0.0.1")}
	})
	if code, body := do(t, "GET", base+"/v4/loadtracks?identifier="+files.URL+"/t.wav", ""); code != 200 || !strings.Contains(string(body), `"loadType":"track"`) {
		t.Fatalf("load: %d %s", code, body)
	}
	mu.Lock()
	if len(sources) == 0 || sources[0] != "127.0.0.2" {
		t.Errorf("request came from %v, want 127.0.0.2", sources)
	}
	mu.Unlock()
	code, body := do(t, "GET", base+"/v4/routeplanner/status", "")
	if code != 200 || !strings.Contains(string(body), `"class":"RotatingIpRoutePlanner"`) || !strings.Contains(string(body), `"currentAddress":"/127.0.0.2"`) {
		t.Fatalf("status %d %s", code, body)
	}
	if code, _ := do(t, "POST", base+"/v4/routeplanner/free/address", `{"address":"127.0.0.2"}`); code != 204 {
		t.Errorf("free/address %d", code)
	}
	if code, _ := do(t, "POST", base+"/v4/routeplanner/free/address", `{"address":"nope"}`); code != 400 {
		t.Errorf("free/address bad %d", code)
	}
	if code, _ := do(t, "POST", base+"/v4/routeplanner/free/all", ""); code != 204 {
		t.Errorf("free/all %d", code)
	}
}

func wavBytes(t *testing.T) []byte {
	b, err := os.ReadFile(wavFile(t, time.Second, 48000, 0.1))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadRoutes(t *testing.T) {
	n, base, _ := testNode(t, nil)
	c, ready, _ := dialWS(t, n, "")
	defer c.Close()
	sid := ready["sessionId"].(string)
	enc := encodedTrack(t, base, toneFile(t, 3*time.Second))
	code, body := do(t, "GET", base+"/v4/decodetrack?encodedTrack="+url.QueryEscape(enc), "")
	if code != 200 || !strings.Contains(string(body), `"sourceName":"local"`) || !strings.Contains(string(body), `"encoded":"`+enc+`"`) {
		t.Fatalf("decodetrack %d %s", code, body)
	}
	if code, _ := do(t, "GET", base+"/v4/decodetrack?track="+url.QueryEscape(enc), ""); code != 200 {
		t.Fatalf("decodetrack ?track= %d", code)
	}
	code, body = do(t, "POST", base+"/v4/decodetracks", `["`+enc+`","`+enc+`"]`)
	var tracks []map[string]any
	if code != 200 || json.Unmarshal(body, &tracks) != nil || len(tracks) != 2 {
		t.Fatalf("decodetracks %d %s", code, body)
	}
	code, body = do(t, "GET", base+"/v4/stats", "")
	if code != 200 || strings.Contains(string(body), "frameStats") || !strings.Contains(string(body), `"uptime"`) {
		t.Fatalf("stats %d %s", code, body)
	}
	code, body = do(t, "GET", base+"/v4/info", "")
	if code != 200 || !strings.Contains(string(body), `"sourceManagers":["http","local"]`) || !strings.Contains(string(body), `"semver":"4.2.2"`) {
		t.Fatalf("info %d %s", code, body)
	}
	do(t, "PATCH", base+"/v4/sessions/"+sid+"/players/8", `{"volume":30}`)
	code, body = do(t, "GET", base+"/v4/sessions/"+sid+"/players", "")
	if code != 200 || !strings.Contains(string(body), `"guildId":"8"`) || !strings.Contains(string(body), `"volume":30`) || !strings.Contains(string(body), `"track":null`) {
		t.Fatalf("players %d %s", code, body)
	}
	code, body = do(t, "GET", base+"/v4/loadtracks?identifier=/definitely/missing.mp3", "")
	if code != 200 || !strings.Contains(string(body), `"loadType":"empty"`) {
		t.Fatalf("loadtracks missing %d %s", code, body)
	}
}

// TestMetricsEndpoint: unauthenticated Prometheus text with Lavalink's names,
// process figures, frames, voice connections, load results and track ends.
func TestMetricsEndpoint(t *testing.T) {
	fake, err := voicetest.NewServer(voicetest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	fake.Expect(voicetest.Credentials{GuildID: "3", UserID: "1", SessionID: "vs", Token: "tk"})
	n, base, _ := testNode(t, func(c *settings.Settings) { c.Metrics.PrometheusEnabled = true })
	c, ready, _ := dialWS(t, n, "")
	defer c.Close()
	sid := ready["sessionId"].(string)
	track := encodedTrack(t, base, toneFile(t, 20*time.Second))
	patch := fmt.Sprintf(`{"track":{"encoded":%q},"voice":{"token":"tk","endpoint":%q,"sessionId":"vs","channelId":"7"}}`, track, fake.Endpoint())
	if code, body := do(t, "PATCH", base+"/v4/sessions/"+sid+"/players/3", patch); code != 200 {
		t.Fatalf("play: %d %s", code, body)
	}
	time.Sleep(500 * time.Millisecond)
	do(t, "PATCH", base+"/v4/sessions/"+sid+"/players/3", `{"track":{"encoded":null}}`)
	resp, err := noKeepAlive.Get(base + "/metrics") // no Authorization
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(b)
	if resp.StatusCode != 200 {
		t.Fatalf("metrics %d", resp.StatusCode)
	}
	for _, want := range []string{
		"lavalink_players_total 1", "lavalink_playing_players_total 0", "process_open_fds ", "process_resident_memory_bytes ",
		`audionode_voice_connections{state="connected"} 1`, `audionode_load_results_total{load_type="track",source="local"} 1`,
		`audionode_track_end_total{reason="stopped"} 1`, "audionode_frames_sent_total ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(text, "audionode_frames_sent_total 0\n") {
		t.Error("no frames counted as sent")
	}
}
