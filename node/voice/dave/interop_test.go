package dave

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/audionode/audionode/node/mls"
)

// davey is a @snazzah/davey process driven over stdin/stdout JSON lines.
type davey struct {
	t      *testing.T
	cmd    *exec.Cmd
	cancel context.CancelFunc
	in     io.WriteCloser
	out    *bufio.Scanner
}

func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("go.mod not found")
		}
		dir = up
	}
}

func startDavey(t *testing.T) *davey {
	t.Helper()
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed; run hack/npm-deps.sh with Node 20 for the davey interop tests")
	}
	npmDir := os.Getenv("AUDIONODE_NPM_DIR")
	if npmDir == "" {
		home, _ := os.UserHomeDir()
		npmDir = filepath.Join(home, ".cache", "audionode-npm")
	}
	modules := filepath.Join(npmDir, "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "@snazzah", "davey", "package.json")); err != nil {
		t.Skipf("@snazzah/davey not installed in %s; run hack/npm-deps.sh", npmDir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, nodeBin, filepath.Join(repoRoot(t), "test", "dave", "davey-peer.js"))
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	sc := bufio.NewScanner(outPipe)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	d := &davey{t: t, cmd: cmd, cancel: cancel, in: in, out: sc}
	t.Cleanup(d.close)
	if v := d.call(map[string]any{"cmd": "version"}); v["version"] != "0.1.12" {
		t.Fatalf("davey version %v", v["version"])
	}
	return d
}

func (d *davey) close() {
	d.in.Close()
	d.cmd.Wait()
	d.cancel()
}

func (d *davey) try(req map[string]any) (map[string]any, error) {
	b, _ := json.Marshal(req)
	if _, err := d.in.Write(append(b, '\n')); err != nil {
		return nil, err
	}
	if !d.out.Scan() {
		return nil, fmt.Errorf("davey exited: %v", d.out.Err())
	}
	var resp map[string]any
	if err := json.Unmarshal(d.out.Bytes(), &resp); err != nil {
		return nil, err
	}
	if resp["ok"] != true {
		return resp, fmt.Errorf("davey %s: %v", req["cmd"], resp["error"])
	}
	return resp, nil
}

func (d *davey) call(req map[string]any) map[string]any {
	d.t.Helper()
	r, err := d.try(req)
	if err != nil {
		d.t.Fatal(err)
	}
	return r
}

func (d *davey) bytes(req map[string]any, key string) []byte {
	d.t.Helper()
	s, _ := d.call(req)[key].(string)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		d.t.Fatal(err)
	}
	return b
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// interop holds the gateway side of a call with Go sessions and davey members.
type interop struct {
	*gateway
	d         *davey
	recognize []string
	tid       uint16
}

func newInterop(t *testing.T) *interop {
	return &interop{gateway: newGateway(t), d: startDavey(t), tid: 1}
}

func (x *interop) goMember(user uint64) *Session {
	x.recognize = append(x.recognize, strconv.FormatUint(user, 10))
	s := x.connect(user)
	for _, m := range x.members {
		x.json(m, OpClientsConnect, map[string]any{"user_ids": x.recognize})
	}
	return s
}

func (x *interop) daveyMember(name string, user uint64) []byte {
	x.recognize = append(x.recognize, strconv.FormatUint(user, 10))
	var ids []string
	for u := range x.members {
		ids = append(ids, strconv.FormatUint(u, 10))
	}
	ids = append(ids, x.recognize...)
	for _, m := range x.members {
		x.json(m, OpClientsConnect, map[string]any{"user_ids": ids})
	}
	x.d.call(map[string]any{"cmd": "new", "name": name, "userId": strconv.FormatUint(user, 10), "channelId": "77"})
	x.d.call(map[string]any{"cmd": "setExternalSender", "name": name, "data": b64(x.ext.Marshal())})
	return x.d.bytes(map[string]any{"cmd": "keyPackage", "name": name}, "data")
}

