// Package controllers holds the AudioNode reconciler: it owns each fleet's node
// Pods directly (so it chooses which pod goes), a headless Service for DNS and
// SRV discovery, and a ConfigMap with the rendered application.yml. Children
// are written with server-side apply under one field manager; the AudioNode's
// status is computed once per reconcile and patched only when it changed.
package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	audiov1 "github.com/audionode/audionode/api/v1alpha1"
	"github.com/audionode/audionode/controllers/fleet"
	"github.com/audionode/audionode/controllers/podmetrics"
)

// conflictRetry is the delay before retrying a status patch that lost a race.
const conflictRetry = 50 * time.Millisecond

// FieldOwner is the server-side apply field manager of every child.
const FieldOwner = "audionode-operator"

var (
	// ErrInvalidOverlay: spec.config.overlay is not a JSON/YAML object.
	ErrInvalidOverlay = errors.New("invalid config overlay")
	// ErrNotOwned: a child with the operator's name exists but another owner controls it.
	ErrNotOwned = errors.New("object exists and is not controlled by this AudioNode")
)

// Reconciler reconciles AudioNode objects.
type Reconciler struct {
	client.Client
	Scheme *runtime.Scheme
	// Recorder emits events on transitions; nil disables events.
	Recorder events.EventRecorder
	// APIReader reads around the cache (mgr.GetAPIReader()). The cache only
	// holds labelled objects, so before creating a ConfigMap or Service the
	// reconciler asks the API server whether a foreign one has the name.
	// Nil means Client.
	APIReader client.Reader
	// MaxConcurrentReconciles is how many AudioNodes reconcile at once
	// (0 means 1). Reconciles of one AudioNode never overlap.
	MaxConcurrentReconciles int
	// Metrics reads pods' /metrics and calls their drain endpoint; nil
	// means a client with DefaultScrapeTimeout.
	Metrics *podmetrics.Client
	// Resync is how often a fleet is reconciled again to re-read its pods'
	// load (0 means DefaultResync); draining fleets are checked more often.
	Resync time.Duration
	// Now is the clock of the fleet decisions (nil means time.Now).
	Now func() time.Time

	initOnce sync.Once
	mu       sync.Mutex
	fleets   map[types.NamespacedName]*fleetState
}

// +kubebuilder:rbac:groups=audio.audionode.dev,resources=audionodes,verbs=get;list;watch
// +kubebuilder:rbac:groups=audio.audionode.dev,resources=audionodes/status,verbs=get;patch;update
// +kubebuilder:rbac:groups=audio.audionode.dev,resources=audionodes/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=services;configmaps,verbs=get;list;watch;create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=policy,resources=poddisruptionbudgets,verbs=get;list;watch;create;patch
// The password Secret is read (get only, never cached) to call a node's drain endpoint.
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get

// SetupWithManager registers the reconciler. The manager's cache should be
// limited to pods carrying audiov1.LabelFleet (see CacheOptions).
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		// Status events too: a reconcile that read a stale cached object
		// must be followed by one that sees the status it raced with.
		For(&audiov1.AudioNode{}).
		Owns(&corev1.Pod{}).
		Owns(&corev1.Service{}).
		Owns(&corev1.ConfigMap{}).
		Owns(&policyv1.PodDisruptionBudget{}).
		Named("audionode").
		WithOptions(controller.Options{MaxConcurrentReconciles: max(1, r.MaxConcurrentReconciles)}).
		Complete(r)
}

// scope is one reconcile's view: the object, what was observed and decided.
type scope struct {
	an   *audiov1.AudioNode
	orig *audiov1.AudioNode

	rev      string
	tpl      corev1.PodTemplateSpec
	desired  int32
	pods     []*corev1.Pod // controlled by an, sorted by ordinal
	names    []string      // every pod carrying the fleet label
	created  []string
	deleted  []string
	podsSeen bool

	loads    map[string]podmetrics.Load // scraped this reconcile; absent = unknown
	draining []string                   // pods whose drain started this reconcile
}

type phase func(context.Context, *scope) error

