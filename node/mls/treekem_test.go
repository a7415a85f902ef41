package mls

import (
	"crypto/hpke"
	"testing"
)

func TestTreeKEMVectors(t *testing.T) {
	var vs []struct {
		Suite     uint16   `json:"cipher_suite"`
		GroupID   hexBytes `json:"group_id"`
		Epoch     uint64   `json:"epoch"`
		Confirmed hexBytes `json:"confirmed_transcript_hash"`
		Tree      hexBytes `json:"ratchet_tree"`
		Leaves    []struct {
			Index       uint32   `json:"index"`
			EncPriv     hexBytes `json:"encryption_priv"`
			SigPriv     hexBytes `json:"signature_priv"`
			PathSecrets []struct {
				Node       uint32   `json:"node"`
				PathSecret hexBytes `json:"path_secret"`
			} `json:"path_secrets"`
		} `json:"leaves_private"`
		Paths []struct {
			Sender       uint32     `json:"sender"`
			Path         hexBytes   `json:"update_path"`
			PathSecrets  []hexBytes `json:"path_secrets"`
			CommitSecret hexBytes   `json:"commit_secret"`
			TreeHash     hexBytes   `json:"tree_hash_after"`
		} `json:"update_paths"`
	}
	loadVectors(t, "treekem.json", &vs)
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	for vi, v := range vs {
		base, err := ParseRatchetTree(v.Tree)
		if err != nil {
			t.Fatal(err)
		}
		privs := map[uint32]*privateTree{}
		signers := map[uint32]*SignatureKey{}
		for _, l := range v.Leaves {
			p := &privateTree{leaf: l.Index, keys: map[uint32]hpke.PrivateKey{}}
			k, err := ParseHPKEPrivateKey(l.EncPriv)
			if err != nil {
				t.Fatal(err)
			}
			p.keys[leafNode(l.Index)] = k
			for _, ps := range l.PathSecrets {
				k, pub, err := nodeKeyFromPathSecret(append([]byte{}, ps.PathSecret...))
				if err != nil {
					t.Fatal(err)
				}
				eq(t, "path secret key", pub, base.node(ps.Node).parent.EncryptionKey)
				p.keys[ps.Node] = k
			}
			privs[l.Index] = p
			if signers[l.Index], err = ParseSignatureKey(l.SigPriv); err != nil {
				t.Fatal(err)
			}
		}
		ctxFor := func(th []byte) []byte {
			gc := GroupContext{GroupID: v.GroupID, Epoch: v.Epoch, TreeHash: th, ConfirmedTranscriptHash: v.Confirmed}
			return gc.Marshal()
		}
		for pi, p := range v.Paths {
			tr := base.clone()
			r := NewReader(p.Path)
			up := readUpdatePath(r)
			if err := r.Finish(); err != nil {
				t.Fatal(err)
			}
			fdp := tr.filteredDirectPath(p.Sender)
			if err := tr.mergeUpdatePath(p.Sender, &up, v.GroupID); err != nil {
				t.Fatalf("%d/%d: merge: %v", vi, pi, err)
			}
			eq(t, "tree hash after", tr.TreeHash(), p.TreeHash)
			if err := tr.parentHashValid(); err != nil {
				t.Errorf("%d/%d: %v", vi, pi, err)
			}
			ctx := ctxFor(tr.TreeHash())
			for idx, priv := range privs {
				if idx == p.Sender {
					continue
				}
				priv = priv.clone()
				i, ps, err := tr.decryptPathSecret(priv, p.Sender, fdp, &up, nil, ctx)
				if err != nil {
					t.Fatalf("%d/%d leaf %d: %v", vi, pi, idx, err)
				}
				eq(t, "path secret", ps, p.PathSecrets[idx])
				cs, err := tr.applyPathSecret(priv, fdp, i, ps)
				if err != nil {
					t.Fatal(err)
				}
				eq(t, "commit secret", cs, p.CommitSecret)
			}
		}
		// Our own paths from every private leaf decrypt for every other one.
		for sender, signer := range signers {
			tr := base.clone()
			leaf := *tr.Leaf(sender)
			pr, err := tr.createUpdatePath(sender, leaf, signer, v.GroupID, nil, ctxFor)
			if err != nil {
				t.Fatal(err)
			}
			if err := tr.parentHashValid(); err != nil {
				t.Fatalf("own path from %d: %v", sender, err)
			}
			rt := base.clone()
			fdp := rt.filteredDirectPath(sender)
			if err := rt.mergeUpdatePath(sender, pr.path, v.GroupID); err != nil {
				t.Fatalf("own path from %d: %v", sender, err)
			}
			eq(t, "own tree hash", rt.TreeHash(), tr.TreeHash())
			for idx, priv := range privs {
				if idx == sender {
					continue
				}
				priv = priv.clone()
				i, ps, err := rt.decryptPathSecret(priv, sender, fdp, pr.path, nil, pr.context)
				if err != nil {
					t.Fatalf("own path %d->%d: %v", sender, idx, err)
				}
				cs, err := rt.applyPathSecret(priv, fdp, i, ps)
				if err != nil {
					t.Fatal(err)
				}
				eq(t, "own commit secret", cs, pr.commitSecret)
			}
		}
	}
}
