package player

import (
	"sync/atomic"

	"github.com/audionode/audionode/node/audio"
)

// ring is a single-producer single-consumer queue of encoded frames in
// preallocated slots. The producer goroutine pushes; the send scheduler
// pops from its shard goroutine. Neither side locks or allocates.
type ring struct {
	slots [][audio.MaxOpusFrame]byte
	lens  []int32
	head  atomic.Uint64 // next slot to pop (consumer)
	tail  atomic.Uint64 // next slot to push (producer)
	space chan struct{} // consumer → producer: a slot was freed (capacity 1, never blocks)
}

func newRing(n int) *ring {
	if n < 2 {
		n = 2
	}
	return &ring{slots: make([][audio.MaxOpusFrame]byte, n), lens: make([]int32, n), space: make(chan struct{}, 1)}
}

func (r *ring) len() int { return int(r.tail.Load() - r.head.Load()) }

func (r *ring) full() bool { return r.len() >= len(r.slots) }

// slot returns the buffer the producer fills next; commit publishes it.
func (r *ring) slot() []byte { return r.slots[r.tail.Load()%uint64(len(r.slots))][:] }

func (r *ring) commit(n int) {
	t := r.tail.Load()
	r.lens[t%uint64(len(r.slots))] = int32(n)
	r.tail.Store(t + 1)
}

// pop copies the oldest frame into dst.
func (r *ring) pop(dst []byte) (int, bool) {
	h := r.head.Load()
	if h == r.tail.Load() {
		return 0, false
	}
	i := h % uint64(len(r.slots))
	n := copy(dst, r.slots[i][:r.lens[i]])
	r.head.Store(h + 1)
	select {
	case r.space <- struct{}{}:
	default:
	}
	return n, true
}

// reset empties the ring; only while no producer runs.
func (r *ring) reset() { r.head.Store(r.tail.Load()) }
