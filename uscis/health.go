package uscis

import (
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Health is a readable snapshot of the client: whether the credentials work, how much of
// the quota is used and how often upstream throttled or failed. It holds no secret.
type Health struct {
	// CredentialsOK is false from the first refused credential until a status or a 404
	// shows they work again.
	CredentialsOK bool
	// ConsecutiveAuthFailures counts fetches in a row that ended unauthorized.
	ConsecutiveAuthFailures int
	// LastAuthError is the text of the last refusal, with the secret removed.
	LastAuthError string
	// FailingSince is when the current run of refusals began; zero while CredentialsOK.
	FailingSince time.Time
	// QuotaUsed is the use last counted in the current quota window.
	QuotaUsed int
	// QuotaLimit is the daily quota; RoutineLimit the part routine polling may use.
	QuotaLimit   int
	RoutineLimit int
	// QuotaResetsAt is when the current quota window ends.
	QuotaResetsAt time.Time
	// RateLimited, Unavailable and QuotaExhausted count fetches that ended that way.
	RateLimited    int64
	Unavailable    int64
	QuotaExhausted int64
}

// healthState is the mutable part of Health.
type healthState struct {
	mu             sync.Mutex
	authFailures   int
	lastAuthError  string
	failingSince   time.Time
	window         time.Time
	used           int
	rateLimited    int64
	unavailable    int64
	quotaExhausted int64
}

func (h *healthState) noteQuota(window time.Time, used int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if window.Before(h.window) {
		return
	}
	if window.After(h.window) || used > h.used {
		h.window, h.used = window, used
	}
}

// Health returns a snapshot of the client's state.
func (c *Client) Health() Health {
	h := c.health
	h.mu.Lock()
	defer h.mu.Unlock()
	window := QuotaWindow(c.now(), c.cfg.QuotaResetHour)
	used := h.used
	if !h.window.Equal(window) {
		used = 0
	}
	return Health{
		CredentialsOK:           h.authFailures == 0,
		ConsecutiveAuthFailures: h.authFailures,
		LastAuthError:           h.lastAuthError,
		FailingSince:            h.failingSince,
		QuotaUsed:               used,
		QuotaLimit:              c.cfg.DailyQuota,
		RoutineLimit:            c.cfg.routineLimit(),
		QuotaResetsAt:           window.Add(24 * time.Hour),
		RateLimited:             h.rateLimited,
		Unavailable:             h.unavailable,
		QuotaExhausted:          h.quotaExhausted,
	}
}

// record updates metrics, counters and the credential alarm after a Fetch.
func (c *Client) record(res Result) {
	c.m.results.WithLabelValues(res.Kind.String()).Inc()
	h := c.health
	h.mu.Lock()
	defer h.mu.Unlock()
	switch res.Kind {
	case KindRateLimited:
		h.rateLimited++
	case KindUnavailable:
		h.unavailable++
	case KindQuotaExhausted:
		h.quotaExhausted++
	case KindUnauthorized:
		c.authFailedLocked(res.Err)
	case KindStatus, KindNotFound:
		c.authWorkedLocked()
	}
}

// authFailedLocked raises the credential alarm: gauge to 0, counter up, and an Error log
// on the 1st, 10th, 100th… failure in a row so a long outage stays visible without flooding.
func (c *Client) authFailedLocked(err error) {
	h := c.health
	if err == nil {
		err = errors.New("unauthorized")
	}
	h.authFailures++
	h.lastAuthError = scrub(err.Error(), c.cfg.ClientSecret)
	if h.failingSince.IsZero() {
		h.failingSince = c.now()
	}
	c.m.credentials.Set(0)
	c.m.authFailures.Inc()
	if isPowerOfTen(h.authFailures) {
		c.log.Error("uscis credentials refused; case polling cannot proceed",
			slog.Int("consecutive_failures", h.authFailures),
			slog.Time("failing_since", h.failingSince),
			slog.String("client_id", c.cfg.ClientID),
			slog.String("error", h.lastAuthError))
	}
}

func (c *Client) authWorkedLocked() {
	h := c.health
	if h.authFailures == 0 {
		return
	}
	c.log.Info("uscis credentials accepted again",
		slog.Int("failures", h.authFailures), slog.Time("failing_since", h.failingSince))
	h.authFailures, h.lastAuthError, h.failingSince = 0, "", time.Time{}
	c.m.credentials.Set(1)
}

func isPowerOfTen(n int) bool {
	for n >= 10 && n%10 == 0 {
		n /= 10
	}
	return n == 1
}
