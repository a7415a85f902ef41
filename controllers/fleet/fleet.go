// Package fleet holds the operator's pure decision logic for a fleet of
// audio node pods: how many pods the player count calls for (with
// stabilisation windows), which pod to remove on scale-down, and which pods
// to recycle. It has no Kubernetes dependencies and takes time as an
// argument, so every rule is unit-tested in fake time; the reconciler feeds
// it what it scraped from each pod.
package fleet

import (
	"cmp"
	"slices"
	"time"
)

// Pod is what the operator knows about one node pod.
type Pod struct {
	Name string
	// Known is false when the pod's metrics could not be read (timeout,
	// refused, stale). An unknown pod never counts as zero players.
	Known       bool
	Players     int
	Playing     int
	RSSBytes    int64
	OpenFDs     int64
	Created     time.Time
	DeleteFirst bool // the audio.audionode.dev/delete-first annotation
	Draining    bool // already being drained (scale-down or recycle)
}

// Policy is the autoscaling part of an AudioNode spec.
type Policy struct {
	MinReplicas         int32
	MaxReplicas         int32
	TargetPlayersPerPod int32
	ScaleUpWindow       time.Duration
	ScaleDownWindow     time.Duration
}

// Reason explains a recommendation, for status conditions and events.
type Reason string

const (
	ReasonPlayers     Reason = "PlayerCount" // follows ceil(players/target)
	ReasonBounded     Reason = "Bounded"     // clamped to min or max
	ReasonUnknownPods Reason = "UnknownPods" // scale-down blocked: some pod's load is unknown
	ReasonStabilising Reason = "Stabilising" // held by a stabilisation window
	ReasonNoTarget    Reason = "NoTarget"    // targetPlayersPerPod unset: stay at min
)

// maxHistory bounds the recommendation history whatever the windows are.
const maxHistory = 4096

type sample struct {
	at       time.Time
	replicas int32
}

// Autoscaler turns observed load into a desired replica count. It keeps a
// bounded history of raw recommendations for the stabilisation windows,
// following the Kubernetes HPA's behaviour: scale up to the lowest
// recommendation of the up-window, down to the highest of the down-window.
// One Autoscaler per AudioNode; not safe for concurrent use.
type Autoscaler struct {
	history []sample
}

// Decision is the result of one Recommend call.
type Decision struct {
	Desired int32  // what to write to status.desiredReplicas
	Raw     int32  // before stabilisation
	Players int    // players counted on known pods
	Reason  Reason // why Desired is what it is
}

// Recommend computes the desired replicas at now, given the current pods
// (draining pods excluded from capacity but their players counted) and the
// current desired value.
func (a *Autoscaler) Recommend(now time.Time, pods []Pod, current int32, p Policy) Decision {
	players, unknown := 0, 0
	for _, pod := range pods {
		if !pod.Known {
			unknown++
			continue
		}
		players += pod.Players
	}
	d := Decision{Players: players, Reason: ReasonPlayers}
	raw := p.MinReplicas
	if p.TargetPlayersPerPod > 0 {
		raw = int32((players + int(p.TargetPlayersPerPod) - 1) / int(p.TargetPlayersPerPod))
	} else {
		d.Reason = ReasonNoTarget
	}
	if raw < p.MinReplicas {
		raw, d.Reason = p.MinReplicas, ReasonBounded
	}
	if p.MaxReplicas > 0 && raw > p.MaxReplicas {
		raw, d.Reason = p.MaxReplicas, ReasonBounded
	}
	// Unknown pods may hold players: never shrink on partial information.
	if unknown > 0 && raw < current {
		raw, d.Reason = current, ReasonUnknownPods
	}
	d.Raw = raw
	a.record(now, raw, max(p.ScaleUpWindow, p.ScaleDownWindow))

	upRec, downRec := raw, raw
	for _, s := range a.history {
		age := now.Sub(s.at)
		if age <= p.ScaleUpWindow {
			upRec = min(upRec, s.replicas)
		}
		if age <= p.ScaleDownWindow {
			downRec = max(downRec, s.replicas)
		}
	}
	d.Desired = current
	if current < upRec {
		d.Desired = upRec
	} else if current > downRec {
		d.Desired = downRec
	}
	if d.Desired != raw && d.Reason != ReasonUnknownPods {
		d.Reason = ReasonStabilising
	}
	return d
}

