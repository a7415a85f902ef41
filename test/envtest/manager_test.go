package envtest_test

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// TestManagerProbes builds cmd/manager, runs it against the real control
// plane and checks its health and readiness probes answer, then stops it
// with SIGTERM.
func TestManagerProbes(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run through `make test`")
	}
	env := &envtest.Environment{}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("start control plane: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })

	dir := t.TempDir()
	user, err := env.AddUser(envtest.User{Name: "manager", Groups: []string{"system:masters"}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := clientcmd.LoadFromFile(kubeconfig); err != nil {
		t.Fatal(err)
	}

	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	bin := filepath.Join(dir, "manager")
	build := exec.Command("go", "build", "-o", bin, "./cmd/manager")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build manager: %v\n%s", err, out)
	}
	probePort := freePort(t)
	cmd := exec.Command(bin, "--metrics-bind-address=0", "--health-probe-bind-address=127.0.0.1:"+strconv.Itoa(probePort))
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	logFile, _ := os.Create(filepath.Join(dir, "manager.log"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				b, _ := os.ReadFile(logFile.Name())
				t.Errorf("manager exit: %v\n%s", err, b)
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("manager did not stop on SIGINT")
		}
	}()
	for _, path := range []string{"/healthz", "/readyz"} {
		url := "http://127.0.0.1:" + strconv.Itoa(probePort) + path
		var code int
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			resp, err := http.Get(url)
			if err == nil {
				code = resp.StatusCode
				resp.Body.Close()
				if code == 200 {
					break
				}
			}
		}
		if code != 200 {
			b, _ := os.ReadFile(logFile.Name())
			t.Fatalf("%s: got %d\n%s", path, code, b)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
