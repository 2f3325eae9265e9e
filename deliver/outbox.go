package deliver

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/delivery"
	"github.com/casewire/casewire/ent/schema"
	"github.com/casewire/casewire/ent/webhookendpoint"
	"github.com/casewire/casewire/store"
)

// Delivery states, stored in ent.Delivery.State.
const (
	StatePending   = "pending"
	StateSucceeded = "succeeded"
	StateFailed    = "failed"
	// StatePaused is a pending delivery of a disabled endpoint; enabling it resumes.
	StatePaused = "paused"
)

// deliverArgs is the job of one delivery. The delivery row holds everything else, so a
// job stays small and its row can be read and changed through the API.
type deliverArgs struct {
	DeliveryID string `json:"delivery_id"`
}

// Kind names the job kind.
func (deliverArgs) Kind() string { return "casewire_deliver" }

// InsertOpts puts deliveries on the queue of endpoints that are succeeding unless a
// delivery says otherwise.
func (deliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue}
}

// queueFor is the queue of a new job for ep: endpoints that have answered 2xx and are not
// failing now share most of the pool; the others, new or failing, share the rest, so that
// a crowd of dead endpoints never reaches the queue healthy ones are worked from.
func queueFor(ep *ent.WebhookEndpoint) string {
	if trusted(ep) {
		return Queue
	}
	return QueueUntrusted
}

func trusted(ep *ent.WebhookEndpoint) bool {
	return ep.LastSuccessTime != nil && ep.FailingSinceTime == nil
}

// outgoing is a delivery row to insert and the queue of its job.
type outgoing struct {
	row   *ent.DeliveryCreate
	queue string
}

// Enqueue records a delivery of each event to each of its tenant's enabled endpoints
// whose filter matches, with the jobs that work them, inside tx: they commit or roll back
// with the events. A test event goes only to the endpoint it names. It implements
// detect.Outbox.
func (s *Service) Enqueue(ctx context.Context, tx *store.Tx, events []*ent.Event) error {
	endpoints := map[string][]*ent.WebhookEndpoint{}
	var rows []outgoing
	for _, ev := range events {
		eps, ok := endpoints[ev.TenantID]
		if !ok {
			var err error
			eps, err = tx.Ent.WebhookEndpoint.Query().Where(
				webhookendpoint.TenantID(ev.TenantID), webhookendpoint.Enabled(true),
				webhookendpoint.DeleteTimeIsNil()).All(ctx)
			if err != nil {
				return fmt.Errorf("deliver: endpoints: %w", err)
			}
			endpoints[ev.TenantID] = eps
		}
		for _, ep := range eps {
			if matches(ep, ev) {
				rows = append(rows, newDelivery(tx, ep, ev))
			}
		}
	}
	return s.insert(ctx, tx, rows)
}

func matches(ep *ent.WebhookEndpoint, ev *ent.Event) bool {
	if ev.Type == typeTest {
		return ev.WebhookEndpointID == ep.ID
	}
	return ParseFilter(ep.FilterJSON).Match(ev)
}

func newDelivery(tx *store.Tx, ep *ent.WebhookEndpoint, ev *ent.Event) outgoing {
	return outgoing{queue: queueFor(ep), row: tx.Ent.Delivery.Create().
		SetID(schema.NewID("dlv")).SetTenantID(ev.TenantID).SetEndpointID(ep.ID).
		SetEventID(ev.ID).SetEventType(ev.Type).SetReceiptNumber(ev.ReceiptNumber).
		SetSequence(ev.Sequence)}
}

// insertChunk keeps bulk inserts under SQLite's limit on bound variables.
const insertChunk = 500

// insert writes delivery rows and their jobs in tx.
func (s *Service) insert(ctx context.Context, tx *store.Tx, rows []outgoing) error {
	for len(rows) > 0 {
		n := min(len(rows), insertChunk)
		if err := s.insertChunk(ctx, tx, rows[:n]); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

func (s *Service) insertChunk(ctx context.Context, tx *store.Tx, rows []outgoing) error {
	params := make([]river.InsertManyParams, len(rows))
	creates := make([]*ent.DeliveryCreate, len(rows))
	for i, r := range rows {
		id, _ := r.row.Mutation().ID()
		params[i] = jobParams(id, r.queue, time.Time{})
		creates[i] = r.row
	}
	jobs, err := s.river.InsertManyTx(ctx, tx.SQL, params)
	if err != nil {
		return fmt.Errorf("deliver: insert jobs: %w", err)
	}
	for i, r := range creates {
		r.SetJobID(jobs[i].Job.ID)
	}
	if err := tx.Ent.Delivery.CreateBulk(creates...).Exec(ctx); err != nil {
		return fmt.Errorf("deliver: insert deliveries: %w", err)
	}
	return nil
}

func jobParams(deliveryID, queue string, at time.Time) river.InsertManyParams {
	return river.InsertManyParams{Args: deliverArgs{DeliveryID: deliveryID},
		InsertOpts: &river.InsertOpts{Queue: queue, ScheduledAt: at}}
}

// newJob inserts a job for delivery d on queue, to run at at (now when zero), in tx; the
// caller makes it d's job. The job d had before is left with nothing to do: should it
// run, it finds that d names another job and does nothing.
func (s *Service) newJob(ctx context.Context, tx *store.Tx, d *ent.Delivery, queue string, at time.Time) (int64, error) {
	job, err := s.river.InsertTx(ctx, tx.SQL, deliverArgs{DeliveryID: d.ID},
		&river.InsertOpts{Queue: queue, ScheduledAt: at})
	if err != nil {
		return 0, fmt.Errorf("deliver: insert job: %w", err)
	}
	return job.Job.ID, nil
}

// requeue gives existing deliveries new jobs on queue and makes them pending, in tx.
func (s *Service) requeue(ctx context.Context, tx *store.Tx, ids []string, queue string) error {
	for len(ids) > 0 {
		n := min(len(ids), insertChunk)
		params := make([]river.InsertManyParams, n)
		for i, id := range ids[:n] {
			params[i] = jobParams(id, queue, time.Time{})
		}
		jobs, err := s.river.InsertManyTx(ctx, tx.SQL, params)
		if err != nil {
			return fmt.Errorf("deliver: insert jobs: %w", err)
		}
		for i, id := range ids[:n] {
			err := tx.Ent.Delivery.UpdateOneID(id).SetState(StatePending).
				SetJobID(jobs[i].Job.ID).ClearNextAttemptTime().Exec(ctx)
			if err != nil {
				return fmt.Errorf("deliver: resume delivery: %w", err)
			}
		}
		ids = ids[n:]
	}
	return nil
}

// Resume makes the paused deliveries of an endpoint pending again, in tx.
func (s *Service) resume(ctx context.Context, tx *store.Tx, ep *ent.WebhookEndpoint) error {
	ids, err := tx.Ent.Delivery.Query().
		Where(delivery.EndpointID(ep.ID), delivery.State(StatePaused)).
		Order(ent.Asc(delivery.FieldSequence), ent.Asc(delivery.FieldID)).IDs(ctx)
	if err != nil {
		return fmt.Errorf("deliver: paused deliveries: %w", err)
	}
	return s.requeue(ctx, tx, ids, queueFor(ep))
}
