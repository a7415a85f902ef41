package mls

import (
	"testing"
)

// TestMessagesVectors round-trips the message encodings of messages.json.
// A third of the entries use cipher suite 2; the others (suites 1 and 3)
// carry KeyPackages, Welcomes and GroupInfos this package rejects by
// design, which the test checks, while their suite-free parts must still
// round-trip.
func TestMessagesVectors(t *testing.T) {
	var vs []map[string]hexBytes
	loadVectors(t, "messages.json", &vs)
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	roundTrip := map[string]func([]byte) ([]byte, error){
		"ratchet_tree": func(b []byte) ([]byte, error) {
			tr, err := ParseRatchetTree(b)
			if err != nil {
				return nil, err
			}
			return tr.Marshal(), nil
		},
		"group_secrets": func(b []byte) ([]byte, error) {
			gs, err := parseGroupSecrets(b)
			if err != nil {
				return nil, err
			}
			return gs.marshal(), nil
		},
		"commit": func(b []byte) ([]byte, error) {
			r := NewReader(b)
			c := readCommit(r)
			if err := r.Finish(); err != nil {
				return nil, err
			}
			var w Writer
			c.write(&w)
			return w.Bytes(), nil
		},
	}
	proposalTypes := map[string]uint16{
		"update_proposal": ProposalUpdate, "remove_proposal": ProposalRemove, "pre_shared_key_proposal": ProposalPSK,
		"re_init_proposal": ProposalReInit, "external_init_proposal": ProposalExternal, "group_context_extensions_proposal": ProposalGroupCtxExt,
	}
	for k, typ := range proposalTypes {
		roundTrip[k] = func(b []byte) ([]byte, error) {
			in := append([]byte{byte(typ >> 8), byte(typ)}, b...)
			r := NewReader(in)
			p := readProposal(r)
			if err := r.Finish(); err != nil {
				return nil, err
			}
			return p.Marshal()[2:], nil
		}
	}
	for _, k := range []string{"public_message_application", "public_message_proposal", "public_message_commit", "private_message"} {
		roundTrip[k] = func(b []byte) ([]byte, error) {
			m, err := ParseMessage(b)
			if err != nil {
				return nil, err
			}
			switch {
			case m.Public != nil:
				return m.Public.Marshal(), nil
			case m.Private != nil:
				return m.Private.Marshal(), nil
			}
			return nil, ErrInvalid
		}
	}
	for _, k := range []string{"mls_welcome", "mls_group_info", "mls_key_package"} {
		roundTrip[k] = func(b []byte) ([]byte, error) {
			m, err := ParseMessage(b)
			if err != nil {
				return nil, err
			}
			var w Writer
			w.U16(ProtocolVersion)
			switch {
			case m.Welcome != nil:
				w.U16(WireWelcome)
				m.Welcome.write(&w)
			case m.GroupInfo != nil:
				w.U16(WireGroupInfo)
				w.Raw(m.GroupInfo.Marshal())
			case m.KeyPackage != nil:
				w.U16(WireKeyPackage)
				m.KeyPackage.write(&w)
			}
			return w.Bytes(), nil
		}
	}
	// Entries whose key package is not suite 2 may fail only where a
	// suite-bearing structure is inside.
	suiteBound := map[string]bool{"mls_welcome": true, "mls_group_info": true, "mls_key_package": true, "public_message_proposal": true}
	ok, rejected := map[string]int{}, map[string]int{}
	for i, v := range vs {
		kp := v["mls_key_package"]
		suite2 := len(kp) > 8 && kp[6] == 0 && kp[7] == byte(CipherSuite)
		for k, f := range roundTrip {
			out, err := f(v[k])
			if err != nil {
				if suite2 || !suiteBound[k] {
					t.Errorf("%d %s: %v", i, k, err)
				}
				rejected[k]++
				continue
			}
			if !suite2 && suiteBound[k] && k != "public_message_proposal" {
				t.Errorf("%d %s: cipher suite %x accepted", i, k, kp[6:8])
			}
			eq(t, k, out, v[k])
			ok[k]++
		}
	}
	for k := range roundTrip {
		t.Logf("%s: %d round-tripped, %d rejected", k, ok[k], rejected[k])
	}
}
