package mls

import "testing"

func seedMessages(f *testing.F) {
	sk, err := GenerateSignatureKey()
	if err != nil {
		f.Fatal(err)
	}
	fc := FramedContent{GroupID: []byte{1, 2, 3}, Epoch: 4, Sender: Sender{Type: SenderExternal}, ContentType: ContentProposal,
		Proposal: &Proposal{Type: ProposalRemove, Removed: 3}}
	pm, err := ProtectPublic(fc, sk, nil, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pm.Marshal())
	f.Add([]byte{0, 1, 0, 1})
	f.Add([]byte{0, 1, 0, 3, 0, 2, 0, 0})
	f.Add([]byte{})
}

func FuzzParseMessage(f *testing.F) {
	seedMessages(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMessage(b)
		if err != nil {
			return
		}
		if m.Public != nil {
			_ = m.Public.Marshal()
		}
		if m.Private != nil {
			_, _ = m.Private.Unprotect(NewPrivateKeys(make([]byte, 32), make([]byte, 32), 2))
		}
	})
}

func FuzzParseKeyPackage(f *testing.F) {
	kp, err := NewKeyPackage(42, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(kp.KeyPackage.Marshal())
	f.Add([]byte{0, 1, 0, 2, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		kp, err := ParseKeyPackage(b)
		if err != nil {
			return
		}
		_ = kp.Verify()
	})
}

func FuzzParseWelcome(f *testing.F) {
	f.Add([]byte{0, 2, 0, 0})
	f.Add([]byte{0, 2, 3, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := ParseWelcome(b)
		if err != nil {
			return
		}
		_ = w.Marshal()
	})
}

func FuzzParseAuthenticatedContent(f *testing.F) {
	f.Add([]byte{0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		ac, err := ParseAuthenticatedContent(b)
		if err != nil {
			return
		}
		_ = ac.Marshal()
	})
}

func FuzzParseRatchetTree(f *testing.F) {
	kp, err := NewKeyPackage(7, nil)
	if err != nil {
		f.Fatal(err)
	}
	g, err := NewGroup([]byte{1}, kp, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(g.Tree().Marshal())
	f.Add([]byte{3, 1, 2, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := ParseRatchetTree(b)
		if err != nil {
			return
		}
		_ = tr.TreeHash()
		_ = tr.Validate([]byte{1})
	})
}

func FuzzParseExternalSender(f *testing.F) {
	sk, err := GenerateSignatureKey()
	if err != nil {
		f.Fatal(err)
	}
	e := ExternalSender{SignatureKey: sk.Public(), Credential: Credential{Type: CredentialBasic, Identity: []byte{1}}}
	f.Add(e.Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseExternalSender(b)
		_, _ = parseExternalSenders(b)
	})
}
