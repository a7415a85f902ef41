package mls

import "testing"

// bigGroup builds an n-member group with an external sender and returns
// every member's state plus the external sender's key.
func bigGroup(tb testing.TB, n int) ([]*Group, *SignatureKey) {
	tb.Helper()
	extKey, err := GenerateSignatureKey()
	if err != nil {
		tb.Fatal(err)
	}
	ext := ExternalSender{SignatureKey: extKey.Public(), Credential: Credential{Type: CredentialBasic, Identity: []byte{1}}}
	kp0, _ := NewKeyPackage(1, nil)
	g0, err := NewGroup([]byte("channel!"), kp0, []Extension{ExternalSendersExtension(ext)})
	if err != nil {
		tb.Fatal(err)
	}
	var kps []*KeyPackageBundle
	for i := 1; i < n; i++ {
		kp, _ := NewKeyPackage(uint64(i+1), nil)
		kps = append(kps, kp)
		if _, err := g0.AddProposal(externalProposal(tb, extKey, g0, Proposal{Type: ProposalAdd, KeyPackage: kp.KeyPackage})); err != nil {
			tb.Fatal(err)
		}
	}
	pc, err := g0.Commit(false)
	if err != nil {
		tb.Fatal(err)
	}
	groups := []*Group{pc.Next()}
	for _, kp := range kps {
		g, err := JoinFromWelcome(pc.Welcome, kp, nil, nil)
		if err != nil {
			tb.Fatal(err)
		}
		groups = append(groups, g)
	}
	return groups, extKey
}

func externalProposal(tb testing.TB, k *SignatureKey, g *Group, p Proposal) *PublicMessage {
	fc := FramedContent{GroupID: g.GroupID(), Epoch: g.Epoch(), Sender: Sender{Type: SenderExternal}, ContentType: ContentProposal, Proposal: &p}
	pm, err := ProtectPublic(fc, k, nil, nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return pm
}

// BenchmarkGroupChange25 measures a member of a 25-member group processing
// a commit that removes one member (with an update path).
func BenchmarkGroupChange25(b *testing.B) {
	groups, extKey := bigGroup(b, 25)
	rm := externalProposal(b, extKey, groups[0], Proposal{Type: ProposalRemove, Removed: 24})
	for _, g := range groups[:2] {
		if _, err := g.AddProposal(rm); err != nil {
			b.Fatal(err)
		}
	}
	pc, err := groups[0].Commit(false)
	if err != nil {
		b.Fatal(err)
	}
	m, err := ParseMessage(pc.Message.Marshal())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := groups[1].ProcessCommit(m.Public); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCommit25 measures creating the commit for the same change.
func BenchmarkCommit25(b *testing.B) {
	groups, extKey := bigGroup(b, 25)
	if _, err := groups[0].AddProposal(externalProposal(b, extKey, groups[0], Proposal{Type: ProposalRemove, Removed: 24})); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := groups[0].Commit(false); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBigGroupAgrees(t *testing.T) {
	groups, extKey := bigGroup(t, 25)
	rm := externalProposal(t, extKey, groups[0], Proposal{Type: ProposalRemove, Removed: 3})
	for _, g := range groups {
		if _, err := g.AddProposal(rm); err != nil {
			t.Fatal(err)
		}
	}
	pc, err := groups[7].Commit(false)
	if err != nil {
		t.Fatal(err)
	}
	want := pc.Next().EpochAuthenticator()
	for i, g := range groups {
		if i == 7 || i == 3 {
			continue
		}
		ng, err := g.ProcessCommit(pc.Message)
		if err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
		eq(t, "authenticator", ng.EpochAuthenticator(), want)
	}
}
