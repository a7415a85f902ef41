package mls

import (
	"bytes"
	"errors"
	"testing"
)

func TestMessageProtectionVectors(t *testing.T) {
	var vs []struct {
		Suite        uint16   `json:"cipher_suite"`
		GroupID      hexBytes `json:"group_id"`
		Epoch        uint64   `json:"epoch"`
		TreeHash     hexBytes `json:"tree_hash"`
		Confirmed    hexBytes `json:"confirmed_transcript_hash"`
		SigPriv      hexBytes `json:"signature_priv"`
		SigPub       hexBytes `json:"signature_pub"`
		Encryption   hexBytes `json:"encryption_secret"`
		SenderData   hexBytes `json:"sender_data_secret"`
		Membership   hexBytes `json:"membership_key"`
		Proposal     hexBytes `json:"proposal"`
		ProposalPriv hexBytes `json:"proposal_priv"`
		ProposalPub  hexBytes `json:"proposal_pub"`
		Commit       hexBytes `json:"commit"`
		CommitPriv   hexBytes `json:"commit_priv"`
		CommitPub    hexBytes `json:"commit_pub"`
		Application  hexBytes `json:"application"`
		AppPriv      hexBytes `json:"application_priv"`
	}
	loadVectors(t, "message-protection.json", &vs)
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range vs {
		gc := GroupContext{GroupID: v.GroupID, Epoch: v.Epoch, TreeHash: v.TreeHash, ConfirmedTranscriptHash: v.Confirmed}
		ctx := gc.Marshal()
		sk, err := ParseSignatureKey(v.SigPriv)
		if err != nil {
			t.Fatal(err)
		}
		body := func(ac *AuthenticatedContent) []byte {
			var w Writer
			ac.Content.writeBody(&w)
			return w.Bytes()
		}
		wantBody := func(ct uint8) []byte {
			switch ct {
			case ContentProposal:
				return v.Proposal
			case ContentCommit:
				return v.Commit
			}
			var w Writer
			w.Opaque(v.Application)
			return w.Bytes()
		}
		// Unprotect the given messages.
		for _, m := range []struct {
			name string
			msg  []byte
			ct   uint8
		}{
			{"proposal_pub", v.ProposalPub, ContentProposal},
			{"commit_pub", v.CommitPub, ContentCommit},
			{"proposal_priv", v.ProposalPriv, ContentProposal},
			{"commit_priv", v.CommitPriv, ContentCommit},
			{"application_priv", v.AppPriv, ContentApplication},
		} {
			msg, err := ParseMessage(m.msg)
			if err != nil {
				t.Fatalf("%s: %v", m.name, err)
			}
			var ac *AuthenticatedContent
			switch {
			case msg.Public != nil:
				if err := msg.Public.VerifyPublic(v.SigPub, ctx, v.Membership); err != nil {
					t.Fatalf("%s: %v", m.name, err)
				}
				eq(t, m.name+" re-encode", msg.Public.Marshal(), m.msg)
				ac = &msg.Public.AuthenticatedContent
			case msg.Private != nil:
				ac, err = msg.Private.Unprotect(NewPrivateKeys(v.Encryption, v.SenderData, 2))
				if err != nil {
					t.Fatalf("%s: %v", m.name, err)
				}
				if err := ac.Verify(v.SigPub, ctx); err != nil {
					t.Fatalf("%s: %v", m.name, err)
				}
				eq(t, m.name+" re-encode", msg.Private.Marshal(), m.msg)
			default:
				t.Fatalf("%s: unexpected wire format", m.name)
			}
			if ac.Content.ContentType != m.ct {
				t.Fatalf("%s: content type %d", m.name, ac.Content.ContentType)
			}
			eq(t, m.name+" content", body(ac), wantBody(m.ct))
		}
		// Protect our own and unprotect them.
		for _, ct := range []uint8{ContentProposal, ContentCommit, ContentApplication} {
			fc := FramedContent{GroupID: v.GroupID, Epoch: v.Epoch, Sender: Sender{Type: SenderMember, Index: 1}, ContentType: ct}
			r := NewReader(wantBody(ct))
			readBody(r, &fc)
			if err := r.Finish(); err != nil {
				t.Fatal(err)
			}
			var tag []byte
			if ct == ContentCommit {
				tag = bytes.Repeat([]byte{7}, 32)
			}
			send := NewPrivateKeys(v.Encryption, v.SenderData, 2)
			recv := NewPrivateKeys(v.Encryption, v.SenderData, 2)
			pm, err := ProtectPrivate(fc, sk, ctx, tag, send)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := ParseMessage(pm.Marshal())
			if err != nil {
				t.Fatal(err)
			}
			ac, err := msg.Private.Unprotect(recv)
			if err != nil {
				t.Fatalf("own private %d: %v", ct, err)
			}
			if err := ac.Verify(v.SigPub, ctx); err != nil {
				t.Fatal(err)
			}
			eq(t, "own private content", body(ac), wantBody(ct))
			if _, err := msg.Private.Unprotect(recv); !errors.Is(err, ErrGeneration) {
				t.Errorf("replayed private message: %v", err)
			}
			if ct == ContentApplication {
				continue
			}
			pub, err := ProtectPublic(fc, sk, ctx, v.Membership, tag)
			if err != nil {
				t.Fatal(err)
			}
			msg, err = ParseMessage(pub.Marshal())
			if err != nil {
				t.Fatal(err)
			}
			if err := msg.Public.VerifyPublic(v.SigPub, ctx, v.Membership); err != nil {
				t.Fatal(err)
			}
			if err := msg.Public.VerifyPublic(v.SigPub, ctx, v.Encryption); !errors.Is(err, ErrMembershipTag) {
				t.Errorf("wrong membership key: %v", err)
			}
		}
	}
}
