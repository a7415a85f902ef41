package controllers

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	audiov1 "github.com/audionode/audionode/api/v1alpha1"
	"github.com/audionode/audionode/controllers/podmetrics"
)

// One control plane and one manager per package: starting envtest costs ~3 s.
var (
	testCfg    *rest.Config
	testScheme = runtime.NewScheme()
	k8s        client.Client // direct (uncached) client for the tests
	mgrClient  client.Client // the manager's cached client, as the reconciler sees it
	nsCounter  atomic.Int64
	// benchMode: under -bench the controller is not started, so the
	// benchmark alone drives (and times) reconciles; envtest tests skip.
	benchMode bool
	// clockSkew moves the reconciler's clock forward (fake time for drain
	// timeouts and stabilisation windows); tests that move it restore it.
	clockSkew atomic.Int64
)

func testNow() time.Time { return time.Now().Add(time.Duration(clockSkew.Load())) }

func TestMain(m *testing.M) {
	code := runMain(m)
	if code == 0 {
		// The manager, its informers and the control plane are stopped by
		// now: nothing the tests started may still run.
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func runMain(m *testing.M) int {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
		benchMode = true
	}
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		fmt.Fprintln(os.Stderr, "KUBEBUILDER_ASSETS is not set: run through `make test`, or set it to $(hack/k8s-testbins.sh kube-apiserver etcd)")
		return 1
	}
	logf.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapLevel())))
	if err := clientgoscheme.AddToScheme(testScheme); err != nil {
		panic(err)
	}
	if err := audiov1.AddToScheme(testScheme); err != nil {
		panic(err)
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		Scheme:                testScheme,
	}
	// The tests never restart etcd, so durability buys nothing and fsync
	// stalls on a shared disk would only add noise.
	env.ControlPlane.Etcd = &envtest.Etcd{}
	env.ControlPlane.Etcd.Configure().Append("unsafe-no-fsync", "true")
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start envtest:", err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop envtest:", err)
		}
	}()
	cfg.QPS, cfg.Burst = 500, 1000
	testCfg = cfg
	k8s, err = client.New(cfg, client.Options{Scheme: testScheme})
	if err != nil {
		panic(err)
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 testScheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  CacheOptions(),
	})
	if err != nil {
		panic(err)
	}
	if !benchMode {
		if err := (&Reconciler{Client: mgr.GetClient(), Scheme: testScheme, Recorder: mgr.GetEventRecorder("audionode-operator"),
			APIReader: mgr.GetAPIReader(), MaxConcurrentReconciles: 4,
			Metrics: podmetrics.New(time.Second), Resync: time.Second, Now: testNow}).SetupWithManager(mgr); err != nil {
			panic(err)
		}
	} else {
		// Informers for what the reconciler reads, started with the cache.
		for _, o := range []client.Object{&audiov1.AudioNode{}, &corev1.Pod{}, &corev1.Service{}, &corev1.ConfigMap{}} {
			if _, err := mgr.GetCache().GetInformer(context.Background(), o); err != nil {
				panic(err)
			}
		}
	}
	mgrClient = mgr.GetClient()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	}()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		fmt.Fprintln(os.Stderr, "cache did not sync")
		return 1
	}
	defer removeNodeBinary()
	return m.Run()
}

func zapLevel() zapcore.Level {
	if os.Getenv("AUDIONODE_TEST_LOG") != "" {
		return zapcore.DebugLevel
	}
	return zapcore.ErrorLevel
}

// newNamespace gives each test its own namespace (envtest never deletes them).
func newNamespace(t testing.TB) string {
	t.Helper()
	if _, isBench := t.(*testing.B); benchMode && !isBench {
		t.Skip("benchmark run: the controller is not started")
	}
	ns := fmt.Sprintf("t%d", nsCounter.Add(1))
	if err := k8s.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	return ns
}

// eventually polls cond until it returns nil or the timeout passes. The
// timeout is generous: the machine is shared and slow, never a speed assertion.
func eventually(t testing.TB, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		if err = cond(); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: %v", what, err)
}
