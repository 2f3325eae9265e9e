package deliver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"entgo.io/ent/dialect"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/delivery"
	"github.com/casewire/casewire/ent/predicate"
	"github.com/casewire/casewire/ent/webhookendpoint"
	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/webhook"
)

// worker runs delivery jobs.
type worker struct {
	river.WorkerDefaults[deliverArgs]
	s *Service
}

// Work makes one attempt of a delivery, or snoozes the job while an earlier delivery of
// the same receipt to the same endpoint is pending or the endpoint is at its bound.
func (w *worker) Work(ctx context.Context, job *river.Job[deliverArgs]) error {
	return w.s.work(ctx, job.JobRow, job.Args.DeliveryID)
}

// slotWait is how long a job waits for its endpoint's bound before it snoozes.
const slotWait = 25 * time.Millisecond

// Bounds of what is kept of an answer.
const (
	maxStoredBody  = 4 << 10
	maxStoredError = 1 << 10
	maxDrained     = 64 << 10
)

func (s *Service) work(ctx context.Context, job *rivertype.JobRow, id string) error {
	d, err := s.fast.Delivery.Get(ctx, id)
	if ent.IsNotFound(err) || (err == nil && (d.State != StatePending || d.JobID != job.ID)) {
		return nil // done, or moved to another job
	}
	if err != nil {
		return err
	}
	ep, keys, err := s.endpointFor(ctx, d.EndpointID)
	switch {
	case err == nil && ep.Enabled && ep.DeleteTime == nil:
	case err == nil || ent.IsNotFound(err):
		return s.hold(ctx, d)
	default:
		return err
	}
	if job.Queue == Queue && !trusted(ep) {
		return s.inTx(ctx, func(tx *store.Tx) error {
			id, err := s.newJob(ctx, tx, d, QueueUntrusted, time.Time{})
			if err != nil {
				return err
			}
			return tx.Ent.Delivery.UpdateOneID(d.ID).SetJobID(id).Exec(ctx)
		})
	}
	if wait, err := s.waitFor(ctx, d); err != nil || wait > 0 {
		return cmpErr(err, river.JobSnooze(wait))
	}
	release, ok := s.limit.acquire(ctx, ep.ID, slotWait)
	if !ok {
		return river.JobSnooze(100*time.Millisecond + rand.N(200*time.Millisecond))
	}
	defer release()
	// An endpoint that has answered since its job was queued is not paced: its backlog
	// drains at the speed of its own bound.
	if wait := s.pace(ctx, ep); wait > 0 {
		return river.JobSnooze(wait)
	}
	ev, err := s.fast.Event.Get(ctx, d.EventID)
	if err != nil {
		return fmt.Errorf("deliver: event: %w", err)
	}
	return s.record(ctx, job.Queue, d, ep, s.send(ctx, ep.URL, keys, ev))
}

// paceWait is the longest a worker waits for the pace of untrusted endpoints; a job
// that would wait longer snoozes instead.
const paceWait = time.Second

// pace holds an attempt to an endpoint without a recent success to the shared pace of
// such attempts. It asks the cache, which knows of a success another worker has just
// recorded. It returns how long the job should snooze when the pace allows no
// attempt within paceWait, and zero when the attempt may start.
func (s *Service) pace(ctx context.Context, ep *ent.WebhookEndpoint) time.Duration {
	if s.cache.trusted(ep) {
		return 0
	}
	r := s.untrusted.Reserve()
	if !r.OK() {
		return paceWait
	}
	delay := r.Delay()
	if delay > paceWait {
		r.Cancel() // spread the snoozed jobs over twice the wait the pace asks
		return delay + rand.N(delay)
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return 0
	case <-ctx.Done():
		r.Cancel()
		return paceWait
	}
}

func cmpErr(first, second error) error {
	if first != nil {
		return first
	}
	return second
}

// hold pauses d when its endpoint is disabled and fails it when the endpoint is gone, as
// the endpoint's row says now: the cached row may be a second old. The row is locked
// (PostgreSQL; SQLite runs one transaction at a time), so an enable that commits later
// finds d paused and resumes it, and one that committed first is seen here. When the
// endpoint turns out to be enabled, d runs again at once. Only a d still waiting on the
// same job changes.
func (s *Service) hold(ctx context.Context, d *ent.Delivery) error {
	s.cache.drop(d.EndpointID)
	var again bool
	err := s.inTx(ctx, func(tx *store.Tx) error {
		q := tx.Ent.WebhookEndpoint.Query().Where(webhookendpoint.ID(d.EndpointID))
		if s.st.Dialect == dialect.Postgres {
			q.ForUpdate()
		}
		ep, err := q.Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return err
		}
		upd := tx.Ent.Delivery.Update().Where(delivery.ID(d.ID),
			delivery.State(StatePending), delivery.JobID(d.JobID)).ClearNextAttemptTime()
		switch {
		case ep == nil || ep.DeleteTime != nil:
			return upd.SetState(StateFailed).SetLastError("endpoint deleted").Exec(ctx)
		case !ep.Enabled:
			return upd.SetState(StatePaused).Exec(ctx)
		}
		again = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("deliver: hold delivery: %w", err)
	}
	if again {
		return river.JobSnooze(0)
	}
	return nil
}

