package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	audiov1 "github.com/audionode/audionode/api/v1alpha1"
)

// waitStatus polls the AudioNode until cond accepts it.
func waitStatus(t *testing.T, an *audiov1.AudioNode, what string, cond func(*audiov1.AudioNode) error) *audiov1.AudioNode {
	t.Helper()
	var cur *audiov1.AudioNode
	eventually(t, what, func() error {
		cur = getAN(t, an)
		return cond(cur)
	})
	return cur
}

// fleetSize accepts a status with want desired pods, all ready, and the
// given player total (known on every pod).
func fleetSize(want int32, players int32) func(*audiov1.AudioNode) error {
	return func(cur *audiov1.AudioNode) error {
		st := cur.Status
		if st.DesiredReplicas != want || st.ReadyReplicas != want || st.Replicas != want || st.Players != players {
			return fmt.Errorf("desired %d ready %d replicas %d players %d, want %d pods and %d players (pods %+v)",
				st.DesiredReplicas, st.ReadyReplicas, st.Replicas, st.Players, want, players, st.Pods)
		}
		for _, p := range st.Pods {
			if p.Players == nil {
				return fmt.Errorf("pod %s load unknown", p.Name)
			}
		}
		return nil
	}
}

// eventNotes lists the notes of an AudioNode's events by reason.
func eventNotes(t *testing.T, an *audiov1.AudioNode) map[string][]string {
	t.Helper()
	var evs eventsv1.EventList
	if err := k8s.List(context.Background(), &evs, client.InNamespace(an.Namespace)); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, e := range evs.Items {
		if e.Regarding.Kind == "AudioNode" && e.Regarding.Name == an.Name {
			out[e.Reason] = append(out[e.Reason], e.Note)
		}
	}
	return out
}

func hasNote(notes []string, sub string) bool {
	return slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, sub) })
}

// consistently checks cond for d, every 100 ms.
func consistently(t *testing.T, what string, d time.Duration, cond func() error) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if err := cond(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
}

// TestFleetAutoscaleFollowsPlayers: with spec.replicas unset the fleet
// follows ceil(players / targetPlayersPerPod) up and down; the scale-down
// drains the emptiest pod and no player elsewhere is interrupted.
func TestFleetAutoscaleFollowsPlayers(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	pw := fleetSecret(t, ns)
	an := sampleAN(ns, "auto", nil)
	an.Spec.Autoscaling = &audiov1.Autoscaling{MinReplicas: ptr.To[int32](1), MaxReplicas: ptr.To[int32](4), TargetPlayersPerPod: ptr.To[int32](2),
		ScaleUpStabilizationSeconds: ptr.To[int32](0), ScaleDownStabilizationSeconds: ptr.To[int32](0)}
	an.Spec.Recycle = &audiov1.Recycle{DrainTimeoutSeconds: ptr.To[int32](60)}
	if err := k8s.Create(ctx, an); err != nil {
		t.Fatal(err)
	}
	k := startKubelet(t, an, pw)
	waitStatus(t, an, "one pod, no players", fleetSize(1, 0))
	// Voluntary evictions take serving pods one at a time; unready ones (draining, starting) always.
	var pdb policyv1.PodDisruptionBudget
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(an), &pdb); err != nil {
		t.Fatal(err)
	}
	if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 || pdb.Spec.UnhealthyPodEvictionPolicy == nil ||
		*pdb.Spec.UnhealthyPodEvictionPolicy != policyv1.AlwaysAllow || pdb.Spec.Selector.MatchLabels[audiov1.LabelFleet] != "auto" ||
		!metav1IsControlledBy(&pdb, getAN(t, an)) {
		t.Fatalf("pdb %+v", pdb)
	}

	c0 := connectClient(t, k.node("auto-0"), pw)
	c0.addPlayers(1, 2, 3)
	waitStatus(t, an, "3 players: 2 pods", fleetSize(2, 3))

	c1 := connectClient(t, k.node("auto-1"), pw)
	c1.addPlayers(4, 5)
	cur := waitStatus(t, an, "5 players: 3 pods", fleetSize(3, 5))
	if s, _ := podSummary(cur, "auto-0"); s.Players == nil || *s.Players != 3 || s.MemoryBytes == nil || *s.MemoryBytes == 0 || s.OpenFDs == nil || *s.OpenFDs == 0 {
		t.Fatalf("auto-0 summary %+v", s)
	}

	// 4 players call for 2 pods: the emptiest (auto-2, no players) drains and goes.
	c0.removePlayers(3)
	waitStatus(t, an, "4 players: 2 pods", fleetSize(2, 4))
	if got := podNames(listPods(t, an)); !slices.Equal(got, []string{"auto-0", "auto-1"}) {
		t.Fatalf("pods after scale-down %v, want auto-0 and auto-1", got)
	}
	eventually(t, "auto-2's node stopped", func() error {
		if !slices.Contains(k.removedPods(), "auto-2") {
			return fmt.Errorf("removed %v", k.removedPods())
		}
		return nil
	})
	if c0.interrupted() || c1.interrupted() {
		t.Fatalf("a client on a remaining pod was cut off: %v %v", c0.closeErr, c1.closeErr)
	}
	if c0.players() != 2 || c1.players() != 2 {
		t.Fatalf("players on remaining pods: %d %d", c0.players(), c1.players())
	}
	eventually(t, "drain events", func() error {
		ev := eventNotes(t, an)
		if !hasNote(ev[reasonDraining], "auto-2") || !hasNote(ev[reasonScaledDown], "Deleted pod auto-2: no players left") || len(ev[reasonAutoscaled]) == 0 {
			return fmt.Errorf("events %v", ev)
		}
		return nil
	})
}