func (a *Autoscaler) record(now time.Time, replicas int32, keep time.Duration) {
	cut := 0
	for cut < len(a.history) && now.Sub(a.history[cut].at) > keep {
		cut++
	}
	a.history = append(a.history[:0], a.history[cut:]...)
	if len(a.history) == maxHistory {
		a.history = a.history[1:]
	}
	a.history = append(a.history, sample{at: now, replicas: replicas})
}

// ChooseVictim picks the pod to drain on scale-down: a pod annotated
// delete-first wins; otherwise the known pod with the fewest players.
// Draining pods are skipped; unknown pods are chosen only if annotated.
// Ties break by name so the choice is deterministic. ok is false when no
// pod qualifies.
func ChooseVictim(pods []Pod) (victim Pod, ok bool) {
	var cands []Pod
	for _, p := range pods {
		if p.Draining || (!p.Known && !p.DeleteFirst) {
			continue
		}
		cands = append(cands, p)
	}
	if len(cands) == 0 {
		return Pod{}, false
	}
	slices.SortFunc(cands, func(a, b Pod) int {
		if a.DeleteFirst != b.DeleteFirst {
			if a.DeleteFirst {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.Players, b.Players), cmp.Compare(a.Name, b.Name))
	})
	return cands[0], true
}

// Limits is the recycle part of an AudioNode spec; zero disables a limit.
type Limits struct {
	MaxMemoryBytes int64
	MaxOpenFDs     int64
	MaxAge         time.Duration
	MaxConcurrent  int // at most this many pods recycling at once (0 means 1)
}

// RecycleReason says why a pod must be replaced.
type RecycleReason string

const (
	RecycleMemory RecycleReason = "MemoryLimit"
	RecycleFDs    RecycleReason = "OpenFDLimit"
	RecycleAge    RecycleReason = "MaxAge"
)

// Recycle is one pod to replace and why.
type Recycle struct {
	Pod    Pod
	Reason RecycleReason
}

// NeedsRecycle reports whether pod breaches a limit at now. Memory and FDs
// need known metrics; age does not.
func NeedsRecycle(pod Pod, l Limits, now time.Time) (RecycleReason, bool) {
	switch {
	case pod.Known && l.MaxMemoryBytes > 0 && pod.RSSBytes > l.MaxMemoryBytes:
		return RecycleMemory, true
	case pod.Known && l.MaxOpenFDs > 0 && pod.OpenFDs > l.MaxOpenFDs:
		return RecycleFDs, true
	case l.MaxAge > 0 && !pod.Created.IsZero() && now.Sub(pod.Created) > l.MaxAge:
		return RecycleAge, true
	}
	return "", false
}

// RecycleCandidates lists the pods to start recycling now: breaching pods
// not already draining, most urgent first (memory, then FDs, then age;
// within a reason the largest excess first), capped so that at most
// MaxConcurrent recycles run counting the inProgress ones.
func RecycleCandidates(pods []Pod, l Limits, inProgress int, now time.Time) []Recycle {
	limit := l.MaxConcurrent
	if limit <= 0 {
		limit = 1
	}
	room := limit - inProgress
	if room <= 0 {
		return nil
	}
	var out []Recycle
	for _, p := range pods {
		if p.Draining {
			continue
		}
		if r, ok := NeedsRecycle(p, l, now); ok {
			out = append(out, Recycle{Pod: p, Reason: r})
		}
	}
	rank := map[RecycleReason]int{RecycleMemory: 0, RecycleFDs: 1, RecycleAge: 2}
	slices.SortFunc(out, func(a, b Recycle) int {
		if c := cmp.Compare(rank[a.Reason], rank[b.Reason]); c != 0 {
			return c
		}
		switch a.Reason {
		case RecycleMemory:
			return cmp.Or(cmp.Compare(b.Pod.RSSBytes, a.Pod.RSSBytes), cmp.Compare(a.Pod.Name, b.Pod.Name))
		case RecycleFDs:
			return cmp.Or(cmp.Compare(b.Pod.OpenFDs, a.Pod.OpenFDs), cmp.Compare(a.Pod.Name, b.Pod.Name))
		default:
			return cmp.Or(a.Pod.Created.Compare(b.Pod.Created), cmp.Compare(a.Pod.Name, b.Pod.Name))
		}
	})
	if len(out) > room {
		out = out[:room]
	}
	return out
}
