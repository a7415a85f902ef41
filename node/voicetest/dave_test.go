package voicetest

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/audionode/audionode/node/voice/dave"
)

// daveClient is a minimal voice client with a node/voice/dave session: it
// identifies, selects aes256gcm, answers every DAVE op and sends RTP.
type daveClient struct {
	t           *testing.T
	ws          *websocket.Conn
	wmu         sync.Mutex
	s           *dave.Session
	udp         *net.UDPConn
	ssrc        uint32
	key         []byte
	seq         uint16
	nonce       uint32
	sent        atomic.Int64 // DAVE frames sent
	wg          sync.WaitGroup
	between     atomic.Bool // send a frame after each op 29, before its op 22
	betweenSent atomic.Int64
	errs        atomic.Int64
}

func (c *daveClient) writeJSON(op int, d any) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.WriteJSON(map[string]any{"op": op, "d": d})
}

func (c *daveClient) send(replies []dave.Reply, err error) {
	if err != nil {
		c.errs.Add(1)
		c.t.Logf("client dave: %v", err)
	}
	for _, r := range replies {
		if r.Binary != nil {
			c.wmu.Lock()
			_ = c.ws.WriteMessage(websocket.BinaryMessage, r.Wire())
			c.wmu.Unlock()
		} else {
			c.writeJSON(r.Op, r.JSON)
		}
	}
}

func startDAVEClient(t *testing.T, srv *Server, creds Credentials, channel uint64) *daveClient {
	t.Helper()
	ws, _, err := dialRaw(t, srv, "?v=8")
	if err != nil {
		t.Fatal(err)
	}
	user := uint64(0)
	_ = json.Unmarshal([]byte(creds.UserID), &user)
	c := &daveClient{t: t, ws: ws, s: dave.New(dave.Config{UserID: user, ChannelID: channel})}
	readOp(t, ws) // hello
	c.writeJSON(opIdentify, map[string]any{"server_id": creds.GuildID, "user_id": creds.UserID, "session_id": creds.SessionID,
		"token": creds.Token, "max_dave_protocol_version": dave.MaxProtocolVersion})
	var ready struct {
		SSRC uint32 `json:"ssrc"`
		IP   string `json:"ip"`
		Port int    `json:"port"`
	}
	if m := readOp(t, ws); m.Op != opReady || json.Unmarshal(m.D, &ready) != nil {
		t.Fatalf("ready %+v", m)
	}
	c.ssrc = ready.SSRC
	if c.udp, err = net.DialUDP("udp", nil, &net.UDPAddr{IP: net.ParseIP(ready.IP), Port: ready.Port}); err != nil {
		t.Fatal(err)
	}
	c.writeJSON(opSelectProtocol, map[string]any{"protocol": "udp", "data": map[string]any{"address": "127.0.0.1", "port": 1, "mode": ModeAES256GCM}})
	m := readOp(t, ws)
	var desc struct {
		Key  []byte `json:"-"`
		Raw  []int  `json:"secret_key"`
		DAVE int    `json:"dave_protocol_version"`
	}
	if m.Op != opSessionDesc || json.Unmarshal(m.D, &desc) != nil || desc.DAVE != 1 {
		t.Fatalf("session description %s", m.D)
	}
	for _, b := range desc.Raw {
		c.key = append(c.key, byte(b))
	}
	c.send(c.s.HandleJSON(dave.OpSessionDescription, m.D))
	c.writeJSON(opSpeaking, map[string]any{"speaking": 1, "delay": 0, "ssrc": c.ssrc})
	c.wg.Add(1)
	go c.read()
	t.Cleanup(c.close)
	return c
}

func (c *daveClient) read() {
	defer c.wg.Done()
	for {
		typ, b, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if typ == websocket.BinaryMessage {
			if len(b) < 3 {
				continue
			}
			c.send(c.s.HandleBinary(b[2], b[3:]))
			if b[2] == dave.OpMLSAnnounceCommit && c.between.Load() && c.frame(opusFrame) {
				c.betweenSent.Add(1)
			}
			continue
		}
		m, err := ParseMessage(b)
		if err != nil {
			continue
		}
		c.send(c.s.HandleJSON(m.Op, m.D))
	}
}

func (c *daveClient) close() {
	c.ws.Close()
	c.wg.Wait()
	c.udp.Close()
	c.s.Close()
}

// waitMode waits until the client has executed the last op 22: its frames
// carry the DAVE marker (encrypted) or not. The frames it makes to look are
// not sent; receivers tolerate the skipped nonces.
func (c *daveClient) waitMode(t *testing.T, encrypted bool) {
	t.Helper()
	buf := make([]byte, 64)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		n, err := c.s.Encryptor().Encrypt(buf, opusFrame)
		if err == nil && (n > 2 && buf[n-1] == 0xFA && buf[n-2] == 0xFA) == encrypted {
			return
		}
	}
	t.Fatalf("client never switched to encrypted=%v", encrypted)
}