func (x *interop) addProp(kp []byte) mls.Proposal {
	p, err := mls.ParseKeyPackage(kp)
	if err != nil {
		x.t.Fatalf("key package: %v", err)
	}
	return mls.Proposal{Type: mls.ProposalAdd, KeyPackage: *p}
}

// roundTrip checks frames both ways between a Go session and a davey member.
func (x *interop) roundTrip(s *Session, goUser uint64, name string, daveyUser uint64) {
	x.t.Helper()
	dst := make([]byte, 256)
	for i := range 5 {
		frame := bytes.Repeat([]byte{byte(i + 1)}, 40+i)
		n, err := s.Encryptor().Encrypt(dst, frame)
		if err != nil {
			x.t.Fatal(err)
		}
		pt := x.d.bytes(map[string]any{"cmd": "decrypt", "name": name, "userId": strconv.FormatUint(goUser, 10), "data": b64(dst[:n])}, "data")
		if !bytes.Equal(pt, frame) {
			x.t.Fatalf("davey decrypted %x, want %x", pt, frame)
		}
	}
	dec := NewDecryptor(GroupSenderBase(s.group, daveyUser))
	for i := range 3 {
		frame := bytes.Repeat([]byte{0x70 + byte(i)}, 60)
		ct := x.d.bytes(map[string]any{"cmd": "encrypt", "name": name, "data": b64(frame)}, "data")
		pt, err := dec.Decrypt(ct)
		if err != nil || !bytes.Equal(pt, frame) {
			x.t.Fatalf("Go cannot decrypt davey frame %d: %v", i, err)
		}
	}
}

func (x *interop) daveyState(name string) map[string]any {
	return x.d.call(map[string]any{"cmd": "state", "name": name})
}

func (x *interop) sameAuthenticator(s *Session, name string) {
	x.t.Helper()
	st := x.daveyState(name)
	if got := st["authenticator"]; got != b64(s.group.EpochAuthenticator()) {
		x.t.Fatalf("epoch authenticators differ: davey %v (epoch %v), Go %x (epoch %d)", got, st["epoch"], s.group.EpochAuthenticator(), s.group.Epoch())
	}
}

// proposalsBody returns the op 27 append payload without its operation byte, as davey takes it.
func proposalsBody(payload []byte) []byte { return payload[1:] }

// TestDaveyJoinsOurGroup: the node commits, davey joins through the node's
// Welcome and decrypts the node's frames (and the reverse).
func TestDaveyJoinsOurGroup(t *testing.T) {
	x := newInterop(t)
	node := x.goMember(100)
	kp := x.daveyMember("d", 200)
	r, err := node.HandleBinary(OpMLSProposals, x.proposal(x.addProp(kp)))
	if err != nil || len(r) != 1 || r[0].Op != OpMLSCommitWelcome {
		t.Fatalf("commit: %v %+v", err, r)
	}
	commit, w, err := SplitCommitWelcome(r[0].Binary)
	if err != nil || w == nil {
		t.Fatalf("op 28: %v", err)
	}
	welcome := w.Marshal()
	tid := binary.BigEndian.AppendUint16(nil, 1)
	if r, err := node.HandleBinary(OpMLSAnnounceCommit, append(tid, commit...)); err != nil || countReady(r, 1) != 1 {
		t.Fatalf("own commit: %v %+v", err, r)
	}
	x.d.call(map[string]any{"cmd": "processWelcome", "name": "d", "data": b64(welcome)})
	x.json(node, OpExecuteTransition, map[string]any{"transition_id": 1})
	x.sameAuthenticator(node, "d")
	x.roundTrip(node, 100, "d", 200)
}

