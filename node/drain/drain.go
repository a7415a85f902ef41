// Package drain is the node's drain mode: once started, the node refuses new
// players, fails readiness, reports itself saturated in stats, lets existing
// players finish until a deadline, and then asks its owner to close client
// sockets (with 1001, so clients move their players to other nodes).
//
// A Drainer owns at most one goroutine (the wait for "no players or the
// deadline"); Close cancels and waits for it.
package drain

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Phase names the node's state as GET /audionode/v1/state reports it.
type Phase string

const (
	Serving  Phase = "serving"
	Draining Phase = "draining"
	Drained  Phase = "drained" // the deadline passed or the last player left; sockets closed
)

// Hooks connect a Drainer to the node.
type Hooks struct {
	// Players returns the node's current player count.
	Players func() int
	// Finish is called once when draining completes (no players left, or the
	// deadline passed): the node closes client sockets with 1001.
	Finish func()
	// Poll is how often Players is checked; 0 means one second.
	Poll time.Duration
}

// Snapshot is the drain state at one moment.
type Snapshot struct {
	Phase    Phase
	Started  time.Time // zero while serving
	Deadline time.Time // zero while serving
}

// Drainer tracks and runs drain mode. The zero value is not usable; use New.
type Drainer struct {
	hooks    Hooks
	draining atomic.Bool // read on every player creation: no lock

	mu     sync.Mutex
	snap   Snapshot
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed bool
}

// New returns a Drainer in the serving phase.
func New(h Hooks) *Drainer {
	if h.Poll <= 0 {
		h.Poll = time.Second
	}
	return &Drainer{hooks: h, snap: Snapshot{Phase: Serving}}
}

// Draining reports whether new players must be refused (draining or drained).
func (d *Drainer) Draining() bool { return d.draining.Load() }

// State returns the current snapshot.
func (d *Drainer) State() Snapshot {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.snap
}

// Start enters drain mode with the given deadline. Starting again while
// draining only moves the deadline earlier (a SIGTERM after an admin drain
// must not extend the grace the admin chose, nor the reverse). It reports
// the resulting snapshot.
func (d *Drainer) Start(now, deadline time.Time) Snapshot {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed || d.snap.Phase == Drained {
		return d.snap
	}
	if d.snap.Phase == Draining {
		if deadline.Before(d.snap.Deadline) {
			d.snap.Deadline = deadline
			d.restartLocked()
		}
		return d.snap
	}
	d.snap = Snapshot{Phase: Draining, Started: now, Deadline: deadline}
	d.draining.Store(true)
	d.restartLocked()
	return d.snap
}

// restartLocked (re)starts the waiter for the current deadline.
func (d *Drainer) restartLocked() {
	if d.cancel != nil {
		d.cancel()
	}
	ctx, cancel := context.WithDeadline(context.Background(), d.snap.Deadline)
	d.cancel = cancel
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.wait(ctx)
	}()
}

func (d *Drainer) wait(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if ctx.Err() != context.DeadlineExceeded {
				return // superseded by a new deadline, or closed
			}
		case <-t.C:
			if d.hooks.Players() > 0 {
				t.Reset(d.hooks.Poll)
				continue
			}
		}
		d.finish(ctx)
		return
	}
}

func (d *Drainer) finish(ctx context.Context) {
	d.mu.Lock()
	// A newer waiter replaced this one between the wake-up and here.
	if d.snap.Phase != Draining || (ctx.Err() != nil && ctx.Err() != context.DeadlineExceeded) {
		d.mu.Unlock()
		return
	}
	d.snap.Phase = Drained
	d.mu.Unlock()
	if d.hooks.Finish != nil {
		d.hooks.Finish()
	}
}

// Close stops the waiter and waits for it. Idempotent.
func (d *Drainer) Close() {
	d.mu.Lock()
	d.closed = true
	if d.cancel != nil {
		d.cancel()
	}
	d.mu.Unlock()
	d.wg.Wait()
}
