package controllers

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	audiov1 "github.com/audionode/audionode/api/v1alpha1"
	"github.com/audionode/audionode/controllers/fleet"
	"github.com/audionode/audionode/controllers/podmetrics"
)

const (
	// DefaultResync is how often a fleet is reconciled again to re-read its
	// pods' load when nothing else happens.
	DefaultResync = 15 * time.Second
	// drainResync is the cadence while a pod drains, so it goes soon after
	// its last player left.
	drainResync = 2 * time.Second
	// DefaultScrapeTimeout bounds one /metrics read or drain call.
	DefaultScrapeTimeout = 2 * time.Second
	// scrapeConcurrency bounds the concurrent scrapes of one reconcile.
	scrapeConcurrency = 8

	defaultMaxReplicas     = 10
	defaultScaleDownWindow = 300 * time.Second
	reasonDrained          = "Drained"
	reasonDrainTimeout     = "DrainTimeout"
	reasonDrainFailed      = "DrainFailed"
	reasonDraining         = "Draining"
	reasonRecycling        = "Recycling"
	reasonAutoscaled       = "Autoscaled"
	reasonScaleDownBlocked = "ScaleDownBlocked"
	reasonReplaced         = "Replaced"
	reasonScaledDown       = "ScaledDown"
	reasonRecycled         = "Recycled"
)

// fleetState is the in-memory per-AudioNode state: the autoscaler's
// recommendation history. It is keyed by name and checked against the UID,
// so a re-created AudioNode starts afresh; it is dropped when the AudioNode
// is gone or spec.replicas takes over.
type fleetState struct {
	uid        types.UID
	scaler     fleet.Autoscaler
	lastReason fleet.Reason // for events on transitions only
	// pending holds the annotations this reconciler wrote on pods that the
	// cache may not show yet (expectations), so a reconcile on a stale
	// cache never starts a second drain or exceeds maxConcurrent. An entry
	// goes once the cache shows it or the pod is gone.
	pending map[types.UID]map[string]string
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Reconciler) resync() time.Duration {
	if r.Resync > 0 {
		return r.Resync
	}
	return DefaultResync
}

func (r *Reconciler) podClient() *podmetrics.Client {
	r.initOnce.Do(func() {
		if r.Metrics == nil {
			r.Metrics = podmetrics.New(DefaultScrapeTimeout)
		}
	})
	return r.Metrics
}

// stateFor returns the fleet state of an, creating it when absent or when
// the AudioNode was re-created under the same name.
func (r *Reconciler) stateFor(an *audiov1.AudioNode) *fleetState {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := types.NamespacedName{Namespace: an.Namespace, Name: an.Name}
	if r.fleets == nil {
		r.fleets = map[types.NamespacedName]*fleetState{}
	}
	st := r.fleets[key]
	if st == nil || st.uid != an.UID {
		st = &fleetState{uid: an.UID}
		r.fleets[key] = st
	}
	return st
}

func (r *Reconciler) forget(key types.NamespacedName) {
	r.mu.Lock()
	delete(r.fleets, key)
	r.mu.Unlock()
}

// overlayPending applies the annotations written by earlier reconciles that
// the cache does not show yet, and drops the expectations it has met.
func (r *Reconciler) overlayPending(_ context.Context, s *scope) error {
	st := r.stateFor(s.an)
	if len(st.pending) == 0 {
		return nil
	}
	present := map[types.UID]*corev1.Pod{}
	for _, p := range s.pods {
		present[p.UID] = p
	}
	for uid, kv := range st.pending {
		p := present[uid]
		if p == nil {
			delete(st.pending, uid)
			continue
		}
		met := true
		for k, v := range kv {
			if p.Annotations[k] != v {
				met = false
			}
		}
		if met {
			delete(st.pending, uid)
			continue
		}
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		for k, v := range kv {
			p.Annotations[k] = v
		}
	}
	return nil
}

