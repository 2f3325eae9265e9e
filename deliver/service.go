package deliver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"entgo.io/ent/dialect"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"golang.org/x/time/rate"

	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/secretbox"
	"github.com/casewire/casewire/store"
)

// The job queues deliveries run on: Queue for endpoints that are succeeding and
// QueueUntrusted for the others, which have never answered 2xx or are failing now. Each has
// its own part of the pool, so no number of dead endpoints can hold a worker that healthy
// ones need, nor fill the queue their jobs are fetched from.
const (
	Queue          = "webhooks"
	QueueUntrusted = "webhooks_untrusted"
)

// Defaults of Config.
const (
	DefaultTimeout      = 15 * time.Second
	DefaultDisableAfter = 5 * 24 * time.Hour
	DefaultOverlap      = 24 * time.Hour
	DefaultWorkers      = 100
	DefaultPerEndpoint  = 8
	// DefaultUntrustedRate is how many attempts a second this process starts to endpoints
	// without a recent success, together.
	DefaultUntrustedRate = 50
)

// AppendFunc appends a system event (such as an endpoint being disabled) to a tenant's
// feed inside tx; package detect's AppendSystemEvent fits behind it.
type AppendFunc func(ctx context.Context, tx *store.Tx, tenantID, eventType, endpointID string) (*ent.Event, error)

// Config tunes a Service. Every field is optional.
type Config struct {
	// Timeout bounds each attempt; a 2xx within it is a success. 0 means DefaultTimeout.
	Timeout time.Duration
	// AllowInsecure permits http URLs and private addresses, for development and tests.
	AllowInsecure bool
	// DisableAfter disables an endpoint without a success for this long; 0 means
	// DefaultDisableAfter.
	DisableAfter time.Duration
	// Schedule is the retry schedule; nil means DefaultSchedule.
	Schedule Schedule
	// Workers is the pool size and PerEndpoint bounds the attempts in flight to one
	// endpoint in this process. Endpoints without a recent success share a quarter of the
	// pool (at least two endpoints' bounds, at most half of it); the others share the rest.
	Workers, PerEndpoint int
	// UntrustedRate bounds the attempts a second to endpoints without a recent success, all
	// together, so that their failures, each a write, take a bounded share of the database
	// from healthy deliveries; 0 means DefaultUntrustedRate.
	UntrustedRate float64
	// FetchCooldown and FetchPollInterval tune how fast idle workers find new jobs.
	FetchCooldown, FetchPollInterval time.Duration
	// RescueAfter is when a job left running by a killed process is retried; 0 means the
	// timeout plus one minute. It is at least a second longer than a job may run.
	RescueAfter time.Duration
	// AppendEvent records "endpoint disabled" events; nil records none.
	AppendEvent AppendFunc
	// Notify is called with a tenant id after a system event commits; may be nil.
	Notify func(tenantID string)
	// Resolver checks hosts at registration; nil means net.DefaultResolver.
	Resolver Resolver
	// Registerer receives the delivery metrics; nil leaves them unregistered.
	Registerer prometheus.Registerer
	// Logger receives background warnings; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// TestOnly shortens the job queue's start-up and maintenance delays, for tests.
	TestOnly bool
}

