package main

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/casewire/casewire/classify"
	"github.com/casewire/casewire/detect"
	"github.com/casewire/casewire/receipt"
	"github.com/casewire/casewire/schedule"
	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/tracking"
	"github.com/casewire/casewire/uscis"
)

// uscisFlags configure the USCIS Case Status API client. Every flag also reads
// CASEWIRE_<FLAG>; the secret is best given that way.
type uscisFlags struct {
	BaseURL        string  `name:"uscis-base-url" help:"USCIS Case Status API root, e.g. https://api-int.uscis.gov. Empty: do not poll (unless --demo)."`
	TokenURL       string  `name:"uscis-token-url" help:"OAuth 2.0 token endpoint, e.g. https://api-int.uscis.gov/oauth/accesstoken."`
	ClientID       string  `name:"uscis-client-id" help:"OAuth 2.0 client id."`
	ClientSecret   string  `name:"uscis-client-secret" help:"OAuth 2.0 client secret (prefer CASEWIRE_USCIS_CLIENT_SECRET)."`
	RPS            float64 `name:"uscis-rps" default:"10" help:"Requests per second to USCIS, shared by every process on the database."`
	DailyQuota     int     `name:"uscis-daily-quota" default:"10000" help:"USCIS requests per quota day, shared by every process on the database."`
	QuotaResetHour int     `name:"uscis-quota-reset-hour" default:"0" help:"UTC hour at which the USCIS quota day starts."`
	RefreshReserve float64 `name:"uscis-refresh-reserve" default:"0.05" help:"Share of the daily quota kept for firms' explicit refreshes."`
	PollWorkers    int     `name:"poll-workers" default:"4" help:"Concurrent USCIS fetches of this process."`
}

// config is the client configuration the flags describe.
func (f uscisFlags) config() uscis.Config {
	return uscis.Config{
		BaseURL: f.BaseURL, TokenURL: f.TokenURL, ClientID: f.ClientID,
		ClientSecret: f.ClientSecret, RequestsPerSecond: f.RPS, DailyQuota: f.DailyQuota,
		QuotaResetHour: f.QuotaResetHour, RefreshReserve: f.RefreshReserve,
	}
}

// configured reports whether USCIS polling is set up.
func (f uscisFlags) configured() bool { return strings.TrimSpace(f.BaseURL) != "" }

// poller is the polling side of serve: the USCIS client, change detection and the
// scheduler, on the shared quota and pace in the database.
type poller struct {
	client    *uscis.Client
	detector  *detect.Detector
	scheduler *schedule.Scheduler
	monitor   *schedule.Monitor
}

// pollerDeps are what newPoller needs besides the flags.
type pollerDeps struct {
	st  *store.Store
	log *slog.Logger
	reg prometheus.Registerer
	// outbox receives the delivery jobs of new events; nil when nothing delivers.
	outbox detect.Outbox
	// classifier labels statuses; nil uses the built-in table.
	classifier *classify.Classifier
	// now is the clock of the schedule and of detection: the emulated clock in the demo.
	now func() time.Time
	// onEvent, when set, sees every observation that wrote an event.
	onEvent func(number string, out detect.Outcome)
}

// newPoller builds the client, the detector and the scheduler.
func newPoller(f uscisFlags, d pollerDeps) (*poller, error) {
	cfg := f.config()
	c, err := uscis.New(cfg, uscis.Options{
		Logger: d.log, Registerer: d.reg, Now: d.now,
		Quota: schedule.NewQuota(d.st),
		Pacer: schedule.NewPacer(d.st, f.RPS, f.QuotaResetHour),
	})
	if err != nil {
		return nil, err
	}
	det := detect.New(d.st, d.classifier, d.outbox, detect.Options{Registerer: d.reg, Logger: d.log, Now: d.now})
	routine := float64(f.DailyQuota) * (1 - f.RefreshReserve)
	sch := schedule.New(d.st, c, observer{det: det, onEvent: d.onEvent}, schedule.Config{
		Workers: f.PollWorkers, RoutinePerDay: routine, QuotaResetHour: f.QuotaResetHour,
		Now: d.now, Logger: d.log, Registerer: d.reg,
	})
	mon := &schedule.Monitor{Store: d.st, Client: c, RequestsPerSecond: f.RPS, Now: d.now}
	return &poller{client: c, detector: det, scheduler: sch, monitor: mon}, nil
}

