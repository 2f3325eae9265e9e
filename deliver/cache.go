package deliver

import (
	"context"
	"sync"
	"time"

	"github.com/casewire/casewire/ent"
)

// endpointTTL is how long a worker trusts an endpoint it read, with its opened keys.
// Changes made through this Service drop the entry at once; changes made by another
// process take effect within the TTL.
const endpointTTL = time.Second

// cachedEndpoint is an endpoint row and the keys that sign its deliveries.
type cachedEndpoint struct {
	row  *ent.WebhookEndpoint
	keys [][]byte
	at   time.Time
	// healthyAt is when this process last recorded a success and found the endpoint
	// healthy, so that successes in quick succession write the endpoint row once.
	healthyAt time.Time
}

// endpointCache saves workers a read and a decryption per delivery.
type endpointCache struct {
	mu sync.Mutex
	m  map[string]*cachedEndpoint
}

func newEndpointCache() *endpointCache { return &endpointCache{m: map[string]*cachedEndpoint{}} }

// get returns the endpoint and its signing keys, from the cache when fresh.
func (s *Service) endpointFor(ctx context.Context, id string) (*ent.WebhookEndpoint, [][]byte, error) {
	c := s.cache
	c.mu.Lock()
	e := c.m[id]
	c.mu.Unlock()
	if e != nil && time.Since(e.at) < endpointTTL {
		return e.row, e.keys, nil
	}
	row, err := s.fast.WebhookEndpoint.Get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	var keys [][]byte
	if row.Enabled && row.DeleteTime == nil {
		if keys, err = s.signingKeys(row); err != nil {
			return nil, nil, err
		}
	}
	c.mu.Lock()
	c.m[id] = &cachedEndpoint{row: row, keys: keys, at: time.Now()}
	c.mu.Unlock()
	return row, keys, nil
}

// drop forgets an endpoint after a change.
func (c *endpointCache) drop(id string) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

// recentlyHealthy reports whether this process recorded the endpoint healthy within the
// last second; markHealthy and markUnhealthy keep that note.
func (c *endpointCache) recentlyHealthy(id string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[id]
	return e != nil && now.Sub(e.healthyAt) < time.Second && now.Sub(e.healthyAt) >= 0
}

// trusted reports whether ep is trusted by what this process knows now: its cached row,
// which successes and failures update at once, or ep itself when none is cached.
func (c *endpointCache) trusted(ep *ent.WebhookEndpoint) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[ep.ID]; e != nil {
		return trusted(e.row)
	}
	return trusted(ep)
}

// markHealthy and markUnhealthy also bring the cached row's health up to date, so that
// the queue a job belongs on is decided on what this process has just seen. The row is
// copied: callers may hold the old one.
func (c *endpointCache) markHealthy(id string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[id]; e != nil {
		e.healthyAt = now
		if !trusted(e.row) {
			row := *e.row
			at := now.UTC()
			row.LastSuccessTime, row.FailingSinceTime = &at, nil
			e.row = &row
		}
	}
}

func (c *endpointCache) markUnhealthy(id string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[id]; e != nil {
		e.healthyAt = time.Time{}
		if e.row.FailingSinceTime == nil {
			row := *e.row
			at := now.UTC()
			row.FailingSinceTime = &at
			e.row = &row
		}
	}
}
