package voicetest

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
)

// ErrNoDavey means Node.js or the @snazzah/davey npm package is missing
// (install it with hack/npm-deps.sh); tests skip on it.
var ErrNoDavey = errors.New("voicetest: node or @snazzah/davey not installed")

// Davey is a @snazzah/davey 0.1.12 process (the Rust DAVE implementation
// discord.js uses) driven through test/dave/davey-peer.js, one JSON line
// per request. It hosts any number of simulated members (DaveyMember), so
// the fake's group is checked by an implementation independent of
// node/voice/dave.
type Davey struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner

	mu     sync.Mutex // one request at a time
	closed bool
}

// StartDavey finds node, the npm directory (AUDIONODE_NPM_DIR or
// ~/.cache/audionode-npm) and test/dave/davey-peer.js above the working
// directory, and starts the bridge. Close it when done.
func StartDavey() (*Davey, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return nil, ErrNoDavey
	}
	npmDir := os.Getenv("AUDIONODE_NPM_DIR")
	if npmDir == "" {
		home, _ := os.UserHomeDir()
		npmDir = filepath.Join(home, ".cache", "audionode-npm")
	}
	modules := filepath.Join(npmDir, "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "@snazzah", "davey", "package.json")); err != nil {
		return nil, ErrNoDavey
	}
	dir, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		up := filepath.Dir(dir)
		if up == dir {
			return nil, fmt.Errorf("voicetest: go.mod not found above the working directory")
		}
		dir = up
	}
	cmd := exec.Command(nodeBin, filepath.Join(dir, "test", "dave", "davey-peer.js"))
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	d := &Davey{cmd: cmd, in: in, out: sc}
	v, err := d.call(map[string]any{"cmd": "version"})
	if err == nil && v["version"] != "0.1.12" {
		err = fmt.Errorf("voicetest: davey version %v, want 0.1.12", v["version"])
	}
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Close ends the process and waits for it. Idempotent.
func (d *Davey) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.closed = true
	d.in.Close()
	_ = d.cmd.Wait()
}

func (d *Davey) call(req map[string]any) (map[string]any, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, ErrClosed
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	if _, err := d.in.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("voicetest: davey: %w", err)
	}
	if !d.out.Scan() {
		return nil, fmt.Errorf("voicetest: davey exited: %v", d.out.Err())
	}
	var resp map[string]any
	if err := json.Unmarshal(d.out.Bytes(), &resp); err != nil {
		return nil, fmt.Errorf("voicetest: davey reply: %w", err)
	}
	if resp["ok"] != true {
		return nil, fmt.Errorf("voicetest: davey %s: %v", req["cmd"], resp["error"])
	}
	return resp, nil
}

func (d *Davey) bytes(req map[string]any) ([]byte, error) {
	r, err := d.call(req)
	if err != nil {
		return nil, err
	}
	s, _ := r["data"].(string)
	return base64.StdEncoding.DecodeString(s)
}

// Member returns a new simulated member hosted by this process; use it as
// DAVEOptions.NewMember.
func (d *Davey) Member(userID uint64) (DAVEMember, error) {
	return &DaveyMember{d: d, user: userID, name: strconv.FormatUint(userID, 10)}, nil
}

// DaveyMember is a simulated member backed by davey.
type DaveyMember struct {
	d    *Davey
	user uint64
	name string
}

var b64 = base64.StdEncoding.EncodeToString

// UserID implements DAVEMember.
func (m *DaveyMember) UserID() uint64 { return m.user }

// Start implements DAVEMember.
func (m *DaveyMember) Start(channelID uint64, ext []byte, _ []uint64) ([]byte, error) {
	if _, err := m.d.call(map[string]any{"cmd": "new", "name": m.name, "userId": m.name, "channelId": strconv.FormatUint(channelID, 10)}); err != nil {
		return nil, err
	}
	if _, err := m.d.call(map[string]any{"cmd": "setExternalSender", "name": m.name, "data": b64(ext)}); err != nil {
		return nil, err
	}
	return m.d.bytes(map[string]any{"cmd": "keyPackage", "name": m.name})
}

// Proposals implements DAVEMember.
func (m *DaveyMember) Proposals(payload []byte, recognized []uint64) ([]byte, error) {
	if len(payload) == 0 {
		return nil, fmt.Errorf("voicetest: empty op 27")
	}
	ids := make([]string, len(recognized))
	for i, u := range recognized {
		ids[i] = strconv.FormatUint(u, 10)
	}
	r, err := m.d.call(map[string]any{"cmd": "processProposals", "name": m.name, "op": int(payload[0]), "data": b64(payload[1:]), "recognized": ids})
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, k := range []string{"commit", "welcome"} {
		if s, ok := r[k].(string); ok {
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return nil, err
			}
			out = append(out, b...)
		}
	}
	return out, nil
}

// Commit implements DAVEMember.
func (m *DaveyMember) Commit(_ uint16, commit []byte) error {
	_, err := m.d.call(map[string]any{"cmd": "processCommit", "name": m.name, "data": b64(commit)})
	return err
}

// Welcome implements DAVEMember.
func (m *DaveyMember) Welcome(_ uint16, welcome []byte) error {
	_, err := m.d.call(map[string]any{"cmd": "processWelcome", "name": m.name, "data": b64(welcome)})
	return err
}

// Execute implements DAVEMember; davey switches keys on its own.
func (m *DaveyMember) Execute(uint16) error { return nil }

// Decrypt implements DAVEMember.
func (m *DaveyMember) Decrypt(sender uint64, frame []byte) ([]byte, error) {
	return m.d.bytes(map[string]any{"cmd": "decrypt", "name": m.name, "userId": strconv.FormatUint(sender, 10), "data": b64(frame)})
}

// Close implements DAVEMember.
func (m *DaveyMember) Close() {
	_, _ = m.d.call(map[string]any{"cmd": "close", "name": m.name})
}
