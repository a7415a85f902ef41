package node

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/disgoorg/disgolink/v3/disgolink"
	dl "github.com/disgoorg/disgolink/v3/lavalink"
	"github.com/disgoorg/snowflake/v2"
	"github.com/gorilla/websocket"

	"github.com/audionode/audionode/node/player"
	"github.com/audionode/audionode/node/settings"
	"github.com/audionode/audionode/node/voicetest"
)

const testPassword = "s3cret"

// testNode starts a node on 127.0.0.1 with the tone opener and returns it
// with its base URL; it stops when the test ends.
func testNode(t *testing.T, mutate func(*settings.Settings)) (*Node, string, *toneOpener) {
	t.Helper()
	op := &toneOpener{}
	n, base := testNodeWith(t, mutate, op)
	return n, base, op
}

// testNodeWith starts a node with opener (nil: the real media pipeline).
func testNodeWith(t *testing.T, mutate func(*settings.Settings), opener player.Opener) (*Node, string) {
	t.Helper()
	cfg := settings.Default()
	cfg.Server.Address, cfg.Server.Port = "127.0.0.1", 0
	cfg.Lavalink.Password = testPassword
	cfg.Lavalink.Sources["local"] = true
	cfg.AudioNode.VoiceInsecureEndpoints = true
	cfg.AudioNode.VoiceConnectTimeout = 10 * time.Second
	cfg.Lavalink.PlayerUpdateInterval = 1
	if mutate != nil {
		mutate(&cfg)
	}
	n, err := NewWith(cfg, slog.New(slog.DiscardHandler), Options{Opener: opener})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return n, "http://" + n.Addr().String()
}

// toneFile writes a silent 48 kHz stereo WAV for the local source to load
// (the tone opener makes the sound).
func toneFile(t *testing.T, d time.Duration) string {
	t.Helper()
	return wavFile(t, d, 44100, 0)
}

// wavFile writes a 16-bit stereo WAV at rate: 440 Hz left, 1000 Hz right at
// amplitude amp (0: silence).
func wavFile(t *testing.T, d time.Duration, rate int, amp float64) string {
	t.Helper()
	frames := int(d.Seconds() * float64(rate))
	var buf bytes.Buffer
	w := func(v any) { _ = binary.Write(&buf, binary.LittleEndian, v) }
	buf.WriteString("RIFF")
	w(uint32(36 + frames*4))
	buf.WriteString("WAVEfmt ")
	w(uint32(16))
	w(uint16(1))
	w(uint16(2))
	w(uint32(rate))
	w(uint32(rate * 4))
	w(uint16(4))
	w(uint16(16))
	buf.WriteString("data")
	w(uint32(frames * 4))
	for i := range frames {
		x := float64(i) / float64(rate)
		w(int16(amp * 32767 * math.Sin(2*math.Pi*440*x)))
		w(int16(amp * 32767 * math.Sin(2*math.Pi*1000*x)))
	}
	p := filepath.Join(t.TempDir(), "tone.wav")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type eventLog struct {
	mu     sync.Mutex
	events []dl.Message
	ch     chan dl.Message
}

func newEventLog() *eventLog { return &eventLog{ch: make(chan dl.Message, 256)} }

func (l *eventLog) add(m dl.Message) {
	l.mu.Lock()
	l.events = append(l.events, m)
	l.mu.Unlock()
	select {
	case l.ch <- m:
	default:
	}
}

// wait returns the next event matching f.
func (l *eventLog) wait(t *testing.T, what string, f func(dl.Message) bool) dl.Message {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case m := <-l.ch:
			if f(m) {
				return m
			}
		case <-timeout:
			t.Fatalf("timed out waiting for %s", what)
			return nil
		}
	}
}

func waitReport(t *testing.T, s *voicetest.Session, what string, cond func(voicetest.Report) bool) voicetest.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := s.WaitFor(ctx, cond)
	if err != nil {
		t.Fatalf("%s: %v; report %+v", what, err, r)
	}
	return r
}

