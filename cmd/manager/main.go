// Command manager runs the AudioNode operator (a controller-runtime manager).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	audiov1 "github.com/audionode/audionode/api/v1alpha1"
	"github.com/audionode/audionode/controllers"
)

func main() {
	err := run(ctrl.SetupSignalHandler(), os.Args[1:], nil)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
		os.Exit(1)
	}
}

// run starts the manager and blocks until ctx ends. cfg nil means the
// usual kubeconfig lookup (in-cluster, $KUBECONFIG, ~/.kube/config).
func run(ctx context.Context, args []string, cfg *rest.Config) error {
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	metricsAddr := fs.String("metrics-bind-address", "0", "address the manager's metrics endpoint binds to, e.g. :8443 (0 disables it)")
	metricsSecure := fs.Bool("metrics-secure", true, "serve metrics over HTTPS, only to callers the API server authenticates and authorises (get on /metrics)")
	metricsCertDir := fs.String("metrics-cert-dir", "", "directory with tls.crt and tls.key for the metrics endpoint (empty: self-signed)")
	probeAddr := fs.String("health-probe-bind-address", ":8081", "address the health and readiness probes bind to")
	workers := fs.Int("max-concurrent-reconciles", 4, "how many AudioNodes reconcile at once")
	leaderElect := fs.Bool("leader-elect", false, "enable leader election so only one manager is active")
	opts := zap.Options{Development: false}
	opts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	log := ctrl.Log.WithName("setup")

	if cfg == nil {
		var err error
		if cfg, err = ctrl.GetConfig(); err != nil {
			return fmt.Errorf("kubeconfig: %w", err)
		}
	}
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(audiov1.AddToScheme(scheme))

	metricsOpts := metricsserver.Options{BindAddress: *metricsAddr, SecureServing: *metricsSecure}
	if *metricsSecure {
		// Self-signed serving certificate unless --metrics-cert-dir is given;
		// TokenReview and SubjectAccessReview decide who may scrape.
		metricsOpts.FilterProvider = filters.WithAuthenticationAndAuthorization
		metricsOpts.CertDir = *metricsCertDir
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsOpts,
		HealthProbeBindAddress: *probeAddr,
		LeaderElection:         *leaderElect,
		LeaderElectionID:       "audionode-manager.audionode.dev",
		// Give the Lease up on shutdown so a standby takes over at once;
		// run returns right after the manager stops.
		LeaderElectionReleaseOnCancel: true,
		Cache:                         controllers.CacheOptions(),
	})
	if err != nil {
		return fmt.Errorf("create manager: %w", err)
	}
	if err := (&controllers.Reconciler{
		Client:    mgr.GetClient(),
		Scheme:    mgr.GetScheme(),
		Recorder:  mgr.GetEventRecorder("audionode-operator"),
		APIReader: mgr.GetAPIReader(),

		MaxConcurrentReconciles: *workers,
	}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up the AudioNode controller: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	log.Info("Starting manager")
	return mgr.Start(ctx)
}