// Reconcile drives one AudioNode towards its spec.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	an := &audiov1.AudioNode{}
	if err := r.Get(ctx, req.NamespacedName, an); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !an.DeletionTimestamp.IsZero() {
		// Children carry owner references; the garbage collector removes them.
		return ctrl.Result{}, nil
	}
	s := &scope{an: an, orig: an.DeepCopy(), desired: desiredReplicas(an)}
	var err error
	for _, p := range []phase{r.reconcileConfig, r.reconcileService, r.reconcilePDB, r.observePods, r.overlayPending, r.scrapePods, r.autoscale, r.reconcilePods} {
		if err = p(ctx, s); err != nil {
			break
		}
	}
	if apierrors.IsConflict(err) {
		// A pod changed under a guarded write (stale cache): the event of
		// that change triggers a reconcile; nothing is wrong with the fleet.
		return ctrl.Result{RequeueAfter: conflictRetry}, nil
	}
	if serr := r.patchStatus(ctx, s, err); serr != nil {
		if apierrors.IsConflict(serr) && err == nil {
			// The cached object was stale; the event of the newer write is
			// on its way, so retry quietly.
			return ctrl.Result{RequeueAfter: conflictRetry}, nil
		}
		err = errors.Join(err, serr)
	}
	if errors.Is(err, ErrInvalidOverlay) {
		// Only a spec change can fix it, and that triggers a reconcile.
		return ctrl.Result{}, reconcile.TerminalError(err)
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	// Load changes produce no Kubernetes event: look again periodically,
	// and often while a pod drains.
	after := r.resync()
	if s.drainingPods() > 0 {
		after = min(after, drainResync)
	}
	return ctrl.Result{RequeueAfter: after}, nil
}

func (r *Reconciler) reconcileConfig(ctx context.Context, s *scope) error {
	cfg, err := renderConfig(s.an)
	if err != nil {
		return err
	}
	s.tpl, s.rev = podTemplate(s.an, cfg)
	return r.applyIfChanged(ctx, s.an, desiredConfigMap(s.an, cfg), &corev1.ConfigMap{})
}

func (r *Reconciler) reconcileService(ctx context.Context, s *scope) error {
	return r.applyIfChanged(ctx, s.an, desiredService(s.an), &corev1.Service{})
}

// applyIfChanged applies want unless the cached object is ours, carries the
// same spec hash and still holds what we applied (someone may have edited
// it), so a steady fleet costs no API writes and drift is still undone.
func (r *Reconciler) applyIfChanged(ctx context.Context, an *audiov1.AudioNode, want, cur client.Object) error {
	key := client.ObjectKeyFromObject(want)
	err := r.Get(ctx, key, cur)
	if apierrors.IsNotFound(err) {
		rd := r.APIReader
		if rd == nil {
			rd = r.Client
		}
		if err = rd.Get(ctx, key, cur); err == nil && !metav1IsControlledBy(cur, an) {
			return fmt.Errorf("%s %s: %w", want.GetObjectKind().GroupVersionKind().Kind, want.GetName(), ErrNotOwned)
		}
		if err == nil || apierrors.IsNotFound(err) {
			return r.apply(ctx, an, want)
		}
	}
	switch {
	case err != nil:
		return err
	default:
		if !metav1IsControlledBy(cur, an) {
			return fmt.Errorf("%s %s: %w", want.GetObjectKind().GroupVersionKind().Kind, want.GetName(), ErrNotOwned)
		}
		if cur.GetAnnotations()[audiov1.AnnotationSpecHash] == want.GetAnnotations()[audiov1.AnnotationSpecHash] &&
			holds(cur, want) {
			return nil
		}
	}
	return r.apply(ctx, an, want)
}

// holds reports whether cur still has the fields the operator sets in want.
func holds(cur, want client.Object) bool {
	for k, v := range want.GetLabels() {
		if cur.GetLabels()[k] != v {
			return false
		}
	}
	switch w := want.(type) {
	case *corev1.ConfigMap:
		c, ok := cur.(*corev1.ConfigMap)
		return ok && equality.Semantic.DeepEqual(c.Data, w.Data)
	case *corev1.Service:
		c, ok := cur.(*corev1.Service)
		return ok && c.Spec.ClusterIP == w.Spec.ClusterIP && c.Spec.PublishNotReadyAddresses == w.Spec.PublishNotReadyAddresses &&
			equality.Semantic.DeepEqual(c.Spec.Selector, w.Spec.Selector) && equality.Semantic.DeepEqual(c.Spec.Ports, w.Spec.Ports)
	case *policyv1.PodDisruptionBudget:
		c, ok := cur.(*policyv1.PodDisruptionBudget)
		return ok && equality.Semantic.DeepEqual(c.Spec, w.Spec)
	}
	return false
}

