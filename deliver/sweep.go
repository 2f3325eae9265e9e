package deliver

import (
	"context"
	"fmt"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/riverqueue/river"

	"github.com/casewire/casewire/ent/delivery"
	"github.com/casewire/casewire/store"
)

// A delivery is stranded when it is pending but its job can no longer run it: the job
// queue discarded the job after its own retries (a run that kept failing before an
// attempt was made), or removed it. The sweep, a periodic job on the leader, gives such
// deliveries new jobs, so that none waits forever.
const (
	// sweepEvery is how often the leader looks for stranded deliveries.
	sweepEvery = 5 * time.Minute
	// sweepAfter is how long a delivery must have been left unchanged to be swept, so
	// that a transaction still in flight is never mistaken for a stranded one.
	sweepAfter = time.Minute
	// sweepBatch bounds the deliveries one sweep requeues; the next sweep takes the rest.
	sweepBatch = 1000
)

// sweepArgs is the periodic job of the sweep.
type sweepArgs struct{}

// Kind names the job kind.
func (sweepArgs) Kind() string { return "casewire_deliver_sweep" }

// sweeper runs the sweep.
type sweeper struct {
	river.WorkerDefaults[sweepArgs]
	s *Service
}

// Work requeues the stranded deliveries it finds and says how many.
func (w *sweeper) Work(ctx context.Context, _ *river.Job[sweepArgs]) error {
	n, err := w.s.sweep(ctx)
	if n > 0 {
		w.s.cfg.Logger.WarnContext(ctx, "stranded webhook deliveries requeued", "count", n)
	}
	return err
}

func (s *Service) sweepJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(sweepEvery),
		func() (river.JobArgs, *river.InsertOpts) { return sweepArgs{}, &river.InsertOpts{Queue: Queue} },
		&river.PeriodicJobOpts{ID: "casewire_deliver_sweep", RunOnStart: true})
}

// sweep requeues pending deliveries whose job is gone or finished, on the untrusted queue
// (whose pace an endpoint that is succeeding skips), and returns how many.
func (s *Service) sweep(ctx context.Context) (int, error) {
	var ids []string
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		ids, err = tx.Ent.Delivery.Query().Where(delivery.State(StatePending),
			delivery.UpdateTimeLT(s.cfg.Now().UTC().Add(-sweepAfter)), withoutLiveJob).
			Order(delivery.ByID()).Limit(sweepBatch).IDs(ctx)
		if err != nil || len(ids) == 0 {
			return err
		}
		return s.requeue(ctx, tx, ids, QueueUntrusted)
	})
	if err != nil {
		return 0, fmt.Errorf("deliver: sweep: %w", err)
	}
	s.metrics.requeued.Add(float64(len(ids)))
	return len(ids), nil
}

// withoutLiveJob selects deliveries whose job row is missing or in a final state.
func withoutLiveJob(sel *entsql.Selector) {
	job := entsql.Table("river_job")
	sel.LeftJoin(job).On(sel.C(delivery.FieldJobID), job.C("id"))
	sel.Where(entsql.Or(entsql.IsNull(job.C("id")),
		entsql.In(job.C("state"), "cancelled", "completed", "discarded")))
}
