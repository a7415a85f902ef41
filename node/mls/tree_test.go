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