// apply writes obj with server-side apply as FieldOwner, controlled by an.
func (r *Reconciler) apply(ctx context.Context, an *audiov1.AudioNode, obj client.Object) error {
	gvk := obj.GetObjectKind().GroupVersionKind()
	if err := controllerutil.SetControllerReference(an, obj, r.Scheme); err != nil {
		return err
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return err
	}
	// Typed structs marshal these as null/{}; they are not ours to own.
	delete(u, "status")
	unstructured.RemoveNestedField(u, "metadata", "creationTimestamp")
	if svc, ok := obj.(*corev1.Service); ok {
		// omitempty drops false; say it, so we own it and undo a true.
		if err := unstructured.SetNestedField(u, svc.Spec.PublishNotReadyAddresses, "spec", "publishNotReadyAddresses"); err != nil {
			return err
		}
	}
	uo := &unstructured.Unstructured{Object: u}
	uo.SetGroupVersionKind(gvk)
	if err := r.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(uo),
		client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("apply %s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	return nil
}

func metav1IsControlledBy(obj client.Object, an *audiov1.AudioNode) bool {
	for _, ref := range obj.GetOwnerReferences() {
		if ref.Controller != nil && *ref.Controller {
			return ref.UID == an.UID
		}
	}
	return false
}

// observePods lists the pods this AudioNode controls, in ordinal order.
func (r *Reconciler) observePods(ctx context.Context, s *scope) error {
	var list corev1.PodList
	if err := r.List(ctx, &list, client.InNamespace(s.an.Namespace), client.MatchingLabels(selectorLabels(s.an))); err != nil {
		return err
	}
	s.pods = s.pods[:0]
	for i := range list.Items {
		p := &list.Items[i]
		s.names = append(s.names, p.Name)
		if metav1IsControlledBy(p, s.an) {
			s.pods = append(s.pods, p)
		}
	}
	slices.SortFunc(s.pods, func(a, b *corev1.Pod) int { return ordinalOf(s.an, a) - ordinalOf(s.an, b) })
	s.podsSeen = true
	return nil
}

// ordinalOf parses the -<n> suffix of a pod name; foreign names sort last.
func ordinalOf(an *audiov1.AudioNode, p *corev1.Pod) int {
	n, err := strconv.Atoi(strings.TrimPrefix(p.Name, an.Name+"-"))
	if err != nil || !strings.HasPrefix(p.Name, an.Name+"-") || n < 0 {
		return 1 << 30
	}
	return n
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func podTerminating(p *corev1.Pod) bool { return p.DeletionTimestamp != nil }

func podFailed(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded
}

// podSets splits the observed pods for the rollout decisions.
type podSets struct {
	live, updated, old []*corev1.Pod
	failed             []*corev1.Pod
	terminating        int
}

func (s *scope) sets() podSets {
	var ps podSets
	for _, p := range s.pods {
		switch {
		case podTerminating(p):
			ps.terminating++
		case podFailed(p):
			ps.failed = append(ps.failed, p)
		default:
			ps.live = append(ps.live, p)
			if p.Labels[audiov1.LabelRevision] == s.rev {
				ps.updated = append(ps.updated, p)
			} else {
				ps.old = append(ps.old, p)
			}
		}
	}
	return ps
}

// reconcilePods scales to the desired count, recycles pods that breach
// the recycle limits and rolls outdated pods one at a time. A pod leaves
// gracefully (retire): it is drained through the node's admin endpoint,
// marked with AnnotationDrain, and deleted once it has no players or its
// drain timeout passed. Recycled pods (AnnotationRecycle) and rollouts
// surge their replacement first.
func (r *Reconciler) reconcilePods(ctx context.Context, s *scope) error {
	ps := s.sets()
	d := int(s.desired)
	now := r.now()

	// Failed pods never come back (restartPolicy Always: evicted or
	// node-lost); remove them so a replacement is created.
	for _, p := range ps.failed {
		if err := r.deletePod(ctx, s, p, "PodFailed"); err != nil {
			return err
		}
	}

	// Draining and to-be-recycled pods are not capacity.
	var active, recycling, draining []*corev1.Pod
	for _, p := range ps.live {
		switch {
		case p.Annotations[audiov1.AnnotationDrain] != "":
			draining = append(draining, p)
		case p.Annotations[audiov1.AnnotationRecycle] != "":
			recycling = append(recycling, p)
		default:
			active = append(active, p)
		}
	}
	for _, p := range draining {
		if done, why := s.drainDone(p, now); done {
			if err := r.deletePodWhy(ctx, s, p, removalReason(p, s.rev), why); err != nil {
				return err
			}
		}
	}

	if lim, ok := limits(s.an); ok {
		inProgress := len(recycling)
		for _, p := range draining {
			if p.Annotations[audiov1.AnnotationRecycle] != "" {
				inProgress++
			}
		}
		for _, c := range fleet.RecycleCandidates(s.fleetPods(active), lim, inProgress, now) {
			i := slices.IndexFunc(active, func(p *corev1.Pod) bool { return p.Name == c.Pod.Name })
			p := active[i]
			if err := r.annotate(ctx, s, p, map[string]string{audiov1.AnnotationRecycle: string(c.Reason)}); err != nil {
				return err
			}
			r.event(s.an, corev1.EventTypeNormal, reasonRecycling, "Recycle", "Recycling pod %s (%s: %d bytes resident, %d open FDs): a replacement comes first",
				p.Name, c.Reason, c.Pod.RSSBytes, c.Pod.OpenFDs)
			active = slices.Delete(active, i, i+1)
			recycling = append(recycling, p)
		}
	}

	var updated, old []*corev1.Pod
	for _, p := range active {
		if p.Labels[audiov1.LabelRevision] == s.rev {
			updated = append(updated, p)
		} else {
			old = append(old, p)
		}
	}

	create := 0
	switch {
	case len(active) < d:
		create = d - len(active)
	case len(old) > 0 && len(active) == d && d > 0:
		create = 1 // surge
	}
	if create > 0 {
		// Never reuse a name still held by any pod of the fleet label,
		// ours (perhaps terminating) or not.
		used := map[string]bool{}
		for _, n := range s.names {
			used[n] = true
		}
		for ord := 0; create > 0; ord++ {
			name := podName(s.an, ord)
			if used[name] {
				continue
			}
			if err := r.apply(ctx, s.an, newPod(s.an, &s.tpl, name)); err != nil {
				return err
			}
			s.created = append(s.created, name)
			r.event(s.an, corev1.EventTypeNormal, "CreatedPod", "Create", "Created pod %s (revision %s)", name, s.rev)
			create--
		}
		return nil
	}

	// A recycled pod drains once its replacement serves.
	if len(active) >= d && allReady(active) {
		for _, p := range recycling {
			if err := r.retire(ctx, s, p, reasonRecycled); err != nil {
				return err
			}
		}
	}

	if excess := len(active) - d; excess > 0 {
		if len(old) > 0 {
			v := pickVictim(s.an, old)
			// Keep capacity during a rollout: an old ready pod goes only when
			// the new ones serve, unless the fleet is shrinking anyway.
			if excess > 1 || allReady(updated) || !podReady(v) {
				return r.retire(ctx, s, v, reasonReplaced)
			}
			return nil
		}
		return r.retire(ctx, s, s.scaleDownVictim(active), reasonScaledDown)
	}
	return nil
}

func allReady(ps []*corev1.Pod) bool {
	for _, p := range ps {
		if !podReady(p) {
			return false
		}
	}
	return true
}

// pickVictim chooses the pod to remove: the delete-first annotation wins,
// then a pod that is not ready, then the highest ordinal. (Issue 8 adds the
// fewest-players rule.)
func pickVictim(an *audiov1.AudioNode, ps []*corev1.Pod) *corev1.Pod {
	best := ps[0]
	rank := func(p *corev1.Pod) (int, int) {
		r := 2
		if _, ok := p.Annotations[audiov1.AnnotationDeleteFirst]; ok {
			r = 0
		} else if !podReady(p) {
			r = 1
		}
		return r, -ordinalOf(an, p)
	}
	br, bo := rank(best)
	for _, p := range ps[1:] {
		if r, o := rank(p); r < br || (r == br && o < bo) {
			best, br, bo = p, r, o
		}
	}
	return best
}

func (r *Reconciler) deletePod(ctx context.Context, s *scope, p *corev1.Pod, reason string) error {
	return r.deletePodWhy(ctx, s, p, reason, "")
}

func (r *Reconciler) deletePodWhy(ctx context.Context, s *scope, p *corev1.Pod, reason, why string) error {
	uid := p.UID
	err := r.Delete(ctx, p, client.Preconditions{UID: &uid})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // already gone (stale cache) or replaced under the same name
	}
	if err != nil {
		return fmt.Errorf("delete pod %s: %w", p.Name, err)
	}
	s.deleted = append(s.deleted, p.Name)
	if why != "" {
		r.event(s.an, corev1.EventTypeNormal, reason, "Delete", "Deleted pod %s: %s", p.Name, why)
	} else {
		r.event(s.an, corev1.EventTypeNormal, reason, "Delete", "Deleted pod %s", p.Name)
	}
	return nil
}

func (r *Reconciler) event(an *audiov1.AudioNode, typ, reason, action, note string, args ...any) {
	if r.Recorder != nil {
		r.Recorder.Eventf(an, nil, typ, reason, action, note, args...)
	}
}

// CacheOptions limits the manager's informers to the operator's own pods,
// Services and ConfigMaps (those carrying audiov1.LabelFleet), so a large
// cluster's other pods cost the operator no memory.
func CacheOptions() cache.Options {
	sel := labels.SelectorFromSet(nil)
	req, err := labels.NewRequirement(audiov1.LabelFleet, selection.Exists, nil)
	if err == nil {
		sel = sel.Add(*req)
	}
	return cache.Options{ByObject: map[client.Object]cache.ByObject{
		&corev1.Pod{}:       {Label: sel},
		&corev1.Service{}:   {Label: sel},
		&corev1.ConfigMap{}: {Label: sel},

		&policyv1.PodDisruptionBudget{}: {Label: sel},
	}}
}
