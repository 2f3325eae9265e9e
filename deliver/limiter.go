package deliver

import "sync"

// limiter bounds the attempts in flight to each endpoint, so that a slow endpoint holds at
// most a few workers of the shared pool.
type limiter struct {
	mu    sync.Mutex
	max   int
	inUse map[string]int
}

func newLimiter(max int) *limiter { return &limiter{max: max, inUse: map[string]int{}} }

// acquire takes a slot for the endpoint without waiting; ok is false when all are taken.
func (l *limiter) acquire(endpoint string) (release func(), ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inUse[endpoint] >= l.max {
		return nil, false
	}
	l.inUse[endpoint]++
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.inUse[endpoint]--; l.inUse[endpoint] == 0 {
			delete(l.inUse, endpoint)
		}
	}, true
}
