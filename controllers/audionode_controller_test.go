package controllers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	sigsyaml "sigs.k8s.io/yaml"

	audiov1 "github.com/audionode/audionode/api/v1alpha1"
)

func sampleAN(ns, name string, replicas *int32) *audiov1.AudioNode {
	return &audiov1.AudioNode{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: audiov1.AudioNodeSpec{
			Replicas: replicas,
			Image:    "ghcr.io/audionode/audionode:v0.1.0",
			Password: audiov1.SecretKeyRef{Name: "lavalink", Key: "password"},
		},
	}
}

// listPods returns the fleet's pods that are not being deleted, by ordinal.
func listPods(t testing.TB, an *audiov1.AudioNode) []corev1.Pod {
	t.Helper()
	var list corev1.PodList
	if err := k8s.List(context.Background(), &list, client.InNamespace(an.Namespace),
		client.MatchingLabels{audiov1.LabelFleet: an.Name}); err != nil {
		t.Fatal(err)
	}
	out := list.Items[:0]
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	return out
}

var ipCounter int

// markReady plays the kubelet: the pod runs, is ready, and has a loopback IP.
func markReady(t testing.TB, p *corev1.Pod, ready bool) {
	t.Helper()
	ipCounter++
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	p.Status.Phase = corev1.PodRunning
	if p.Status.PodIP == "" {
		p.Status.PodIP = fmt.Sprintf("127.0.%d.%d", (ipCounter/250)%250, 1+ipCounter%250)
		p.Status.PodIPs = []corev1.PodIP{{IP: p.Status.PodIP}}
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: st, LastTransitionTime: metav1.Now()}}
	// A pod the operator deleted meanwhile is no error: callers poll.
	if err := k8s.Status().Update(context.Background(), p); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		t.Fatal(err)
	}
}

// updateAN edits the latest AudioNode and updates it, retrying when the
// operator's status write got in between.
func updateAN(t testing.TB, an *audiov1.AudioNode, edit func(*audiov1.AudioNode)) error {
	t.Helper()
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur := getAN(t, an)
		edit(cur)
		return k8s.Update(context.Background(), cur)
	})
}

func getAN(t testing.TB, an *audiov1.AudioNode) *audiov1.AudioNode {
	t.Helper()
	out := &audiov1.AudioNode{}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(an), out); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitReady waits until the fleet has n ready pods on one revision and the
// status says so for the current generation, marking new pods ready.
func waitReady(t testing.TB, an *audiov1.AudioNode, n int) *audiov1.AudioNode {
	t.Helper()
	var cur *audiov1.AudioNode
	eventually(t, "fleet ready", func() error {
		for _, p := range listPods(t, an) {
			if !podReady(&p) {
				markReady(t, &p, true)
			}
		}
		cur = getAN(t, an)
		c := meta.FindStatusCondition(cur.Status.Conditions, audiov1.ConditionReady)
		if c == nil || c.Status != metav1.ConditionTrue || c.ObservedGeneration != cur.Generation ||
			cur.Status.ObservedGeneration != cur.Generation || int(cur.Status.ReadyReplicas) != n ||
			int(cur.Status.Replicas) != n || len(listPods(t, an)) != n {
			return fmt.Errorf("status %+v, ready condition %+v", cur.Status, c)
		}
		return nil
	})
	return cur
}

