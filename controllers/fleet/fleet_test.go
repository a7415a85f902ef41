package fleet

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func known(name string, players int) Pod { return Pod{Name: name, Known: true, Players: players} }

func TestRecommendWithoutWindows(t *testing.T) {
	p := Policy{MinReplicas: 1, MaxReplicas: 10, TargetPlayersPerPod: 100}
	tests := []struct {
		name    string
		pods    []Pod
		current int32
		want    int32
		reason  Reason
	}{
		{"empty fleet stays at min", nil, 1, 1, ReasonBounded},
		{"exact multiple", []Pod{known("a", 100), known("b", 100)}, 2, 2, ReasonPlayers},
		{"one player over rounds up", []Pod{known("a", 150), known("b", 51)}, 2, 3, ReasonPlayers},
		{"capped at max", []Pod{known("a", 5000)}, 1, 10, ReasonBounded},
		{"scale down when known", []Pod{known("a", 10), known("b", 0), known("c", 0)}, 3, 1, ReasonPlayers},
		{"unknown pod blocks scale-down", []Pod{known("a", 10), {Name: "b"}, known("c", 0)}, 3, 3, ReasonUnknownPods},
		{"unknown pod does not block scale-up", []Pod{known("a", 250), {Name: "b"}}, 2, 3, ReasonPlayers},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a Autoscaler
			d := a.Recommend(t0, tc.pods, tc.current, p)
			if d.Desired != tc.want || d.Reason != tc.reason {
				t.Errorf("got %d (%s), want %d (%s)", d.Desired, d.Reason, tc.want, tc.reason)
			}
		})
	}
}

func TestRecommendNoTargetStaysAtMin(t *testing.T) {
	var a Autoscaler
	d := a.Recommend(t0, []Pod{known("a", 900)}, 2, Policy{MinReplicas: 2, MaxReplicas: 5})
	if d.Desired != 2 || d.Reason != ReasonNoTarget {
		t.Errorf("got %+v", d)
	}
}

func TestStabilisationWindows(t *testing.T) {
	p := Policy{MinReplicas: 1, MaxReplicas: 20, TargetPlayersPerPod: 10,
		ScaleUpWindow: 30 * time.Second, ScaleDownWindow: 5 * time.Minute}
	var a Autoscaler
	cur := int32(1)
	step := func(at time.Duration, players int) Decision {
		d := a.Recommend(t0.Add(at), []Pod{known("a", players)}, cur, p)
		cur = d.Desired
		return d
	}
	// A spike must persist for the whole up-window before it scales up.
	if d := step(0, 5); d.Desired != 1 {
		t.Fatalf("t=0: %+v", d)
	}
	if d := step(10*time.Second, 45); d.Desired != 1 || d.Reason != ReasonStabilising {
		t.Fatalf("spike scaled up at once: %+v", d)
	}
	if d := step(25*time.Second, 45); d.Desired != 1 {
		t.Fatalf("scaled up while the t=0 sample is in the window: %+v", d)
	}
	if d := step(35*time.Second, 45); d.Desired != 5 {
		t.Fatalf("sustained load did not scale up: %+v", d)
	}
	// A drop holds for the down-window, then follows.
	if d := step(60*time.Second, 5); d.Desired != 5 || d.Reason != ReasonStabilising {
		t.Fatalf("dropped at once: %+v", d)
	}
	if d := step(4*time.Minute, 5); d.Desired != 5 {
		t.Fatalf("dropped inside the window: %+v", d)
	}
	if d := step(6*time.Minute, 5); d.Desired != 1 {
		t.Fatalf("did not follow after the window: %+v", d)
	}
}

func TestHistoryIsBounded(t *testing.T) {
	var a Autoscaler
	p := Policy{MinReplicas: 1, MaxReplicas: 3, TargetPlayersPerPod: 1, ScaleDownWindow: 1000 * time.Hour}
	for i := range maxHistory * 2 {
		a.Recommend(t0.Add(time.Duration(i)*time.Millisecond), nil, 1, p)
	}
	if len(a.history) != maxHistory {
		t.Fatalf("history %d, want %d", len(a.history), maxHistory)
	}
	a.Recommend(t0.Add(2000*time.Hour), nil, 1, p)
	if len(a.history) != 1 {
		t.Fatalf("old samples kept: %d", len(a.history))
	}
}

func TestChooseVictim(t *testing.T) {
	tests := []struct {
		name string
		pods []Pod
		want string
		ok   bool
	}{
		{"fewest players", []Pod{known("a", 5), known("b", 2), known("c", 9)}, "b", true},
		{"tie breaks by name", []Pod{known("b", 0), known("a", 0)}, "a", true},
		{"delete-first wins", []Pod{known("a", 0), {Name: "z", Known: true, Players: 50, DeleteFirst: true}}, "z", true},
		{"unknown skipped", []Pod{{Name: "a"}, known("b", 7)}, "b", true},
		{"unknown annotated chosen", []Pod{{Name: "a", DeleteFirst: true}, known("b", 0)}, "a", true},
		{"draining skipped", []Pod{{Name: "a", Known: true, Draining: true}, known("b", 3)}, "b", true},
		{"nothing", []Pod{{Name: "a"}, {Name: "b", Known: true, Draining: true}}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ChooseVictim(tc.pods)
			if ok != tc.ok || got.Name != tc.want {
				t.Errorf("got %q %v, want %q %v", got.Name, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestRecycle(t *testing.T) {
	l := Limits{MaxMemoryBytes: 1 << 30, MaxOpenFDs: 1000, MaxAge: 24 * time.Hour, MaxConcurrent: 2}
	now := t0
	pods := []Pod{
		{Name: "ok", Known: true, RSSBytes: 1 << 20, OpenFDs: 10, Created: now.Add(-time.Hour)},
		{Name: "old", Known: true, Created: now.Add(-48 * time.Hour)},
		{Name: "fds", Known: true, OpenFDs: 5000, Created: now},
		{Name: "mem-small", Known: true, RSSBytes: 1<<30 + 1, Created: now},
		{Name: "mem-big", Known: true, RSSBytes: 3 << 30, Created: now},
		{Name: "unknown-old", Created: now.Add(-30 * time.Hour)},
		{Name: "unknown", RSSBytes: 9 << 30, Created: now},
		{Name: "draining-mem", Known: true, RSSBytes: 9 << 30, Draining: true},
	}
	got := RecycleCandidates(pods, l, 0, now)
	if len(got) != 2 || got[0].Pod.Name != "mem-big" || got[1].Pod.Name != "mem-small" || got[0].Reason != RecycleMemory {
		t.Fatalf("got %+v", got)
	}
	got = RecycleCandidates(pods, Limits{MaxOpenFDs: 1000, MaxAge: 24 * time.Hour, MaxConcurrent: 10}, 0, now)
	names := []string{}
	for _, r := range got {
		names = append(names, r.Pod.Name+":"+string(r.Reason))
	}
	want := []string{"fds:OpenFDLimit", "old:MaxAge", "unknown-old:MaxAge"} // oldest first
	if len(names) != len(want) {
		t.Fatalf("got %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("got %v, want %v", names, want)
		}
	}
	if got := RecycleCandidates(pods, l, 2, now); got != nil {
		t.Errorf("cap ignored: %+v", got)
	}
	if got := RecycleCandidates(pods, Limits{MaxMemoryBytes: 1}, 0, now); len(got) != 1 {
		t.Errorf("MaxConcurrent 0 should mean 1: %+v", got)
	}
}
