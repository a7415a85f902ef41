package mls

import (
	"bytes"
	"errors"
	"testing"
)

func TestDeserializationVectors(t *testing.T) {
	var vs []struct {
		Header hexBytes `json:"vlbytes_header"`
		Length uint64   `json:"length"`
	}
	loadVectors(t, "deserialization.json", &vs)
	for _, v := range vs {
		var w Writer
		w.Varint(v.Length)
		eq(t, "varint", w.Bytes(), v.Header)
		r := NewReader(v.Header)
		if got := r.Varint(); got != v.Length || r.Finish() != nil {
			t.Errorf("read %x = %d, %v; want %d", v.Header, got, r.Err(), v.Length)
		}
	}
}

func TestVarintRejects(t *testing.T) {
	for _, in := range [][]byte{{0x40, 0x3f}, {0x80, 0x00, 0x3f, 0xff}, {0xc0, 0, 0, 0, 0, 0, 0, 1}, {0x40}, {}} {
		r := NewReader(in)
		r.Varint()
		if r.Err() == nil {
			t.Errorf("%x accepted", in)
		}
	}
	r := NewReader([]byte{0x05, 1, 2})
	r.Opaque()
	if !errors.Is(r.Err(), ErrTruncated) {
		t.Errorf("short opaque: %v", r.Err())
	}
}

func TestTreeMathVectors(t *testing.T) {
	var vs []struct {
		NLeaves uint32    `json:"n_leaves"`
		NNodes  uint32    `json:"n_nodes"`
		Root    uint32    `json:"root"`
		Left    []*uint32 `json:"left"`
		Right   []*uint32 `json:"right"`
		Parent  []*uint32 `json:"parent"`
		Sibling []*uint32 `json:"sibling"`
	}
	loadVectors(t, "tree-math.json", &vs)
	check := func(name string, n, x uint32, want *uint32, ok bool, got uint32) {
		t.Helper()
		if (want == nil) != !ok || (want != nil && *want != got) {
			t.Errorf("n=%d %s(%d) = %d (ok %v), want %v", n, name, x, got, ok, want)
		}
	}
	for _, v := range vs {
		if nodeWidth(v.NLeaves) != v.NNodes || root(v.NLeaves) != v.Root {
			t.Errorf("n=%d width/root mismatch", v.NLeaves)
		}
		r := root(v.NLeaves)
		for x := range v.NNodes {
			leaf := isLeaf(x)
			var l, rr uint32
			if !leaf {
				l, rr = left(x), right(x)
			}
			check("left", v.NLeaves, x, v.Left[x], !leaf, l)
			check("right", v.NLeaves, x, v.Right[x], !leaf, rr)
			var p, s uint32
			if x != r {
				p, s = parent(x, v.NLeaves), sibling(x, v.NLeaves)
			}
			check("parent", v.NLeaves, x, v.Parent[x], x != r, p)
			check("sibling", v.NLeaves, x, v.Sibling[x], x != r, s)
		}
	}
}

