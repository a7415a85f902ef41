package mls

import (
	"slices"
	"testing"
)

func TestTreeValidationVectors(t *testing.T) {
	var vs []struct {
		Suite       uint16     `json:"cipher_suite"`
		Tree        hexBytes   `json:"tree"`
		GroupID     hexBytes   `json:"group_id"`
		TreeHashes  []hexBytes `json:"tree_hashes"`
		Resolutions [][]uint32 `json:"resolutions"`
	}
	loadVectors(t, "tree-validation.json", &vs)
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	for i, v := range vs {
		tr, err := ParseRatchetTree(v.Tree)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		eq(t, "re-encode", tr.Marshal(), v.Tree)
		if len(v.TreeHashes) != len(tr.nodes) {
			t.Fatalf("%d: %d nodes, vector has %d hashes", i, len(tr.nodes), len(v.TreeHashes))
		}
		for x := range v.TreeHashes {
			eq(t, "tree hash", tr.treeHash(uint32(x), nil), v.TreeHashes[x])
			if got := tr.resolution(uint32(x), nil); !slices.Equal(got, v.Resolutions[x]) && !(len(got) == 0 && len(v.Resolutions[x]) == 0) {
				t.Errorf("%d: resolution(%d) = %v, want %v", i, x, got, v.Resolutions[x])
			}
		}
		if err := tr.Validate(v.GroupID); err != nil {
			t.Errorf("%d: %v", i, err)
		}
	}
}

// TestTreeValidationRejects tampers with valid trees and expects errors.
func TestTreeValidationRejects(t *testing.T) {
	var vs []struct {
		Tree    hexBytes `json:"tree"`
		GroupID hexBytes `json:"group_id"`
	}
	loadVectors(t, "tree-validation.json", &vs)
	tampered := 0
	for _, v := range vs {
		tr, err := ParseRatchetTree(v.Tree)
		if err != nil {
			t.Fatal(err)
		}
		for x := uint32(1); x < uint32(len(tr.nodes)); x += 2 {
			if n := tr.node(x); !n.blank() {
				bad := tr.clone()
				bad.nodes[x].parent.ParentHash = append([]byte{1}, n.parent.ParentHash...)
				if bad.Validate(v.GroupID) == nil {
					t.Errorf("tampered parent hash at node %d accepted", x)
				}
				tampered++
				break
			}
		}
		bad := tr.clone()
		ln := *bad.Leaf(0)
		ln.Signature = append([]byte{}, ln.Signature...)
		ln.Signature[len(ln.Signature)-1] ^= 1
		bad.nodes[0] = &treeNode{leaf: &ln}
		if bad.Validate(v.GroupID) == nil {
			t.Error("bad leaf signature accepted")
		}
		if tr.Validate(append([]byte{0}, v.GroupID...)) == nil && hasCommitLeaf(tr) {
			t.Error("wrong group id accepted")
		}
	}
	if tampered == 0 {
		t.Fatal("no parent nodes tampered")
	}
}

func hasCommitLeaf(tr *RatchetTree) bool {
	for i := range tr.NumLeaves() {
		if ln := tr.Leaf(i); ln != nil && ln.Source != SourceKeyPackage {
			return true
		}
	}
	return false
}
