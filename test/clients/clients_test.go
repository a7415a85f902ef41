// Package clients runs real Lavalink client libraries from npm (shoukaku,
// lavalink-client) against the real audionode binary, with the fake Discord
// voice server standing in for Discord.
package clients

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/audionode/audionode/node/voicetest"
)

func npmDir(t *testing.T) string {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed (CI installs it)")
	}
	dir := os.Getenv("AUDIONODE_NPM_DIR")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "audionode-npm")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "shoukaku")); err != nil {
		t.Skip("npm packages missing: run hack/npm-deps.sh (.ci/run does)")
	}
	return dir
}

func wav(seconds int) []byte {
	frames := seconds * 48000
	var buf bytes.Buffer
	w := func(v any) { _ = binary.Write(&buf, binary.LittleEndian, v) }
	buf.WriteString("RIFF")
	w(uint32(36 + frames*4))
	buf.WriteString("WAVEfmt ")
	w(uint32(16))
	w(uint16(1))
	w(uint16(2))
	w(uint32(48000))
	w(uint32(48000 * 4))
	w(uint16(4))
	w(uint16(16))
	buf.WriteString("data")
	w(uint32(frames * 4))
	buf.Write(make([]byte, frames*4))
	return buf.Bytes()
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestClients(t *testing.T) {
	dir := npmDir(t)
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	bin := filepath.Join(t.TempDir(), "audionode")
	build := exec.Command("go", "build", "-o", bin, "./cmd/audionode")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	media := wav(20)
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "tone.wav", time.Time{}, bytes.NewReader(media))
	}))
	defer files.Close()
	fake, err := voicetest.NewServer(voicetest.Options{AcceptAny: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()

	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	logf, _ := os.Create(filepath.Join(t.TempDir(), "node.log"))
	node := exec.Command(bin)
	node.Dir = t.TempDir()
	node.Env = append(os.Environ(), "SERVER_ADDRESS=127.0.0.1", "SERVER_PORT="+strconv.Itoa(port), "LAVALINK_SERVER_PASSWORD=pw",
		"AUDIONODE_SOURCES_HTTP_ALLOWPRIVATE=true", "AUDIONODE_VOICE_ALLOWINSECUREENDPOINTS=true")
	node.Stdout, node.Stderr = logf, logf
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = node.Process.Signal(os.Interrupt)
		_ = node.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("node log:\n%s", b)
		}
	}()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("node did not start")
		}
	}
	for _, script := range []string{"shoukaku.js", "lavalink-client.js"} {
		t.Run(script, func(t *testing.T) {
			cmd := exec.Command("node", filepath.Join(filepath.Dir(file), script))
			cmd.Env = append(os.Environ(), "NODE_ADDR="+addr, "PASSWORD=pw", "TRACK_URL="+files.URL+"/tone.wav",
				"VOICE_ENDPOINT="+fake.Endpoint(), "AUDIONODE_NPM_DIR="+dir)
			out, err := cmd.CombinedOutput()
			if err != nil || !bytes.Contains(out, []byte("OK\n")) {
				t.Fatalf("%s: %v\n%s", script, err, out)
			}
			t.Logf("%s", out)
		})
	}
	tot := fake.Totals()
	if tot.Packets == 0 || tot.DecryptFailed != 0 || tot.Decrypted != tot.Packets {
		t.Errorf("the fake voice server received no clean audio from the clients' players: %+v", tot)
	}
	t.Logf("fake voice server totals: %d packets, %d decrypted", tot.Packets, tot.Decrypted)
}
