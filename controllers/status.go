package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	audiov1 "github.com/audionode/audionode/api/v1alpha1"
)

// Condition reasons.
const (
	ReasonAllReplicasReady = "AllReplicasReady"
	ReasonScalingUp        = "ScalingUp"
	ReasonScalingDown      = "ScalingDown"
	ReasonRollingUpdate    = "RollingUpdate"
	ReasonWaitingForPods   = "WaitingForPods"
	ReasonComplete         = "Complete"
	ReasonReconciled       = "Reconciled"
	ReasonReconcileError   = "ReconcileError"
	ReasonPodsFailing      = "PodsFailing"
	ReasonAsExpected       = "AsExpected"
	ReasonDraining         = "Draining"  // a pod drains before removal
	ReasonRecycling        = "Recycling" // a pod breaching a recycle limit is being replaced
)

// maxPodSummaries is status.pods' maxItems in the CRD.
const maxPodSummaries = 1024

// waitingFailures are container waiting reasons that will not fix themselves.
var waitingFailures = map[string]bool{
	"CrashLoopBackOff": true, "ImagePullBackOff": true, "ErrImagePull": true,
	"CreateContainerConfigError": true, "InvalidImageName": true, "CreateContainerError": true,
}

// computeStatus fills s.an.Status from what this reconcile observed.
func computeStatus(s *scope, reconcileErr error) {
	an := s.an
	st := &an.Status
	st.Selector = metav1.FormatLabelSelector(&metav1.LabelSelector{MatchLabels: selectorLabels(an)})
	st.DesiredReplicas = s.desired
	if s.rev != "" {
		st.CurrentRevision = s.rev
	}

	var failing []string
	if s.podsSeen {
		ps := s.sets()
		st.Replicas = int32(len(ps.live))
		st.UpdatedReplicas = int32(len(ps.updated))
		st.ReadyReplicas = 0
		st.Players, st.PlayingPlayers = 0, 0
		port := nodePort(an)
		old := map[string]audiov1.PodSummary{}
		for _, p := range s.orig.Status.Pods {
			old[p.Name] = p
		}
		st.Pods = st.Pods[:0]
		for _, p := range s.pods {
			if len(st.Pods) == maxPodSummaries {
				break // the CRD's maxItems; counts above still cover every pod
			}
			if podReady(p) && !podTerminating(p) && !podFailed(p) {
				st.ReadyReplicas++
			}
			if why := podFailure(p); why != "" {
				failing = append(failing, p.Name+" ("+why+")")
			}
			sum := audiov1.PodSummary{
				Name:     p.Name,
				Address:  podAddress(p, port),
				Phase:    podPhase(p, s.rev),
				Revision: p.Labels[audiov1.LabelRevision],
			}
			// Load figures come from this reconcile's scrape: unset while
			// unknown, never zero. Without a scrape (an earlier phase
			// failed) the last figures stay.
			if l, ok := s.loads[p.Name]; ok {
				sum.Players, sum.PlayingPlayers = ptrTo(int32(l.Players)), ptrTo(int32(l.Playing))
				sum.MemoryBytes, sum.OpenFDs = ptrTo(l.RSSBytes), ptrTo(l.OpenFDs)
			} else if o, ok := old[p.Name]; ok && s.loads == nil {
				sum.Players, sum.PlayingPlayers, sum.MemoryBytes, sum.OpenFDs = o.Players, o.PlayingPlayers, o.MemoryBytes, o.OpenFDs
			}
			if sum.Players != nil {
				st.Players += *sum.Players
			}
			if sum.PlayingPlayers != nil {
				st.PlayingPlayers += *sum.PlayingPlayers
			}
			st.Pods = append(st.Pods, sum)
		}
		if len(st.Pods) == 0 {
			st.Pods = nil
		}
	}

	gen := an.Generation
	set := func(typ string, status bool, reason, msg string) {
		cs := metav1.ConditionFalse
		if status {
			cs = metav1.ConditionTrue
		}
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: typ, Status: cs, Reason: reason, Message: msg, ObservedGeneration: gen,
		})
	}

	reason, msg := rolloutState(s)
	done := reason == ReasonAllReplicasReady
	if reconcileErr != nil {
		set(audiov1.ConditionReady, false, ReasonReconcileError, trim(reconcileErr.Error()))
	} else {
		set(audiov1.ConditionReady, done, reason, msg)
	}
	if done {
		set(audiov1.ConditionProgressing, false, ReasonComplete, msg)
	} else {
		set(audiov1.ConditionProgressing, true, reason, msg)
	}
	switch {
	case reconcileErr != nil:
		set(audiov1.ConditionReconciling, true, ReasonReconcileError, trim(reconcileErr.Error()))
		set(audiov1.ConditionDegraded, true, ReasonReconcileError, trim(reconcileErr.Error()))
	default:
		if done {
			set(audiov1.ConditionReconciling, false, ReasonReconciled, msg)
		} else {
			set(audiov1.ConditionReconciling, true, reason, msg)
		}
		if len(failing) > 0 {
			set(audiov1.ConditionDegraded, true, ReasonPodsFailing, trim("Failing pods: "+strings.Join(failing, ", ")))
		} else {
			set(audiov1.ConditionDegraded, false, ReasonAsExpected, "No pod is failing")
		}
	}
	// Only a reconcile that went through every phase has acted on this generation.
	if reconcileErr == nil {
		st.ObservedGeneration = gen
	}
}