// waitFor returns how long d must wait for an earlier pending delivery of the same
// receipt to the same endpoint: until that one's next attempt, or briefly when it is being
// attempted now. Its end wakes d at once (wakeNext), so the wait is a fallback.
func (s *Service) waitFor(ctx context.Context, d *ent.Delivery) (time.Duration, error) {
	if d.ReceiptNumber == "" {
		return 0, nil
	}
	prev, err := s.fast.Delivery.Query().Where(delivery.EndpointID(d.EndpointID),
		delivery.ReceiptNumber(d.ReceiptNumber),
		delivery.StateIn(StatePending, StatePaused), before(d)).
		Order(ent.Asc(delivery.FieldSequence), ent.Asc(delivery.FieldID)).First(ctx)
	if ent.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	wait := 250 * time.Millisecond
	if prev.NextAttemptTime != nil {
		wait = max(wait, min(prev.NextAttemptTime.Sub(s.cfg.Now())+time.Second, time.Hour))
	}
	return wait, nil
}

// before selects deliveries that go out before d: lower sequence, then lower id.
func before(d *ent.Delivery) predicate.Delivery {
	return delivery.Or(delivery.SequenceLT(d.Sequence),
		delivery.And(delivery.Sequence(d.Sequence), delivery.IDLT(d.ID)))
}

// wakeNext makes the next pending delivery of d's receipt to d's endpoint run now.
func (s *Service) wakeNext(ctx context.Context, tx *store.Tx, d *ent.Delivery) error {
	if d.ReceiptNumber == "" {
		return nil
	}
	next, err := tx.Ent.Delivery.Query().Where(delivery.EndpointID(d.EndpointID),
		delivery.ReceiptNumber(d.ReceiptNumber), delivery.State(StatePending),
		delivery.IDNEQ(d.ID), delivery.Not(before(d))).
		Order(ent.Asc(delivery.FieldSequence), ent.Asc(delivery.FieldID)).First(ctx)
	if ent.IsNotFound(err) || (err == nil && next.JobID == 0) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = s.river.JobRetryTx(ctx, tx.SQL, next.JobID)
	if err != nil && !errors.Is(err, river.ErrNotFound) {
		return fmt.Errorf("deliver: wake next delivery: %w", err)
	}
	return nil
}

// result is what one attempt came to.
type result struct {
	start      time.Time
	duration   time.Duration
	status     int
	body       string
	err        string
	retryAfter time.Duration
}

func (r result) ok() bool { return r.status >= 200 && r.status < 300 }

// send makes one signed POST of ev to rawURL.
func (s *Service) send(ctx context.Context, rawURL string, keys [][]byte, ev *ent.Event) (res result) {
	res = result{start: s.cfg.Now()}
	defer func() { res.duration = time.Since(res.start) }() // whichever way it ends
	payload, err := body(ev)
	if err != nil {
		res.err = err.Error()
		return res
	}
	if !s.cfg.AllowInsecure && !isHTTPS(rawURL) {
		res.err = "the URL is not https"
		return res
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(payload))
	if err != nil {
		res.err = "invalid URL"
		return res
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "casewire-webhooks/1")
	webhook.SetHeaders(req.Header, keys, ev.ID, res.start, payload)
	resp, err := s.client.Do(req)
	if err != nil {
		res.err = transportError(err, s.cfg.Timeout)
		return res
	}
	defer resp.Body.Close()
	res.status = resp.StatusCode
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxStoredBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrained))
	res.body = clean(b, maxStoredBody)
	res.err, res.retryAfter = answerError(resp, s.cfg.Now())
	return res
}

// isHTTPS reports whether rawURL is an https URL, in any case of its scheme.
func isHTTPS(rawURL string) bool {
	u, err := url.Parse(rawURL)
	return err == nil && u.Scheme == "https"
}

func answerError(resp *http.Response, now time.Time) (string, time.Duration) {
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return "", 0
	case code >= 300 && code < 400:
		return fmt.Sprintf("answered %d; redirects are not followed", code), 0
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		return fmt.Sprintf("answered %d", code), retryAfter(resp.Header.Get("Retry-After"), now)
	}
	return fmt.Sprintf("answered %d", code), 0
}

// retryAfter reads a Retry-After header in seconds or as an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, time.Second), maxRetryAfter)
}

// transportError describes a failed request without the URL, which may hold a token.
func transportError(err error, timeout time.Duration) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Sprintf("no answer within %s", timeout)
		}
		err = ue.Err
	}
	return clean([]byte(err.Error()), maxStoredError)
}

// clean makes a stored text valid UTF-8 without NUL bytes, at most n bytes long.
func clean(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "")
	for len(s) > n || !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
