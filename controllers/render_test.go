package controllers

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	audiov1 "github.com/audionode/audionode/api/v1alpha1"
)

func TestRenderConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		config  audiov1.NodeConfig
		want    []string // lines that must appear
		notWant []string
		err     bool
	}{
		{name: "defaults", want: []string{"    port: 2333", "        enabled: true", "        endpoint: /metrics", "        timeoutMs: 300000"}},
		{name: "typed", config: audiov1.NodeConfig{Port: ptr.To[int32](4000), OpusEncodingQuality: ptr.To[int32](10),
			ResamplingQuality: "HIGH", LogLevel: "debug", Sources: &audiov1.Sources{HTTP: ptr.To(false)}},
			want: []string{"    port: 4000", "        opusEncodingQuality: 10", "        resamplingQuality: HIGH", "            http: false", "        level: debug"}},
		{name: "overlay under typed and owned keys", config: audiov1.NodeConfig{
			OpusEncodingQuality: ptr.To[int32](3),
			Overlay: &apiextensionsv1.JSON{Raw: []byte(`{"lavalink":{"server":{"opusEncodingQuality":9,"password":"secret","filters":{"volume":true}}},
				"metrics":{"prometheus":{"enabled":false}},"server":{"port":80},"x":{"ratio":0.5,"big":123456789}}`)}},
			want:    []string{"        opusEncodingQuality: 3", "            volume: true", "        enabled: true", "    port: 2333", "    ratio: 0.5", "    big: 123456789"},
			notWant: []string{"secret", "port: 80", "enabled: false", "opusEncodingQuality: 9"}},
		{name: "overlay not an object", config: audiov1.NodeConfig{Overlay: &apiextensionsv1.JSON{Raw: []byte(`[1,2]`)}}, err: true},
		{name: "overlay not JSON", config: audiov1.NodeConfig{Overlay: &apiextensionsv1.JSON{Raw: []byte(`{`)}}, err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			an := &audiov1.AudioNode{ObjectMeta: metav1.ObjectMeta{Name: "n", Namespace: "ns"}}
			an.Spec.Config = tc.config
			got, err := renderConfig(an)
			if tc.err {
				if err == nil {
					t.Fatalf("no error; got\n%s", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w+"\n") {
					t.Errorf("missing %q in\n%s", w, got)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("unexpected %q in\n%s", w, got)
				}
			}
			// Deterministic: the same spec renders the same bytes.
			for range 20 {
				if again, _ := renderConfig(an); again != got {
					t.Fatalf("render not deterministic")
				}
			}
		})
	}
}

func TestPodTemplateRevision(t *testing.T) {
	base := func() *audiov1.AudioNode {
		return &audiov1.AudioNode{ObjectMeta: metav1.ObjectMeta{Name: "n", Namespace: "ns"},
			Spec: audiov1.AudioNodeSpec{Image: "img:1", Password: audiov1.SecretKeyRef{Name: "s", Key: "k"},
				PodTemplate: audiov1.PodTemplateOverrides{Labels: map[string]string{"a": "1", "b": "2", "c": "3"}}}}
	}
	rev := func(an *audiov1.AudioNode) string {
		cfg, err := renderConfig(an)
		if err != nil {
			t.Fatal(err)
		}
		_, r := podTemplate(an, cfg)
		return r
	}
	r0 := rev(base())
	for range 20 { // map order must not leak into the hash
		if r := rev(base()); r != r0 {
			t.Fatalf("revision %s then %s", r0, r)
		}
	}
	for name, edit := range map[string]func(*audiov1.AudioNode){
		"image":    func(a *audiov1.AudioNode) { a.Spec.Image = "img:2" },
		"config":   func(a *audiov1.AudioNode) { a.Spec.Config.OpusEncodingQuality = ptr.To[int32](1) },
		"label":    func(a *audiov1.AudioNode) { a.Spec.PodTemplate.Labels["a"] = "x" },
		"password": func(a *audiov1.AudioNode) { a.Spec.Password.Key = "k2" },
		"memory": func(a *audiov1.AudioNode) {
			a.Spec.Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}
		},
	} {
		a := base()
		edit(a)
		if rev(a) == r0 {
			t.Errorf("%s change kept the revision", name)
		}
	}
	// Replicas and autoscaling do not roll pods.
	a := base()
	a.Spec.Replicas = ptr.To[int32](7)
	a.Spec.Autoscaling = &audiov1.Autoscaling{MaxReplicas: ptr.To[int32](9)}
	if rev(a) != r0 {
		t.Error("replicas change rolled the pods")
	}
}

func TestGoMemLimit(t *testing.T) {
	for _, tc := range []struct{ limit, want string }{
		{"512Mi", "483183810"},
		{"1Gi", "966367620"},
		{"100", "90"},
	} {
		if got := goMemLimit(resource.MustParse(tc.limit)); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.limit, got, tc.want)
		}
	}
}

func TestPickVictim(t *testing.T) {
	an := &audiov1.AudioNode{ObjectMeta: metav1.ObjectMeta{Name: "f"}}
	pod := func(name string, ready bool, ann map[string]string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: ann}}
		st := corev1.ConditionFalse
		if ready {
			st = corev1.ConditionTrue
		}
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}
		return p
	}
	for _, tc := range []struct {
		name string
		pods []*corev1.Pod
		want string
	}{
		{"highest ordinal", []*corev1.Pod{pod("f-0", true, nil), pod("f-10", true, nil), pod("f-2", true, nil)}, "f-10"},
		{"not ready first", []*corev1.Pod{pod("f-0", false, nil), pod("f-1", true, nil)}, "f-0"},
		{"delete-first wins", []*corev1.Pod{pod("f-0", true, map[string]string{audiov1.AnnotationDeleteFirst: ""}), pod("f-1", false, nil)}, "f-0"},
	} {
		if got := pickVictim(an, tc.pods).Name; got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestDesiredReplicas(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec audiov1.AudioNodeSpec
		want int32
	}{
		{"default", audiov1.AudioNodeSpec{}, 1},
		{"spec wins", audiov1.AudioNodeSpec{Replicas: ptr.To[int32](4), Autoscaling: &audiov1.Autoscaling{MinReplicas: ptr.To[int32](2)}}, 4},
		{"zero", audiov1.AudioNodeSpec{Replicas: ptr.To[int32](0)}, 0},
		{"autoscaling floor", audiov1.AudioNodeSpec{Autoscaling: &audiov1.Autoscaling{MinReplicas: ptr.To[int32](3)}}, 3},
	} {
		if got := desiredReplicas(&audiov1.AudioNode{Spec: tc.spec}); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestPodFailure(t *testing.T) {
	waiting := func(reason string) corev1.PodStatus {
		return corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}}}
	}
	for _, tc := range []struct {
		name   string
		status corev1.PodStatus
		want   string
	}{
		{"running", corev1.PodStatus{Phase: corev1.PodRunning}, ""},
		{"creating", waiting("ContainerCreating"), ""},
		{"crash loop", waiting("CrashLoopBackOff"), "CrashLoopBackOff"},
		{"no secret", waiting("CreateContainerConfigError"), "CreateContainerConfigError"},
		{"image", waiting("ImagePullBackOff"), "ImagePullBackOff"},
		{"evicted", corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted"}, "Evicted"},
		{"unschedulable", corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{
			Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable}}}, "Unschedulable"},
	} {
		if got := podFailure(&corev1.Pod{Status: tc.status}); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
