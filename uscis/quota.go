package uscis

import (
	"context"
	"sync"
	"time"
)

// QuotaStore counts requests in the current quota window, durably.
type QuotaStore interface {
	// Reserve records one use in the window starting at window if used < limit.
	Reserve(ctx context.Context, window time.Time, limit int) (used int, ok bool, err error)
	// Used returns the uses recorded in the window starting at window.
	Used(ctx context.Context, window time.Time) (int, error)
}

// QuotaWindow returns the start of the quota day containing t: the latest instant at or
// before t whose UTC clock reads resetHour:00:00. The window lasts 24 hours.
func QuotaWindow(t time.Time, resetHour int) time.Time {
	t = t.UTC()
	start := time.Date(t.Year(), t.Month(), t.Day(), resetHour, 0, 0, 0, time.UTC)
	if t.Before(start) {
		start = start.AddDate(0, 0, -1)
	}
	return start
}

// MemoryQuota is an in-process QuotaStore. It forgets windows older than the newest one
// it has seen, so it holds at most two counters.
type MemoryQuota struct {
	mu   sync.Mutex
	used map[time.Time]int
}

// NewMemoryQuota returns an empty MemoryQuota.
func NewMemoryQuota() *MemoryQuota { return &MemoryQuota{used: map[time.Time]int{}} }

// Reserve implements QuotaStore.
func (q *MemoryQuota) Reserve(_ context.Context, window time.Time, limit int) (int, bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.forgetBefore(window)
	n := q.used[window]
	if n >= limit {
		return n, false, nil
	}
	q.used[window] = n + 1
	return n + 1, true, nil
}

// Used implements QuotaStore.
func (q *MemoryQuota) Used(_ context.Context, window time.Time) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.used[window], nil
}

func (q *MemoryQuota) forgetBefore(window time.Time) {
	for w := range q.used {
		if w.Before(window) {
			delete(q.used, w)
		}
	}
}
