package mls

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// vectorDir finds ../shared/testdata/mls relative to the repository root by
// walking up from the package directory, or uses AUDIONODE_MLS_TESTDATA or
// MLS_TEST_VECTORS.
func vectorDir(t testing.TB) string {
	t.Helper()
	for _, env := range []string{"AUDIONODE_MLS_TESTDATA", "MLS_TEST_VECTORS"} {
		if d := os.Getenv(env); d != "" {
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				return d
			}
			t.Fatalf("%s=%q is not a directory", env, d)
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		cand := filepath.Join(dir, "..", "shared", "testdata", "mls")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		up := filepath.Dir(dir)
		if up == dir {
			break
		}
		dir = up
	}
	t.Skip("MLS test vectors not found: expected ../shared/testdata/mls next to the repository " +
		"(vectors from github.com/mlswg/mls-implementations test-vectors/), or set AUDIONODE_MLS_TESTDATA")
	return ""
}

func loadVectors(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// hexBytes decodes JSON hex strings.
type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hex.DecodeString(s)
	*h = d
	return err
}

func eq(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if hex.EncodeToString(got) != hex.EncodeToString(want) {
		t.Errorf("%s:\n got  %x\n want %x", what, got, want)
	}
}
