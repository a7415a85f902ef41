package controllers

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"

	audiov1 "github.com/audionode/audionode/api/v1alpha1"
)

// TestValidation sends invalid objects to the real API server: the CRD's
// OpenAPI and CEL rules must refuse them with a message a user understands.
func TestValidation(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	for _, tc := range []struct {
		name string
		obj  string // metadata.name
		edit func(*audiov1.AudioNode)
		want string // "" = accepted
	}{
		{"valid", "ok", func(*audiov1.AudioNode) {}, ""},
		{"min above max", "a1", func(a *audiov1.AudioNode) {
			a.Spec.Autoscaling = &audiov1.Autoscaling{MinReplicas: ptr.To[int32](5), MaxReplicas: ptr.To[int32](2)}
		}, "autoscaling.minReplicas must be less than or equal to autoscaling.maxReplicas"},
		{"zero target", "a2", func(a *audiov1.AudioNode) {
			a.Spec.Autoscaling = &audiov1.Autoscaling{TargetPlayersPerPod: ptr.To[int32](0)}
		}, "spec.autoscaling.targetPlayersPerPod: Invalid value: 0: spec.autoscaling.targetPlayersPerPod in body should be greater than or equal to 1"},
		{"negative replicas", "a3", func(a *audiov1.AudioNode) { a.Spec.Replicas = ptr.To[int32](-1) }, "spec.replicas"},
		{"operator label", "a4", func(a *audiov1.AudioNode) {
			a.Spec.PodTemplate.Labels = map[string]string{audiov1.LabelFleet: "other"}
		}, "podTemplate.labels must not use the audio.audionode.dev/ prefix"},
		{"operator annotation", "a5", func(a *audiov1.AudioNode) {
			a.Spec.PodTemplate.Annotations = map[string]string{audiov1.AnnotationDrain: "x"}
		}, "podTemplate.annotations must not use the audio.audionode.dev/ prefix"},
		{"name starts with digit", "1fleet", func(*audiov1.AudioNode) {}, "metadata.name must be a DNS label of at most 52 characters"},
		{"name too long", strings.Repeat("a", 53), func(*audiov1.AudioNode) {}, "metadata.name must be a DNS label of at most 52 characters"},
		{"no image", "a6", func(a *audiov1.AudioNode) { a.Spec.Image = "" }, "spec.image"},
		{"no password key", "a7", func(a *audiov1.AudioNode) { a.Spec.Password.Key = "" }, "spec.password.key"},
		{"privileged port", "a8", func(a *audiov1.AudioNode) { a.Spec.Config.Port = ptr.To[int32](80) }, "spec.config.port"},
		{"bad resampling", "a9", func(a *audiov1.AudioNode) { a.Spec.Config.ResamplingQuality = "ULTRA" }, "spec.config.resamplingQuality"},
		{"tiny recycle memory", "a10", func(a *audiov1.AudioNode) { a.Spec.Recycle = &audiov1.Recycle{MaxMemoryBytes: ptr.To[int64](1000)} }, "spec.recycle.maxMemoryBytes"},
		{"zero max concurrent", "a11", func(a *audiov1.AudioNode) { a.Spec.Recycle = &audiov1.Recycle{MaxConcurrent: ptr.To[int32](0)} }, "spec.recycle.maxConcurrent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := sampleAN(ns, tc.obj, ptr.To[int32](0))
			tc.edit(a)
			err := k8s.Create(ctx, a)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want Invalid containing %q", err, tc.want)
			}
		})
	}
}

func TestPortImmutable(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	a := sampleAN(ns, "port", ptr.To[int32](0))
	if err := k8s.Create(ctx, a); err != nil {
		t.Fatal(err)
	}
	// Setting the default explicitly is not a change.
	if err := updateAN(t, a, func(a *audiov1.AudioNode) { a.Spec.Config.Port = ptr.To(audiov1.DefaultPort) }); err != nil {
		t.Fatalf("explicit default port refused: %v", err)
	}
	err := updateAN(t, a, func(a *audiov1.AudioNode) { a.Spec.Config.Port = ptr.To[int32](2444) })
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "config.port cannot be changed") {
		t.Fatalf("got %v, want the immutable-port message", err)
	}
	// Other fields still change.
	if err := updateAN(t, a, func(a *audiov1.AudioNode) { a.Spec.Image = "ghcr.io/audionode/audionode:v9" }); err != nil {
		t.Fatal(err)
	}
}
