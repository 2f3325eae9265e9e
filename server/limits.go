package server

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Per-key rate defaults: steady polling plus bursts such as a batch import.
const (
	defaultKeyRate  = 50
	defaultKeyBurst = 100
)

// keyLimits holds one token bucket per API key.
type keyLimits struct {
	mu      sync.Mutex
	rate    rate.Limit
	burst   int
	buckets map[string]*rate.Limiter
}

func newKeyLimits(perSecond float64, burst int) *keyLimits {
	if perSecond <= 0 {
		perSecond = defaultKeyRate
	}
	if burst <= 0 {
		burst = defaultKeyBurst
	}
	return &keyLimits{rate: rate.Limit(perSecond), burst: burst, buckets: map[string]*rate.Limiter{}}
}

// allow spends one request of the key's budget, or answers when to retry.
func (l *keyLimits) allow(keyID string) error {
	l.mu.Lock()
	b, ok := l.buckets[keyID]
	if !ok {
		b = rate.NewLimiter(l.rate, l.burst)
		l.buckets[keyID] = b
	}
	l.mu.Unlock()
	r := b.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel()
		return tooManyRequests(max(d, time.Millisecond))
	}
	return nil
}
