package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/casewire/casewire/ent/casestate"
	"github.com/casewire/casewire/receipt"
	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/uscis"
)

// Fetcher asks USCIS about one receipt; *uscis.Client is one.
type Fetcher interface {
	Fetch(ctx context.Context, number string, p uscis.Priority) uscis.Result
}

// Observer applies one answer to the stored case: change detection. It writes the content
// fields of the case state (status, check state, errors, last change) and its events; the
// scheduler owns the schedule fields. refresh is true when a firm asked for the check.
type Observer interface {
	Observe(ctx context.Context, number string, res uscis.Result, refresh bool) error
}

// Config tunes a Scheduler. Zero fields take the defaults.
type Config struct {
	// Owner names this process in lease_owner; default host-pid-random.
	Owner string
	// Workers is the number of concurrent fetches (default 4); the pace limits anyway.
	Workers int
	// Lease is how long a claim keeps other processes off a receipt (default 5m). It must
	// outlast one fetch with its retries.
	Lease time.Duration
	// RoutinePerDay is the routine budget in fetches a day the policy plans for; 0 leaves
	// the base intervals unscaled.
	RoutinePerDay float64
	// QuotaResetHour is the UTC hour the quota day starts; routine claims pause until then
	// once the routine quota is spent.
	QuotaResetHour int
	// Idle is the wait between claims when nothing is due (default 1s).
	Idle time.Duration
	// DemandEvery is how often the planned demand is re-estimated (default 5m).
	DemandEvery time.Duration
	// StatsEvery is how often the backlog gauges are refreshed (default 15s).
	StatsEvery time.Duration
	// AuthPause is how long claims pause after USCIS refused the credentials (default 1m).
	AuthPause time.Duration
	// DrainTimeout bounds in-flight fetches after Run's context ends (default 30s).
	DrainTimeout time.Duration
	// Now is the clock of the schedule; nil means time.Now.
	Now func() time.Time
	// Logger receives lifecycle lines and warnings; nil discards them.
	Logger *slog.Logger
	// Registerer receives the scheduler's metrics; nil leaves them unregistered.
	Registerer prometheus.Registerer
}

func (c *Config) defaults() {
	def(&c.Workers, 4)
	def(&c.Lease, 5*time.Minute)
	def(&c.Idle, time.Second)
	def(&c.DemandEvery, 5*time.Minute)
	def(&c.StatsEvery, 15*time.Second)
	def(&c.AuthPause, time.Minute)
	def(&c.DrainTimeout, 30*time.Second)
	if c.Owner == "" {
		c.Owner = newOwner()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

func def[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

func newOwner() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Scheduler is the poller: a few workers, each claiming the most urgent due receipt,
// fetching it, handing the answer to the Observer and writing its next check time.
type Scheduler struct {
	st   *store.Store
	f    Fetcher
	obs  Observer
	cfg  Config
	log  *slog.Logger
	m    *metrics
	now  func() time.Time
	mu   sync.Mutex
	plan Budget
	// routineUntil and allUntil pause claims: routine ones while the routine quota is
	// spent, all of them while the whole quota is spent or the credentials are refused.
	routineUntil time.Time
	allUntil     time.Time
	// wake cuts a worker's idle wait short when new work arrives.
	wake chan struct{}
}

// New returns a Scheduler on st fetching with f and observing with obs.
func New(st *store.Store, f Fetcher, obs Observer, cfg Config) *Scheduler {
	cfg.defaults()
	return &Scheduler{
		st: st, f: f, obs: obs, cfg: cfg, log: cfg.Logger, now: cfg.Now,
		m:    newMetrics(cfg.Registerer),
		plan: Budget{PerDay: cfg.RoutinePerDay},
		wake: make(chan struct{}, 1),
	}
}

// Wake tells an idle worker to claim now: tracking calls it after receipts are newly
// tracked or a refresh is asked for. It never blocks.
func (s *Scheduler) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Owner is the lease owner name of this scheduler.
func (s *Scheduler) Owner() string { return s.cfg.Owner }

// Run polls until ctx ends. Then it stops claiming, lets in-flight fetches finish (within
// DrainTimeout), releases its leases and returns nil.
func (s *Scheduler) Run(ctx context.Context) error {
	s.log.Info("scheduler starting", "owner", s.cfg.Owner, "workers", s.cfg.Workers)
	var wg sync.WaitGroup
	wg.Go(func() { s.background(ctx) })
	for range s.cfg.Workers {
		wg.Go(func() { s.work(ctx) })
	}
	wg.Wait()
	rel, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.ReleaseAll(rel); err != nil {
		s.log.Warn("scheduler: releasing leases", "error", err)
	}
	s.log.Info("scheduler stopped", "owner", s.cfg.Owner)
	return nil
}

// background refreshes the planned demand and the backlog gauges.
func (s *Scheduler) background(ctx context.Context) {
	s.refreshDemand(ctx)
	s.refreshStats(ctx)
	demand := time.NewTicker(s.cfg.DemandEvery)
	stats := time.NewTicker(s.cfg.StatsEvery)
	defer demand.Stop()
	defer stats.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-demand.C:
			s.refreshDemand(ctx)
		case <-stats.C:
			s.refreshStats(ctx)
		}
	}
}

func (s *Scheduler) refreshDemand(ctx context.Context) {
	d, err := Demand(ctx, s.st, s.now())
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("scheduler: estimating demand", "error", err)
		}
		return
	}
	s.mu.Lock()
	s.plan.Demand = d
	b := s.plan
	s.mu.Unlock()
	s.m.demand.Set(d)
	s.m.scale.Set(b.Scale())
}