func TestChildren(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	an := sampleAN(ns, "music", ptr.To[int32](2))
	an.Spec.Resources = corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")}}
	an.Spec.Config.OpusEncodingQuality = ptr.To[int32](7)
	an.Spec.Config.Sources = &audiov1.Sources{Youtube: ptr.To(false)}
	an.Spec.Config.Overlay = &apiextJSON{Raw: []byte(`{"lavalink":{"server":{"password":"leak","bufferDurationMs":400}},"server":{"port":1},"logging":{"level":{"root":"INFO"}}}`)}
	an.Spec.PodTemplate.Labels = map[string]string{"team": "audio"}
	an.Spec.PodTemplate.PriorityClassName = "audio-high"
	pc := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "audio-high"}, Value: 1000}
	if err := k8s.Create(ctx, pc); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if err := k8s.Create(ctx, an); err != nil {
		t.Fatal(err)
	}
	var pods []corev1.Pod
	eventually(t, "two pods", func() error {
		if pods = listPods(t, an); len(pods) != 2 {
			return fmt.Errorf("%d pods", len(pods))
		}
		return nil
	})
	an = getAN(t, an)
	owned := func(t *testing.T, o metav1.Object) {
		t.Helper()
		refs := o.GetOwnerReferences()
		if len(refs) != 1 || refs[0].UID != an.UID || !ptr.Deref(refs[0].Controller, false) ||
			!ptr.Deref(refs[0].BlockOwnerDeletion, false) || refs[0].Kind != "AudioNode" {
			t.Errorf("%s owner references %+v", o.GetName(), refs)
		}
		if o.GetLabels()[audiov1.LabelFleet] != "music" || o.GetLabels()["app.kubernetes.io/name"] != "audionode" {
			t.Errorf("%s labels %v", o.GetName(), o.GetLabels())
		}
		applied := false
		for _, mf := range o.GetManagedFields() {
			if mf.Manager == FieldOwner && mf.Operation == metav1.ManagedFieldsOperationApply {
				applied = true
			}
		}
		if !applied {
			t.Errorf("%s not server-side applied by %s: %+v", o.GetName(), FieldOwner, o.GetManagedFields())
		}
	}

	t.Run("pods", func(t *testing.T) {
		for i, p := range pods {
			owned(t, &p)
			if want := fmt.Sprintf("music-%d", i); p.Name != want || p.Spec.Hostname != want || p.Spec.Subdomain != "music" {
				t.Errorf("name %s hostname %s subdomain %s", p.Name, p.Spec.Hostname, p.Spec.Subdomain)
			}
			if p.Labels["team"] != "audio" || p.Labels[audiov1.LabelRevision] == "" || p.Spec.PriorityClassName != "audio-high" {
				t.Errorf("labels %v priority class %q", p.Labels, p.Spec.PriorityClassName)
			}
			c := p.Spec.Containers[0]
			if c.Image != an.Spec.Image || c.Ports[0].ContainerPort != 2333 || c.Ports[0].Name != "lavalink" {
				t.Errorf("container %s %+v", c.Image, c.Ports)
			}
			if g := c.LivenessProbe.HTTPGet; g == nil || g.Path != "/healthz" || g.Port.StrVal != "lavalink" {
				t.Errorf("liveness %+v", c.LivenessProbe)
			}
			if g := c.ReadinessProbe.HTTPGet; g == nil || g.Path != "/readyz" || g.Port.StrVal != "lavalink" {
				t.Errorf("readiness %+v", c.ReadinessProbe)
			}
			env := map[string]corev1.EnvVar{}
			for _, e := range c.Env {
				env[e.Name] = e
			}
			// 90 % of 512 MiB.
			if env["GOMEMLIMIT"].Value != "483183810" {
				t.Errorf("GOMEMLIMIT %q", env["GOMEMLIMIT"].Value)
			}
			if ref := env[envPassword].ValueFrom; ref == nil || ref.SecretKeyRef == nil ||
				ref.SecretKeyRef.Name != "lavalink" || ref.SecretKeyRef.Key != "password" {
				t.Errorf("password env %+v", env[envPassword])
			}
			if sc := c.SecurityContext; sc == nil || !ptr.Deref(sc.ReadOnlyRootFilesystem, false) || !ptr.Deref(sc.RunAsNonRoot, false) {
				t.Errorf("security context %+v", sc)
			}
			if v := p.Spec.Volumes[0]; v.ConfigMap == nil || v.ConfigMap.Name != "music-config" {
				t.Errorf("config volume %+v", v)
			}
			if *p.Spec.TerminationGracePeriodSeconds != 330 {
				t.Errorf("grace %d", *p.Spec.TerminationGracePeriodSeconds)
			}
		}
	})

	t.Run("configmap", func(t *testing.T) {
		var cm corev1.ConfigMap
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "music-config"}, &cm); err != nil {
			t.Fatal(err)
		}
		owned(t, &cm)
		var cfg map[string]any
		if err := yaml.Unmarshal([]byte(cm.Data["application.yml"]), &cfg); err != nil {
			t.Fatal(err)
		}
		got := func(path ...string) any {
			var v any = cfg
			for _, k := range path {
				m, _ := v.(map[string]any)
				v = m[k]
			}
			return v
		}
		for _, c := range []struct {
			path []string
			want any
		}{
			{[]string{"server", "port"}, 2333},
			{[]string{"metrics", "prometheus", "enabled"}, true},
			{[]string{"metrics", "prometheus", "endpoint"}, "/metrics"},
			{[]string{"lavalink", "server", "opusEncodingQuality"}, 7},
			{[]string{"lavalink", "server", "bufferDurationMs"}, 400},
			{[]string{"lavalink", "server", "sources", "youtube"}, false},
			{[]string{"lavalink", "server", "password"}, nil},
			{[]string{"logging", "level", "root"}, "INFO"},
			{[]string{"audionode", "drain", "timeoutMs"}, 300000},
		} {
			if g := got(c.path...); g != c.want {
				t.Errorf("%s = %v (%T), want %v", strings.Join(c.path, "."), g, g, c.want)
			}
		}
	})

	t.Run("service", func(t *testing.T) {
		var svc corev1.Service
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "music"}, &svc); err != nil {
			t.Fatal(err)
		}
		owned(t, &svc)
		if svc.Spec.ClusterIP != corev1.ClusterIPNone || svc.Spec.PublishNotReadyAddresses ||
			svc.Spec.Selector[audiov1.LabelFleet] != "music" || len(svc.Spec.Ports) != 1 ||
			svc.Spec.Ports[0].Name != "lavalink" || svc.Spec.Ports[0].Port != 2333 {
			t.Errorf("service spec %+v", svc.Spec)
		}
	})

	t.Run("status", func(t *testing.T) {
		cur := waitReady(t, an, 2)
		st := cur.Status
		if st.Selector != "audio.audionode.dev/fleet=music" || st.DesiredReplicas != 2 || st.UpdatedReplicas != 2 {
			t.Errorf("status %+v", st)
		}
		if len(st.Pods) != 2 {
			t.Fatalf("pods %+v", st.Pods)
		}
		for _, p := range st.Pods {
			if p.Phase != audiov1.PodServing || !strings.HasPrefix(p.Address, "127.0.") || !strings.HasSuffix(p.Address, ":2333") || p.Revision != st.CurrentRevision {
				t.Errorf("pod summary %+v", p)
			}
		}
		for _, typ := range []string{audiov1.ConditionReady, audiov1.ConditionProgressing, audiov1.ConditionDegraded, audiov1.ConditionReconciling} {
			c := meta.FindStatusCondition(st.Conditions, typ)
			want := metav1.ConditionFalse
			if typ == audiov1.ConditionReady {
				want = metav1.ConditionTrue
			}
			if c == nil || c.Status != want || c.ObservedGeneration != cur.Generation {
				t.Errorf("condition %s = %+v, want %s", typ, c, want)
			}
		}
	})

	t.Run("second reconcile writes nothing", func(t *testing.T) {
		before := resourceVersions(t, an)
		cc := &countingClient{Client: mgrClient}
		rec := &countingRecorder{}
		r := &Reconciler{Client: cc, Scheme: testScheme, Recorder: rec}
		for range 2 {
			if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(an)}); err != nil {
				t.Fatal(err)
			}
		}
		if after := resourceVersions(t, an); !maps_equal(before, after) {
			t.Errorf("resource versions changed:\n before %v\n after  %v", before, after)
		}
		if n := cc.writes.Load(); n != 0 {
			t.Errorf("%d API writes in a steady state", n)
		}
		if n := rec.n.Load(); n != 0 {
			t.Errorf("%d events without a transition", n)
		}
	})
}