// observer adapts change detection to the scheduler.
type observer struct {
	det     *detect.Detector
	onEvent func(number string, out detect.Outcome)
}

// Observe implements schedule.Observer.
func (o observer) Observe(ctx context.Context, number string, res uscis.Result, refresh bool) error {
	src := detect.SourcePoll
	if refresh {
		src = detect.SourceRefresh
	}
	out, err := o.det.Observe(ctx, number, res, src)
	if err == nil && out.Type != "" && o.onEvent != nil {
		o.onEvent(number, out)
	}
	return err
}

// logEvent logs one observed event with the receipt masked.
func logEvent(log *slog.Logger) func(string, detect.Outcome) {
	return func(number string, out detect.Outcome) {
		log.Info("case event", "receipt", receipt.Mask(number), "type", out.Type,
			"category", string(out.Status.Category), "outcome", string(out.Status.Outcome),
			"title", out.Status.CanonicalTitle, "events", len(out.Events))
	}
}

// polling is what serve runs in the background for USCIS.
type polling struct {
	// upstream answers GetUpstreamStatus, also when nothing polls.
	upstream *schedule.Monitor
	// wake is tracking's Options.Wake: newly tracked receipts and refreshes are claimed at
	// once. It does nothing when nothing polls.
	wake func()
	// detector is change detection, whose Notifier wakes event watchers; nil when nothing
	// polls.
	detector *detect.Detector
	// wait stops the scheduler and blocks until it has drained and released its leases,
	// then stops the demo emulator. serve calls it once the server has stopped.
	wait func()
}

// startPolling starts the scheduler when USCIS is configured or --demo is set; otherwise it
// warns once and serve runs without polling. The scheduler stops with a.ctx: it stops
// claiming, finishes fetches in flight and releases its leases.
func (c *serveCmd) startPolling(a *app, st *store.Store, reg prometheus.Registerer,
	classifier *classify.Classifier) (*polling, error) {
	flags, now := c.uscisFlags, time.Now
	var d *demo
	if c.Demo {
		var err error
		if d, err = startDemo(a.ctx, st); err != nil {
			return nil, err
		}
		flags, now = d.flags(flags), d.emu.Now
	}
	if !flags.configured() {
		a.log.Warn("USCIS is not configured (--uscis-base-url); serving without polling")
		return &polling{upstream: &schedule.Monitor{Store: st, RequestsPerSecond: flags.RPS},
			wake: func() {}, wait: func() {}}, nil
	}
	deps := pollerDeps{st: st, log: a.log, reg: reg, now: now, outbox: c.outbox(),
		classifier: classifier}
	if c.Demo {
		deps.onEvent = logEvent(a.log)
	}
	p, err := newPoller(flags, deps)
	if err != nil {
		return nil, err
	}
	if d != nil {
		tr := tracking.New(st, tracking.Options{Now: now, Wake: p.scheduler.Wake})
		if err := d.seed(a.ctx, st, tr, a.stdout); err != nil {
			d.stop()
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(a.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = p.scheduler.Run(ctx)
	}()
	a.log.Info("polling USCIS", "base_url", flags.BaseURL, "rps", flags.RPS,
		"daily_quota", flags.DailyQuota, "demo", c.Demo)
	wait := func() {
		cancel()
		<-done
		if d != nil {
			d.stop()
		}
	}
	return &polling{upstream: p.monitor, wake: p.scheduler.Wake, detector: p.detector,
		wait: wait}, nil
}
