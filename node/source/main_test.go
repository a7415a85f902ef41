package source

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := 0
	func() {
		defer func() {
			if mediaDir != "" {
				os.RemoveAll(mediaDir)
			}
		}()
		// goleak.VerifyTestMain calls os.Exit, so run it through a wrapper
		// that lets the generated media be removed first.
		code = runWithLeakCheck(m)
	}()
	os.Exit(code)
}

func runWithLeakCheck(m *testing.M) int {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goleak: " + err.Error() + "\n")
			return 1
		}
	}
	return code
}