// TestDisgolinkEndToEnd drives the node with the real disgolink client and
// checks with the fake Discord voice server what reached "Discord".
func TestDisgolinkEndToEnd(t *testing.T) {
	fake, err := voicetest.NewServer(voicetest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	n, _, _ := testNode(t, nil)
	const guild, user, channel = snowflake.ID(100), snowflake.ID(1), snowflake.ID(200)
	creds := voicetest.Credentials{GuildID: guild.String(), UserID: user.String(), SessionID: "vs-1", Token: "tok-1"}
	fake.Expect(creds)

	events := newEventLog()
	client := disgolink.New(user, disgolink.WithHTTPClient(noKeepAlive),
		disgolink.WithListenerFunc(func(_ disgolink.Player, e dl.TrackStartEvent) { events.add(e) }),
		disgolink.WithListenerFunc(func(_ disgolink.Player, e dl.TrackEndEvent) { events.add(e) }),
		disgolink.WithListenerFunc(func(_ disgolink.Player, e dl.WebSocketClosedEvent) { events.add(e) }),
	)
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	node, err := client.AddNode(ctx, disgolink.NodeConfig{Name: "audionode", Address: n.Addr().String(), Password: testPassword})
	if err != nil {
		t.Fatalf("AddNode: %v", err)
	}
	if v, err := node.Version(ctx); err != nil || v == "" {
		t.Fatalf("Version: %q %v", v, err)
	}
	info, err := node.Info(ctx)
	if err != nil || len(info.SourceManagers) == 0 {
		t.Fatalf("Info: %+v %v", info, err)
	}
	res, err := node.LoadTracks(ctx, toneFile(t, 30*time.Second))
	if err != nil {
		t.Fatalf("LoadTracks: %v", err)
	}
	track, ok := res.Data.(dl.Track)
	if res.LoadType != dl.LoadTypeTrack || !ok {
		t.Fatalf("load result %+v", res)
	}
	if track.Info.Length < 29000 || track.Info.SourceName != "local" {
		t.Fatalf("track info %+v", track.Info)
	}

	ch := channel
	client.OnVoiceStateUpdate(ctx, guild, &ch, creds.SessionID)
	client.OnVoiceServerUpdate(ctx, guild, creds.Token, fake.Endpoint())
	player := client.Player(guild)
	if err := player.Update(ctx, dl.WithTrack(track)); err != nil {
		t.Fatalf("play: %v", err)
	}
	events.wait(t, "TrackStartEvent", func(m dl.Message) bool { _, ok := m.(dl.TrackStartEvent); return ok })
	var vs *voicetest.Session
	for deadline := time.Now().Add(10 * time.Second); vs == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		vs = fake.Session(creds.GuildID)
	}
	if vs == nil {
		t.Fatal("no voice session at the fake server")
	}
	r := waitReport(t, vs, "150 decoded frames", func(r voicetest.Report) bool { return r.DecodedFrames >= 150 })
	if r.DecryptFailed != 0 || r.Decrypted != r.Packets || r.SeqGaps != 0 || r.TimestampErrors != 0 || r.NonceRepeats != 0 || r.BeforeSpeaking != 0 {
		t.Fatalf("transport checks failed: %+v", r)
	}
	if r.MaxDAVE != 1 {
		t.Errorf("Identify offered max_dave_protocol_version %d, want 1", r.MaxDAVE)
	}
	if math.Abs(r.Channels[0].DominantHz-440) > 5 || math.Abs(r.Channels[1].DominantHz-1000) > 5 {
		t.Fatalf("tones L %.1f Hz R %.1f Hz", r.Channels[0].DominantHz, r.Channels[1].DominantHz)
	}
	level100 := r.Channels[0].LevelDBFS
	t.Logf("playing: %d packets, L %.1f Hz %.1f dBFS, R %.1f Hz; inter-arrival p99 %v", r.Packets, r.Channels[0].DominantHz, level100, r.Channels[1].DominantHz, r.ArrivalP99)
	if r.ArrivalP99 > 40*time.Millisecond {
		t.Logf("p99 inter-arrival %v above 40 ms (noisy machine?)", r.ArrivalP99)
	}

	// Volume 50 → about -6 dB.
	if err := player.Update(ctx, dl.WithVolume(50)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond) // frames buffered ahead at the old volume
	vs.ResetStats()
	vs.ResetAudio()
	r = waitReport(t, vs, "frames after volume", func(r voicetest.Report) bool { return r.DecodedFrames >= 100 })
	if d := level100 - r.Channels[0].LevelDBFS; d < 4 || d > 8 {
		t.Fatalf("volume 50 changed the level by %.1f dB, want about 6", d)
	}

	// Seek.
	if err := player.Update(ctx, dl.WithPosition(20000)); err != nil {
		t.Fatal(err)
	}
	st := getPlayer(t, "http://"+n.Addr().String(), node.SessionID(), guild.String())
	if st.Track == nil || st.Track.Info.Position < 20000 || st.Track.Info.Position > 21500 {
		t.Fatalf("after seek position %+v", st.Track)
	}

	// Pause: audio stops with a silence tail; resume: audio again.
	if err := player.Update(ctx, dl.WithPaused(true)); err != nil {
		t.Fatal(err)
	}
	waitReport(t, vs, "silence tail", func(r voicetest.Report) bool { return r.SilenceRuns >= 1 })
	before := vs.Report().DecodedFrames
	time.Sleep(300 * time.Millisecond)
	if got := vs.Report().DecodedFrames; got-before > 2 {
		t.Fatalf("%d frames while paused", got-before)
	}
	if err := player.Update(ctx, dl.WithPaused(false)); err != nil {
		t.Fatal(err)
	}
	waitReport(t, vs, "audio after resume", func(r voicetest.Report) bool { return r.DecodedFrames > before+50 })

	// Stop: TrackEndEvent(stopped). (disgolink forgets a destroyed player
	// before its events arrive, so the DELETE path is checked with a raw socket.)
	if err := player.Update(ctx, dl.WithNullTrack()); err != nil {
		t.Fatal(err)
	}
	m := events.wait(t, "TrackEndEvent", func(m dl.Message) bool { _, ok := m.(dl.TrackEndEvent); return ok })
	if e := m.(dl.TrackEndEvent); e.Reason != dl.TrackEndReasonStopped {
		t.Fatalf("end reason %s", e.Reason)
	}
	if err := player.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	if got := n.Server().Players(); got != 0 {
		t.Fatalf("%d players after destroy", got)
	}
	r = vs.Report()
	if r.BadSilenceRuns != 0 {
		t.Errorf("bad silence runs: %+v", r)
	}
}