// TestDriftUndone edits the operator's ConfigMap and Service by hand: the
// operator puts its content back (as Argo CD or Flux expect of it).
func TestDriftUndone(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	an := sampleAN(ns, "drift", ptr.To[int32](1))
	if err := k8s.Create(ctx, an); err != nil {
		t.Fatal(err)
	}
	waitReady(t, an, 1)
	key := types.NamespacedName{Namespace: ns, Name: "drift-config"}
	var cm corev1.ConfigMap
	if err := k8s.Get(ctx, key, &cm); err != nil {
		t.Fatal(err)
	}
	want := cm.Data["application.yml"]
	cm.Data["application.yml"] = "server:\n  port: 1\n"
	if err := k8s.Update(ctx, &cm); err != nil {
		t.Fatal(err)
	}
	var svc corev1.Service
	if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "drift"}, &svc); err != nil {
		t.Fatal(err)
	}
	svc.Spec.PublishNotReadyAddresses = true
	if err := k8s.Update(ctx, &svc); err != nil {
		t.Fatal(err)
	}
	eventually(t, "drift undone", func() error {
		if err := k8s.Get(ctx, key, &cm); err != nil {
			return err
		}
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(&svc), &svc); err != nil {
			return err
		}
		if cm.Data["application.yml"] != want || svc.Spec.PublishNotReadyAddresses {
			return fmt.Errorf("config %q, publishNotReadyAddresses %v", cm.Data["application.yml"], svc.Spec.PublishNotReadyAddresses)
		}
		return nil
	})
}

