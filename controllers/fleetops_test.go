package controllers

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	audiov1 "github.com/audionode/audionode/api/v1alpha1"
	"github.com/audionode/audionode/controllers/fleet"
	"github.com/audionode/audionode/controllers/podmetrics"
)

func testPod(name string, ready bool, ann map[string]string) *corev1.Pod {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name), Annotations: ann},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}},
	}
}

func TestScaleDownVictim(t *testing.T) {
	an := sampleAN("ns", "m", nil)
	load := func(players ...int) map[string]podmetrics.Load {
		out := map[string]podmetrics.Load{}
		for i, n := range players {
			if n >= 0 {
				out[podName(an, i)] = podmetrics.Load{Players: n}
			}
		}
		return out
	}
	df := map[string]string{audiov1.AnnotationDeleteFirst: ""}
	for _, tc := range []struct {
		name  string
		pods  []*corev1.Pod
		loads map[string]podmetrics.Load // -1: unknown
		want  string
	}{
		{"fewest players", []*corev1.Pod{testPod("m-0", true, nil), testPod("m-1", true, nil), testPod("m-2", true, nil)}, load(3, 1, 2), "m-1"},
		{"tie by name", []*corev1.Pod{testPod("m-0", true, nil), testPod("m-1", true, nil)}, load(0, 0), "m-0"},
		{"not ready before fewest", []*corev1.Pod{testPod("m-0", true, nil), testPod("m-1", false, nil)}, load(0, 5), "m-1"},
		{"delete-first wins", []*corev1.Pod{testPod("m-0", true, nil), testPod("m-1", true, df), testPod("m-2", false, nil)}, load(0, 9, -1), "m-1"},
		{"unknown skipped", []*corev1.Pod{testPod("m-0", true, nil), testPod("m-1", true, nil)}, load(-1, 4), "m-1"},
		{"all unknown: highest ordinal", []*corev1.Pod{testPod("m-0", true, nil), testPod("m-1", true, nil)}, load(-1, -1), "m-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &scope{an: an, loads: tc.loads}
			if got := s.scaleDownVictim(tc.pods).Name; got != tc.want {
				t.Fatalf("victim %s, want %s", got, tc.want)
			}
		})
	}
}

func TestDrainDone(t *testing.T) {
	an := sampleAN("ns", "m", nil)
	an.Spec.Recycle = &audiov1.Recycle{DrainTimeoutSeconds: ptr.To[int32](60)}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	drain := map[string]string{audiov1.AnnotationDrain: start.Format(time.RFC3339Nano)}
	for _, tc := range []struct {
		name  string
		ann   map[string]string
		loads map[string]podmetrics.Load
		after time.Duration
		want  bool
	}{
		{"players left", drain, map[string]podmetrics.Load{"m-0": {Players: 2}}, 10 * time.Second, false},
		{"no players", drain, map[string]podmetrics.Load{"m-0": {}}, time.Second, true},
		{"unknown waits", drain, nil, 59 * time.Second, false},
		{"timeout", drain, map[string]podmetrics.Load{"m-0": {Players: 2}}, 60 * time.Second, true},
		{"unknown at timeout", drain, nil, 61 * time.Second, true},
		{"unreadable start", map[string]string{audiov1.AnnotationDrain: "yesterday"}, nil, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &scope{an: an, loads: tc.loads}
			if got, why := s.drainDone(testPod("m-0", false, tc.ann), start.Add(tc.after)); got != tc.want {
				t.Fatalf("done %v (%s), want %v", got, why, tc.want)
			}
		})
	}
}

func TestPolicyDefaults(t *testing.T) {
	an := sampleAN("ns", "m", nil)
	if p := policy(an); p != (fleet.Policy{MinReplicas: 1, MaxReplicas: defaultMaxReplicas, ScaleDownWindow: defaultScaleDownWindow}) {
		t.Fatalf("defaults %+v", p)
	}
	an.Spec.Autoscaling = &audiov1.Autoscaling{MinReplicas: ptr.To[int32](12), TargetPlayersPerPod: ptr.To[int32](50),
		ScaleUpStabilizationSeconds: ptr.To[int32](30), ScaleDownStabilizationSeconds: ptr.To[int32](0)}
	want := fleet.Policy{MinReplicas: 12, MaxReplicas: 12, TargetPlayersPerPod: 50, ScaleUpWindow: 30 * time.Second}
	if p := policy(an); p != want {
		t.Fatalf("policy %+v, want %+v", p, want)
	}
}

// TestOverlayPending: an annotation written by an earlier reconcile counts
// even when the cache does not show it yet, and the expectation goes once
// the cache catches up or the pod is gone.
func TestOverlayPending(t *testing.T) {
	r := &Reconciler{}
	an := sampleAN("ns", "m", nil)
	an.UID = "an-uid"
	st := r.stateFor(an)
	st.pending = map[types.UID]map[string]string{
		"uid-m-0":  {audiov1.AnnotationRecycle: "OpenFDLimit"},
		"uid-m-1":  {audiov1.AnnotationDrain: "t"},
		"uid-gone": {audiov1.AnnotationDrain: "t"},
	}
	stale := testPod("m-0", true, nil)
	fresh := testPod("m-1", true, map[string]string{audiov1.AnnotationDrain: "t"})
	s := &scope{an: an, pods: []*corev1.Pod{stale, fresh}}
	if err := r.overlayPending(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if stale.Annotations[audiov1.AnnotationRecycle] != "OpenFDLimit" {
		t.Fatalf("stale pod not overlaid: %v", stale.Annotations)
	}
	if len(st.pending) != 1 || st.pending["uid-m-0"] == nil {
		t.Fatalf("pending %v, want only m-0's", st.pending)
	}
}