type playerJSON struct {
	Track *struct {
		Info struct{ Position int64 }
	}
	Volume int
	Paused bool
	State  struct {
		Position  int64
		Connected bool
	}
}

func getPlayer(t *testing.T, base, session, guild string) playerJSON {
	t.Helper()
	var p playerJSON
	code, body := do(t, "GET", base+"/v4/sessions/"+session+"/players/"+guild, "")
	if code != 200 {
		t.Fatalf("get player: %d %s", code, body)
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// noKeepAlive leaves no idle connection goroutines for goleak to find.
var noKeepAlive = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}

func do(t *testing.T, method, url, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = bytes.NewBufferString(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", testPassword)
	req.Header.Set("Content-Type", "application/json")
	resp, err := noKeepAlive.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("Lavalink-Api-Version") != "4" {
		t.Errorf("%s %s: no Lavalink-Api-Version header", method, url)
	}
	return resp.StatusCode, b
}

// dialWS opens a raw client session and returns it with the ready message.
func dialWS(t *testing.T, n *Node, sessionID string) (*websocket.Conn, map[string]any, *http.Response) {
	t.Helper()
	h := http.Header{"Authorization": {testPassword}, "User-Id": {"1"}, "Client-Name": {"test/1"}}
	if sessionID != "" {
		h.Set("Session-Id", sessionID)
	}
	c, resp, err := websocket.DefaultDialer.Dial("ws://"+n.Addr().String()+"/v4/websocket", h)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var m map[string]any
		if err := c.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		if m["op"] == "ready" {
			_ = c.SetReadDeadline(time.Time{})
			return c, m, resp
		}
	}
}

// readUntil reads messages until one satisfies f.
func readUntil(t *testing.T, c *websocket.Conn, what string, f func(map[string]any) bool) []map[string]any {
	t.Helper()
	var seen []map[string]any
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	for {
		var m map[string]any
		if err := c.ReadJSON(&m); err != nil {
			t.Fatalf("waiting for %s: %v (seen %v)", what, err, seen)
		}
		seen = append(seen, m)
		if f(m) {
			return seen
		}
	}
}
