package node

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/audionode/audionode/node/voicetest"
)

// TestDAVEEndToEnd plays a WAV tone through the real media pipeline into
// the tier-2 fake with DAVE on: the fake's simulated member must open the
// DAVE layer of every frame (after transport decryption), the decoded
// tones must be 440 Hz left and 1000 Hz right, and a member joining and
// leaving must move the epoch on without a frame that fails to open or a
// hole in the stream.
func TestDAVEEndToEnd(t *testing.T) {
	t.Run("go", func(t *testing.T) { daveEndToEnd(t, &voicetest.DAVEOptions{}, true) })
	// davey (Rust, OpenMLS) as the ear: first the node commits and davey
	// joins through the node's Welcome; then davey founds the group and
	// commits, and the node joins through davey's Welcome.
	for _, davey := range []struct {
		name          string
		membersCommit bool
	}{{"davey", false}, {"davey commits", true}} {
		t.Run(davey.name, func(t *testing.T) {
			d, err := voicetest.StartDavey()
			if errors.Is(err, voicetest.ErrNoDavey) {
				t.Skip("node or @snazzah/davey missing; run hack/npm-deps.sh")
			}
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			daveEndToEnd(t, &voicetest.DAVEOptions{NewMember: d.Member, MembersCommit: davey.membersCommit}, false)
		})
	}
}

// daveEndToEnd runs the call; reinit adds a re-init while encrypted, a
// downgrade and an upgrade.
func daveEndToEnd(t *testing.T, opts *voicetest.DAVEOptions, reinit bool) {
	fake, err := voicetest.NewServer(voicetest.Options{DAVE: opts})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	creds := voicetest.Credentials{GuildID: "77", UserID: "1", SessionID: "vs", Token: "tk", ChannelID: "5"}
	fake.Expect(creds)
	n, base := testNodeWith(t, nil, nil)
	c, ready, _ := dialWS(t, n, "")
	defer c.Close()
	sid := ready["sessionId"].(string)
	path := wavFile(t, 30*time.Second, 44100, math.Pow(10, -12.0/20))
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
	check := func(what string, r voicetest.Report) {
		t.Helper()
		d := r.DAVE
		if r.DecryptFailed != 0 || r.DecodeErrors != 0 || r.SeqGaps != 0 || r.TimestampErrors != 0 || d.DecryptFailed != 0 ||
			d.MemberErrors != 0 || d.Invalid != 0 || (d.IgnoredCommit != 0 && !opts.MembersCommit) || d.Frames == 0 ||
			math.Abs(r.Channels[0].DominantHz-440) > 5 || math.Abs(r.Channels[1].DominantHz-1000) > 5 {
			t.Fatalf("%s: report %+v", what, r)
		}
	}
	r := waitReport(t, vs, "100 DAVE frames", func(r voicetest.Report) bool { return r.DAVE.Frames >= 100 && r.DecodedFrames >= 100 })
	check("first epoch", r)
	if r.MaxDAVE != 1 || r.DAVE.Epoch != 1 || r.DAVE.Transitions != 1 || r.DAVE.KeyPackages != 1 {
		t.Fatalf("gateway: %+v", r)
	}
	// Every Opus frame that reached the fake was DAVE-encrypted.
	if r.DAVE.Frames != r.DecodedFrames {
		t.Fatalf("%d frames opened, %d decoded", r.DAVE.Frames, r.DecodedFrames)
	}

	// A member joins, then leaves: two commits by the node, two transitions.
	before := r.DAVE.Frames
	start := time.Now()
	ids, err := vs.DAVEAddMembers(1)
	if err != nil {
		t.Fatal(err)
	}
	waitReport(t, vs, "join", func(r voicetest.Report) bool { return r.DAVE.Transitions == 2 })
	if err := vs.DAVERemoveMember(ids[0]); err != nil {
		t.Fatal(err)
	}
	waitReport(t, vs, "leave", func(r voicetest.Report) bool { return r.DAVE.Transitions == 3 })
	vs.ResetAudio()
	r = waitReport(t, vs, "100 frames after the changes", func(r voicetest.Report) bool {
		return r.DAVE.Frames >= before+100+uint64(time.Since(start)/(40*time.Millisecond))
	})
	check("after join and leave", r)
	if r.DAVE.Epoch != 3 || r.DAVE.Members != 1 || r.DAVE.Commits != 3 || r.DAVE.Welcomes != 2 {
		t.Fatalf("gateway after changes: %+v", r.DAVE)
	}
	// No audible gap: the stream kept its sequence and timestamps (checked
	// above) and every frame sent across the transitions opened.
	if r.DAVE.Frames != r.DecodedFrames {
		t.Fatalf("%d frames opened, %d decoded", r.DAVE.Frames, r.DecodedFrames)
	}
	t.Logf("dave: %+v; arrival p99 %v max %v", r.DAVE, r.ArrivalP99, r.ArrivalMax)
	if !reinit {
		return
	}

	// Re-init mid-stream (op 24 epoch 1, op 25): the node sends with the
	// old group's key until the new group's op 22, then with the new one.
	if err := vs.DAVEReinit(); err != nil {
		t.Fatal(err)
	}
	waitReport(t, vs, "re-init", func(r voicetest.Report) bool { return r.DAVE.Transitions == 4 && r.DAVE.KeyPackages == 2 })
	mark := vs.Report().DAVE.Frames
	vs.ResetAudio()
	r = waitReport(t, vs, "frames after the re-init", func(r voicetest.Report) bool { return r.DAVE.Frames >= mark+100 })
	check("after re-init", r)
	// Downgrade to protocol 0: plain frames; then upgrade through a new group.
	if err := vs.DAVEDowngrade(); err != nil {
		t.Fatal(err)
	}
	r = waitReport(t, vs, "passthrough frames", func(r voicetest.Report) bool { return r.DAVE.Downgrades == 1 && r.DAVE.Passthrough >= 50 })
	if err := vs.DAVEReinit(); err != nil {
		t.Fatal(err)
	}
	waitReport(t, vs, "upgrade", func(r voicetest.Report) bool { return r.DAVE.Transitions == 6 && r.DAVE.Version == 1 })
	mark = vs.Report().DAVE.Frames
	vs.ResetAudio()
	r = waitReport(t, vs, "frames after the upgrade", func(r voicetest.Report) bool { return r.DAVE.Frames >= mark+100 })
	check("after upgrade", r)
	if d := r.DAVE; d.Plain != 0 || d.Reinits != 2 || d.Epoch != 1 {
		t.Fatalf("dave after upgrade: %+v", d)
	}
	t.Logf("dave: %+v", r.DAVE)
}
