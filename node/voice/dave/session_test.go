package dave

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/audionode/audionode/node/mls"
)

// gateway plays the voice gateway's external-sender role for sessions in
// the same process.
type gateway struct {
	t       *testing.T
	key     *mls.SignatureKey
	ext     mls.ExternalSender
	members map[uint64]*Session
	kps     map[uint64][]byte
	inGroup []uint64
	epoch   uint64
	nextTID uint16
}

func newGateway(t *testing.T) *gateway {
	k, err := mls.GenerateSignatureKey()
	if err != nil {
		t.Fatal(err)
	}
	return &gateway{t: t, key: k, ext: mls.ExternalSender{SignatureKey: k.Public(),
		Credential: mls.Credential{Type: mls.CredentialBasic, Identity: []byte{0, 0, 0, 0, 0, 0, 0, 1}}},
		members: map[uint64]*Session{}, kps: map[uint64][]byte{}, nextTID: 1}
}

func js(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func (g *gateway) json(s *Session, op int, d any) []Reply {
	g.t.Helper()
	r, err := s.HandleJSON(op, js(d))
	if err != nil {
		g.t.Fatalf("op %d: %v", op, err)
	}
	return r
}

// connect brings a new user in: op 11 to everyone, op 4, op 25; stores its key package.
func (g *gateway) connect(user uint64) *Session {
	s := New(Config{UserID: user, ChannelID: 77})
	g.members[user] = s
	var ids []string
	for u := range g.members {
		ids = append(ids, strconv.FormatUint(u, 10))
	}
	for _, m := range g.members {
		g.json(m, OpClientsConnect, map[string]any{"user_ids": ids})
	}
	r := g.json(s, OpSessionDescription, map[string]any{"dave_protocol_version": 1})
	g.takeKeyPackage(user, r)
	if _, err := s.HandleBinary(OpMLSExternalSender, g.ext.Marshal()); err != nil {
		g.t.Fatal(err)
	}
	return s
}

func (g *gateway) takeKeyPackage(user uint64, r []Reply) {
	g.t.Helper()
	if len(r) != 1 || r[0].Op != OpMLSKeyPackage {
		g.t.Fatalf("want op 26, got %+v", r)
	}
	g.kps[user] = r[0].Binary
}

func (g *gateway) proposal(p mls.Proposal) []byte {
	pm, err := mls.ExternalProposal(g.key, binary.BigEndian.AppendUint64(nil, 77), g.epoch, p)
	if err != nil {
		g.t.Fatal(err)
	}
	return AppendProposalsPayload(pm)
}

// change sends proposals to the committer, relays its commit (and welcome
// to joiners) and executes the transition.
func (g *gateway) change(committer uint64, props []mls.Proposal, joiners []uint64) uint16 {
	g.t.Helper()
	var payloads [][]byte
	for _, p := range props {
		payloads = append(payloads, g.proposal(p))
	}
	recipients := g.inGroup
	if len(recipients) == 0 {
		recipients = []uint64{committer}
	}
	var commitWelcome []byte
	for _, u := range recipients {
		for _, pl := range payloads {
			r, err := g.members[u].HandleBinary(OpMLSProposals, pl)
			if err != nil {
				g.t.Fatalf("user %d proposals: %v", u, err)
			}
			if u == committer && len(r) == 1 && r[0].Op == OpMLSCommitWelcome {
				commitWelcome = r[0].Binary
			}
		}
	}
	if commitWelcome == nil {
		g.t.Fatal("no commit")
	}
	commit, w, err := SplitCommitWelcome(commitWelcome)
	if err != nil {
		g.t.Fatal(err)
	}
	var welcome []byte
	if w != nil {
		welcome = w.Marshal()
	}
	tid := g.nextTID
	g.nextTID++
	tidb := binary.BigEndian.AppendUint16(nil, tid)
	ready := 0
	if len(g.inGroup) == 0 {
		g.inGroup = []uint64{committer}
	}
	for _, u := range g.inGroup {
		r, err := g.members[u].HandleBinary(OpMLSAnnounceCommit, append(tidb, commit...))
		if err != nil {
			g.t.Fatalf("user %d commit: %v", u, err)
		}
		ready += countReady(r, tid)
	}
	for _, u := range joiners {
		if len(welcome) == 0 {
			g.t.Fatal("no welcome")
		}
		r, err := g.members[u].HandleBinary(OpMLSWelcome, append(tidb, welcome...))
		if err != nil {
			g.t.Fatalf("user %d welcome: %v", u, err)
		}
		ready += countReady(r, tid)
		g.inGroup = append(g.inGroup, u)
	}
	if ready != len(g.inGroup) {
		g.t.Fatalf("%d of %d members ready", ready, len(g.inGroup))
	}
	for _, u := range g.inGroup {
		g.json(g.members[u], OpExecuteTransition, map[string]any{"transition_id": tid})
	}
	g.epoch++
	return tid
}

func countReady(r []Reply, tid uint16) int {
	n := 0
	for _, x := range r {
		if x.Op == OpTransitionReady && x.JSON.(TransitionData).TransitionID == tid {
			n++
		}
	}
	return n
}

func (g *gateway) addProposal(u uint64) mls.Proposal {
	kp, err := mls.ParseKeyPackageMessage(g.kps[u])
	if err != nil {
		g.t.Fatal(err)
	}
	return mls.Proposal{Type: mls.ProposalAdd, KeyPackage: *kp}
}

// checkFrames verifies every member decrypts every other member's frames.
func (g *gateway) checkFrames() {
	g.t.Helper()
	for _, su := range g.inGroup {
		s := g.members[su]
		if !s.Ready() {
			g.t.Fatalf("user %d not ready", su)
		}
		dst := make([]byte, 64)
		frame := []byte(fmt.Sprintf("opus-%d", su))
		n, err := s.Encryptor().Encrypt(dst, frame)
		if err != nil {
			g.t.Fatal(err)
		}
		for _, ru := range g.inGroup {
			d, err := g.members[ru].Decryptor(su)
			if err != nil {
				g.t.Fatal(err)
			}
			pt, err := d.Decrypt(dst[:n])
			if err != nil || !bytes.Equal(pt, frame) {
				g.t.Fatalf("user %d cannot decrypt user %d: %v", ru, su, err)
			}
		}
	}
}

func TestSessionGroupLifecycle(t *testing.T) {
	g := newGateway(t)
	a := g.connect(100)
	if a.Ready() {
		t.Fatal("ready before the first transition")
	}
	b := g.connect(200)
	g.change(100, []mls.Proposal{g.addProposal(200)}, []uint64{200})
	if e, ok := a.Epoch(); !ok || e != 1 {
		t.Fatalf("epoch %d %v", e, ok)
	}
	g.checkFrames()
	g.connect(300)
	g.connect(400)
	g.change(200, []mls.Proposal{g.addProposal(300), g.addProposal(400)}, []uint64{300, 400})
	g.checkFrames()
	// 300 leaves: the gateway removes its leaf; 400 commits.
	leaf := uint32(0)
	for l, id := range b.group.Members() {
		if binary.BigEndian.Uint64(id) == 300 {
			leaf = l
		}
	}
	g.json(a, OpClientDisconnect, map[string]any{"user_id": "300"})
	g.inGroup = []uint64{100, 200, 400}
	g.change(400, []mls.Proposal{{Type: mls.ProposalRemove, Removed: leaf}}, nil)
	g.checkFrames()
	if e, _ := a.Epoch(); e != 3 {
		t.Fatalf("epoch after remove %d", e)
	}
	for _, s := range g.members {
		s.Close()
	}
	if a.Ready() {
		t.Fatal("ready after close")
	}
}

func TestSessionInvalidCommitRecovers(t *testing.T) {
	g := newGateway(t)
	a := g.connect(100)
	g.connect(200)
	g.change(100, []mls.Proposal{g.addProposal(200)}, []uint64{200})
	// A garbage commit yields op 31 with the transition id and a fresh op 26.
	r, err := a.HandleBinary(OpMLSAnnounceCommit, []byte{0, 9, 0, 1, 0, 1, 1, 2, 3})
	if !errors.Is(err, ErrRecovered) {
		t.Fatalf("err %v", err)
	}
	if len(r) != 2 || r[0].Op != OpMLSInvalidCommitWelcome || r[0].JSON.(TransitionData).TransitionID != 9 || r[1].Op != OpMLSKeyPackage {
		t.Fatalf("replies %+v", r)
	}
	if _, ok := a.Epoch(); ok {
		t.Fatal("group kept after reset")
	}
	// A welcome that is not ours also recovers.
	c := g.connect(300)
	r, err = c.HandleBinary(OpMLSWelcome, []byte{0, 4, 0, 2, 0, 0})
	if !errors.Is(err, ErrRecovered) || len(r) != 2 {
		t.Fatalf("welcome: %v %+v", err, r)
	}
}

func TestSessionPassthroughAndSoleMember(t *testing.T) {
	s := New(Config{UserID: 1, ChannelID: 2})
	if r, err := s.HandleJSON(OpSessionDescription, js(map[string]any{"dave_protocol_version": 0})); err != nil || r != nil {
		t.Fatal(err)
	}
	dst := make([]byte, 32)
	if n, err := s.Encryptor().Encrypt(dst, []byte{1, 2, 3}); err != nil || n != 3 {
		t.Fatalf("passthrough: %d %v", n, err)
	}
	// Upgrade: sole member reset (op 24 epoch 1, op 25, op 21 transition 0).
	r, err := s.HandleJSON(OpPrepareEpoch, js(map[string]any{"epoch": 1, "protocol_version": 1}))
	if err != nil || len(r) != 1 || r[0].Op != OpMLSKeyPackage {
		t.Fatalf("op 24: %v %+v", err, r)
	}
	ext, _ := mls.GenerateSignatureKey()
	es := mls.ExternalSender{SignatureKey: ext.Public(), Credential: mls.Credential{Type: mls.CredentialBasic, Identity: []byte{1}}}
	if _, err := s.HandleBinary(OpMLSExternalSender, es.Marshal()); err != nil {
		t.Fatal(err)
	}
	if r := mustJSON(t, s, OpPrepareTransition, map[string]any{"transition_id": 0, "protocol_version": 1}); r != nil {
		t.Fatalf("transition 0 replies %+v", r)
	}
	n, err := s.Encryptor().Encrypt(dst, []byte{1, 2, 3})
	if err != nil || dst[n-1] != 0xFA {
		t.Fatalf("sole member frame not encrypted: %x %v", dst[:n], err)
	}
	// Downgrade: op 21 version 0 → op 23, then op 22 → passthrough.
	r = mustJSON(t, s, OpPrepareTransition, map[string]any{"transition_id": 5, "protocol_version": 0})
	if len(r) != 1 || r[0].Op != OpTransitionReady {
		t.Fatalf("downgrade replies %+v", r)
	}
	mustJSON(t, s, OpExecuteTransition, map[string]any{"transition_id": 5})
	if n, _ := s.Encryptor().Encrypt(dst, []byte{1, 2, 3}); n != 3 {
		t.Fatal("not passthrough after downgrade")
	}
	// Malformed payloads are errors, never panics.
	for _, p := range [][]byte{nil, {1}, {0}, {2, 0}} {
		if _, err := s.HandleBinary(OpMLSProposals, p); err == nil {
			t.Errorf("op 27 %x accepted", p)
		}
	}
	s.Close()
	if _, err := s.HandleJSON(OpExecuteTransition, js(map[string]any{"transition_id": 1})); !errors.Is(err, ErrClosed) {
		t.Fatal(err)
	}
}

func mustJSON(t *testing.T, s *Session, op int, d any) []Reply {
	t.Helper()
	r, err := s.HandleJSON(op, js(d))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func FuzzHandleBinary(f *testing.F) {
	f.Add(byte(27), []byte{0, 0})
	f.Add(byte(29), []byte{0, 1, 0, 1, 0, 1})
	f.Add(byte(30), []byte{0, 1, 0, 2, 0, 0})
	f.Add(byte(25), []byte{0x41, 4})
	f.Fuzz(func(t *testing.T, op byte, b []byte) {
		s := New(Config{UserID: 1, ChannelID: 2})
		defer s.Close()
		if _, err := s.HandleJSON(OpSessionDescription, js(map[string]any{"dave_protocol_version": 1})); err != nil {
			t.Fatal(err)
		}
		_, _ = s.HandleBinary(op, b)
	})
}

func TestRevokeProposals(t *testing.T) {
	g := newGateway(t)
	a := g.connect(100)
	g.connect(200)
	pm, err := mls.ExternalProposal(g.key, binary.BigEndian.AppendUint64(nil, 77), 0, g.addProposal(200))
	if err != nil {
		t.Fatal(err)
	}
	if r, err := a.HandleBinary(OpMLSProposals, AppendProposalsPayload(pm)); err != nil || len(r) != 1 {
		t.Fatalf("append: %v %+v", err, r)
	}
	// Revoking the only proposal leaves nothing to commit.
	r, err := a.HandleBinary(OpMLSProposals, RevokeProposalsPayload(mls.ProposalRef(&pm.AuthenticatedContent)))
	if err != nil || len(r) != 0 {
		t.Fatalf("revoke: %v %+v", err, r)
	}
	if a.pending.PendingProposals() != 0 {
		t.Fatal("proposal not revoked")
	}
}

func FuzzSplitCommitWelcome(f *testing.F) {
	f.Add([]byte{0, 1, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) { _, _, _ = SplitCommitWelcome(b) })
}

func FuzzHandleJSON(f *testing.F) {
	f.Add(21, []byte(`{"transition_id":3,"protocol_version":0}`))
	f.Add(22, []byte(`{"transition_id":3}`))
	f.Add(24, []byte(`{"epoch":1,"protocol_version":1}`))
	f.Add(11, []byte(`{"user_ids":["1","x"]}`))
	f.Add(4, []byte(`{"dave_protocol_version":7}`))
	f.Fuzz(func(t *testing.T, op int, b []byte) {
		s := New(Config{UserID: 1, ChannelID: 2})
		defer s.Close()
		_, _ = s.HandleJSON(op, b)
	})
}

// TestEarlierOwnCommitAnnounced: two op 27 messages make two commits; the
// gateway announces the first, which must be recognised as ours.
func TestEarlierOwnCommitAnnounced(t *testing.T) {
	g := newGateway(t)
	a := g.connect(100)
	g.connect(200)
	g.connect(300)
	r1, err := a.HandleBinary(OpMLSProposals, g.proposal(g.addProposal(200)))
	if err != nil || len(r1) != 1 {
		t.Fatal(err)
	}
	r2, err := a.HandleBinary(OpMLSProposals, g.proposal(g.addProposal(300)))
	if err != nil || len(r2) != 1 {
		t.Fatal(err)
	}
	commit, _, err := SplitCommitWelcome(r1[0].Binary)
	if err != nil {
		t.Fatal(err)
	}
	r, err := a.HandleBinary(OpMLSAnnounceCommit, append([]byte{0, 1}, commit...))
	if err != nil || countReady(r, 1) != 1 {
		t.Fatalf("first own commit: %v %+v", err, r)
	}
	if len(a.group.Members()) != 2 {
		t.Fatalf("members %d", len(a.group.Members()))
	}
}