// TestForeignConfigMap: a ConfigMap the operator does not own already has
// the name it needs. The operator must not take it over; it reports why.
func TestForeignConfigMap(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "clash-config", Namespace: ns}, Data: map[string]string{"mine": "yes"}}
	if err := k8s.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	an := sampleAN(ns, "clash", ptr.To[int32](1))
	if err := k8s.Create(ctx, an); err != nil {
		t.Fatal(err)
	}
	eventually(t, "degraded", func() error {
		a := getAN(t, an)
		d := meta.FindStatusCondition(a.Status.Conditions, audiov1.ConditionDegraded)
		r := meta.FindStatusCondition(a.Status.Conditions, audiov1.ConditionReady)
		if d == nil || d.Status != metav1.ConditionTrue || d.Reason != ReasonReconcileError || !strings.Contains(d.Message, "not controlled by this AudioNode") ||
			r == nil || r.Status != metav1.ConditionFalse {
			return fmt.Errorf("degraded %+v ready %+v", d, r)
		}
		if a.Status.ObservedGeneration == a.Generation {
			return fmt.Errorf("observedGeneration %d set by a failed reconcile", a.Status.ObservedGeneration)
		}
		return nil
	})
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(cm), cm); err != nil {
		t.Fatal(err)
	}
	if cm.Data["mine"] != "yes" || len(cm.OwnerReferences) != 0 || len(cm.Data) != 1 {
		t.Errorf("foreign ConfigMap changed: %+v", cm)
	}
}

// resourceVersions of the AudioNode and all its children.
func resourceVersions(t testing.TB, an *audiov1.AudioNode) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{"audionode": getAN(t, an).ResourceVersion}
	for _, p := range listPods(t, an) {
		out["pod/"+p.Name] = p.ResourceVersion
	}
	var cm corev1.ConfigMap
	if err := k8s.Get(ctx, types.NamespacedName{Namespace: an.Namespace, Name: an.Name + "-config"}, &cm); err != nil {
		t.Fatal(err)
	}
	out["configmap"] = cm.ResourceVersion
	var svc corev1.Service
	if err := k8s.Get(ctx, types.NamespacedName{Namespace: an.Namespace, Name: an.Name}, &svc); err != nil {
		t.Fatal(err)
	}
	out["service"] = svc.ResourceVersion
	return out
}