func TestCryptoBasicsVectors(t *testing.T) {
	var vs []struct {
		Suite   uint16 `json:"cipher_suite"`
		RefHash struct {
			Label      string
			Value, Out hexBytes
		} `json:"ref_hash"`
		Expand struct {
			Secret  hexBytes
			Label   string
			Context hexBytes
			Length  int
			Out     hexBytes
		} `json:"expand_with_label"`
		Derive struct {
			Secret hexBytes
			Label  string
			Out    hexBytes
		} `json:"derive_secret"`
		TreeSecret struct {
			Secret     hexBytes
			Label      string
			Generation uint32
			Length     int
			Out        hexBytes
		} `json:"derive_tree_secret"`
		Sign struct {
			Priv, Pub, Content, Signature hexBytes
			Label                         string
		} `json:"sign_with_label"`
		Encrypt struct {
			Priv, Pub, Context, Plaintext hexBytes
			KEMOutput                     hexBytes `json:"kem_output"`
			Ciphertext                    hexBytes
			Label                         string
		} `json:"encrypt_with_label"`
	}
	loadVectors(t, "crypto-basics.json", &vs)
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range vs {
		if v.Suite != CipherSuite {
			continue
		}
		eq(t, "RefHash", RefHash(v.RefHash.Label, v.RefHash.Value), v.RefHash.Out)
		eq(t, "ExpandWithLabel", ExpandWithLabel(v.Expand.Secret, v.Expand.Label, v.Expand.Context, v.Expand.Length), v.Expand.Out)
		eq(t, "DeriveSecret", DeriveSecret(v.Derive.Secret, v.Derive.Label), v.Derive.Out)
		eq(t, "DeriveTreeSecret", DeriveTreeSecret(v.TreeSecret.Secret, v.TreeSecret.Label, v.TreeSecret.Generation, v.TreeSecret.Length), v.TreeSecret.Out)

		if err := VerifyWithLabel(v.Sign.Pub, v.Sign.Label, v.Sign.Content, v.Sign.Signature); err != nil {
			t.Errorf("VerifyWithLabel: %v", err)
		}
		sk, err := ParseSignatureKey(v.Sign.Priv)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "signature public key", sk.Public(), v.Sign.Pub)
		sig, err := sk.SignWithLabel(v.Sign.Label, v.Sign.Content)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyWithLabel(v.Sign.Pub, v.Sign.Label, v.Sign.Content, sig); err != nil {
			t.Errorf("own signature: %v", err)
		}
		if err := VerifyWithLabel(v.Sign.Pub, v.Sign.Label+"x", v.Sign.Content, sig); !errors.Is(err, ErrSignature) {
			t.Errorf("wrong label verified: %v", err)
		}

		priv, err := ParseHPKEPrivateKey(v.Encrypt.Priv)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "HPKE public key", priv.PublicKey().Bytes(), v.Encrypt.Pub)
		pt, err := DecryptWithLabel(priv, v.Encrypt.Label, v.Encrypt.Context, v.Encrypt.KEMOutput, v.Encrypt.Ciphertext)
		if err != nil {
			t.Fatalf("DecryptWithLabel: %v", err)
		}
		eq(t, "DecryptWithLabel", pt, v.Encrypt.Plaintext)
		kem, ct, err := EncryptWithLabel(v.Encrypt.Pub, v.Encrypt.Label, v.Encrypt.Context, v.Encrypt.Plaintext)
		if err != nil {
			t.Fatal(err)
		}
		pt, err = DecryptWithLabel(priv, v.Encrypt.Label, v.Encrypt.Context, kem, ct)
		if err != nil || !bytes.Equal(pt, v.Encrypt.Plaintext) {
			t.Errorf("EncryptWithLabel round trip: %v", err)
		}
		if _, err := DecryptWithLabel(priv, v.Encrypt.Label, []byte("other"), kem, ct); !errors.Is(err, ErrDecrypt) {
			t.Errorf("wrong context decrypted: %v", err)
		}
	}
}

func TestPSKSecretVectors(t *testing.T) {
	var vs []struct {
		Suite uint16 `json:"cipher_suite"`
		PSKs  []struct {
			ID    hexBytes `json:"psk_id"`
			PSK   hexBytes `json:"psk"`
			Nonce hexBytes `json:"psk_nonce"`
		} `json:"psks"`
		Secret hexBytes `json:"psk_secret"`
	}
	loadVectors(t, "psk_secret.json", &vs)
	for _, v := range vs {
		var ids []PreSharedKeyID
		var psks [][]byte
		for _, p := range v.PSKs {
			ids = append(ids, PreSharedKeyID{Type: pskExternal, ID: p.ID, Nonce: p.Nonce})
			psks = append(psks, p.PSK)
		}
		eq(t, "psk_secret", pskSecret(ids, psks), v.Secret)
	}
}

func TestKeyScheduleVectors(t *testing.T) {
	var vs []struct {
		Suite       uint16   `json:"cipher_suite"`
		GroupID     hexBytes `json:"group_id"`
		InitialInit hexBytes `json:"initial_init_secret"`
		Epochs      []struct {
			TreeHash      hexBytes `json:"tree_hash"`
			CommitSecret  hexBytes `json:"commit_secret"`
			PSKSecret     hexBytes `json:"psk_secret"`
			Confirmed     hexBytes `json:"confirmed_transcript_hash"`
			GroupContext  hexBytes `json:"group_context"`
			Joiner        hexBytes `json:"joiner_secret"`
			Welcome       hexBytes `json:"welcome_secret"`
			Init          hexBytes `json:"init_secret"`
			SenderData    hexBytes `json:"sender_data_secret"`
			Encryption    hexBytes `json:"encryption_secret"`
			Exporter      hexBytes `json:"exporter_secret"`
			EpochAuth     hexBytes `json:"epoch_authenticator"`
			External      hexBytes `json:"external_secret"`
			Confirmation  hexBytes `json:"confirmation_key"`
			Membership    hexBytes `json:"membership_key"`
			Resumption    hexBytes `json:"resumption_psk"`
			ExternalPub   hexBytes `json:"external_pub"`
			ExporterCheck struct {
				Label           string // used as text, as the vectors' generators do
				Context, Secret hexBytes
				Length          int
			} `json:"exporter"`
		} `json:"epochs"`
	}
	loadVectors(t, "key-schedule.json", &vs)
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range vs {
		init := []byte(v.InitialInit)
		for i, e := range v.Epochs {
			gc := GroupContext{GroupID: v.GroupID, Epoch: uint64(i), TreeHash: e.TreeHash, ConfirmedTranscriptHash: e.Confirmed}
			ctx := gc.Marshal()
			eq(t, "group_context", ctx, e.GroupContext)
			j := joinerSecret(init, e.CommitSecret, ctx)
			eq(t, "joiner", j, e.Joiner)
			es := scheduleFromJoiner(j, e.PSKSecret, ctx)
			eq(t, "welcome", es.Welcome, e.Welcome)
			eq(t, "init", es.Init, e.Init)
			eq(t, "sender_data", es.SenderData, e.SenderData)
			eq(t, "encryption", es.Encryption, e.Encryption)
			eq(t, "exporter", es.Exporter, e.Exporter)
			eq(t, "epoch_authenticator", es.Authentication, e.EpochAuth)
			eq(t, "external", es.External, e.External)
			eq(t, "confirmation", es.Confirmation, e.Confirmation)
			eq(t, "membership", es.Membership, e.Membership)
			eq(t, "resumption", es.Resumption, e.Resumption)
			_, pub, err := deriveKeyPair(es.External)
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "external_pub", pub, e.ExternalPub)
			x := e.ExporterCheck
			eq(t, "exported", Export(es.Exporter, x.Label, x.Context, x.Length), x.Secret)
			init = es.Init
		}
	}
}

