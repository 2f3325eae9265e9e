package deliver

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/riverqueue/river"

	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/delivery"
	"github.com/casewire/casewire/ent/webhookendpoint"
	"github.com/casewire/casewire/store"
)

// record writes an attempt and its consequences in one transaction: the delivery's new
// state, the endpoint's health, and, when the endpoint must be disabled, that event. A
// failed attempt from the queue of healthy endpoints retries on the other queue.
func (s *Service) record(ctx context.Context, queue string, d *ent.Delivery, ep *ent.WebhookEndpoint, res result) error {
	var next error
	var notify, failed, healthy bool
	err := s.inTx(ctx, func(tx *store.Tx) error {
		next, notify, failed, healthy = nil, false, false, false
		if err := s.addAttempt(ctx, tx, d, res); err != nil {
			return err
		}
		upd := tx.Ent.Delivery.Update().Where(delivery.ID(d.ID)).AddAttemptCount(1).
			SetLastAttemptTime(res.start.UTC()).SetLastStatusCode(res.status).SetLastError(res.err)
		now := s.cfg.Now()
		switch {
		case res.ok():
			if err := upd.SetState(StateSucceeded).ClearNextAttemptTime().Exec(ctx); err != nil {
				return err
			}
			var err error
			if healthy, err = s.markSuccess(ctx, tx, ep.ID, now); err != nil {
				return err
			}
			return s.wakeNext(ctx, tx, d)
		case res.status == http.StatusGone:
			if err := upd.SetState(StatePaused).ClearNextAttemptTime().Exec(ctx); err != nil {
				return err
			}
			var err error
			notify, err = s.disable(ctx, tx, ep, "the endpoint answered 410 Gone")
			return err
		}
		// A failure changes the delivery only while it is pending: deleting the endpoint
		// during the attempt has failed it for good.
		upd.Where(delivery.State(StatePending))
		since := now
		if ep.FailingSinceTime != nil {
			since = *ep.FailingSinceTime
		}
		if now.Sub(since) >= s.cfg.DisableAfter {
			if err := upd.SetState(StatePaused).ClearNextAttemptTime().Exec(ctx); err != nil {
				return err
			}
			var err error
			notify, err = s.disable(ctx, tx, ep, fmt.Sprintf(
				"no successful delivery since %s", since.UTC().Format(time.RFC3339)))
			return err
		}
		if err := s.markFailing(ctx, tx, ep.ID, now); err != nil {
			return err
		}
		wait, ok := s.cfg.Schedule.Next(d.AttemptCount + 1)
		if !ok {
			if err := upd.SetState(StateFailed).ClearNextAttemptTime().Exec(ctx); err != nil {
				return err
			}
			failed = true
			return s.wakeNext(ctx, tx, d)
		}
		// Retry-After is a floor: a receiver asking for a second cannot use up in a
		// minute the retries meant to last days.
		wait = max(wait, res.retryAfter)
		if queue == QueueUntrusted {
			next = river.JobSnooze(wait)
		} else {
			id, err := s.newJob(ctx, tx, d, QueueUntrusted, now.Add(wait))
			if err != nil {
				return err
			}
			upd.SetJobID(id)
		}
		return upd.SetNextAttemptTime(now.Add(wait).UTC()).Exec(ctx)
	})
	if err != nil {
		return fmt.Errorf("deliver: record attempt: %w", err)
	}
	// The cache learns the endpoint's health once the transaction that records it commits:
	// a success only when it was written, so that the row is written again a second later.
	now := s.cfg.Now()
	switch {
	case healthy:
		s.cache.markHealthy(ep.ID, now)
	case !res.ok():
		s.cache.markUnhealthy(ep.ID, now)
	}
	s.metrics.observe(res, d.CreateTime, d.AttemptCount == 0, now)
	if failed {
		s.metrics.failed.Inc()
	}
	if notify {
		s.metrics.disabled.Inc()
		if s.cfg.Notify != nil {
			s.cfg.Notify(ep.TenantID)
		}
	}
	return next
}

func (s *Service) addAttempt(ctx context.Context, tx *store.Tx, d *ent.Delivery, res result) error {
	return tx.Ent.DeliveryAttempt.Create().SetTenantID(d.TenantID).SetDeliveryID(d.ID).
		SetNumber(d.AttemptCount + 1).SetStartTime(res.start.UTC()).
		SetDurationMs(res.duration.Milliseconds()).SetStatusCode(res.status).
		SetResponseBody(res.body).SetError(res.err).Exec(ctx)
}

// markSuccess clears the endpoint's failure clock and notes the success; it writes at most
// once a second per endpoint while all is well, and reports whether it wrote.
func (s *Service) markSuccess(ctx context.Context, tx *store.Tx, id string, now time.Time) (bool, error) {
	if s.cache.recentlyHealthy(id, now) {
		return false, nil
	}
	return true, tx.Ent.WebhookEndpoint.Update().Where(webhookendpoint.ID(id), webhookendpoint.Or(
		webhookendpoint.FailingSinceTimeNotNil(), webhookendpoint.LastSuccessTimeIsNil(),
		webhookendpoint.LastSuccessTimeLT(now.UTC().Add(-time.Second)))).
		SetLastSuccessTime(now.UTC()).ClearFailingSinceTime().Exec(ctx)
}

// markFailing starts the endpoint's failure clock if it is not running.
func (s *Service) markFailing(ctx context.Context, tx *store.Tx, id string, now time.Time) error {
	return tx.Ent.WebhookEndpoint.Update().
		Where(webhookendpoint.ID(id), webhookendpoint.FailingSinceTimeIsNil()).
		SetFailingSinceTime(now.UTC()).Exec(ctx)
}

// disable turns an enabled endpoint off with a reason and records the event, which goes
// to the tenant's other endpoints. It reports whether this call disabled it.
func (s *Service) disable(ctx context.Context, tx *store.Tx, ep *ent.WebhookEndpoint, reason string) (bool, error) {
	n, err := tx.Ent.WebhookEndpoint.Update().
		Where(webhookendpoint.ID(ep.ID), webhookendpoint.Enabled(true)).
		SetEnabled(false).SetDisabledReason(reason).Save(ctx)
	s.cache.drop(ep.ID)
	if err != nil || n == 0 || s.cfg.AppendEvent == nil {
		return n > 0, err
	}
	ev, err := s.cfg.AppendEvent(ctx, tx, ep.TenantID, typeEndpointDisabled, ep.ID)
	if err != nil {
		return false, fmt.Errorf("deliver: endpoint disabled event: %w", err)
	}
	s.cfg.Logger.WarnContext(ctx, "webhook endpoint disabled", "endpoint_id", ep.ID,
		"tenant_id", ep.TenantID, "reason", reason)
	return true, s.Enqueue(ctx, tx, []*ent.Event{ev})
}
