package detect

import "sync"

// Notifier wakes the watchers of a tenant's feed when its events commit in this process.
// Watchers must still read the database now and then: events written by another process on
// the same PostgreSQL do not pass through it.
type Notifier struct {
	mu    sync.Mutex
	waits map[string]chan struct{}
}

// NewNotifier returns a notifier with no watchers.
func NewNotifier() *Notifier { return &Notifier{waits: map[string]chan struct{}{}} }

// Wait returns a channel closed at the next Notify that names tenant. Take it before
// reading the feed, so an event that commits during the read is not missed.
func (n *Notifier) Wait(tenant string) <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	ch, ok := n.waits[tenant]
	if !ok {
		ch = make(chan struct{})
		n.waits[tenant] = ch
	}
	return ch
}

// Notify wakes every watcher of the named tenants.
func (n *Notifier) Notify(tenants ...string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, t := range tenants {
		if ch, ok := n.waits[t]; ok {
			close(ch)
			delete(n.waits, t)
		}
	}
}