func TestSecretTreeVectors(t *testing.T) {
	var vs []struct {
		Suite      uint16   `json:"cipher_suite"`
		Encryption hexBytes `json:"encryption_secret"`
		SenderData struct {
			Secret     hexBytes `json:"sender_data_secret"`
			Ciphertext hexBytes
			Key, Nonce hexBytes
		} `json:"sender_data"`
		Leaves [][]struct {
			Generation uint32
			AppKey     hexBytes `json:"application_key"`
			AppNonce   hexBytes `json:"application_nonce"`
			HSKey      hexBytes `json:"handshake_key"`
			HSNonce    hexBytes `json:"handshake_nonce"`
		} `json:"leaves"`
	}
	loadVectors(t, "secret-tree.json", &vs)
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range vs {
		k, n := senderDataKeyNonce(v.SenderData.Secret, v.SenderData.Ciphertext)
		eq(t, "sender data key", k, v.SenderData.Key)
		eq(t, "sender data nonce", n, v.SenderData.Nonce)
		st := newSecretTree(v.Encryption, uint32(len(v.Leaves)))
		for leaf, gens := range v.Leaves {
			hs, app, err := st.ratchets(uint32(leaf))
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range gens {
				k, n, err := app.get(g.Generation)
				if err != nil {
					t.Fatal(err)
				}
				eq(t, "app key", k, g.AppKey)
				eq(t, "app nonce", n, g.AppNonce)
				k, n, err = hs.get(g.Generation)
				if err != nil {
					t.Fatal(err)
				}
				eq(t, "hs key", k, g.HSKey)
				eq(t, "hs nonce", n, g.HSNonce)
			}
		}
	}
}

func TestTranscriptHashVectors(t *testing.T) {
	var vs []struct {
		ConfirmationKey hexBytes `json:"confirmation_key"`
		Content         hexBytes `json:"authenticated_content"`
		InterimBefore   hexBytes `json:"interim_transcript_hash_before"`
		ConfirmedAfter  hexBytes `json:"confirmed_transcript_hash_after"`
		InterimAfter    hexBytes `json:"interim_transcript_hash_after"`
	}
	loadVectors(t, "transcript-hashes.json", &vs)
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range vs {
		ac, err := ParseAuthenticatedContent(v.Content)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "re-encode", ac.Marshal(), v.Content)
		conf := ConfirmedTranscriptHash(v.InterimBefore, ac)
		eq(t, "confirmed", conf, v.ConfirmedAfter)
		eq(t, "confirmation tag", ConfirmationTag(v.ConfirmationKey, conf), ac.ConfirmationTag)
		eq(t, "interim", InterimTranscriptHash(conf, ac.ConfirmationTag), v.InterimAfter)
	}
}

func TestKeyPackageRoundTrip(t *testing.T) {
	b, err := NewKeyPackage(1234567890123, nil)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := ParseKeyPackage(b.KeyPackage.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if err := kp.Verify(); err != nil {
		t.Fatal(err)
	}
	eq(t, "identity", kp.LeafNode.Credential.Identity, []byte{0, 0, 0x01, 0x1f, 0x71, 0xfb, 0x04, 0xcb})
	kp.LeafNode.NotAfter--
	if err := kp.Verify(); !errors.Is(err, ErrSignature) {
		t.Errorf("tampered key package: %v", err)
	}
}
