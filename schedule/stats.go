package schedule

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/casestate"
	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/uscis"
)

// Stats is the state of the schedule: how much is due and how long it has waited.
type Stats struct {
	// Backlog counts tracked receipts whose check is due but not done.
	Backlog int64
	// OldestDue is the due time of the longest-waiting check; zero without a backlog.
	OldestDue time.Time
	// Tracked counts distinct receipt numbers tracked by any tenant.
	Tracked int64
}

// ReadStats reads the schedule's state at now.
func ReadStats(ctx context.Context, st *store.Store, now time.Time) (Stats, error) {
	var out Stats
	due := st.Ent.CaseState.Query().
		Where(casestate.TrackersGT(0), casestate.NextCheckTimeLTE(now.UTC()))
	n, err := due.Clone().Count(ctx)
	if err != nil {
		return out, fmt.Errorf("schedule: backlog: %w", err)
	}
	out.Backlog = int64(n)
	if n > 0 {
		first, err := due.Order(ent.Asc(casestate.FieldNextCheckTime)).First(ctx)
		if err != nil {
			return out, fmt.Errorf("schedule: oldest due: %w", err)
		}
		out.OldestDue = first.NextCheckTime
	}
	tracked, err := st.Ent.CaseState.Query().Where(casestate.TrackersGT(0)).Count(ctx)
	if err != nil {
		return out, fmt.Errorf("schedule: tracked: %w", err)
	}
	out.Tracked = int64(tracked)
	return out, nil
}

// Status is how casewire stands with USCIS, for the upstream API.
type Status struct {
	// Configured is false when no USCIS client is set up and nothing is polled.
	Configured bool
	// Health is the client's credentials and quota; zero when not Configured.
	Health uscis.Health
	// RequestsPerSecond is the configured global pace.
	RequestsPerSecond float64
	Stats
}

// Monitor answers the upstream status from the client and the stored schedule.
type Monitor struct {
	// Store is required.
	Store *store.Store
	// Client may be nil when USCIS is not configured.
	Client *uscis.Client
	// RequestsPerSecond is reported as configured.
	RequestsPerSecond float64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Status reads the current status.
func (m *Monitor) Status(ctx context.Context) (Status, error) {
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	st, err := ReadStats(ctx, m.Store, now())
	if err != nil {
		return Status{}, err
	}
	out := Status{Configured: m.Client != nil, RequestsPerSecond: m.RequestsPerSecond, Stats: st}
	if m.Client != nil {
		out.Health = m.Client.Health()
	}
	return out, nil
}

// metrics are the scheduler's Prometheus series. No label carries a receipt number.
type metrics struct {
	backlog   prometheus.Gauge
	oldestDue prometheus.Gauge
	oldestAge prometheus.Gauge
	tracked   prometheus.Gauge
	demand    prometheus.Gauge
	scale     prometheus.Gauge
	fetches   *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	g := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: "casewire_schedule_" + name, Help: help})
	}
	m := &metrics{
		backlog:   g("backlog", "Tracked receipts whose check is due but not done."),
		oldestDue: g("oldest_due_timestamp_seconds", "Due time of the longest-waiting check; 0 without backlog."),
		oldestAge: g("oldest_due_age_seconds", "How long the longest-waiting check has been due."),
		tracked:   g("tracked_receipts", "Distinct receipt numbers tracked by any tenant."),
		demand:    g("planned_fetches_per_day", "Fetches a day the tracked receipts take at base intervals."),
		scale:     g("interval_scale", "Factor on base intervals that fits the plan to the budget."),
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "casewire_schedule_fetches_total",
			Help: "Fetches made by the scheduler, by priority and result kind.",
		}, []string{"priority", "result"}),
	}
	if reg != nil {
		reg.MustRegister(m.backlog, m.oldestDue, m.oldestAge, m.tracked, m.demand, m.scale,
			m.fetches)
	}
	return m
}

func (m *metrics) set(st Stats, now time.Time) {
	m.backlog.Set(float64(st.Backlog))
	m.tracked.Set(float64(st.Tracked))
	if st.OldestDue.IsZero() {
		m.oldestDue.Set(0)
		m.oldestAge.Set(0)
		return
	}
	m.oldestDue.Set(float64(st.OldestDue.Unix()))
	m.oldestAge.Set(max(now.Sub(st.OldestDue).Seconds(), 0))
}
