// Package sched is the shared 20 ms send scheduler. A few shard goroutines
// (about one per core) each own many senders and tick at absolute
// deadlines with staggered phases. Per tick and sender: pull one frame,
// apply the optional frame transform (DAVE), build the RTP header, seal it
// with the transport AEAD into a preallocated buffer and write it. There is
// no goroutine, timer or ticker per sender, and the tick takes no locks,
// logs nothing and allocates nothing; senders join and leave through a
// channel processed between ticks. A shard more than three frames late
// resynchronises instead of bursting.
package sched

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Scheduler.
type Options struct {
	Shards   int           // default runtime.GOMAXPROCS(0)
	Interval time.Duration // default 20 ms
}

// Stats are cumulative scheduler-wide counters.
type Stats struct {
	Senders int
	Ticks   uint64 // shard ticks
	Resyncs uint64 // ticks more than 3 intervals late
	Sent    uint64
	Nulled  uint64
	// Deficit counts sender ticks that neither sent nor nulled (speaking
	// handshake, silence tail, frozen senders).
	Deficit uint64
	// Panics counts senders stopped because their source or transform
	// panicked.
	Panics uint64
	// Busy is the time shards spent sending (wall clock inside ticks), the
	// scheduler's CPU cost when shards are not preempted.
	Busy time.Duration
	// BusyMax is the longest single tick: a tick longer than the interval
	// means the senders (not the machine) made the shard late.
	BusyMax time.Duration
	// Stalls counts shard wake-ups more than one interval late plus ticks
	// that took longer than one interval: each can delay a packet by
	// more than a frame.
	Stalls uint64
	// Shard wake-up lateness against the absolute deadline.
	LateP50, LateP99, LateMax time.Duration
}

// lateBuckets are 50 µs wide up to 50 ms.
const (
	lateBucket  = 50 * time.Microsecond
	lateBuckets = 1001
)

type ctlOp struct {
	s    *Sender
	add  bool
	done chan struct{}
}

type shard struct {
	phase    time.Duration
	interval time.Duration
	ctl      chan ctlOp
	senders  []*Sender
	count    atomic.Int64

	ticks, resyncs, sent, nulled atomic.Uint64
	deficit, panics, stalls      atomic.Uint64
	busy, busyMax                atomic.Int64
	late                         [lateBuckets]atomic.Uint64
	lateMax                      atomic.Int64
}

// Scheduler runs the shards. Create it with New and stop it with Close.
type Scheduler struct {
	shards []*shard
	quit   chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex // guards closed and shard choice
	closed bool
}

// New starts a scheduler.
func New(opts Options) *Scheduler {
	if opts.Shards <= 0 {
		opts.Shards = runtime.GOMAXPROCS(0)
	}
	if opts.Interval <= 0 {
		opts.Interval = 20 * time.Millisecond
	}
	s := &Scheduler{quit: make(chan struct{})}
	start := time.Now()
	for i := range opts.Shards {
		sh := &shard{
			phase:    opts.Interval * time.Duration(i) / time.Duration(opts.Shards),
			interval: opts.Interval,
			ctl:      make(chan ctlOp),
		}
		s.shards = append(s.shards, sh)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			sh.run(start, s.quit)
		}()
	}
	return s
}

// Add puts snd on the least loaded shard; it sends from the next tick.
func (s *Scheduler) Add(snd *Sender) error {
	if !snd.added.CompareAndSwap(false, true) {
		return ErrAdded
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		snd.added.Store(false)
		return ErrClosed
	}
	best := s.shards[0]
	for _, sh := range s.shards[1:] {
		if sh.count.Load() < best.count.Load() {
			best = sh
		}
	}
	best.count.Add(1)
	snd.shard = best
	s.mu.Unlock()
	return s.do(best, ctlOp{s: snd, add: true, done: make(chan struct{})})
}

// Remove takes snd off its shard and returns once the shard no longer
// touches it (at most one tick's work away), so the caller may close the
// socket and reuse the frame source. Removing twice is a no-op.
func (s *Scheduler) Remove(snd *Sender) {
	if !snd.added.CompareAndSwap(true, false) {
		return
	}
	sh := snd.shard
	sh.count.Add(-1)
	_ = s.do(sh, ctlOp{s: snd, done: make(chan struct{})})
}

func (s *Scheduler) do(sh *shard, op ctlOp) error {
	select {
	case sh.ctl <- op:
		<-op.done
		return nil
	case <-s.quit:
		return ErrClosed
	}
}

