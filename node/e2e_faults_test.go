package node

import (
	"context"
	"testing"
	"time"

	"github.com/disgoorg/disgolink/v3/disgolink"
	dl "github.com/disgoorg/disgolink/v3/lavalink"
	"github.com/disgoorg/snowflake/v2"

	"github.com/audionode/audionode/node/voicetest"
)

// TestDisgolinkFiltersFaultsAndResume: filters through disgolink, a voice
// server close 4014 reaches the client as WebSocketClosedEvent with no
// reconnect loop, new voice details move the player to another endpoint and
// audio continues there, and a new disgolink client resumes the session.
func TestDisgolinkFiltersFaultsAndResume(t *testing.T) {
	fake1, err := voicetest.NewServer(voicetest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake1.Close()
	fake2, err := voicetest.NewServer(voicetest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake2.Close()
	n, _, _ := testNode(t, nil)
	const guild, user, channel = snowflake.ID(500), snowflake.ID(1), snowflake.ID(600)
	creds := voicetest.Credentials{GuildID: guild.String(), UserID: user.String(), SessionID: "vs-a", Token: "tok-a"}
	fake1.Expect(creds)
	fake2.Expect(voicetest.Credentials{GuildID: guild.String(), UserID: user.String(), SessionID: "vs-a", Token: "tok-b"})

	events := newEventLog()
	client := disgolink.New(user, disgolink.WithHTTPClient(noKeepAlive),
		disgolink.WithListenerFunc(func(_ disgolink.Player, e dl.TrackStartEvent) { events.add(e) }),
		disgolink.WithListenerFunc(func(_ disgolink.Player, e dl.WebSocketClosedEvent) { events.add(e) }),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	node, err := client.AddNode(ctx, disgolink.NodeConfig{Name: "audionode", Address: n.Addr().String(), Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	resuming, timeout := true, 30
	if err := node.Update(ctx, dl.SessionUpdate{Resuming: &resuming, Timeout: &timeout}); err != nil {
		t.Fatal(err)
	}
	res, err := node.LoadTracks(ctx, toneFile(t, 60*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	track := res.Data.(dl.Track)
	ch := channel
	client.OnVoiceStateUpdate(ctx, guild, &ch, creds.SessionID)
	client.OnVoiceServerUpdate(ctx, guild, creds.Token, fake1.Endpoint())
	player := client.Player(guild)
	if err := player.Update(ctx, dl.WithTrack(track)); err != nil {
		t.Fatal(err)
	}
	events.wait(t, "TrackStartEvent", func(m dl.Message) bool { _, ok := m.(dl.TrackStartEvent); return ok })

	// Filters.
	if err := player.Update(ctx, dl.WithFilters(dl.Filters{Timescale: &dl.Timescale{Speed: 1.2, Pitch: 1, Rate: 1}})); err != nil {
		t.Fatal(err)
	}
	p, err := node.Rest().Player(ctx, node.SessionID(), guild)
	if err != nil || p.Filters.Timescale == nil || p.Filters.Timescale.Speed != 1.2 {
		t.Fatalf("filters not kept: %+v %v", p, err)
	}

	var vs *voicetest.Session
	for deadline := time.Now().Add(10 * time.Second); vs == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		vs = fake1.Session(guild.String())
	}
	if vs == nil {
		t.Fatal("no voice session")
	}
	waitReport(t, vs, "audio at endpoint 1", func(r voicetest.Report) bool { return r.DecodedFrames >= 20 })

	// Endpoint change: new token and endpoint → a new connection at fake2.
	client.OnVoiceServerUpdate(ctx, guild, "tok-b", fake2.Endpoint())
	var vs2 *voicetest.Session
	for deadline := time.Now().Add(10 * time.Second); vs2 == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		vs2 = fake2.Session(guild.String())
	}
	if vs2 == nil {
		t.Fatal("no voice session at the new endpoint")
	}
	r := waitReport(t, vs2, "audio at endpoint 2", func(r voicetest.Report) bool { return r.DecodedFrames >= 30 })
	if r.DecryptFailed != 0 {
		t.Fatalf("endpoint 2: %+v", r)
	}

	// 4015 mid-track: the connection resumes and audio continues; the seq
	// gap is no more than the frames of the outage.
	before := vs2.Report()
	start := time.Now()
	vs2.Close(4015, "Voice server crashed")
	r = waitReport(t, vs2, "resume after 4015", func(r voicetest.Report) bool {
		return r.Resumes >= 1 && r.DecodedFrames >= before.DecodedFrames+50
	})
	outage := time.Since(start)
	if r.Identifies != before.Identifies {
		t.Fatalf("4015 identified afresh instead of resuming: %+v", r)
	}
	if maxGap := uint64(outage/(20*time.Millisecond)) + 2; r.SeqGaps-before.SeqGaps > maxGap {
		t.Fatalf("lost %d frames in a %v outage", r.SeqGaps-before.SeqGaps, outage)
	}

	// 4014 (disconnected): reported to the client, no reconnect loop.
	identifies := vs2.Report().Identifies
	vs2.Close(4014, "Disconnected")
	m := events.wait(t, "WebSocketClosedEvent", func(m dl.Message) bool { _, ok := m.(dl.WebSocketClosedEvent); return ok })
	if e := m.(dl.WebSocketClosedEvent); e.Code != 4014 {
		t.Fatalf("closed event %+v", e)
	}
	time.Sleep(1500 * time.Millisecond)
	if got := vs2.Report().Identifies; got != identifies {
		t.Fatalf("reconnected after 4014: identifies %d → %d", identifies, got)
	}

	// Resume the session from a new client after the old one's socket ends.
	sid := node.SessionID()
	client.Close()
	time.Sleep(200 * time.Millisecond)
	client2 := disgolink.New(user, disgolink.WithHTTPClient(noKeepAlive))
	defer client2.Close()
	node2, err := client2.AddNode(ctx, disgolink.NodeConfig{Name: "audionode", Address: n.Addr().String(), Password: testPassword, SessionID: sid})
	if err != nil {
		t.Fatal(err)
	}
	if node2.SessionID() != sid {
		t.Fatalf("resumed into session %q, want %q", node2.SessionID(), sid)
	}
	players, err := node2.Rest().Players(ctx, sid)
	if err != nil || len(players) != 1 || players[0].Track == nil {
		t.Fatalf("players after resume: %+v %v", players, err)
	}
	if err := node2.Rest().DestroyPlayer(ctx, sid, guild); err != nil {
		t.Fatal(err)
	}
}