// TestFleetDrainWaitsForPlayers: an explicit scale-down drains the pod with
// the fewest players through the admin endpoint; the pod stays (phase
// Draining, node refusing new players) while a player remains, and goes
// when drainTimeoutSeconds passes (fake time). spec.replicas wins over the
// autoscaler.
func TestFleetDrainWaitsForPlayers(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	pw := fleetSecret(t, ns)
	an := sampleAN(ns, "drain", ptr.To[int32](2))
	// Would want 3 pods; spec.replicas wins.
	an.Spec.Autoscaling = &audiov1.Autoscaling{TargetPlayersPerPod: ptr.To[int32](1), MaxReplicas: ptr.To[int32](5)}
	an.Spec.Recycle = &audiov1.Recycle{DrainTimeoutSeconds: ptr.To[int32](600)}
	if err := k8s.Create(ctx, an); err != nil {
		t.Fatal(err)
	}
	k := startKubelet(t, an, pw)
	waitStatus(t, an, "two pods", fleetSize(2, 0))
	c0 := connectClient(t, k.node("drain-0"), pw)
	c0.addPlayers(1, 2)
	c1 := connectClient(t, k.node("drain-1"), pw)
	c1.addPlayers(3)
	waitStatus(t, an, "three players, still 2 pods", fleetSize(2, 3))

	if err := updateAN(t, an, func(a *audiov1.AudioNode) { a.Spec.Replicas = ptr.To[int32](1) }); err != nil {
		t.Fatal(err)
	}
	n1 := k.node("drain-1")
	waitStatus(t, an, "drain-1 draining", func(cur *audiov1.AudioNode) error {
		s, _ := podSummary(cur, "drain-1")
		c := meta.FindStatusCondition(cur.Status.Conditions, audiov1.ConditionProgressing)
		if s.Phase != audiov1.PodDraining || c == nil || c.Reason != ReasonDraining {
			return fmt.Errorf("drain-1 %+v, progressing %+v", s, c)
		}
		return nil
	})
	if code, body := httpDo("GET", n1.base+"/audionode/v1/state", pw, ""); !strings.Contains(body, `"draining"`) {
		t.Fatalf("node state %d %s", code, body)
	}
	if code, _ := httpDo("PATCH", fmt.Sprintf("%s/v4/sessions/%s/players/9", c1.base, c1.session), pw, `{"volume":50}`); code != 503 {
		t.Fatalf("new player on a draining node: %d, want 503", code)
	}
	// Its player is still there and the timeout is far: the pod stays.
	consistently(t, "draining pod with a player stays", 2500*time.Millisecond, func() error {
		if got := podNames(listPods(t, an)); len(got) != 2 {
			return fmt.Errorf("pods %v", got)
		}
		return nil
	})
	clockSkew.Add(int64(601 * time.Second))
	eventually(t, "drain timeout removes drain-1", func() error {
		if got := podNames(listPods(t, an)); !slices.Equal(got, []string{"drain-0"}) {
			return fmt.Errorf("pods %v", got)
		}
		return nil
	})
	if c0.interrupted() || c0.players() != 2 {
		t.Fatalf("drain-0's client: interrupted %v, players %d", c0.interrupted(), c0.players())
	}
	eventually(t, "timeout event", func() error {
		if ev := eventNotes(t, an); !hasNote(ev[reasonScaledDown], "drain timeout 10m0s passed with 1 players") {
			return fmt.Errorf("events %v", ev)
		}
		return nil
	})
}