// TestWeJoinDaveyGroup: davey commits, the node joins through davey's
// Welcome, processes davey's later commits, and a member leaves.
func TestWeJoinDaveyGroup(t *testing.T) {
	x := newInterop(t)
	x.daveyMember("d", 200)
	node := x.goMember(100)
	recognized := []string{"100", "200", "300"}
	res := x.d.call(map[string]any{"cmd": "processProposals", "name": "d", "op": 0,
		"data": b64(proposalsBody(x.proposal(x.addProp(x.kps[100])))), "recognized": recognized})
	commit, _ := base64.StdEncoding.DecodeString(res["commit"].(string))
	welcome, _ := base64.StdEncoding.DecodeString(res["welcome"].(string))
	x.d.call(map[string]any{"cmd": "processCommit", "name": "d", "data": b64(commit)})
	if r, err := node.HandleBinary(OpMLSWelcome, append([]byte{0, 1}, welcome...)); err != nil || countReady(r, 1) != 1 {
		t.Fatalf("welcome: %v %+v", err, r)
	}
	x.json(node, OpExecuteTransition, map[string]any{"transition_id": 1})
	x.epoch = 1
	x.sameAuthenticator(node, "d")
	x.roundTrip(node, 100, "d", 200)

	// davey commits again, adding a Go member 300; the node processes it.
	third := x.goMember(300)
	add300 := x.proposal(x.addProp(x.kps[300]))
	res = x.d.call(map[string]any{"cmd": "processProposals", "name": "d", "op": 0,
		"data": b64(proposalsBody(add300)), "recognized": recognized})
	// The node gets the same proposal and commits too; the gateway forwards
	// davey's commit, so the node must drop its own pending one.
	if r, err := node.HandleBinary(OpMLSProposals, add300); err != nil || len(r) != 1 {
		t.Fatalf("node proposals: %v %+v", err, r)
	}
	commit, _ = base64.StdEncoding.DecodeString(res["commit"].(string))
	welcome, _ = base64.StdEncoding.DecodeString(res["welcome"].(string))
	x.d.call(map[string]any{"cmd": "processCommit", "name": "d", "data": b64(commit)})
	if r, err := node.HandleBinary(OpMLSAnnounceCommit, append([]byte{0, 2}, commit...)); err != nil || countReady(r, 2) != 1 {
		t.Fatalf("davey commit: %v %+v", err, r)
	}
	x.json(node, OpClientsConnect, map[string]any{"user_ids": recognized})
	if r, err := third.HandleBinary(OpMLSWelcome, append([]byte{0, 2}, welcome...)); err != nil || countReady(r, 2) != 1 {
		t.Fatalf("third welcome: %v %+v", err, r)
	}
	x.json(node, OpExecuteTransition, map[string]any{"transition_id": 2})
	x.json(third, OpExecuteTransition, map[string]any{"transition_id": 2})
	x.epoch = 2
	x.sameAuthenticator(node, "d")
	x.sameAuthenticator(third, "d")
	x.roundTrip(node, 100, "d", 200)
	x.roundTrip(third, 300, "d", 200)

	// 300 leaves: the gateway proposes Remove; the node commits; davey and
	// the node move to the next epoch and frames still flow.
	var leaf uint32
	for l, id := range node.group.Members() {
		if binary.BigEndian.Uint64(id) == 300 {
			leaf = l
		}
	}
	rm := x.proposal(mls.Proposal{Type: mls.ProposalRemove, Removed: leaf})
	_ = x.d.call(map[string]any{"cmd": "processProposals", "name": "d", "op": 0, "data": b64(proposalsBody(rm)), "recognized": recognized[:2]})
	r, err := node.HandleBinary(OpMLSProposals, rm)
	if err != nil || len(r) != 1 || r[0].Op != OpMLSCommitWelcome {
		t.Fatalf("remove commit: %v %+v", err, r)
	}
	ourCommit := r[0].Binary
	x.d.call(map[string]any{"cmd": "processCommit", "name": "d", "data": b64(ourCommit)})
	if r, err := node.HandleBinary(OpMLSAnnounceCommit, append([]byte{0, 3}, ourCommit...)); err != nil || countReady(r, 3) != 1 {
		t.Fatalf("own remove commit: %v %+v", err, r)
	}
	// No gap: until op 22 the node still sends with the previous epoch's
	// key, which davey keeps accepting during the transition.
	dst := make([]byte, 128)
	n, err := node.Encryptor().Encrypt(dst, []byte("between epochs"))
	if err != nil {
		t.Fatal(err)
	}
	if pt := x.d.bytes(map[string]any{"cmd": "decrypt", "name": "d", "userId": "100", "data": b64(dst[:n])}, "data"); string(pt) != "between epochs" {
		t.Fatalf("davey dropped a frame during the transition: %q", pt)
	}
	x.json(node, OpExecuteTransition, map[string]any{"transition_id": 3})
	if e, _ := node.Epoch(); e != 3 {
		t.Fatalf("epoch %d after remove", e)
	}
	x.sameAuthenticator(node, "d")
	x.roundTrip(node, 100, "d", 200)
	if ids := x.daveyState("d")["userIds"].([]any); len(ids) != 2 {
		t.Fatalf("davey members after remove: %v", ids)
	}

	// davey commits a Remove with an UpdatePath (OpenMLS path, parent
	// hashes and HPKE path secrets) and the node processes it.
	x.epoch = 3
	fourth := x.goMember(400)
	recognized = append(recognized[:2], "400")
	add400 := x.proposal(x.addProp(x.kps[400]))
	res = x.d.call(map[string]any{"cmd": "processProposals", "name": "d", "op": 0, "data": b64(proposalsBody(add400)), "recognized": recognized})
	if _, err := node.HandleBinary(OpMLSProposals, add400); err != nil {
		t.Fatal(err)
	}
	commit, _ = base64.StdEncoding.DecodeString(res["commit"].(string))
	welcome, _ = base64.StdEncoding.DecodeString(res["welcome"].(string))
	x.d.call(map[string]any{"cmd": "processCommit", "name": "d", "data": b64(commit)})
	if r, err := node.HandleBinary(OpMLSAnnounceCommit, append([]byte{0, 4}, commit...)); err != nil || countReady(r, 4) != 1 {
		t.Fatalf("davey add commit: %v %+v", err, r)
	}
	if r, err := fourth.HandleBinary(OpMLSWelcome, append([]byte{0, 4}, welcome...)); err != nil || countReady(r, 4) != 1 {
		t.Fatalf("fourth welcome: %v %+v", err, r)
	}
	x.epoch = 4
	for l, id := range node.group.Members() {
		if binary.BigEndian.Uint64(id) == 400 {
			leaf = l
		}
	}
	rm = x.proposal(mls.Proposal{Type: mls.ProposalRemove, Removed: leaf})
	res = x.d.call(map[string]any{"cmd": "processProposals", "name": "d", "op": 0, "data": b64(proposalsBody(rm)), "recognized": recognized[:2]})
	if _, err := node.HandleBinary(OpMLSProposals, rm); err != nil {
		t.Fatal(err)
	}
	commit, _ = base64.StdEncoding.DecodeString(res["commit"].(string))
	m, err := mls.ParseMessage(commit)
	if err != nil || m.Public.Content.Commit.Path == nil {
		t.Fatalf("davey remove commit has no path: %v", err)
	}
	x.d.call(map[string]any{"cmd": "processCommit", "name": "d", "data": b64(commit)})
	if r, err := node.HandleBinary(OpMLSAnnounceCommit, append([]byte{0, 5}, commit...)); err != nil || countReady(r, 5) != 1 {
		t.Fatalf("davey remove commit: %v %+v", err, r)
	}
	x.json(node, OpExecuteTransition, map[string]any{"transition_id": 5})
	if e, _ := node.Epoch(); e != 5 {
		t.Fatalf("epoch %d after davey's remove", e)
	}
	x.sameAuthenticator(node, "d")
	x.roundTrip(node, 100, "d", 200)
	node.Close()
	third.Close()
	fourth.Close()
}