func (c *Config) defaults() {
	c.Timeout = or(c.Timeout, DefaultTimeout)
	c.DisableAfter = or(c.DisableAfter, DefaultDisableAfter)
	c.Workers = or(c.Workers, DefaultWorkers)
	c.PerEndpoint = or(c.PerEndpoint, DefaultPerEndpoint)
	c.UntrustedRate = or(c.UntrustedRate, DefaultUntrustedRate)
	c.FetchCooldown = or(c.FetchCooldown, 5*time.Millisecond)
	c.FetchPollInterval = or(c.FetchPollInterval, 50*time.Millisecond)
	c.RescueAfter = or(c.RescueAfter, c.Timeout+time.Minute)
	if c.Schedule == nil {
		c.Schedule = DefaultSchedule
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// jobTimeout bounds one run of a delivery job: the waits for the endpoint's bound and for
// the pace of untrusted endpoints, the attempt, and time left to record it.
func (c *Config) jobTimeout() time.Duration {
	return slotWait + paceWait + c.Timeout + 5*time.Second
}

// check refuses settings that cannot work, naming the field.
func (c *Config) check() error {
	switch {
	case c.Timeout < 0:
		return errors.New("deliver: Timeout must not be negative")
	case c.DisableAfter < 0:
		return errors.New("deliver: DisableAfter must not be negative")
	case c.Workers < 0:
		return errors.New("deliver: Workers must not be negative")
	case c.PerEndpoint < 0:
		return errors.New("deliver: PerEndpoint must not be negative")
	case c.UntrustedRate < 0:
		return errors.New("deliver: UntrustedRate must not be negative")
	}
	return nil
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Service delivers events and answers the webhook API's commands.
type Service struct {
	st     *store.Store
	keys   *secretbox.Keyring
	cfg    Config
	river  *river.Client[*sql.Tx]
	client *http.Client
	limit  *limiter
	// untrusted paces attempts to endpoints without a recent success.
	untrusted *rate.Limiter
	cache     *endpointCache
	// stmts keeps the worker's statements prepared; fast is an ent client on it.
	stmts   *stmtCache
	fast    *ent.Client
	metrics *metrics
}

// New returns a service on st whose secrets are sealed with keys. It inserts jobs at once;
// call Start to work them.
func New(st *store.Store, keys *secretbox.Keyring, cfg Config) (*Service, error) {
	if st == nil || keys == nil {
		return nil, errors.New("deliver: a store and a keyring are required")
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cfg.defaults()
	s := &Service{st: st, keys: keys, cfg: cfg, limit: newLimiter(cfg.PerEndpoint),
		untrusted: rate.NewLimiter(rate.Limit(cfg.UntrustedRate), untrustedBurst),
		cache:     newEndpointCache(), stmts: newStmtCache(st.DB), metrics: newMetrics(cfg.Registerer)}
	s.fast = s.stmts.entOn(st.Dialect)
	s.client = s.httpClient()
	workers := river.NewWorkers()
	river.AddWorker(workers, &worker{s: s})
	river.AddWorker(workers, &sweeper{s: s})
	rc, err := river.NewClient(driver(st), &river.Config{
		Queues:               queues(cfg.Workers, cfg.PerEndpoint),
		Workers:              workers,
		PeriodicJobs:         []*river.PeriodicJob{s.sweepJob()},
		FetchCooldown:        cfg.FetchCooldown,
		FetchPollInterval:    cfg.FetchPollInterval,
		JobTimeout:           cfg.jobTimeout(),
		RescueStuckJobsAfter: max(cfg.RescueAfter, cfg.jobTimeout()+time.Second),
		MaxAttempts:          25,
		Logger:               cfg.Logger,
		TestOnly:             cfg.TestOnly,
	})
	if err != nil {
		return nil, fmt.Errorf("deliver: job queue: %w", err)
	}
	s.river = rc
	return s, nil
}

// untrustedBurst is how many attempts to untrusted endpoints may start at once.
const untrustedBurst = 5

// untrustedShare is the part of the pool (one in untrustedShare workers) that endpoints
// without a recent success share.
const untrustedShare = 4

// queues splits a pool of workers between the two queues.
func queues(workers, perEndpoint int) map[string]river.QueueConfig {
	untrusted := max(1, min(max(2*perEndpoint, workers/untrustedShare), workers/2))
	return map[string]river.QueueConfig{
		Queue:          {MaxWorkers: max(1, workers-untrusted)},
		QueueUntrusted: {MaxWorkers: untrusted},
	}
}

func driver(st *store.Store) riverdriver.Driver[*sql.Tx] {
	if st.Dialect == dialect.Postgres {
		return riverdatabasesql.New(st.DB)
	}
	return riversqlite.New(st.DB)
}

// Start re-encrypts secrets sealed by an old key and starts the workers.
func (s *Service) Start(ctx context.Context) error {
	n, err := s.ReencryptSecrets(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		s.cfg.Logger.InfoContext(ctx, "webhook secrets re-encrypted", "count", n)
	}
	if err := s.river.Start(ctx); err != nil {
		return fmt.Errorf("deliver: start: %w", err)
	}
	return nil
}

// Stop lets attempts in flight finish, up to ctx's deadline, and stops the workers.
func (s *Service) Stop(ctx context.Context) error {
	if err := s.river.Stop(ctx); err != nil {
		return fmt.Errorf("deliver: stop: %w", err)
	}
	s.stmts.close()
	return nil
}

// httpClient sends deliveries: no proxy, no redirects, and a dialer that refuses
// blocked addresses unless insecure delivery is allowed.
func (s *Service) httpClient() *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !s.cfg.AllowInsecure {
		dialer.Control = guard
	}
	tr := &http.Transport{
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           1000,
		MaxIdleConnsPerHost:    s.cfg.PerEndpoint,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  s.cfg.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       s.cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