// scrapePods reads every running pod's /metrics, at most scrapeConcurrency
// at once, each bounded by the client's timeout. A pod that cannot be read
// is absent from s.loads: unknown, never zero players.
func (r *Reconciler) scrapePods(ctx context.Context, s *scope) error {
	mc := r.podClient()
	s.loads = map[string]podmetrics.Load{}
	port := nodePort(s.an)
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, scrapeConcurrency)
	)
	log := logf.FromContext(ctx)
	for _, p := range s.pods {
		if podTerminating(p) || podFailed(p) || p.Status.Phase != corev1.PodRunning || p.Status.PodIP == "" {
			continue
		}
		name, url := p.Name, "http://"+podAddress(p, port)+metricsPath
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			l, err := mc.Scrape(ctx, url)
			if err != nil {
				log.V(1).Info("pod load unknown", "pod", name, "error", err.Error())
				return
			}
			mu.Lock()
			s.loads[name] = l
			mu.Unlock()
		}()
	}
	wg.Wait()
	return nil
}

// fleetPod is the decision logic's view of p.
func (s *scope) fleetPod(p *corev1.Pod) fleet.Pod {
	fp := fleet.Pod{Name: p.Name, Created: p.CreationTimestamp.Time}
	if l, ok := s.loads[p.Name]; ok {
		fp.Known, fp.Players, fp.Playing, fp.RSSBytes, fp.OpenFDs = true, l.Players, l.Playing, l.RSSBytes, l.OpenFDs
	}
	_, fp.DeleteFirst = p.Annotations[audiov1.AnnotationDeleteFirst]
	_, drain := p.Annotations[audiov1.AnnotationDrain]
	_, recycle := p.Annotations[audiov1.AnnotationRecycle]
	fp.Draining = drain || recycle
	return fp
}

func (s *scope) fleetPods(ps []*corev1.Pod) []fleet.Pod {
	out := make([]fleet.Pod, 0, len(ps))
	for _, p := range ps {
		out = append(out, s.fleetPod(p))
	}
	return out
}

// policy is the autoscaling part of the spec with its defaults.
func policy(an *audiov1.AudioNode) fleet.Policy {
	p := fleet.Policy{MinReplicas: 1, MaxReplicas: defaultMaxReplicas, ScaleDownWindow: defaultScaleDownWindow}
	if as := an.Spec.Autoscaling; as != nil {
		if as.MinReplicas != nil {
			p.MinReplicas = *as.MinReplicas
		}
		if as.MaxReplicas != nil {
			p.MaxReplicas = *as.MaxReplicas
		}
		if as.TargetPlayersPerPod != nil {
			p.TargetPlayersPerPod = *as.TargetPlayersPerPod
		}
		if as.ScaleUpStabilizationSeconds != nil {
			p.ScaleUpWindow = time.Duration(*as.ScaleUpStabilizationSeconds) * time.Second
		}
		if as.ScaleDownStabilizationSeconds != nil {
			p.ScaleDownWindow = time.Duration(*as.ScaleDownStabilizationSeconds) * time.Second
		}
	}
	p.MaxReplicas = max(p.MaxReplicas, p.MinReplicas)
	return p
}

// autoscale sets s.desired from the player count when spec.replicas is
// unset; spec.replicas (a user, an HPA, KEDA) wins when set.
func (r *Reconciler) autoscale(ctx context.Context, s *scope) error {
	if s.an.Spec.Replicas != nil {
		st := r.stateFor(s.an)
		st.scaler, st.lastReason = fleet.Autoscaler{}, ""
		return nil
	}
	pol := policy(s.an)
	cur := min(max(s.orig.Status.DesiredReplicas, pol.MinReplicas), pol.MaxReplicas)
	var live []*corev1.Pod
	for _, p := range s.pods {
		if !podTerminating(p) && !podFailed(p) {
			live = append(live, p)
		}
	}
	fps := s.fleetPods(live)
	st := r.stateFor(s.an)
	d := st.scaler.Recommend(r.now(), fps, cur, pol)
	s.desired = d.Desired
	if d.Reason == fleet.ReasonUnknownPods && st.lastReason != fleet.ReasonUnknownPods {
		var unknown []string
		for _, p := range fps {
			if !p.Known {
				unknown = append(unknown, p.Name)
			}
		}
		r.event(s.an, corev1.EventTypeWarning, reasonScaleDownBlocked, "Scale", "Scale-down held at %d replicas: the load of %s is unknown",
			d.Desired, strings.Join(unknown, ", "))
	}
	st.lastReason = d.Reason
	if d.Desired != s.orig.Status.DesiredReplicas && s.orig.Status.DesiredReplicas != 0 {
		r.event(s.an, corev1.EventTypeNormal, reasonAutoscaled, "Scale", "Desired replicas %d → %d (%s: %d players, target %d per pod)",
			s.orig.Status.DesiredReplicas, d.Desired, d.Reason, d.Players, pol.TargetPlayersPerPod)
	}
	return nil
}