// Stats sums the shards' counters.
func (s *Scheduler) Stats() Stats {
	var st Stats
	var late [lateBuckets]uint64
	var n uint64
	for _, sh := range s.shards {
		st.Senders += int(sh.count.Load())
		st.Ticks += sh.ticks.Load()
		st.Resyncs += sh.resyncs.Load()
		st.Sent += sh.sent.Load()
		st.Nulled += sh.nulled.Load()
		st.Deficit += sh.deficit.Load()
		st.Panics += sh.panics.Load()
		st.Stalls += sh.stalls.Load()
		st.Busy += time.Duration(sh.busy.Load())
		st.BusyMax = max(st.BusyMax, time.Duration(sh.busyMax.Load()))
		st.LateMax = max(st.LateMax, time.Duration(sh.lateMax.Load()))
		for i := range late {
			v := sh.late[i].Load()
			late[i] += v
			n += v
		}
	}
	q := func(f float64) time.Duration {
		if n == 0 {
			return 0
		}
		target, seen := uint64(f*float64(n)+0.5), uint64(0)
		target = max(target, 1)
		for i, c := range late {
			seen += c
			if seen >= target {
				return time.Duration(i+1) * lateBucket
			}
		}
		return st.LateMax
	}
	st.LateP50, st.LateP99 = q(0.5), q(0.99)
	return st
}

// Close stops every shard and waits for them. Senders still added stop
// sending. Idempotent.
func (s *Scheduler) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.quit)
	s.mu.Unlock()
	s.wg.Wait()
}

func (sh *shard) apply(op ctlOp) {
	if op.add {
		op.s.index = len(sh.senders)
		sh.senders = append(sh.senders, op.s)
	} else if i := op.s.index; i < len(sh.senders) && sh.senders[i] == op.s {
		last := len(sh.senders) - 1
		sh.senders[i] = sh.senders[last]
		sh.senders[i].index = i
		sh.senders[last] = nil
		sh.senders = sh.senders[:last]
	}
	close(op.done)
}

// run ticks at start+phase+k*interval until quit closes.
func (sh *shard) run(start time.Time, quit <-chan struct{}) {
	next := start.Add(sh.phase)
	lastEnd := start
	timer := time.NewTimer(time.Until(next))
	defer timer.Stop()
	idle := false // no senders: the timer is parked, an idle node sleeps
	for {
		select {
		case <-quit:
			return
		case op := <-sh.ctl:
			sh.apply(op)
			if idle && len(sh.senders) > 0 {
				// Back on this shard's phase grid, at the next slot.
				idle = false
				now := time.Now()
				k := now.Sub(start.Add(sh.phase))/sh.interval + 1
				next = start.Add(sh.phase + k*sh.interval)
				timer.Reset(next.Sub(now))
			}
			continue
		case <-timer.C:
		}
		if len(sh.senders) == 0 {
			idle = true
			continue
		}
		now := time.Now()
		late := now.Sub(next)
		sh.recordLate(late)
		if late > sh.interval {
			sh.stalls.Add(1)
		}
		if late > 3*sh.interval {
			// Too far behind: start a fresh timeline rather than burst the
			// missed frames out, at least one interval after the last tick.
			sh.resyncs.Add(1)
			next = lastEnd.Add(sh.interval)
			if next.After(now) {
				timer.Reset(next.Sub(now))
				continue
			}
			next = now
		}
		var sent, nulled uint64
		for i := 0; i < len(sh.senders); {
			var a, b uint64
			a, b, i = sh.tickFrom(i)
			sent += a
			nulled += b
		}
		lastEnd = time.Now()
		took := lastEnd.Sub(now)
		sh.busy.Add(int64(took))
		if int64(took) > sh.busyMax.Load() {
			sh.busyMax.Store(int64(took))
		}
		if took > sh.interval {
			sh.stalls.Add(1)
		}
		sh.ticks.Add(1)
		sh.sent.Add(sent)
		sh.nulled.Add(nulled)
		sh.deficit.Add(uint64(len(sh.senders)) - sent - nulled)
		next = next.Add(sh.interval)
		timer.Reset(time.Until(next))
	}
}

// tickFrom ticks senders from index i on. A panic (a broken frame source
// or transform) stops only the sender that raised it: it is frozen and
// counted, and the caller resumes with the next one.
func (sh *shard) tickFrom(i int) (sent, nulled uint64, next int) {
	next = i
	defer func() {
		if recover() != nil {
			s := sh.senders[next]
			s.frozen.Store(true)
			s.failed.Store(true)
			sh.panics.Add(1)
			next++
		}
	}()
	for ; next < len(sh.senders); next++ {
		a, b := sh.senders[next].tick()
		sent += a
		nulled += b
	}
	return sent, nulled, next
}

func (sh *shard) recordLate(d time.Duration) {
	if d < 0 {
		d = 0
	}
	i := int(d / lateBucket)
	if i >= lateBuckets {
		i = lateBuckets - 1
	}
	sh.late[i].Add(1)
	if int64(d) > sh.lateMax.Load() {
		sh.lateMax.Store(int64(d))
	}
}
