package uscis

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Priority orders waiters for a request slot.
type Priority int

// The priorities, lowest first.
const (
	// PriorityRoutine is the scheduler's background polling.
	PriorityRoutine Priority = iota
	// PriorityRefresh is a firm's explicit refresh; it goes before routine polling and may
	// use the quota reserve.
	PriorityRefresh
)

// String names the priority.
func (p Priority) String() string {
	if p == PriorityRefresh {
		return "refresh"
	}
	return "routine"
}

// Pacer hands out request slots at the global pace; higher priority waiters go first.
type Pacer interface {
	// Wait blocks until the caller may send one request, or ctx ends.
	Wait(ctx context.Context, p Priority) error
}

// RatePacer is an in-process Pacer: a token bucket from golang.org/x/time/rate and a
// priority queue of waiters. When a slot comes free it goes to the highest-priority
// waiter, first come first served within one priority. Slots are spaced evenly (burst 1).
type RatePacer struct {
	lim *rate.Limiter

	mu      sync.Mutex
	queue   waiters
	seq     uint64
	running bool
}

// NewRatePacer returns a pacer handing out perSecond slots a second.
func NewRatePacer(perSecond float64) *RatePacer {
	return &RatePacer{lim: rate.NewLimiter(rate.Limit(perSecond), 1)}
}

// Wait implements Pacer.
func (p *RatePacer) Wait(ctx context.Context, pr Priority) error {
	w := &waiter{prio: pr, ready: make(chan struct{})}
	p.mu.Lock()
	p.seq++
	w.seq = p.seq
	heap.Push(&p.queue, w)
	if !p.running {
		p.running = true
		go p.dispatch()
	}
	p.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if w.index >= 0 {
		heap.Remove(&p.queue, w.index)
	}
	return ctx.Err()
}

// dispatch takes a slot from the limiter and gives it to the best waiter, until no one
// waits. The slot is chosen at the moment it comes free, so a refresh that arrives while
// routine callers wait still goes first.
func (p *RatePacer) dispatch() {
	for {
		p.mu.Lock()
		if p.queue.Len() == 0 {
			p.running = false
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		if d := p.lim.Reserve().Delay(); d > 0 {
			time.Sleep(d)
		}
		p.mu.Lock()
		if p.queue.Len() > 0 {
			close(heap.Pop(&p.queue).(*waiter).ready)
		}
		p.mu.Unlock()
	}
}

type waiter struct {
	prio  Priority
	seq   uint64
	index int
	ready chan struct{}
}

// waiters is a heap: highest priority first, then arrival order.
type waiters []*waiter

func (q waiters) Len() int { return len(q) }
func (q waiters) Less(i, j int) bool {
	if q[i].prio != q[j].prio {
		return q[i].prio > q[j].prio
	}
	return q[i].seq < q[j].seq
}
func (q waiters) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *waiters) Push(x any) {
	w := x.(*waiter)
	w.index = len(*q)
	*q = append(*q, w)
}
func (q *waiters) Pop() any {
	old := *q
	w := old[len(old)-1]
	old[len(old)-1] = nil
	w.index = -1
	*q = old[:len(old)-1]
	return w
}
