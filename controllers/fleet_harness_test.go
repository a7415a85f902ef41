package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	audiov1 "github.com/audionode/audionode/api/v1alpha1"
)

// The fleet tests run every "pod" as a real audionode process on its own
// loopback address 127.88.<run>.<n>, port 2333 (config.port's default); a
// fake kubelet gives pods those IPs, starts and stops the processes, and
// reflects /readyz into the pod's Ready condition.

var nodeBin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// audionodeBinary builds cmd/audionode once per test binary.
func audionodeBinary(t *testing.T) string {
	t.Helper()
	nodeBin.once.Do(func() {
		nodeBin.dir, nodeBin.err = os.MkdirTemp("", "audionode-fleet-")
		if nodeBin.err != nil {
			return
		}
		nodeBin.path = filepath.Join(nodeBin.dir, "audionode")
		out, err := exec.Command("go", "build", "-o", nodeBin.path, "../cmd/audionode").CombinedOutput()
		if err != nil {
			nodeBin.err = fmt.Errorf("build audionode: %v\n%s", err, out)
		}
	})
	if nodeBin.err != nil {
		t.Fatal(nodeBin.err)
	}
	return nodeBin.path
}

func removeNodeBinary() {
	if nodeBin.dir != "" {
		_ = os.RemoveAll(nodeBin.dir)
	}
}

// ipRun spreads concurrent test runs on this machine over 127.88.x.0/24.
var (
	ipRun  = 1 + os.Getpid()%250
	ipMu   sync.Mutex
	ipNext = 0
)

func nextLoopbackIP() string {
	ipMu.Lock()
	defer ipMu.Unlock()
	ipNext++
	return fmt.Sprintf("127.88.%d.%d", (ipRun+ipNext/250)%250+1, 1+ipNext%250)
}

// nodeProc is one running audionode.
type nodeProc struct {
	uid      types.UID // the pod it serves
	ip, base string
	cmd      *exec.Cmd
	log      string
}

func startNode(t *testing.T, ip, password string) (*nodeProc, error) {
	bin := nodeBin.path // built by startKubelet, on the test goroutine
	dir := t.TempDir()
	logPath := filepath.Join(dir, "node.log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SERVER_ADDRESS="+ip, "SERVER_PORT=2333", "LAVALINK_SERVER_PASSWORD="+password,
		"METRICS_PROMETHEUS_ENABLED=true", "AUDIONODE_TESTING_LEAKENDPOINT=true")
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	n := &nodeProc{ip: ip, base: "http://" + net.JoinHostPort(ip, "2333"), cmd: cmd, log: logPath}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if code, _ := httpDo("GET", n.base+"/readyz", "", ""); code == http.StatusOK {
			return n, nil
		}
		if time.Now().After(deadline) {
			n.stop()
			b, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("node on %s never became ready:\n%s", ip, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills the process at once (players are not the point here) and reaps it.
func (n *nodeProc) stop() {
	_ = n.cmd.Process.Kill()
	_ = n.cmd.Wait()
}

var testHTTP = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func httpDo(method, url, password, body string) (int, string) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	if password != "" {
		req.Header.Set("Authorization", password)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := testHTTP.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b)
}

// kubelet plays the kubelet for one fleet with real node processes.
type kubelet struct {
	t        *testing.T
	an       *audiov1.AudioNode
	password string

	mu      sync.Mutex
	nodes   map[string]*nodeProc // by pod name
	down    map[string]bool      // pods whose node the test stopped (unreachable)
	started []string             // pod names in start order
	removed []string             // pods whose object went away
	err     error

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startKubelet(t *testing.T, an *audiov1.AudioNode, password string) *kubelet {
	audionodeBinary(t)
	ctx, cancel := context.WithCancel(context.Background())
	k := &kubelet{t: t, an: an, password: password, nodes: map[string]*nodeProc{}, down: map[string]bool{}, cancel: cancel}
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if err := k.sync(ctx); err != nil && ctx.Err() == nil {
				k.mu.Lock()
				k.err = err
				k.mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(k.close)
	return k
}

func (k *kubelet) close() {
	k.cancel()
	k.wg.Wait()
	k.mu.Lock()
	defer k.mu.Unlock()
	for name, n := range k.nodes {
		n.stop()
		delete(k.nodes, name)
	}
	if k.err != nil {
		k.t.Errorf("kubelet: %v", k.err)
	}
}

func (k *kubelet) sync(ctx context.Context) error {
	var list corev1.PodList
	if err := k8s.List(ctx, &list, client.InNamespace(k.an.Namespace), client.MatchingLabels{audiov1.LabelFleet: k.an.Name}); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := range list.Items {
		p := &list.Items[i]
		seen[p.Name] = true
		k.mu.Lock()
		n, running := k.nodes[p.Name]
		down := k.down[p.Name]
		k.mu.Unlock()
		if p.DeletionTimestamp != nil || down {
			continue
		}
		if running && n.uid != p.UID {
			// The pod was deleted and re-created under its name between two syncs.
			n.stop()
			k.mu.Lock()
			delete(k.nodes, p.Name)
			k.removed = append(k.removed, p.Name)
			k.mu.Unlock()
			running = false
		}
		if !running {
			var err error
			if n, err = startNode(k.t, nextLoopbackIP(), k.password); err != nil {
				return err
			}
			n.uid = p.UID
			k.mu.Lock()
			k.nodes[p.Name] = n
			k.started = append(k.started, p.Name)
			k.mu.Unlock()
		}
		// Readiness probe: /readyz answers 503 while the node drains.
		code, _ := httpDo("GET", n.base+"/readyz", "", "")
		ready := code == http.StatusOK
		if p.Status.PodIP != n.ip || podReady(p) != ready {
			if err := setPodStatus(ctx, p, n.ip, ready); err != nil {
				return err
			}
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for name, n := range k.nodes {
		if !seen[name] {
			n.stop()
			delete(k.nodes, name)
			k.removed = append(k.removed, name)
		}
	}
	return nil
}

func setPodStatus(ctx context.Context, p *corev1.Pod, ip string, ready bool) error {
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur := &corev1.Pod{}
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(p), cur); err != nil {
			return err
		}
		st := corev1.ConditionFalse
		if ready {
			st = corev1.ConditionTrue
		}
		cur.Status.Phase = corev1.PodRunning
		cur.Status.PodIP = ip
		cur.Status.PodIPs = []corev1.PodIP{{IP: ip}}
		cur.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: st, LastTransitionTime: metav1.Now()}}
		return k8s.Status().Update(ctx, cur)
	})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// node returns the running node of a pod.
func (k *kubelet) node(name string) *nodeProc {
	k.t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	n := k.nodes[name]
	if n == nil {
		k.t.Fatalf("pod %s has no running node", name)
	}
	return n
}

// makeUnreachable stops a pod's node while its pod stays Running and Ready,
// as a network partition between operator and pod would look.
func (k *kubelet) makeUnreachable(name string) {
	k.t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	k.down[name] = true
	if n := k.nodes[name]; n != nil {
		n.stop()
	}
}

// restore starts a node again for a pod made unreachable (a new process:
// its players are gone, as after a restart).
func (k *kubelet) restore(name string) {
	k.mu.Lock()
	delete(k.down, name)
	delete(k.nodes, name)
	k.mu.Unlock()
}

func (k *kubelet) removedPods() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.removed...)
}