// TestFleetRecyclesLeakyPods: pods that exceed recycle.maxOpenFDs are
// replaced one at a time (maxConcurrent 1): a new pod first, then the old
// one drains and goes once its player left.
func TestFleetRecyclesLeakyPods(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	pw := fleetSecret(t, ns)
	an := sampleAN(ns, "rc", ptr.To[int32](2))
	an.Spec.Recycle = &audiov1.Recycle{MaxOpenFDs: ptr.To[int64](64), MaxConcurrent: ptr.To[int32](1), DrainTimeoutSeconds: ptr.To[int32](600)}
	if err := k8s.Create(ctx, an); err != nil {
		t.Fatal(err)
	}
	k := startKubelet(t, an, pw)
	waitStatus(t, an, "two pods", fleetSize(2, 0))
	clients := map[string]*lavaClient{}
	for i, name := range []string{"rc-0", "rc-1"} {
		clients[name] = connectClient(t, k.node(name), pw)
		clients[name].addPlayers(i + 1)
	}
	waitStatus(t, an, "two players", fleetSize(2, 2))

	// Watch every step: never more than one pod recycling, and a pod
	// drains for a recycle only while two other pods serve.
	var (
		mu                       sync.Mutex
		maxRecycling, violations int
		why                      string
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(30 * time.Millisecond):
			}
			var list corev1.PodList
			if err := k8s.List(ctx, &list, client.InNamespace(ns)); err != nil {
				continue
			}
			recycling, serving, drainingRecycle := 0, 0, ""
			for _, p := range list.Items {
				_, rc := p.Annotations[audiov1.AnnotationRecycle]
				_, dr := p.Annotations[audiov1.AnnotationDrain]
				switch {
				case rc:
					recycling++
					if dr {
						drainingRecycle = p.Name
					}
				case !dr && podReady(&p):
					serving++
				}
			}
			mu.Lock()
			maxRecycling = max(maxRecycling, recycling)
			if drainingRecycle != "" && serving < 2 {
				violations++
				why = fmt.Sprintf("%s drains with %d serving pods", drainingRecycle, serving)
			}
			mu.Unlock()
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	for _, name := range []string{"rc-0", "rc-1"} {
		if code, body := httpDo("POST", k.node(name).base+"/audionode/v1/testing/leak", pw, `{"fds":100}`); code != 200 {
			t.Fatalf("leak: %d %s", code, body)
		}
	}
	for round := range 2 {
		// One of the leaky pods is replaced: surge, then drain.
		var victim string
		eventually(t, "a recycled pod drains", func() error {
			for _, p := range listPods(t, an) {
				if p.Annotations[audiov1.AnnotationRecycle] == "OpenFDLimit" && p.Annotations[audiov1.AnnotationDrain] != "" {
					victim = p.Name
					return nil
				}
			}
			return fmt.Errorf("round %d: pods %v", round, podNames(listPods(t, an)))
		})
		waitStatus(t, an, "victim shown draining", func(cur *audiov1.AudioNode) error {
			s, _ := podSummary(cur, victim)
			c := meta.FindStatusCondition(cur.Status.Conditions, audiov1.ConditionProgressing)
			if s.Phase != audiov1.PodDraining || c == nil || c.Reason != ReasonRecycling {
				return fmt.Errorf("victim %s summary %+v, progressing %+v", victim, s, c)
			}
			return nil
		})
		// Its player keeps it; the other leaky pod waits (maxConcurrent 1).
		consistently(t, "one recycle at a time", time.Second, func() error {
			n := 0
			for _, p := range listPods(t, an) {
				if p.Annotations[audiov1.AnnotationRecycle] != "" {
					n++
				}
			}
			if n != 1 || len(listPods(t, an)) != 3 {
				return fmt.Errorf("%d recycling, pods %v", n, podNames(listPods(t, an)))
			}
			return nil
		})
		// The bot moves its player elsewhere: the drained pod goes.
		clients[victim].close()
		eventually(t, "victim removed", func() error {
			if slices.Contains(podNames(listPods(t, an)), victim) {
				return fmt.Errorf("%s still there", victim)
			}
			return nil
		})
		for name, c := range clients {
			if name != victim && slices.Contains(podNames(listPods(t, an)), name) && c.interrupted() {
				t.Fatalf("client of %s cut off", name)
			}
		}
		delete(clients, victim)
	}
	cur := waitStatus(t, an, "two fresh pods", fleetSize(2, 0))
	for _, s := range cur.Status.Pods {
		if *s.OpenFDs > 64 {
			t.Fatalf("pod %s still leaks: %+v", s.Name, s)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if maxRecycling != 1 || violations != 0 {
		t.Fatalf("max %d recycling at once, %d surge violations (%s)", maxRecycling, violations, why)
	}
	ev := eventNotes(t, an)
	if len(ev[reasonRecycling]) == 0 || len(ev[reasonRecycled]) == 0 || len(ev[reasonDraining]) == 0 {
		t.Fatalf("events %v", ev)
	}
}

// TestFleetUnknownPodBlocksScaleDown: a pod whose metrics cannot be read
// counts as unknown (never zero players): the autoscaler does not shrink
// the fleet until it can be read again.
func TestFleetUnknownPodBlocksScaleDown(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	pw := fleetSecret(t, ns)
	an := sampleAN(ns, "un", nil)
	an.Spec.Autoscaling = &audiov1.Autoscaling{TargetPlayersPerPod: ptr.To[int32](1), MaxReplicas: ptr.To[int32](3),
		ScaleDownStabilizationSeconds: ptr.To[int32](0)}
	if err := k8s.Create(ctx, an); err != nil {
		t.Fatal(err)
	}
	k := startKubelet(t, an, pw)
	waitStatus(t, an, "one pod", fleetSize(1, 0))
	c0 := connectClient(t, k.node("un-0"), pw)
	c0.addPlayers(1, 2)
	waitStatus(t, an, "two players: two pods", fleetSize(2, 2))

	k.makeUnreachable("un-1")
	c0.removePlayers(1, 2)
	waitStatus(t, an, "un-1 unknown, un-0 empty", func(cur *audiov1.AudioNode) error {
		s0, _ := podSummary(cur, "un-0")
		s1, _ := podSummary(cur, "un-1")
		if s0.Players == nil || *s0.Players != 0 || s1.Players != nil || s1.Address == "" {
			return fmt.Errorf("summaries %+v %+v", s0, s1)
		}
		return nil
	})
	consistently(t, "unknown pod blocks scale-down", 3*time.Second, func() error {
		cur := getAN(t, an)
		if cur.Status.DesiredReplicas != 2 || len(listPods(t, an)) != 2 {
			return fmt.Errorf("desired %d, pods %v", cur.Status.DesiredReplicas, podNames(listPods(t, an)))
		}
		return nil
	})
	if ev := eventNotes(t, an); !hasNote(ev[reasonScaleDownBlocked], "the load of un-1 is unknown") {
		t.Fatalf("events %v", ev)
	}
	k.restore("un-1")
	waitStatus(t, an, "readable again: one pod", fleetSize(1, 0))
}

// TestFleetRolloutDrains: a rollout surges the new pod, then drains the old
// one; it goes only once its player left, not before.
func TestFleetRolloutDrains(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	pw := fleetSecret(t, ns)
	an := sampleAN(ns, "ro", ptr.To[int32](1))
	an.Spec.Recycle = &audiov1.Recycle{DrainTimeoutSeconds: ptr.To[int32](600)}
	if err := k8s.Create(ctx, an); err != nil {
		t.Fatal(err)
	}
	k := startKubelet(t, an, pw)
	waitStatus(t, an, "one pod", fleetSize(1, 0))
	c0 := connectClient(t, k.node("ro-0"), pw)
	c0.addPlayers(7)
	oldRev := waitStatus(t, an, "one player", fleetSize(1, 1)).Status.CurrentRevision

	if err := updateAN(t, an, func(a *audiov1.AudioNode) {
		a.Spec.PodTemplate.Annotations = map[string]string{"example.com/roll": "1"}
	}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, an, "ro-0 drains behind its replacement", func(cur *audiov1.AudioNode) error {
		s0, _ := podSummary(cur, "ro-0")
		s1, _ := podSummary(cur, "ro-1")
		if cur.Status.CurrentRevision == oldRev || s0.Phase != audiov1.PodDraining || s1.Phase != audiov1.PodServing {
			return fmt.Errorf("pods %+v", cur.Status.Pods)
		}
		return nil
	})
	consistently(t, "the old pod stays while its player does", 1500*time.Millisecond, func() error {
		if got := podNames(listPods(t, an)); !slices.Equal(got, []string{"ro-0", "ro-1"}) {
			return fmt.Errorf("pods %v", got)
		}
		if c0.interrupted() || c0.players() != 1 {
			return fmt.Errorf("player cut off")
		}
		return nil
	})
	c0.close() // the bot moves its player to ro-1
	waitStatus(t, an, "rolled", func(cur *audiov1.AudioNode) error {
		if err := fleetSize(1, 0)(cur); err != nil {
			return err
		}
		if len(cur.Status.Pods) != 1 || cur.Status.Pods[0].Name != "ro-1" || cur.Status.Pods[0].Revision != cur.Status.CurrentRevision {
			return fmt.Errorf("pods %+v", cur.Status.Pods)
		}
		return nil
	})
	eventually(t, "replaced event", func() error {
		if ev := eventNotes(t, an); !hasNote(ev[reasonReplaced], "Deleted pod ro-0: no players left") {
			return fmt.Errorf("events %v", ev)
		}
		return nil
	})
}