func maps_equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestRollingUpdate changes the config, then the image, and checks that each
// rollout surges one new pod and removes an old one only after the new one is
// ready: never fewer than the desired ready pods, never more than one extra.
func TestRollingUpdate(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	an := sampleAN(ns, "roll", ptr.To[int32](3))
	if err := k8s.Create(ctx, an); err != nil {
		t.Fatal(err)
	}
	cur := waitReady(t, an, 3)

	for _, change := range []struct {
		name string
		edit func(*audiov1.AudioNode)
	}{
		{"config", func(a *audiov1.AudioNode) { a.Spec.Config.OpusEncodingQuality = ptr.To[int32](3) }},
		{"image", func(a *audiov1.AudioNode) { a.Spec.Image = "ghcr.io/audionode/audionode:v0.2.0" }},
	} {
		oldRev := cur.Status.CurrentRevision
		if err := updateAN(t, an, change.edit); err != nil {
			t.Fatal(err)
		}
		gen := getAN(t, an).Generation
		var newRev string
		eventually(t, "progressing on the new generation", func() error {
			a := getAN(t, an)
			c := meta.FindStatusCondition(a.Status.Conditions, audiov1.ConditionProgressing)
			if a.Status.ObservedGeneration != gen || c == nil || c.ObservedGeneration != gen {
				return fmt.Errorf("status %+v", a.Status)
			}
			newRev = a.Status.CurrentRevision
			return nil
		})
		if newRev == oldRev {
			t.Fatalf("%s change kept revision %s", change.name, oldRev)
		}
		for step := 0; step < 3; step++ {
			// The operator surges exactly one new pod and waits for it.
			var surge corev1.Pod
			eventually(t, "surge pod", func() error {
				pods := listPods(t, an)
				var fresh []corev1.Pod
				for _, p := range pods {
					if p.Labels[audiov1.LabelRevision] == newRev && !podReady(&p) {
						fresh = append(fresh, p)
					}
				}
				if len(pods) != 4 || len(fresh) != 1 {
					return fmt.Errorf("%d pods, %d new unready", len(pods), len(fresh))
				}
				surge = fresh[0]
				return nil
			})
			// While the new pod is not ready no old pod goes away.
			if pods := listPods(t, an); len(pods) != 4 {
				t.Fatalf("step %d: %d pods while the surge pod is unready", step, len(pods))
			}
			markReady(t, &surge, true)
			eventually(t, "old pod removed", func() error {
				pods := listPods(t, an)
				if len(pods) > 4 {
					t.Fatalf("step %d: %d pods, more than one surge", step, len(pods))
				}
				old := 0
				for _, p := range pods {
					if p.Labels[audiov1.LabelRevision] != newRev {
						old++
					}
				}
				if old != 3-(step+1) {
					return fmt.Errorf("%d pods, %d old", len(pods), old)
				}
				return nil
			})
		}
		cur = waitReady(t, an, 3)
		for _, p := range cur.Status.Pods {
			if p.Revision != newRev {
				t.Errorf("%s pod %s on revision %s, want %s", change.name, p.Name, p.Revision, newRev)
			}
		}
	}
	// The steps are events on the AudioNode. (The events library folds
	// repeats of a reason into one series, so count reasons, not steps.)
	eventually(t, "events", func() error {
		var evs eventsv1.EventList
		if err := k8s.List(ctx, &evs, client.InNamespace(ns)); err != nil {
			return err
		}
		n := map[string]int{}
		for _, e := range evs.Items {
			if e.Regarding.Kind == "AudioNode" && e.Regarding.Name == "roll" && e.ReportingController == "audionode-operator" {
				n[e.Reason]++
			}
		}
		if n["CreatedPod"] == 0 || n["Replaced"] == 0 || n["ReadyTrue"] == 0 || n["ScaledDown"] != 0 || n["PodFailed"] != 0 {
			return fmt.Errorf("events by reason %v", n)
		}
		return nil
	})
}

func TestScaleSubresource(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	an := sampleAN(ns, "scaled", ptr.To[int32](1))
	if err := k8s.Create(ctx, an); err != nil {
		t.Fatal(err)
	}
	waitReady(t, an, 1)
	for _, n := range []int32{3, 1} {
		scale := &autoscalingv1.Scale{Spec: autoscalingv1.ScaleSpec{Replicas: n}}
		if err := k8s.SubResource("scale").Update(ctx, getAN(t, an), client.WithSubResourceBody(scale)); err != nil {
			t.Fatal(err)
		}
		cur := waitReady(t, an, int(n))
		if *cur.Spec.Replicas != n || cur.Status.DesiredReplicas != n {
			t.Fatalf("spec.replicas %d desired %d, want %d", *cur.Spec.Replicas, cur.Status.DesiredReplicas, n)
		}
		got := &autoscalingv1.Scale{}
		if err := k8s.SubResource("scale").Get(ctx, cur, got); err != nil {
			t.Fatal(err)
		}
		if got.Status.Replicas != n || got.Status.Selector != "audio.audionode.dev/fleet=scaled" {
			t.Errorf("scale status %+v", got.Status)
		}
	}
	// Scale-down removes the highest ordinals.
	if pods := listPods(t, an); pods[0].Name != "scaled-0" {
		t.Errorf("kept %s", pods[0].Name)
	}
}

