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
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	audiov1 "github.com/audionode/audionode/api/v1alpha1"
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
}

// +kubebuilder:rbac:groups=audio.audionode.dev,resources=audionodes,verbs=get;list;watch
// +kubebuilder:rbac:groups=audio.audionode.dev,resources=audionodes/status,verbs=get;patch;update
// +kubebuilder:rbac:groups=audio.audionode.dev,resources=audionodes/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=services;configmaps,verbs=get;list;watch;create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

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
}

type phase func(context.Context, *scope) error

// Reconcile drives one AudioNode towards its spec.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	an := &audiov1.AudioNode{}
	if err := r.Get(ctx, req.NamespacedName, an); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !an.DeletionTimestamp.IsZero() {
		// Children carry owner references; the garbage collector removes them.
		return ctrl.Result{}, nil
	}
	s := &scope{an: an, orig: an.DeepCopy(), desired: desiredReplicas(an)}
	var err error
	for _, p := range []phase{r.reconcileConfig, r.reconcileService, r.observePods, r.reconcilePods} {
		if err = p(ctx, s); err != nil {
			break
		}
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
	return ctrl.Result{}, err
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

// reconcilePods scales to the desired count and rolls outdated pods one at a
// time: surge one pod on the current revision, and remove an old pod only
// once every updated pod is ready. (Issue 8 drains a pod before removal.)
func (r *Reconciler) reconcilePods(ctx context.Context, s *scope) error {
	ps := s.sets()
	d := int(s.desired)

	// Failed pods never come back (restartPolicy Always: evicted or
	// node-lost); remove them so a replacement is created.
	for _, p := range ps.failed {
		if err := r.deletePod(ctx, s, p, "PodFailed"); err != nil {
			return err
		}
	}

	create := 0
	switch {
	case len(ps.live) < d:
		create = d - len(ps.live)
	case len(ps.old) > 0 && len(ps.live) == d && d > 0:
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
	}

	if excess := len(ps.live) - d; excess > 0 {
		if len(ps.old) > 0 {
			v := pickVictim(s.an, ps.old)
			// Keep capacity during a rollout: an old ready pod goes only when
			// the new ones serve, unless the fleet is shrinking anyway.
			if excess > 1 || allReady(ps.updated) || !podReady(v) {
				return r.deletePod(ctx, s, v, "Replaced")
			}
			return nil
		}
		return r.deletePod(ctx, s, pickVictim(s.an, ps.updated), "ScaledDown")
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
	uid := p.UID
	err := r.Delete(ctx, p, client.Preconditions{UID: &uid})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // already gone (stale cache) or replaced under the same name
	}
	if err != nil {
		return fmt.Errorf("delete pod %s: %w", p.Name, err)
	}
	s.deleted = append(s.deleted, p.Name)
	r.event(s.an, corev1.EventTypeNormal, reason, "Delete", "Deleted pod %s", p.Name)
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
	}}
}
