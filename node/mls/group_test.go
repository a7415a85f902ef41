package mls

import (
	"errors"
	"testing"
)

func TestWelcomeVectors(t *testing.T) {
	var vs []struct {
		InitPriv   hexBytes `json:"init_priv"`
		KeyPackage hexBytes `json:"key_package"`
		SignerPub  hexBytes `json:"signer_pub"`
		Welcome    hexBytes `json:"welcome"`
	}
	loadVectors(t, "welcome.json", &vs)
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range vs {
		kpm, err := ParseMessage(v.KeyPackage)
		if err != nil || kpm.KeyPackage == nil {
			t.Fatalf("key package: %v", err)
		}
		if err := kpm.KeyPackage.Verify(); err != nil {
			t.Fatal(err)
		}
		wm, err := ParseMessage(v.Welcome)
		if err != nil || wm.Welcome == nil {
			t.Fatalf("welcome: %v", err)
		}
		initPriv, err := ParseHPKEPrivateKey(v.InitPriv)
		if err != nil {
			t.Fatal(err)
		}
		kp := &KeyPackageBundle{KeyPackage: *kpm.KeyPackage, InitPriv: initPriv}
		gs, gi, psk, err := openWelcome(wm.Welcome, kp, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := gi.verify(v.SignerPub); err != nil {
			t.Fatalf("group info signature: %v", err)
		}
		es := scheduleFromJoiner(gs.JoinerSecret, psk, gi.Context.Marshal())
		eq(t, "confirmation tag", ConfirmationTag(es.Confirmation, gi.Context.ConfirmedTranscriptHash), gi.ConfirmationTag)
	}
}

type passiveVector struct {
	Suite        uint16 `json:"cipher_suite"`
	ExternalPSKs []struct {
		ID  hexBytes `json:"psk_id"`
		PSK hexBytes `json:"psk"`
	} `json:"external_psks"`
	KeyPackage  hexBytes  `json:"key_package"`
	SigPriv     hexBytes  `json:"signature_priv"`
	EncPriv     hexBytes  `json:"encryption_priv"`
	InitPriv    hexBytes  `json:"init_priv"`
	Welcome     hexBytes  `json:"welcome"`
	RatchetTree *hexBytes `json:"ratchet_tree"`
	InitialAuth hexBytes  `json:"initial_epoch_authenticator"`
	Epochs      []struct {
		Proposals []hexBytes `json:"proposals"`
		Commit    hexBytes   `json:"commit"`
		Auth      hexBytes   `json:"epoch_authenticator"`
	} `json:"epochs"`
}

func runPassive(t *testing.T, file string) {
	var vs []passiveVector
	loadVectors(t, file, &vs)
	ran := 0
	for vi, v := range vs {
		if v.Suite != CipherSuite {
			continue
		}
		ran++
		kpm, err := ParseMessage(v.KeyPackage)
		if err != nil || kpm.KeyPackage == nil {
			t.Fatalf("%d: key package: %v", vi, err)
		}
		kp := &KeyPackageBundle{KeyPackage: *kpm.KeyPackage}
		if kp.InitPriv, err = ParseHPKEPrivateKey(v.InitPriv); err != nil {
			t.Fatal(err)
		}
		if kp.EncPriv, err = ParseHPKEPrivateKey(v.EncPriv); err != nil {
			t.Fatal(err)
		}
		if kp.Signer, err = ParseSignatureKey(v.SigPriv); err != nil {
			t.Fatal(err)
		}
		psks := map[string][]byte{}
		for _, p := range v.ExternalPSKs {
			psks[string(p.ID)] = p.PSK
		}
		var tree *RatchetTree
		if v.RatchetTree != nil {
			if tree, err = ParseRatchetTree(*v.RatchetTree); err != nil {
				t.Fatalf("%d: %v", vi, err)
			}
		}
		wm, err := ParseMessage(v.Welcome)
		if err != nil || wm.Welcome == nil {
			t.Fatalf("%d: welcome: %v", vi, err)
		}
		g, err := JoinFromWelcome(wm.Welcome, kp, tree, psks)
		if err != nil {
			t.Fatalf("%d: join: %v", vi, err)
		}
		eq(t, "initial epoch authenticator", g.EpochAuthenticator(), v.InitialAuth)
		for ei, e := range v.Epochs {
			for _, p := range e.Proposals {
				m, err := ParseMessage(p)
				if err != nil || m.Public == nil {
					t.Fatalf("%d/%d: proposal: %v", vi, ei, err)
				}
				if _, err := g.AddProposal(m.Public); err != nil {
					t.Fatalf("%d/%d: proposal: %v", vi, ei, err)
				}
			}
			m, err := ParseMessage(e.Commit)
			if err != nil || m.Public == nil {
				t.Fatalf("%d/%d: commit: %v", vi, ei, err)
			}
			ng, err := g.ProcessCommit(m.Public)
			if err != nil {
				t.Fatalf("%d/%d: commit: %v", vi, ei, err)
			}
			g = ng
			eq(t, "epoch authenticator", g.EpochAuthenticator(), e.Auth)
		}
	}
	if ran == 0 {
		t.Skipf("%s has no cipher suite %d cases", file, CipherSuite)
	}
}

func TestPassiveClientWelcomeVectors(t *testing.T) { runPassive(t, "passive-client-welcome.json") }

func TestPassiveClientHandlingCommitVectors(t *testing.T) {
	runPassive(t, "passive-client-handling-commit.json")
}

func TestPassiveClientRandomVectors(t *testing.T) { runPassive(t, "passive-client-random.json") }

// TestGroupLifecycle runs a DAVE-shaped group: an external sender adds
// members, members commit, join via Welcome, and one member is removed.
func TestGroupLifecycle(t *testing.T) {
	extKey, err := GenerateSignatureKey()
	if err != nil {
		t.Fatal(err)
	}
	ext := ExternalSender{SignatureKey: extKey.Public(), Credential: Credential{Type: CredentialBasic, Identity: []byte("gateway")}}
	groupID := UserIdentity(999)
	exts := []Extension{ExternalSendersExtension(ext)}

	kpA, _ := NewKeyPackage(1, nil)
	a, err := NewGroup(groupID, kpA, exts)
	if err != nil {
		t.Fatal(err)
	}
	extProposal := func(g *Group, p Proposal) *PublicMessage {
		fc := FramedContent{GroupID: groupID, Epoch: g.Epoch(), Sender: Sender{Type: SenderExternal, Index: 0},
			ContentType: ContentProposal, Proposal: &p}
		pm, err := ProtectPublic(fc, extKey, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ParseMessage(pm.Marshal())
		if err != nil {
			t.Fatal(err)
		}
		return m.Public
	}
	// Add B and C.
	var bundles []*KeyPackageBundle
	for _, id := range []uint64{2, 3} {
		kp, _ := NewKeyPackage(id, nil)
		bundles = append(bundles, kp)
		wire, err := ParseKeyPackage(kp.KeyPackage.Marshal())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.AddProposal(extProposal(a, Proposal{Type: ProposalAdd, KeyPackage: *wire})); err != nil {
			t.Fatal(err)
		}
	}
	pc, err := a.Commit(false)
	if err != nil {
		t.Fatal(err)
	}
	if pc.Message.Content.Commit.Path != nil || pc.Welcome == nil {
		t.Fatal("add-only commit should have no path and a welcome")
	}
	wb := pc.Welcome.Marshal()
	a = pc.Next()
	var members []*Group
	for _, kp := range bundles {
		w, err := ParseWelcome(wb)
		if err != nil {
			t.Fatal(err)
		}
		g, err := JoinFromWelcome(w, kp, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, g)
	}
	b, c := members[0], members[1]
	for _, g := range []*Group{b, c} {
		eq(t, "exporter", g.Export("Discord Secure Frames v0", []byte{1}, 16), a.Export("Discord Secure Frames v0", []byte{1}, 16))
	}
	// The gateway removes C (leaf 2); B commits with a path; A processes it.
	removeC := extProposal(a, Proposal{Type: ProposalRemove, Removed: 2})
	for _, g := range []*Group{a, b, c} {
		if _, err := g.AddProposal(removeC); err != nil {
			t.Fatal(err)
		}
	}
	pc, err = b.Commit(false)
	if err != nil {
		t.Fatal(err)
	}
	if pc.Message.Content.Commit.Path == nil {
		t.Fatal("remove commit needs a path")
	}
	m, err := ParseMessage(pc.Message.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if !pc.Matches(m.Public) {
		t.Fatal("own commit does not match")
	}
	if _, err := b.ProcessCommit(m.Public); !errors.Is(err, ErrOwnCommit) {
		t.Fatalf("own commit: %v", err)
	}
	if _, err := c.ProcessCommit(m.Public); !errors.Is(err, ErrRemoved) {
		t.Fatalf("removed member: %v", err)
	}
	a2, err := a.ProcessCommit(m.Public)
	if err != nil {
		t.Fatal(err)
	}
	b2 := pc.Next()
	if a2.Epoch() != 2 || b2.Epoch() != 2 || a2.Tree().NumLeaves() != 2 {
		t.Fatalf("epochs %d %d leaves %d", a2.Epoch(), b2.Epoch(), a2.Tree().NumLeaves())
	}
	eq(t, "exporter after remove", a2.Export("x", nil, 16), b2.Export("x", nil, 16))
	eq(t, "authenticator", a2.EpochAuthenticator(), b2.EpochAuthenticator())
	// A tampered commit is rejected and leaves the state usable.
	bad := *m.Public
	bad.ConfirmationTag = append([]byte{}, bad.ConfirmationTag...)
	bad.ConfirmationTag[0] ^= 1
	if _, err := a.ProcessCommit(&bad); err == nil {
		t.Fatal("tampered commit accepted")
	}
	// Replaying the commit to the new epoch fails on the epoch check.
	if _, err := a2.ProcessCommit(m.Public); !errors.Is(err, ErrEpoch) {
		t.Fatalf("replay: %v", err)
	}
}

func TestJoinRejectsBadWelcome(t *testing.T) {
	groups, extKey := bigGroup(t, 2)
	kp, _ := NewKeyPackage(50, nil)
	if _, err := groups[0].AddProposal(externalProposal(t, extKey, groups[0], Proposal{Type: ProposalAdd, KeyPackage: kp.KeyPackage})); err != nil {
		t.Fatal(err)
	}
	pc, err := groups[0].Commit(false)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewKeyPackage(51, nil)
	if _, err := JoinFromWelcome(pc.Welcome, other, nil, nil); !errors.Is(err, ErrNoWelcomeSecrets) {
		t.Errorf("foreign welcome: %v", err)
	}
	bad := *pc.Welcome
	bad.EncryptedGroupInfo = append([]byte{}, bad.EncryptedGroupInfo...)
	bad.EncryptedGroupInfo[5] ^= 1
	if _, err := JoinFromWelcome(&bad, kp, nil, nil); err == nil {
		t.Error("tampered group info accepted")
	}
	if _, err := JoinFromWelcome(pc.Welcome, kp, nil, nil); err != nil {
		t.Fatalf("valid welcome: %v", err)
	}
	// A commit that omits the cached proposal still has to be valid on its
	// own; an unknown reference is rejected.
	m := *pc.Message
	c := *m.Content.Commit
	c.Proposals = []ProposalOrRef{{Ref: make([]byte, 32)}}
	m.Content.Commit = &c
	if _, err := groups[1].ProcessCommit(&m); err == nil {
		t.Error("commit with an unknown proposal reference accepted")
	}
}

// TestWelcomePathSecret: a commit that removes and adds at once carries a
// path, so the joiner gets a path secret; later commits encrypt to the
// parent nodes it derived and it must still follow.
func TestWelcomePathSecret(t *testing.T) {
	// With 8 leaves, leaf 3 joins under node 3 (the LCA with committer 0),
	// and leaf 4's later path encrypts to node 3's key from the Welcome.
	groups, extKey := bigGroup(t, 8)
	kp, _ := NewKeyPackage(90, nil)
	rm := externalProposal(t, extKey, groups[0], Proposal{Type: ProposalRemove, Removed: 3})
	add := externalProposal(t, extKey, groups[0], Proposal{Type: ProposalAdd, KeyPackage: kp.KeyPackage})
	for _, g := range groups {
		for _, p := range []*PublicMessage{rm, add} {
			if _, err := g.AddProposal(p); err != nil {
				t.Fatal(err)
			}
		}
	}
	pc, err := groups[0].Commit(false)
	if err != nil {
		t.Fatal(err)
	}
	if pc.Message.Content.Commit.Path == nil || pc.Welcome == nil {
		t.Fatal("want path and welcome")
	}
	joiner, err := JoinFromWelcome(pc.Welcome, kp, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(joiner.priv.keys) < 2 {
		t.Fatalf("joiner derived no parent keys: %d", len(joiner.priv.keys))
	}
	if _, ok := joiner.priv.keys[3]; !ok || joiner.OwnLeaf() != 3 {
		t.Fatalf("joiner at leaf %d has no key for node 3", joiner.OwnLeaf())
	}
	next := []*Group{pc.Next()}
	for i, g := range groups[1:] {
		if i+1 == 3 {
			next = append(next, joiner)
			continue
		}
		ng, err := g.ProcessCommit(pc.Message)
		if err != nil {
			t.Fatal(err)
		}
		next = append(next, ng)
	}
	// Member 4 commits an empty commit with a path; everyone follows.
	pc2, err := next[4].Commit(true)
	if err != nil {
		t.Fatal(err)
	}
	want := pc2.Next().EpochAuthenticator()
	for i, g := range next {
		if i == 4 {
			continue
		}
		ng, err := g.ProcessCommit(pc2.Message)
		if err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
		eq(t, "authenticator", ng.EpochAuthenticator(), want)
	}
}