func TestAutoscalingFloor(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	an := sampleAN(ns, "auto", nil)
	an.Spec.Autoscaling = &audiov1.Autoscaling{MinReplicas: ptr.To[int32](2), MaxReplicas: ptr.To[int32](5)}
	if err := k8s.Create(ctx, an); err != nil {
		t.Fatal(err)
	}
	cur := waitReady(t, an, 2)
	if h, msg := argoHealth(t, cur); h != "Healthy" {
		t.Errorf("Argo CD health of a ready fleet: %s (%s)", h, msg)
	}
	if cur.Spec.Replicas != nil {
		t.Errorf("operator wrote spec.replicas = %d", *cur.Spec.Replicas)
	}
	an2 := sampleAN(ns, "auto1", nil)
	if err := k8s.Create(ctx, an2); err != nil {
		t.Fatal(err)
	}
	waitReady(t, an2, 1)
}

func TestDegradedAndFailedPods(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	an := sampleAN(ns, "sick", ptr.To[int32](2))
	if err := k8s.Create(ctx, an); err != nil {
		t.Fatal(err)
	}
	waitReady(t, an, 2)
	p := listPods(t, an)[1]
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: containerName, Image: an.Spec.Image,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}}
	p.Status.Conditions[0].Status = corev1.ConditionFalse
	if err := k8s.Status().Update(ctx, &p); err != nil {
		t.Fatal(err)
	}
	eventually(t, "degraded", func() error {
		a := getAN(t, an)
		d := meta.FindStatusCondition(a.Status.Conditions, audiov1.ConditionDegraded)
		r := meta.FindStatusCondition(a.Status.Conditions, audiov1.ConditionReady)
		if h, _ := argoHealth(t, a); h != "Degraded" {
			return fmt.Errorf("Argo CD health %s", h)
		}
		if d == nil || d.Status != metav1.ConditionTrue || d.Reason != ReasonPodsFailing || !strings.Contains(d.Message, "sick-1 (CrashLoopBackOff)") ||
			r == nil || r.Status != metav1.ConditionFalse {
			return fmt.Errorf("degraded %+v ready %+v", d, r)
		}
		return nil
	})
	// An evicted pod (phase Failed) is removed and replaced.
	p = listPods(t, an)[1]
	oldUID := p.UID
	p.Status.Phase = corev1.PodFailed
	p.Status.Reason = "Evicted"
	if err := k8s.Status().Update(ctx, &p); err != nil {
		t.Fatal(err)
	}
	eventually(t, "failed pod replaced", func() error {
		pods := listPods(t, an)
		if len(pods) != 2 || pods[0].UID == oldUID || pods[1].UID == oldUID {
			return fmt.Errorf("%d pods", len(pods))
		}
		return nil
	})
	waitReady(t, an, 2)
	a := getAN(t, an)
	if d := meta.FindStatusCondition(a.Status.Conditions, audiov1.ConditionDegraded); d.Status != metav1.ConditionFalse {
		t.Errorf("still degraded: %+v", d)
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	an := sampleAN(ns, "gone", ptr.To[int32](1))
	if err := k8s.Create(ctx, an); err != nil {
		t.Fatal(err)
	}
	waitReady(t, an, 1)
	if len(getAN(t, an).Finalizers) != 0 {
		t.Error("operator added a finalizer; owner references are enough")
	}
	if err := k8s.Delete(ctx, an); err != nil {
		t.Fatal(err)
	}
	eventually(t, "deleted", func() error {
		err := k8s.Get(ctx, client.ObjectKeyFromObject(an), &audiov1.AudioNode{})
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("get: %v", err)
		}
		return nil
	})
	// envtest has no garbage collector: the children stay, still owned by
	// the deleted UID, and a reconcile of the missing object is a no-op.
	r := &Reconciler{Client: mgrClient, Scheme: testScheme}
	if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(an)}); err != nil {
		t.Fatal(err)
	}
}

type apiextJSON = apiextensionsv1.JSON

// TestSamples creates every sample manifest: the API server (schema and CEL)
// must accept it, and no field may be unknown to the Go types.
func TestSamples(t *testing.T) {
	ns := newNamespace(t)
	files, err := filepath.Glob(filepath.Join("..", "config", "samples", "audio_*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples (%v)", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		an := &audiov1.AudioNode{}
		if err := sigsyaml.UnmarshalStrict(raw, an); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		an.Namespace = ns
		if err := k8s.Create(context.Background(), an); err != nil {
			t.Fatalf("%s refused: %v", f, err)
		}
	}
}
