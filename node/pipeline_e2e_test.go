package node

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/audionode/audionode/node/voicetest"
)

// TestRealPipelinePlaysWAV plays a 44.1 kHz WAV tone through the real media
// pipeline (decode, resample, libopus) and checks what the fake Discord
// voice server decodes, before and after a volume change.
func TestRealPipelinePlaysWAV(t *testing.T) {
	fake, err := voicetest.NewServer(voicetest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	creds := voicetest.Credentials{GuildID: "77", UserID: "1", SessionID: "vs", Token: "tk"}
	fake.Expect(creds)
	n, base := testNodeWith(t, nil, nil)
	c, ready, _ := dialWS(t, n, "")
	defer c.Close()
	sid := ready["sessionId"].(string)
	path := wavFile(t, 8*time.Second, 44100, math.Pow(10, -12.0/20))
	track := encodedTrack(t, base, path)
	player := base + "/v4/sessions/" + sid + "/players/77"
	patch := fmt.Sprintf(`{"track":{"encoded":%q},"voice":{"token":"tk","endpoint":%q,"sessionId":"vs","channelId":"5"}}`, track, fake.Endpoint())
	if code, body := do(t, "PATCH", player, patch); code != 200 {
		t.Fatalf("play: %d %s", code, body)
	}
	var vs *voicetest.Session
	for deadline := time.Now().Add(10 * time.Second); vs == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		vs = fake.Session("77")
	}
	if vs == nil {
		t.Fatal("no voice session")
	}
	r := waitReport(t, vs, "100 frames", func(r voicetest.Report) bool { return r.DecodedFrames >= 100 })
	if r.DecryptFailed != 0 || r.SeqGaps != 0 || math.Abs(r.Channels[0].DominantHz-440) > 5 || math.Abs(r.Channels[1].DominantHz-1000) > 5 {
		t.Fatalf("report %+v", r)
	}
	level := r.Channels[1].LevelDBFS
	if code, _ := do(t, "PATCH", player, `{"volume":50}`); code != 200 {
		t.Fatal(code)
	}
	time.Sleep(700 * time.Millisecond)
	vs.ResetStats()
	vs.ResetAudio()
	r = waitReport(t, vs, "frames after volume", func(r voicetest.Report) bool { return r.DecodedFrames >= 60 })
	if d := level - r.Channels[1].LevelDBFS; d < 3 {
		t.Fatalf("volume 50 lowered the level by %.1f dB", d)
	}
	// Seek near the end; the track then finishes on its own.
	if code, _ := do(t, "PATCH", player, `{"position":7000}`); code != 200 {
		t.Fatal(code)
	}
	seen := readUntil(t, c, "TrackEndEvent", func(m map[string]any) bool { return m["type"] == "TrackEndEvent" })
	if end := seen[len(seen)-1]; end["reason"] != "finished" {
		t.Fatalf("end %v", end)
	}
	// Filters with bad values are refused; good ones apply.
	if code, body := do(t, "PATCH", player, `{"filters":{"lowPass":{"smoothing":20}}}`); code != 200 || !strings.Contains(string(body), "lowPass") {
		t.Fatalf("filters: %d %s", code, body)
	}
}
