package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/audionode/audionode/node/audio"
	"github.com/audionode/audionode/node/voice"
	"github.com/audionode/audionode/node/voicetest/tone"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type frames struct {
	f [][]byte
	i atomic.Int64
}

func (f *frames) ReadFrame(dst []byte) (int, bool) {
	i := f.i.Add(1) - 1
	if i >= int64(len(f.f)) {
		return 0, false
	}
	return copy(dst, f.f[i]), true
}

// TestRun plays a tone into the command (any credentials accepted) and
// checks the report it prints.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuf{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-every", "50ms", "-heartbeat", "1s"}, out) }()
	re := regexp.MustCompile(`endpoint (ws://\S+)`)
	var endpoint string
	for range 500 {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			endpoint = m[1]
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if endpoint == "" {
		t.Fatal("no endpoint printed")
	}
	fr, err := tone.Frames(440, 1000, 0.5, 100)
	if err != nil {
		t.Fatal(err)
	}
	c := voice.NewConnector(voice.Config{AllowInsecureEndpoints: true})
	defer c.Close()
	st := audio.VoiceState{GuildID: "42", UserID: "1", SessionID: "s", Token: "t", Endpoint: endpoint}
	src := &frames{f: fr}
	vc, err := c.Connect(ctx, st, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The periodic report shows the finished tail once every packet has
	// been checked, however slow the machine.
	for i := 0; !strings.Contains(out.String(), "silence_runs=1 "); i++ {
		if i > 1000 {
			t.Fatalf("no finished playback reported:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	vc.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := out.String()
	t.Log(got)
	for _, want := range []string{"guild 42:", "packets=105 decrypted=105 failed=0 gaps=0", "silence_runs=1 bad_runs=0", "L 439.", "R 1000."} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