// frame sends one DAVE-encrypted Opus payload in an rtpsize AES-GCM packet.
func (c *daveClient) frame(opus []byte) bool {
	buf := make([]byte, len(opus)+dave.MaxOverhead)
	n, err := c.s.Encryptor().Encrypt(buf, opus)
	if err != nil {
		return false
	}
	c.raw(buf[:n])
	c.sent.Add(1)
	return true
}

func (c *daveClient) raw(payload []byte) {
	c.seq++
	c.nonce++
	hdr := make([]byte, 12)
	hdr[0], hdr[1] = 0x80, 0x78
	binary.BigEndian.PutUint16(hdr[2:], c.seq)
	binary.BigEndian.PutUint32(hdr[4:], uint32(c.seq)*960)
	binary.BigEndian.PutUint32(hdr[8:], c.ssrc)
	_, _ = c.udp.Write(seal(c.t, ModeAES256GCM, c.key, hdr, payload, c.nonce))
}

func waitDAVE(t *testing.T, ss *Session, what string, cond func(DAVEReport) bool) Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := ss.WaitFor(ctx, func(r Report) bool { return cond(r.DAVE) })
	if err != nil {
		t.Fatalf("%s: %v; dave %+v", what, err, r.DAVE)
	}
	return r
}

// opusFrame is a valid Opus frame; DAVE-encrypted it must open to itself.
var opusFrame = []byte{0xFC, 0xFF, 0xFE}