func limits(an *audiov1.AudioNode) (fleet.Limits, bool) {
	rc := an.Spec.Recycle
	if rc == nil {
		return fleet.Limits{}, false
	}
	var l fleet.Limits
	if rc.MaxMemoryBytes != nil {
		l.MaxMemoryBytes = *rc.MaxMemoryBytes
	}
	if rc.MaxOpenFDs != nil {
		l.MaxOpenFDs = *rc.MaxOpenFDs
	}
	if rc.MaxAgeSeconds != nil {
		l.MaxAge = time.Duration(*rc.MaxAgeSeconds) * time.Second
	}
	if rc.MaxConcurrent != nil {
		l.MaxConcurrent = int(*rc.MaxConcurrent)
	}
	return l, l.MaxMemoryBytes > 0 || l.MaxOpenFDs > 0 || l.MaxAge > 0
}

// annotate merges annotations into p's metadata, guarded by its
// resourceVersion (a stale cached pod gets a conflict, never a double
// action), and remembers them until the cache shows them.
func (r *Reconciler) annotate(ctx context.Context, s *scope, p *corev1.Pod, kv map[string]string) error {
	orig := p.DeepCopy()
	if p.Annotations == nil {
		p.Annotations = map[string]string{}
	}
	for k, v := range kv {
		p.Annotations[k] = v
	}
	if err := r.Patch(ctx, p, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}), client.FieldOwner(FieldOwner)); err != nil {
		return fmt.Errorf("annotate pod %s: %w", p.Name, err)
	}
	st := r.stateFor(s.an)
	if st.pending == nil {
		st.pending = map[types.UID]map[string]string{}
	}
	if st.pending[p.UID] == nil {
		st.pending[p.UID] = map[string]string{}
	}
	for k, v := range kv {
		st.pending[p.UID][k] = v
	}
	return nil
}

// password reads the fleet's password from its Secret, around the cache:
// the manager may get Secrets but never lists or watches them.
func (r *Reconciler) password(ctx context.Context, an *audiov1.AudioNode) (string, error) {
	rd := r.APIReader
	if rd == nil {
		rd = r.Client
	}
	var sec corev1.Secret
	if err := rd.Get(ctx, types.NamespacedName{Namespace: an.Namespace, Name: an.Spec.Password.Name}, &sec); err != nil {
		return "", fmt.Errorf("read password Secret %s: %w", an.Spec.Password.Name, err)
	}
	pw, ok := sec.Data[an.Spec.Password.Key]
	if !ok {
		return "", fmt.Errorf("password Secret %s has no key %q", an.Spec.Password.Name, an.Spec.Password.Key)
	}
	return string(pw), nil
}

// retire removes p gracefully. A ready pod whose load is known is drained
// through its admin endpoint and deleted later (drainDone); a pod that is
// not ready or cannot be read is deleted at once: it serves nobody the
// operator can see, and the node drains on SIGTERM within the pod's
// termination grace period anyway. The same fallback applies when the
// password cannot be read or the drain call fails.
func (r *Reconciler) retire(ctx context.Context, s *scope, p *corev1.Pod, reason string) error {
	l, known := s.loads[p.Name]
	if !known || !podReady(p) {
		return r.deletePod(ctx, s, p, reason)
	}
	pw, err := r.password(ctx, s.an)
	if err != nil {
		r.event(s.an, corev1.EventTypeWarning, reasonDrainFailed, "Drain", "Cannot drain pod %s (%v); deleting it, it drains on SIGTERM", p.Name, err)
		return r.deletePod(ctx, s, p, reason)
	}
	now := r.now()
	if err := r.annotate(ctx, s, p, map[string]string{audiov1.AnnotationDrain: now.UTC().Format(time.RFC3339Nano)}); err != nil {
		return err
	}
	s.draining = append(s.draining, p.Name)
	grace := time.Duration(drainTimeoutSeconds(s.an)) * time.Second
	if err := r.podClient().Drain(ctx, "http://"+podAddress(p, nodePort(s.an)), pw, grace); err != nil {
		r.event(s.an, corev1.EventTypeWarning, reasonDrainFailed, "Drain", "Drain of pod %s failed (%v); deleting it, it drains on SIGTERM", p.Name, err)
		return r.deletePod(ctx, s, p, reason)
	}
	r.event(s.an, corev1.EventTypeNormal, reasonDraining, "Drain", "Draining pod %s (%s, %d players, timeout %s)", p.Name, reason, l.Players, grace)
	return nil
}