// lavaClient is a bot's connection to one node: a WebSocket session and
// players created over REST, as any Lavalink client does.
type lavaClient struct {
	t        *testing.T
	base     string
	password string
	conn     *websocket.Conn
	session  string
	done     chan struct{}
	closeErr error
}

func connectClient(t *testing.T, n *nodeProc, password string) *lavaClient {
	t.Helper()
	h := http.Header{}
	h.Set("Authorization", password)
	h.Set("User-Id", "1")
	h.Set("Client-Name", "fleet-test/1.0")
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial("ws://"+net.JoinHostPort(n.ip, "2333")+"/v4/websocket", h)
	if err != nil {
		t.Fatalf("dial %s: %v", n.ip, err)
	}
	resp.Body.Close()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var ready struct {
		Op        string `json:"op"`
		SessionID string `json:"sessionId"`
	}
	if err := conn.ReadJSON(&ready); err != nil || ready.Op != "ready" {
		conn.Close()
		t.Fatalf("ready message: %+v %v", ready, err)
	}
	_ = conn.SetReadDeadline(time.Time{})
	c := &lavaClient{t: t, base: n.base, password: password, conn: conn, session: ready.SessionID, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				c.closeErr = err
				return
			}
		}
	}()
	t.Cleanup(c.close)
	return c
}

// interrupted reports whether the node closed this client's socket.
func (c *lavaClient) interrupted() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (c *lavaClient) close() {
	_ = c.conn.Close()
	<-c.done
}

func (c *lavaClient) addPlayers(guilds ...int) {
	c.t.Helper()
	for _, g := range guilds {
		code, body := httpDo("PATCH", fmt.Sprintf("%s/v4/sessions/%s/players/%d", c.base, c.session, g), c.password, `{"volume":50}`)
		if code != http.StatusOK {
			c.t.Fatalf("create player %d: %d %s", g, code, body)
		}
	}
}

func (c *lavaClient) removePlayers(guilds ...int) {
	c.t.Helper()
	for _, g := range guilds {
		code, body := httpDo("DELETE", fmt.Sprintf("%s/v4/sessions/%s/players/%d", c.base, c.session, g), c.password, "")
		if code != http.StatusNoContent {
			c.t.Fatalf("delete player %d: %d %s", g, code, body)
		}
	}
}

// players lists the session's players as the node reports them.
func (c *lavaClient) players() int {
	c.t.Helper()
	code, body := httpDo("GET", fmt.Sprintf("%s/v4/sessions/%s/players", c.base, c.session), c.password, "")
	if code != http.StatusOK {
		c.t.Fatalf("list players: %d %s", code, body)
	}
	var ps []json.RawMessage
	if err := json.Unmarshal([]byte(body), &ps); err != nil {
		c.t.Fatal(err)
	}
	return len(ps)
}

// fleetSecret creates the password Secret the AudioNode references.
func fleetSecret(t *testing.T, ns string) string {
	t.Helper()
	pw := "pw-" + ns
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "lavalink", Namespace: ns}, Data: map[string][]byte{"password": []byte(pw)}}
	if err := k8s.Create(context.Background(), sec); err != nil {
		t.Fatal(err)
	}
	return pw
}

// podSummary finds a pod's summary in the status.
func podSummary(an *audiov1.AudioNode, name string) (audiov1.PodSummary, bool) {
	for _, p := range an.Status.Pods {
		if p.Name == name {
			return p, true
		}
	}
	return audiov1.PodSummary{}, false
}

func podNames(ps []corev1.Pod) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}
