package drain

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestDrainFinishesWhenPlayersLeave(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var players atomic.Int64
		players.Store(3)
		var finished atomic.Int64
		d := New(Hooks{Players: func() int { return int(players.Load()) }, Finish: func() { finished.Add(1) }, Poll: 100 * time.Millisecond})
		defer d.Close()
		if d.Draining() || d.State().Phase != Serving {
			t.Fatal("not serving at start")
		}
		now := time.Now()
		s := d.Start(now, now.Add(time.Minute))
		if !d.Draining() || s.Phase != Draining || !s.Deadline.Equal(now.Add(time.Minute)) {
			t.Fatalf("got %+v", s)
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if finished.Load() != 0 {
			t.Fatal("finished with players left")
		}
		players.Store(0)
		time.Sleep(150 * time.Millisecond)
		synctest.Wait()
		if finished.Load() != 1 || d.State().Phase != Drained {
			t.Fatalf("finished %d phase %s", finished.Load(), d.State().Phase)
		}
		if !d.Draining() {
			t.Error("drained node accepts players again")
		}
	})
}

func TestDrainDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var finished atomic.Int64
		d := New(Hooks{Players: func() int { return 5 }, Finish: func() { finished.Add(1) }})
		defer d.Close()
		now := time.Now()
		d.Start(now, now.Add(30*time.Second))
		time.Sleep(29 * time.Second)
		synctest.Wait()
		if finished.Load() != 0 {
			t.Fatal("finished before the deadline")
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if finished.Load() != 1 {
			t.Fatal("deadline did not finish the drain")
		}
	})
}

func TestStartAgainOnlyShortens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var finished atomic.Int64
		d := New(Hooks{Players: func() int { return 1 }, Finish: func() { finished.Add(1) }})
		defer d.Close()
		now := time.Now()
		d.Start(now, now.Add(time.Minute))
		if s := d.Start(now, now.Add(time.Hour)); !s.Deadline.Equal(now.Add(time.Minute)) {
			t.Errorf("later deadline extended the drain: %v", s.Deadline)
		}
		if s := d.Start(now, now.Add(10*time.Second)); !s.Deadline.Equal(now.Add(10 * time.Second)) {
			t.Errorf("earlier deadline ignored: %v", s.Deadline)
		}
		time.Sleep(11 * time.Second)
		synctest.Wait()
		if finished.Load() != 1 {
			t.Fatalf("finished %d times, want 1", finished.Load())
		}
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if finished.Load() != 1 {
			t.Fatalf("superseded waiter also finished: %d", finished.Load())
		}
	})
}

func TestCloseStopsWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var finished atomic.Int64
		d := New(Hooks{Players: func() int { return 1 }, Finish: func() { finished.Add(1) }})
		now := time.Now()
		d.Start(now, now.Add(time.Minute))
		d.Close()
		d.Close()
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if finished.Load() != 0 {
			t.Fatal("finished after Close")
		}
		if s := d.Start(now, now.Add(time.Second)); s.Phase != Draining {
			t.Fatalf("phase %s", s.Phase)
		}
	})
}
