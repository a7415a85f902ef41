// Command demo proves the whole audio path without Discord: it starts an
// audionode and the fake Discord voice server on loopback, then acts as a
// Lavalink client would — WebSocket session, loadtracks, a player PATCH with
// voice details and a track, a volume change, a pause, a stop — and prints
// what the fake voice server received (frames, decryption, sequence checks,
// frequencies, jitter).
//
//	go run ./hack/demo   (or: make demo)
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/gorilla/websocket"

	"github.com/audionode/audionode/node"
	"github.com/audionode/audionode/node/settings"
	"github.com/audionode/audionode/node/voicetest"
)

const password = "youshallnotpass"

func main() {
	seconds := flag.Int("seconds", 4, "how long to play before each change")
	verbose := flag.Bool("v", false, "log the node's messages")
	flag.Parse()
	if err := run(*seconds, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(seconds int, verbose bool) error {
	dir, err := os.MkdirTemp("", "audionode-demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	tone := filepath.Join(dir, "tone.wav")
	if err := writeTone(tone, 30*time.Second); err != nil {
		return err
	}
	fmt.Printf("demo: wrote %s (440 Hz left, 1000 Hz right, -12 dBFS, 30 s)\n", tone)

	fake, err := voicetest.NewServer(voicetest.Options{})
	if err != nil {
		return err
	}
	defer fake.Close()
	creds := voicetest.Credentials{GuildID: "100", UserID: "1", SessionID: "demo-voice-session", Token: "demo-token"}
	fake.Expect(creds)
	fmt.Printf("demo: fake voice server at %s\n", fake.Endpoint())

	cfg := settings.Default()
	cfg.Server.Address, cfg.Server.Port = "127.0.0.1", 0
	cfg.Lavalink.Sources["local"] = true
	cfg.AudioNode.VoiceInsecureEndpoints = true
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	n, err := node.New(cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	defer func() { cancel(); <-done }()
	base := "http://" + n.Addr().String()
	fmt.Printf("demo: audionode at %s\n", base)

	// A client session, as a bot's Lavalink library opens it.
	h := http.Header{"Authorization": {password}, "User-Id": {creds.UserID}, "Client-Name": {"audionode-demo/1"}}
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+n.Addr().String()+"/v4/websocket", h)
	if err != nil {
		return fmt.Errorf("websocket: %w", err)
	}
	defer ws.Close()
	var ready struct{ Op, SessionID string }
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := ws.ReadJSON(&ready); err != nil || ready.Op != "ready" {
		return fmt.Errorf("ready: %+v %v", ready, err)
	}
	_ = ws.SetReadDeadline(time.Time{})
	go func() { // print the node's events
		for {
			_, msg, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var m struct{ Op, Type string }
			_ = json.Unmarshal(msg, &m)
			if m.Op == "event" {
				fmt.Printf("demo: event %s\n", m.Type)
			}
		}
	}()
	fmt.Printf("demo: session %s\n", ready.SessionID)

	var load struct {
		LoadType string
		Data     struct {
			Encoded string
			Info    struct {
				Title  string
				Length int64
			}
		}
	}
	if err := call("GET", base+"/v4/loadtracks?identifier="+url.QueryEscape(tone), nil, &load); err != nil {
		return err
	}
	if load.LoadType != "track" {
		return fmt.Errorf("loadtracks gave %q", load.LoadType)
	}
	fmt.Printf("demo: loaded %q, %d ms\n", load.Data.Info.Title, load.Data.Info.Length)

	player := base + "/v4/sessions/" + ready.SessionID + "/players/" + creds.GuildID
	patch := map[string]any{
		"track": map[string]any{"encoded": load.Data.Encoded},
		"voice": map[string]any{"token": creds.Token, "endpoint": fake.Endpoint(), "sessionId": creds.SessionID, "channelId": "200"},
	}
	if err := call("PATCH", player, patch, nil); err != nil {
		return err
	}
	step := time.Duration(seconds) * time.Second
	show := func(what string) {
		s := fake.Session(creds.GuildID)
		if s == nil {
			fmt.Printf("demo: %s: the fake voice server has no session\n", what)
			return
		}
		r := s.Report()
		fmt.Printf("demo: %s: mode %s, %d packets, %d decrypted, %d decrypt failures, %d seq gaps, %d timestamp errors, %d nonce repeats\n",
			what, r.Mode, r.Packets, r.Decrypted, r.DecryptFailed, r.SeqGaps, r.TimestampErrors, r.NonceRepeats)
		fmt.Printf("demo:   left %.1f Hz %.1f dBFS, right %.1f Hz %.1f dBFS; inter-arrival p50 %v p99 %v; jitter p99 %v; silence runs %d\n",
			r.Channels[0].DominantHz, r.Channels[0].LevelDBFS, r.Channels[1].DominantHz, r.Channels[1].LevelDBFS,
			r.ArrivalP50, r.ArrivalP99, r.JitterP99, r.SilenceRuns)
	}
	time.Sleep(step)
	show("playing at volume 100")
	if err := call("PATCH", player, map[string]any{"volume": 50}, nil); err != nil {
		return err
	}
	time.Sleep(600 * time.Millisecond) // frames produced ahead at the old volume
	if s := fake.Session(creds.GuildID); s != nil {
		s.ResetAudio() // measure only audio at the new volume
	}
	time.Sleep(step)
	show("after volume 50")
	if err := call("PATCH", player, map[string]any{"paused": true}, nil); err != nil {
		return err
	}
	time.Sleep(time.Second)
	if err := call("DELETE", player, nil, nil); err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond)
	show("after pause and destroy")
	return nil
}

func call(method, u string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", password)
	req.Header.Set("Content-Type", "application/json")
	c := &http.Client{Timeout: 20 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, u, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// writeTone writes a 48 kHz 16-bit stereo WAV: 440 Hz left, 1000 Hz right, -12 dBFS.
func writeTone(path string, d time.Duration) error {
	const rate = 48000
	frames := int(d.Seconds() * rate)
	amp := math.Pow(10, -12.0/20) * 32767
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
		t := float64(i) / rate
		w(int16(amp * math.Sin(2*math.Pi*440*t)))
		w(int16(amp * math.Sin(2*math.Pi*1000*t)))
	}
	if buf.Len() == 0 {
		return errors.New("empty tone")
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