// rolloutState names what the fleet is doing, from the observed pods.
func rolloutState(s *scope) (string, string) {
	if !s.podsSeen {
		return ReasonWaitingForPods, "Pods not observed yet"
	}
	ps := s.sets()
	ready := 0
	for _, p := range ps.updated {
		if podReady(p) {
			ready++
		}
	}
	d := int(s.desired)
	var draining, recycling []string
	for _, p := range ps.live {
		drain := p.Annotations[audiov1.AnnotationDrain] != "" || slices.Contains(s.draining, p.Name)
		switch why := p.Annotations[audiov1.AnnotationRecycle]; {
		case why != "" && drain:
			recycling = append(recycling, p.Name+" ("+why+", draining)")
		case why != "":
			recycling = append(recycling, p.Name+" ("+why+", replacement first)")
		case drain:
			draining = append(draining, p.Name)
		}
	}
	switch {
	case len(recycling) > 0:
		return ReasonRecycling, trim("Replacing " + strings.Join(recycling, ", "))
	case len(draining) > 0:
		return ReasonDraining, trim(fmt.Sprintf("Draining %s; %d pods desired", strings.Join(draining, ", "), d))
	case len(ps.old) > 0:
		return ReasonRollingUpdate, fmt.Sprintf("%d of %d pods on revision %s, %d outdated", len(ps.updated), d, s.rev, len(ps.old))
	case len(ps.live) < d || len(s.created) > 0:
		return ReasonScalingUp, fmt.Sprintf("%d of %d pods exist", len(ps.live), d)
	case len(ps.live) > d || ps.terminating > 0 || len(s.deleted) > 0:
		return ReasonScalingDown, fmt.Sprintf("%d pods exist, %d desired", len(ps.live), d)
	case ready < d:
		return ReasonWaitingForPods, fmt.Sprintf("%d of %d pods ready", ready, d)
	}
	return ReasonAllReplicasReady, fmt.Sprintf("%d of %d pods ready", ready, d)
}

// podPhase is the operator's view of a pod.
func podPhase(p *corev1.Pod, rev string) audiov1.PodPhase {
	_, draining := p.Annotations[audiov1.AnnotationDrain]
	_, recycle := p.Annotations[audiov1.AnnotationRecycle]
	switch {
	case podTerminating(p) || draining:
		return audiov1.PodDraining
	case p.Labels[audiov1.LabelRevision] != rev || podFailed(p) || recycle:
		return audiov1.PodRecycling
	case podReady(p):
		return audiov1.PodServing
	}
	return audiov1.PodStarting
}

// podFailure says why a pod is failing, or "" when it is not.
func podFailure(p *corev1.Pod) string {
	if podFailed(p) {
		if p.Status.Reason != "" {
			return p.Status.Reason
		}
		return string(p.Status.Phase)
	}
	for _, c := range p.Status.ContainerStatuses {
		if w := c.State.Waiting; w != nil && waitingFailures[w.Reason] {
			return w.Reason
		}
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return corev1.PodReasonUnschedulable
		}
	}
	return ""
}

func trim(s string) string {
	const max = 1024
	if len(s) > max {
		return s[:max]
	}
	return s
}

// patchStatus computes the status and writes it with one merge patch, only
// when it changed; an event marks each change of the Ready condition.
func (r *Reconciler) patchStatus(ctx context.Context, s *scope, reconcileErr error) error {
	computeStatus(s, reconcileErr)
	if equality.Semantic.DeepEqual(s.orig.Status, s.an.Status) {
		return nil
	}
	if err := r.Status().Patch(ctx, s.an, client.MergeFromWithOptions(s.orig, client.MergeFromWithOptimisticLock{})); err != nil {
		return client.IgnoreNotFound(err)
	}
	was := meta.FindStatusCondition(s.orig.Status.Conditions, audiov1.ConditionReady)
	now := meta.FindStatusCondition(s.an.Status.Conditions, audiov1.ConditionReady)
	if now != nil && (was == nil || was.Status != now.Status) {
		typ := corev1.EventTypeNormal
		if now.Status != metav1.ConditionTrue && was != nil {
			typ = corev1.EventTypeWarning
		}
		r.event(s.an, typ, "Ready"+string(now.Status), "Reconcile", "%s: %s", now.Reason, now.Message)
	}
	return nil
}

func ptrTo[T any](v T) *T { return &v }