func (s *Scheduler) refreshStats(ctx context.Context) {
	st, err := ReadStats(ctx, s.st, s.now())
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("scheduler: reading backlog", "error", err)
		}
		return
	}
	s.m.set(st, s.now())
}

// work is one worker: claim, fetch, observe, reschedule, until ctx ends.
func (s *Scheduler) work(ctx context.Context) {
	for ctx.Err() == nil {
		did, err := s.Step(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("scheduler: step", "error", err)
		}
		if !did {
			s.idle(ctx)
		}
	}
}

// Step claims the most urgent due receipt and checks it. It reports whether it found one.
// A claimed check runs to its end even when ctx ends meanwhile, within DrainTimeout.
func (s *Scheduler) Step(ctx context.Context) (bool, error) {
	onlyRefresh, paused := s.paused()
	if paused {
		return false, nil
	}
	claims, err := s.claim(ctx, 1, onlyRefresh)
	if err != nil || len(claims) == 0 {
		return false, err
	}
	run, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.Lease)
	defer cancel()
	return true, s.check(run, claims[0])
}

// paused reports whether only refreshes may be claimed, and whether nothing may be.
func (s *Scheduler) paused() (onlyRefresh, all bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	return now.Before(s.routineUntil), now.Before(s.allUntil)
}

// check fetches one claimed receipt and writes its next check.
func (s *Scheduler) check(ctx context.Context, c claim) error {
	p := uscis.PriorityRoutine
	if c.refresh {
		p = uscis.PriorityRefresh
	}
	res := s.f.Fetch(ctx, c.number, p)
	s.m.fetches.WithLabelValues(p.String(), res.Kind.String()).Inc()
	if s.holdBack(res, p) {
		return s.release(ctx, c.number)
	}
	obsErr := s.obs.Observe(ctx, c.number, res, c.refresh)
	if obsErr != nil {
		s.log.Warn("scheduler: observe", "receipt", receipt.Mask(c.number), "error", obsErr)
		res = uscis.Result{Kind: uscis.KindUnavailable, Err: obsErr}
	}
	return errors.Join(obsErr, s.reschedule(ctx, c, res))
}

// holdBack handles results that say nothing of the receipt: a spent quota or refused
// credentials. It pauses claims and reports whether the claim should be released as it was.
func (s *Scheduler) holdBack(res uscis.Result, p uscis.Priority) bool {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch res.Kind {
	case uscis.KindQuotaExhausted:
		reset := uscis.QuotaWindow(now, s.cfg.QuotaResetHour).Add(day)
		if p == uscis.PriorityRoutine {
			if s.routineUntil.Before(reset) {
				s.log.Warn("routine USCIS quota spent; only refreshes until the reset",
					"reset", reset)
			}
			s.routineUntil = reset
		} else {
			s.allUntil = reset
		}
		return true
	case uscis.KindUnauthorized:
		s.allUntil = now.Add(s.cfg.AuthPause)
		return true
	}
	return false
}

// reschedule writes the next check by the policy and drops the lease.
func (s *Scheduler) reschedule(ctx context.Context, c claim, res uscis.Result) error {
	cs, err := s.st.Ent.CaseState.Get(ctx, c.number)
	if err != nil {
		return fmt.Errorf("schedule: read case: %w", err)
	}
	now := s.now()
	st := stateOf(cs)
	st.Result = res.Kind
	s.mu.Lock()
	b := s.plan
	s.mu.Unlock()
	next := Next(st, now, b).UTC()
	u := s.st.Ent.CaseState.Update().
		Where(casestate.ID(c.number), casestate.LeaseOwner(s.cfg.Owner)).
		SetNextCheckTime(next).ClearLeaseUntil().SetLeaseOwner("")
	if c.refresh {
		u.SetRefreshRequested(false)
	}
	if _, err := u.Save(ctx); err != nil {
		return fmt.Errorf("schedule: reschedule: %w", err)
	}
	return nil
}

// release drops this scheduler's lease on number and leaves its schedule as it was.
func (s *Scheduler) release(ctx context.Context, number string) error {
	_, err := s.st.Ent.CaseState.Update().
		Where(casestate.ID(number), casestate.LeaseOwner(s.cfg.Owner)).
		ClearLeaseUntil().SetLeaseOwner("").Save(ctx)
	if err != nil {
		return fmt.Errorf("schedule: release: %w", err)
	}
	return nil
}

// ReleaseAll drops every lease this scheduler holds.
func (s *Scheduler) ReleaseAll(ctx context.Context) error {
	_, err := s.st.Ent.CaseState.Update().
		Where(casestate.LeaseOwner(s.cfg.Owner)).
		ClearLeaseUntil().SetLeaseOwner("").Save(ctx)
	if err != nil {
		return fmt.Errorf("schedule: release leases: %w", err)
	}
	return nil
}

// idle waits for Idle, a Wake or the end of ctx.
func (s *Scheduler) idle(ctx context.Context) {
	t := time.NewTimer(s.cfg.Idle)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-s.wake:
	}
}
