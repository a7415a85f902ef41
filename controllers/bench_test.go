package controllers

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	audiov1 "github.com/audionode/audionode/api/v1alpha1"
)

const (
	benchFleets = 50
	benchPods   = 20
)

var (
	benchOnce  sync.Once
	benchFleet []*audiov1.AudioNode
	benchErr   error
)

// benchSetup builds 50 AudioNodes × 20 ready pods once, driving the
// reconciler directly (the controller is not running under -bench).
func benchSetup(b *testing.B) []*audiov1.AudioNode {
	benchOnce.Do(func() {
		ctx := context.Background()
		ns := newNamespace(b)
		r := &Reconciler{Client: mgrClient, Scheme: testScheme}
		for i := range benchFleets {
			an := sampleAN(ns, fmt.Sprintf("f%02d", i), ptr.To[int32](benchPods))
			if err := k8s.Create(ctx, an); err != nil {
				benchErr = err
				return
			}
			benchFleet = append(benchFleet, an)
		}
		// Converge: reconcile until every fleet has its pods, play the
		// kubelet, reconcile until every fleet reports Ready.
		converge := func(what string, done func(*audiov1.AudioNode) bool) {
			deadline := time.Now().Add(3 * time.Minute)
			for {
				all := true
				for _, an := range benchFleet {
					cur := &audiov1.AudioNode{}
					if err := mgrClient.Get(ctx, client.ObjectKeyFromObject(an), cur); err != nil || !done(cur) {
						all = false
						if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(an)}); err != nil {
							benchErr = err
						}
					}
				}
				if all || time.Now().After(deadline) {
					if !all {
						benchErr = fmt.Errorf("%s: not converged", what)
					}
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		converge("pods", func(a *audiov1.AudioNode) bool { return a.Status.Replicas == benchPods })
		var list corev1.PodList
		if err := k8s.List(ctx, &list, client.InNamespace(ns)); err != nil {
			benchErr = err
			return
		}
		for i := range list.Items {
			markReady(b, &list.Items[i], true)
		}
		converge("ready", func(a *audiov1.AudioNode) bool {
			c := meta.FindStatusCondition(a.Status.Conditions, audiov1.ConditionReady)
			return c != nil && c.Status == metav1.ConditionTrue && a.Status.ReadyReplicas == benchPods
		})
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchFleet
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

// BenchmarkReconcile times single reconciles of one fleet among 50 AudioNodes
// × 20 pods on a real API server (envtest), through the manager's cache.
//
//	KUBEBUILDER_ASSETS=$(hack/k8s-testbins.sh kube-apiserver etcd) \
//	  go test -run '^$' -bench Reconcile ./controllers/
func BenchmarkReconcile(b *testing.B) {
	fleet := benchSetup(b)
	ctx := context.Background()
	r := &Reconciler{Client: mgrClient, Scheme: testScheme}

	// Steady state: nothing changed, so nothing is written.
	b.Run("steady", func(b *testing.B) {
		var lat []time.Duration
		i := 0
		for b.Loop() {
			an := fleet[i%len(fleet)]
			i++
			t0 := time.Now()
			if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(an)}); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		reportPercentiles(b, lat)
	})

	// A pod turns unready or ready again: the reconcile recomputes the
	// status and patches it once. The pod write and the wait for the cache
	// are outside the timing.
	b.Run("pod-readiness-change", func(b *testing.B) {
		var lat []time.Duration
		i := 0
		for b.Loop() {
			b.StopTimer()
			an := fleet[i%len(fleet)]
			i++
			var pods corev1.PodList
			if err := mgrClient.List(ctx, &pods, client.InNamespace(an.Namespace), client.MatchingLabels{audiov1.LabelFleet: an.Name}); err != nil {
				b.Fatal(err)
			}
			p := pods.Items[(i/len(fleet))%len(pods.Items)]
			markReady(b, &p, !podReady(&p))
			waitCache(b, &p, &corev1.Pod{})
			b.StartTimer()
			t0 := time.Now()
			if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(an)}); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
			b.StopTimer()
			// Let the cache see our status write before this fleet comes round again.
			cur := &audiov1.AudioNode{}
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(an), cur); err != nil {
				b.Fatal(err)
			}
			waitCache(b, cur, &audiov1.AudioNode{})
			b.StartTimer()
		}
		reportPercentiles(b, lat)
	})

	b.Run("scale-step", func(b *testing.B) { benchScaleStep(b, fleet, r) })
}

// benchScaleStep times the write-heavy reconciles: spec.replicas goes
// 20 → 21 (the reconcile applies one pod and patches status) and back
// (it deletes that pod and patches status). Spec writes and cache waits are
// outside the timing.
func benchScaleStep(b *testing.B, fleet []*audiov1.AudioNode, r *Reconciler) {
	ctx := context.Background()
	var lat []time.Duration
	step := func(an *audiov1.AudioNode, replicas int32) {
		b.StopTimer()
		var cur *audiov1.AudioNode
		if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cur = getAN(b, an)
			cur.Spec.Replicas = ptr.To(replicas)
			return k8s.Update(ctx, cur)
		}); err != nil {
			b.Fatal(err)
		}
		waitCache(b, cur, &audiov1.AudioNode{})
		b.StartTimer()
		t0 := time.Now()
		if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(an)}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		b.StopTimer()
		// Wait until the cache holds the pod change and our status write.
		for range 5000 {
			var pods corev1.PodList
			a := &audiov1.AudioNode{}
			if mgrClient.List(ctx, &pods, client.InNamespace(an.Namespace), client.MatchingLabels{audiov1.LabelFleet: an.Name}) == nil &&
				mgrClient.Get(ctx, client.ObjectKeyFromObject(an), a) == nil &&
				len(pods.Items) == int(replicas) && a.Status.DesiredReplicas == replicas {
				break
			}
			time.Sleep(time.Millisecond)
		}
		b.StartTimer()
	}
	i := 0
	for b.Loop() {
		an := fleet[i%len(fleet)]
		i++
		step(an, benchPods+1)
		step(an, benchPods)
	}
	reportPercentiles(b, lat)
}

// waitCache waits until the manager's cache holds obj's resourceVersion.
func waitCache(b *testing.B, obj, into client.Object) {
	b.Helper()
	for range 2000 {
		if err := mgrClient.Get(context.Background(), client.ObjectKeyFromObject(obj), into); err == nil &&
			into.GetResourceVersion() == obj.GetResourceVersion() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	b.Fatalf("cache never saw %s at %s", obj.GetName(), obj.GetResourceVersion())
}