// drainDone says whether a draining pod may go: its last player left, or
// the drain timeout passed (or the start time is unreadable).
func (s *scope) drainDone(p *corev1.Pod, now time.Time) (bool, string) {
	start, err := time.Parse(time.RFC3339Nano, p.Annotations[audiov1.AnnotationDrain])
	if err != nil {
		return true, "drain start unreadable"
	}
	if l, ok := s.loads[p.Name]; ok && l.Players == 0 {
		return true, "no players left"
	}
	if timeout := time.Duration(drainTimeoutSeconds(s.an)) * time.Second; now.Sub(start) >= timeout {
		players := "unknown players"
		if l, ok := s.loads[p.Name]; ok {
			players = fmt.Sprintf("%d players", l.Players)
		}
		return true, fmt.Sprintf("drain timeout %s passed with %s", timeout, players)
	}
	return false, ""
}

// removalReason names why a drained pod goes, for its event.
func removalReason(p *corev1.Pod, rev string) string {
	switch {
	case p.Annotations[audiov1.AnnotationRecycle] != "":
		return reasonRecycled
	case p.Labels[audiov1.LabelRevision] != rev:
		return reasonReplaced
	}
	return reasonScaledDown
}

// scaleDownVictim picks the pod to remove when the fleet shrinks: a pod
// annotated delete-first, then a pod that is not ready (it serves nobody),
// then the known pod with the fewest players; when no pod's load is known
// (only an explicit spec.replicas shrinks then), the highest ordinal.
func (s *scope) scaleDownVictim(ps []*corev1.Pod) *corev1.Pod {
	byName := map[string]*corev1.Pod{}
	var notReady []*corev1.Pod
	deleteFirst := false
	for _, p := range ps {
		byName[p.Name] = p
		if !podReady(p) {
			notReady = append(notReady, p)
		}
		if _, ok := p.Annotations[audiov1.AnnotationDeleteFirst]; ok {
			deleteFirst = true
		}
	}
	if !deleteFirst && len(notReady) > 0 {
		return pickVictim(s.an, notReady)
	}
	if v, ok := fleet.ChooseVictim(s.fleetPods(ps)); ok {
		return byName[v.Name]
	}
	return pickVictim(s.an, ps)
}

// desiredPDB protects the fleet's serving pods from voluntary evictions
// (node drains, cluster-autoscaler) one pod at a time. Pods that are not
// ready (starting, or draining: the node fails readiness while it drains)
// may always be evicted, so a stuck pod never blocks a node drain.
func desiredPDB(an *audiov1.AudioNode) *policyv1.PodDisruptionBudget {
	one := intstr.FromInt32(1)
	always := policyv1.AlwaysAllow
	pdb := &policyv1.PodDisruptionBudget{
		TypeMeta: metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      an.Name,
			Namespace: an.Namespace,
			Labels:    fleetLabels(an),
		},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable:             &one,
			Selector:                   &metav1.LabelSelector{MatchLabels: selectorLabels(an)},
			UnhealthyPodEvictionPolicy: &always,
		},
	}
	pdb.Annotations = map[string]string{audiov1.AnnotationSpecHash: hashOf(pdb.Labels, pdb.Spec)}
	return pdb
}

func (r *Reconciler) reconcilePDB(ctx context.Context, s *scope) error {
	return r.applyIfChanged(ctx, s.an, desiredPDB(s.an), &policyv1.PodDisruptionBudget{})
}

// drainingPods counts the pods that drain now (started before or during
// this reconcile).
func (s *scope) drainingPods() int {
	n := len(s.draining)
	for _, p := range s.pods {
		if !podTerminating(p) && p.Annotations[audiov1.AnnotationDrain] != "" {
			n++
		}
	}
	return n
}
