package deliver

import (
	"context"
	"sync"
	"time"
)

// limiter bounds the attempts in flight to each endpoint, so that a slow endpoint holds at
// most a few workers of the shared pool. A job waits briefly for a slot and is otherwise
// snoozed, releasing its worker.
type limiter struct {
	mu    sync.Mutex
	max   int
	slots map[string]chan struct{}
}

func newLimiter(max int) *limiter { return &limiter{max: max, slots: map[string]chan struct{}{}} }

// acquire takes a slot for the endpoint, waiting at most wait; ok is false when none
// freed up in time.
func (l *limiter) acquire(ctx context.Context, endpoint string, wait time.Duration) (release func(), ok bool) {
	l.mu.Lock()
	ch := l.slots[endpoint]
	if ch == nil {
		ch = make(chan struct{}, l.max)
		l.slots[endpoint] = ch
	}
	l.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, true
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, true
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false
}