func runDAVEGroup(t *testing.T, opts *DAVEOptions) {
	srv, err := NewServer(Options{DAVE: opts, NoDecode: true, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	creds := Credentials{GuildID: "10", UserID: "42", SessionID: "s", Token: "t", ChannelID: "555"}
	ss := srv.Expect(creds)
	c := startDAVEClient(t, srv, creds, 555)

	// The first member joins through the client's commit; audio may flow
	// once op 22 arrives.
	waitDAVE(t, ss, "first transition", func(r DAVEReport) bool { return r.Transitions == 1 })
	deadline := time.Now().Add(10 * time.Second)
	for !c.s.Ready() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	for range 20 {
		if !c.frame(opusFrame) {
			t.Fatal("client not ready after the first transition")
		}
	}
	waitDAVE(t, ss, "20 frames", func(r DAVEReport) bool { return r.Frames == 20 })

	// Two more members join at once, then one leaves; a frame sent between
	// each commit and its execute must open with the previous epoch's key.
	c.between.Store(true)
	ids, err := ss.DAVEAddMembers(2)
	if err != nil {
		t.Fatal(err)
	}
	waitDAVE(t, ss, "join", func(r DAVEReport) bool { return r.Transitions == 2 && r.Members == 3 && r.Epoch == 2 })
	if err := ss.DAVERemoveMember(ids[0]); err != nil {
		t.Fatal(err)
	}
	r := waitDAVE(t, ss, "leave", func(r DAVEReport) bool { return r.Transitions == 3 && r.Members == 2 && r.Epoch == 3 })
	for range 20 {
		c.frame(opusFrame)
	}
	want := uint64(c.sent.Load())
	r = waitDAVE(t, ss, "all frames", func(r DAVEReport) bool { return r.Frames+r.DecryptFailed >= want })
	d := r.DAVE
	if d.Frames != want || d.DecryptFailed != 0 || d.MemberErrors != 0 || (d.IgnoredCommit != 0) != opts.MembersCommit || d.Invalid != 0 || c.betweenSent.Load() != 2 || c.errs.Load() != 0 {
		t.Fatalf("sent %d (%d between commit and execute), client errors %d; dave %+v", want, c.betweenSent.Load(), c.errs.Load(), d)
	}
	if d.Welcomes != 3 || d.Commits != 3 || d.ReadyAcks != 3 || d.KeyPackages != 1 {
		t.Fatalf("dave %+v", d)
	}
	if e, _ := c.s.Epoch(); e != 3 {
		t.Fatalf("client epoch %d", e)
	}
	// The ear cannot leave; a plaintext frame and a tampered one are counted.
	if err := ss.DAVERemoveMember(12345); err == nil {
		t.Fatal("removed an unknown member")
	}
	c.raw([]byte{0xFC, 1, 2, 3})
	buf := make([]byte, 64)
	n, _ := c.s.Encryptor().Encrypt(buf, opusFrame)
	buf[0] ^= 1
	c.raw(buf[:n])
	c.raw([]byte{0xF8, 0xFF, 0xFE})
	r = waitDAVE(t, ss, "bad frames", func(r DAVEReport) bool { return r.DecryptFailed == 2 && r.Silence == 1 })
	if r.DAVE.Plain != 1 || r.Decrypted != want+3 {
		t.Fatalf("report %+v", r)
	}

	// Re-init while encrypted (op 24, op 25): frames keep the old group's
	// key until the new group's op 22, and the fake still opens them.
	c.between.Store(false)
	if err := ss.DAVEReinit(); err != nil {
		t.Fatal(err)
	}
	c.frame(opusFrame)
	waitDAVE(t, ss, "re-init", func(r DAVEReport) bool { return r.Transitions == 4 && r.KeyPackages == 2 && r.Epoch == 1 })
	c.frame(opusFrame)
	// Downgrade (op 21 version 0): the client sends plain frames.
	if err := ss.DAVEDowngrade(); err != nil {
		t.Fatal(err)
	}
	waitDAVE(t, ss, "downgrade", func(r DAVEReport) bool { return r.Downgrades == 1 && r.Version == 0 })
	c.waitMode(t, false)
	c.frame(opusFrame)
	waitDAVE(t, ss, "passthrough frame", func(r DAVEReport) bool { return r.Passthrough == 1 })
	// Upgrade again: a new group, then encrypted frames only.
	if err := ss.DAVEReinit(); err != nil {
		t.Fatal(err)
	}
	waitDAVE(t, ss, "upgrade", func(r DAVEReport) bool { return r.Transitions == 6 && r.Version == 1 })
	c.waitMode(t, true)
	for range 5 {
		c.frame(opusFrame)
	}
	c.raw([]byte{0xFC, 1, 2, 3})
	r = waitDAVE(t, ss, "after upgrade", func(r DAVEReport) bool { return r.Plain == 2 })
	if d := r.DAVE; d.Frames != want+7 || d.DecryptFailed != 3 || d.Passthrough != 1 || d.MemberErrors != 0 || d.Reinits != 2 {
		t.Fatalf("dave %+v", d)
	}
}

func TestDAVEGroupGo(t *testing.T) { runDAVEGroup(t, &DAVEOptions{}) }

// TestDAVEGroupGoMembersCommit: the client joins through a member's
// Welcome and processes the member's commits, dropping its own.
func TestDAVEGroupGoMembersCommit(t *testing.T) {
	runDAVEGroup(t, &DAVEOptions{MembersCommit: true})
}

func TestDAVEOffAnnouncesVersion0(t *testing.T) {
	srv, err := NewServer(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ss := srv.Expect(Credentials{GuildID: "1", UserID: "2", SessionID: "3", Token: "4"})
	if _, err := ss.DAVEAddMembers(1); err != ErrDAVEOff {
		t.Fatalf("add without DAVE: %v", err)
	}
}

// TestDAVERequired: with DAVE on, an Identify without
// max_dave_protocol_version ≥ 1 is closed with 4017, as Discord does.
func TestDAVERequired(t *testing.T) {
	srv, err := NewServer(Options{DAVE: &DAVEOptions{}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.Expect(Credentials{GuildID: "1", UserID: "2", SessionID: "3", Token: "4"})
	c, _, err := dialRaw(t, srv, "?v=8")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	readOp(t, c)
	_ = c.WriteJSON(map[string]any{"op": 0, "d": map[string]any{"server_id": "1", "user_id": "2", "session_id": "3", "token": "4", "max_dave_protocol_version": 0}})
	for {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, _, err := c.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != 4017 {
				t.Fatalf("want close 4017, got %v", err)
			}
			return
		}
	}
}

// TestDAVEGroupDavey runs the same call with davey (Rust, OpenMLS) as every
// simulated member, the ear included.
func TestDAVEGroupDavey(t *testing.T) {
	d, err := StartDavey()
	if errors.Is(err, ErrNoDavey) {
		t.Skip("node or @snazzah/davey missing; run hack/npm-deps.sh")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	t.Run("client commits", func(t *testing.T) { runDAVEGroup(t, &DAVEOptions{NewMember: d.Member}) })
	t.Run("davey commits", func(t *testing.T) { runDAVEGroup(t, &DAVEOptions{NewMember: d.Member, MembersCommit: true}) })
}

// FuzzDAVEClientMessage feeds arbitrary client DAVE messages (binary ops
// 26 and 28, JSON ops 23 and 31) and Opus payloads to a fake group that
// waits for a commit: errors are counted, nothing panics.
func FuzzDAVEClientMessage(f *testing.F) {
	ss := newSession(&Server{}, Credentials{UserID: "42", ChannelID: "7"})
	d := newDAVE(ss, &DAVEOptions{})
	defer d.close()
	d.start()
	client := dave.New(dave.Config{UserID: 42, ChannelID: 7})
	defer client.Close()
	r, err := client.HandleJSON(dave.OpSessionDescription, json.RawMessage(`{"dave_protocol_version":1}`))
	if err != nil || len(r) != 1 {
		f.Fatal(err)
	}
	kp := r[0].Wire()
	d.clientBinary(kp) // the ear is proposed; a commit is awaited
	f.Add(kp, 23, []byte(`{"transition_id":1}`))
	f.Add([]byte{opDAVECommitWelcome, 0, 1, 0, 1}, 31, []byte(`{}`))
	f.Add([]byte{0xFC, 1, 0xFA, 0xFA}, 23, []byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte, op int, js []byte) {
		d.clientBinary(b)
		d.clientJSON(op, js)
		var rep DAVEReport
		d.open(b, &rep)
	})
}
