package source

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// The shared HTTP transport must not leave connections behind once a
	// Loader is closed; the generated media directory goes afterwards.
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		if mediaDir != "" {
			os.RemoveAll(mediaDir)
		}
		os.Exit(code)
	}))
}
