// Package detect is change detection: it compares each USCIS answer with what casewire last
// knew of the receipt and, in the same transaction, writes the events of every tenant that
// tracks it and their delivery jobs. It sits after the USCIS client and the classifier and
// before delivery; it reads and writes through ent and never calls the server.
//
// Rules (PITFALLS.md, item 5): the first answer is a baseline; a new title or description is
// a status change; the same title with a new date, history or spelling is a status update;
// an unchanged answer and every error write no event. History entries USCIS sends join the
// timeline once each, in USCIS's order. "New" is decided by when casewire observed it.
package detect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/casewire/casewire/classify"
	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/casestate"
	"github.com/casewire/casewire/receipt"
	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/uscis"
)

// ErrUnknownReceipt is returned by Observe for a receipt number nobody ever tracked.
var ErrUnknownReceipt = errors.New("detect: receipt is not tracked")

// Outbox writes the delivery jobs of new events inside the same transaction.
type Outbox interface {
	Enqueue(ctx context.Context, tx *store.Tx, events []*ent.Event) error
}

// Source says how casewire learnt of an event.
type Source string

// Sources of events.
const (
	SourcePoll         Source = "poll"
	SourceRefresh      Source = "refresh"
	SourceUSCISHistory Source = "uscis_history"
	SourceSystem       Source = "system"
)

// Event types, stored in ent.Event.Type.
const (
	TypeBaseline         = "baseline"
	TypeStatusChanged    = "status_changed"
	TypeStatusUpdated    = "status_updated"
	TypeHistory          = "history"
	TypeEndpointDisabled = "endpoint_disabled"
	TypeTest             = "test"
)

// Check states, stored in ent.CaseState.CheckState.
const (
	CheckPending  = "pending"
	CheckOK       = "ok"
	CheckNotFound = "not_found"
	CheckError    = "error"
)

// Options configures a Detector. Every field is optional.
type Options struct {
	// Registerer receives the detector's metrics.
	Registerer prometheus.Registerer
	// Logger receives warnings about statuses the classifier does not know.
	Logger *slog.Logger
	// Notifier is woken after events commit; nil makes a new one (see Detector.Notifier).
	Notifier *Notifier
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Detector applies USCIS answers to the stored case states.
type Detector struct {
	st       *store.Store
	classify *classify.Classifier
	outbox   Outbox
	log      *slog.Logger
	notifier *Notifier
	now      func() time.Time
	unknown  prometheus.Counter
	events   *prometheus.CounterVec
}

// New returns a detector. outbox may be nil when nothing delivers events.
func New(st *store.Store, c *classify.Classifier, outbox Outbox, opts Options) *Detector {
	d := &Detector{st: st, classify: c, outbox: outbox, log: opts.Logger,
		notifier: opts.Notifier, now: opts.Now}
	if d.classify == nil {
		d.classify = classify.Default()
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.notifier == nil {
		d.notifier = NewNotifier()
	}
	if d.now == nil {
		d.now = time.Now
	}
	d.unknown = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "casewire_detect_unknown_status_total",
		Help: "USCIS statuses the classifier could not label, counted when first observed.",
	})
	d.events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "casewire_detect_events_total",
		Help: "Events written by change detection, by type (one per tenant).",
	}, []string{"type"})
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(d.unknown, d.events)
	}
	return d
}

// Notifier returns the notifier woken after events commit; event watchers wait on it.
func (d *Detector) Notifier() *Notifier { return d.notifier }

// Outcome is what one Observe did.
type Outcome struct {
	// Kind is the kind of the USCIS answer.
	Kind uscis.Kind
	// Type is the type of the observed event (baseline, status_changed, status_updated), or
	// "" when the answer changed nothing or was not a status.
	Type string
	// Status is the normalised status after the answer; zero unless Kind is KindStatus.
	Status classify.Result
	// Events are every event written, for every tenant, history entries included.
	Events []*ent.Event
}

// Observe applies one USCIS answer for a receipt number in one transaction. A status answer
// is compared with the stored case state and, when it differs, becomes events for every
// tenant tracking the receipt, handed to the outbox in the same transaction. Any other kind
// records only how the check went: it never changes the status and never writes an event.
func (d *Detector) Observe(ctx context.Context, number string, res uscis.Result, src Source) (Outcome, error) {
	out := Outcome{Kind: res.Kind}
	var tenants []string
	err := d.st.InTx(ctx, func(tx *store.Tx) error {
		cs, err := d.lockCase(ctx, tx, number)
		if err != nil {
			return err
		}
		if res.Kind != uscis.KindStatus || res.Status == nil {
			return d.recordFailure(ctx, tx, cs, res)
		}
		out, tenants, err = d.apply(ctx, tx, cs, res.Status, src)
		return err
	})
	if err != nil {
		return Outcome{Kind: res.Kind}, err
	}
	for _, ev := range out.Events {
		d.events.WithLabelValues(ev.Type).Inc()
	}
	d.notifier.Notify(tenants...)
	return out, nil
}

// lockCase reads the case state, locking its row on PostgreSQL (SQLite's immediate
// transactions already serialise writers).
func (d *Detector) lockCase(ctx context.Context, tx *store.Tx, number string) (*ent.CaseState, error) {
	q := tx.Ent.CaseState.Query().Where(casestate.ID(number))
	if d.st.Dialect == "postgres" {
		q = q.ForUpdate()
	}
	cs, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fmt.Errorf("%w: %s", ErrUnknownReceipt, receipt.Mask(number))
	}
	if err != nil {
		return nil, fmt.Errorf("detect: read case: %w", err)
	}
	return cs, nil
}

// recordFailure stores how a check that brought no status went.
func (d *Detector) recordFailure(ctx context.Context, tx *store.Tx, cs *ent.CaseState, res uscis.Result) error {
	state := CheckError
	if res.Kind == uscis.KindNotFound {
		state = CheckNotFound
	}
	err := tx.Ent.CaseState.UpdateOne(cs).
		SetCheckState(state).
		SetCheckError(failureText(res)).
		AddConsecutiveErrors(1).
		SetLastCheckTime(d.now().UTC()).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("detect: record check: %w", err)
	}
	return nil
}

// failureText explains a failed check without quoting the upstream, whose messages may
// carry the receipt number.
func failureText(res uscis.Result) string {
	text := map[uscis.Kind]string{
		uscis.KindNotFound:       "USCIS does not show this receipt number",
		uscis.KindBadFormat:      "the receipt number is not in a form USCIS accepts",
		uscis.KindRateLimited:    "USCIS rate limit; will retry",
		uscis.KindQuotaExhausted: "daily USCIS budget spent; will retry",
		uscis.KindUnavailable:    "USCIS unavailable; will retry",
		uscis.KindUnauthorized:   "USCIS refused casewire's credentials",
		uscis.KindMalformed:      "USCIS answered outside its contract; will retry",
	}[res.Kind]
	if text == "" {
		text = "the check failed: " + res.Kind.String()
	}
	if res.HTTPStatus != 0 {
		text += fmt.Sprintf(" (HTTP %d)", res.HTTPStatus)
	}
	return text
}

// fingerprint identifies everything of an answer that can make an event.
func fingerprint(s *uscis.CaseStatus) string {
	b, _ := json.Marshal([]any{s.TitleEN, s.DescriptionENRaw, s.TitleES, s.DescriptionESRaw,
		s.FormType, s.ModifiedRaw, s.SubmittedRaw, s.History})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}
