package detect_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/casewire/casewire/classify"
	"github.com/casewire/casewire/detect"
	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/event"
	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/store/storetest"
	"github.com/casewire/casewire/tracking"
	"github.com/casewire/casewire/uscis"
)

const number = "EAC2190012345"

// fixture is a store with tenants tracking number and a detector on a fake clock.
type fixture struct {
	st      *store.Store
	d       *detect.Detector
	tr      *tracking.Service
	now     time.Time
	reg     *prometheus.Registry
	outbox  *recordingOutbox
	tenants []string
}

type recordingOutbox struct{ got []*ent.Event }

func (o *recordingOutbox) Enqueue(_ context.Context, _ *store.Tx, evs []*ent.Event) error {
	o.got = append(o.got, evs...)
	return nil
}

func setup(t *testing.T, tenants int) *fixture {
	t.Helper()
	f := &fixture{st: storetest.Open(t), now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		reg: prometheus.NewRegistry(), outbox: &recordingOutbox{}}
	clock := func() time.Time { return f.now }
	f.d = detect.New(f.st, classify.Default(), f.outbox,
		detect.Options{Registerer: f.reg, Now: clock})
	f.tr = tracking.New(f.st, tracking.Options{Now: clock})
	for range tenants {
		ten := f.st.Ent.Tenant.Create().SetName("firm").SaveX(context.Background())
		f.tenants = append(f.tenants, ten.ID)
		f.track(t, ten.ID)
	}
	return f
}

func (f *fixture) track(t *testing.T, tenant string) {
	t.Helper()
	res, err := f.tr.Track(context.Background(), tenant, []tracking.Request{{Number: number}})
	if err != nil || len(res.Errors) > 0 {
		t.Fatalf("track: %v %v", err, res.Errors)
	}
}

func (f *fixture) observe(t *testing.T, res uscis.Result) detect.Outcome {
	t.Helper()
	f.now = f.now.Add(time.Hour)
	out, err := f.d.Observe(context.Background(), number, res, detect.SourcePoll)
	if err != nil {
		t.Fatalf("observe: %v", err)
	}
	return out
}

// timeline returns a tenant's events of number, oldest first.
func (f *fixture) timeline(t *testing.T, tenant string) []*ent.Event {
	t.Helper()
	return f.st.Ent.Event.Query().Where(event.TenantID(tenant), event.ReceiptNumber(number)).
		Order(ent.Asc(event.FieldSequence)).AllX(context.Background())
}

func (f *fixture) caseState(t *testing.T) *ent.CaseState {
	t.Helper()
	return f.st.Ent.CaseState.GetX(context.Background(), number)
}

func status(title, desc, modified string, hist ...uscis.HistoryEntry) uscis.Result {
	return uscis.Result{Kind: uscis.KindStatus, HTTPStatus: 200, Status: &uscis.CaseStatus{
		ReceiptNumber: number, FormType: "I-130", TitleEN: title, DescriptionENRaw: desc,
		DescriptionEN: uscis.PlainText(desc), ModifiedRaw: modified,
		Modified: uscis.ParseDate(modified), TitleES: title + " (es)", History: hist,
	}}
}

func hist(date, text string) uscis.HistoryEntry {
	return uscis.HistoryEntry{DateRaw: date, Date: uscis.ParseDate(date), TextEN: text}
}

const (
	received = "Case Was Received"
	rfe      = "Request for Evidence Was Sent"
)

func types(evs []*ent.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

func TestBaseline(t *testing.T) {
	f := setup(t, 1)
	out := f.observe(t, status(received, "We received your <b>Form I-130</b>.", "01-05-2026 10:00:00"))
	if out.Type != detect.TypeBaseline || len(out.Events) != 1 {
		t.Fatalf("outcome = %q with %d events, want one baseline", out.Type, len(out.Events))
	}
	ev := out.Events[0]
	checks := map[string][2]any{
		"category":    {ev.Category, "acceptance"},
		"source":      {ev.Source, "poll"},
		"sequence":    {ev.Sequence, int64(1)},
		"feed_seq":    {ev.FeedSeq, int64(1)},
		"raw desc":    {ev.DescriptionEn, "We received your <b>Form I-130</b>."},
		"title_es":    {ev.TitleEs, received + " (es)"},
		"date raw":    {ev.UscisDateRaw, "01-05-2026 10:00:00"},
		"form":        {ev.FormType, "I-130"},
		"observed":    {ev.ObserveTime.UTC(), f.now},
		"uscis_time":  {ev.UscisTime.UTC(), uscis.ParseDate("01-05-2026 10:00:00").UTC()},
		"outbox size": {len(f.outbox.got), 1},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %v, want %v", name, c[0], c[1])
		}
	}
	cs := f.caseState(t)
	if cs.CheckState != "ok" || cs.TitleEn != received || cs.Category != "acceptance" {
		t.Errorf("case state = %s %q %s", cs.CheckState, cs.TitleEn, cs.Category)
	}
}

func TestChangeKinds(t *testing.T) {
	f := setup(t, 1)
	f.observe(t, status(received, "We received it.", "01-05-2026 10:00:00"))
	steps := []struct {
		name string
		res  uscis.Result
		want string
	}{
		{"same answer", status(received, "We received it.", "01-05-2026 10:00:00"), ""},
		{"silent update", status(received, "We received it.", "01-09-2026 10:00:00"), detect.TypeStatusUpdated},
		{"same again", status(received, "We received it.", "01-09-2026 10:00:00"), ""},
		{"new title", status(rfe, "We sent a request.", "02-01-2026 10:00:00"), detect.TypeStatusChanged},
		{"new description", status(rfe, "We sent another request.", "02-01-2026 10:00:00"), detect.TypeStatusChanged},
		{"spelling of the title", status("request for evidence was sent ", "We sent another request.", "02-01-2026 10:00:00"), detect.TypeStatusUpdated},
		{"new history", status("request for evidence was sent ", "We sent another request.", "02-01-2026 10:00:00",
			hist("2026-01-20", "Fingerprints taken.")), detect.TypeStatusUpdated},
	}
	for _, s := range steps {
		out := f.observe(t, s.res)
		if out.Type != s.want {
			t.Errorf("%s: type %q, want %q", s.name, out.Type, s.want)
		}
	}
	evs := f.timeline(t, f.tenants[0])
	want := []string{"baseline", "status_updated", "status_changed", "status_changed",
		"status_updated", "history", "status_updated"}
	if got := types(evs); !equal(got, want) {
		t.Fatalf("timeline %v, want %v", got, want)
	}
	changed := evs[2]
	if changed.PreviousCategory != "acceptance" || changed.Category != "evidence_request" {
		t.Errorf("change %s -> %s, want acceptance -> evidence_request",
			changed.PreviousCategory, changed.Category)
	}
	for i, e := range evs {
		if e.Sequence != int64(i+1) || e.FeedSeq != int64(i+1) {
			t.Errorf("event %d: sequence %d feed %d", i, e.Sequence, e.FeedSeq)
		}
	}
}

// TestErrorsChangeNothing runs every kind but KindStatus, before and after a baseline.
func TestErrorsChangeNothing(t *testing.T) {
	kinds := []uscis.Kind{uscis.KindNotFound, uscis.KindBadFormat, uscis.KindRateLimited,
		uscis.KindQuotaExhausted, uscis.KindUnavailable, uscis.KindUnauthorized,
		uscis.KindMalformed, uscis.Kind(99)}
	for _, baseline := range []bool{false, true} {
		for _, k := range kinds {
			t.Run(fmt.Sprintf("%v/baseline=%v", k, baseline), func(t *testing.T) {
				f := setup(t, 1)
				if baseline {
					f.observe(t, status(received, "d", "01-05-2026 10:00:00"))
				}
				before := f.caseState(t)
				out := f.observe(t, uscis.Result{Kind: k, HTTPStatus: 503, Message: number,
					Status: &uscis.CaseStatus{TitleEN: "Case Was Denied"}})
				after := f.caseState(t)
				if out.Type != "" || len(out.Events) != 0 {
					t.Errorf("kind %v wrote %d events", k, len(out.Events))
				}
				if after.TitleEn != before.TitleEn || after.Category != before.Category ||
					after.Fingerprint != before.Fingerprint {
					t.Errorf("kind %v changed the status", k)
				}
				wantState := "error"
				if k == uscis.KindNotFound {
					wantState = "not_found"
				}
				if after.CheckState != wantState || after.ConsecutiveErrors != 1 ||
					after.LastCheckTime == nil {
					t.Errorf("check = %s/%d", after.CheckState, after.ConsecutiveErrors)
				}
				if want := 1; baseline && len(f.timeline(t, f.tenants[0])) != want {
					t.Errorf("timeline has %d events, want 1", len(f.timeline(t, f.tenants[0])))
				}
			})
		}
	}
}

func TestHistoryOrder(t *testing.T) {
	f := setup(t, 1)
	f.observe(t, status(received, "d", "03-01-2026 10:00:00",
		hist("2026-02-10", "second on the tenth"),
		hist("2026-01-05", "first"),
		hist("2026-02-10", "third on the tenth"),
	))
	evs := f.timeline(t, f.tenants[0])
	var texts []string
	for _, e := range evs {
		texts = append(texts, e.DescriptionEn)
		if e.Type == detect.TypeHistory && e.Source != string(detect.SourceUSCISHistory) {
			t.Errorf("history source %q", e.Source)
		}
	}
	want := []string{"first", "second on the tenth", "third on the tenth", "d"}
	if !equal(texts, want) {
		t.Fatalf("timeline %q, want %q", texts, want)
	}
	if evs[0].UscisDateRaw != "2026-01-05" || evs[0].UscisTime == nil {
		t.Errorf("history date %q %v", evs[0].UscisDateRaw, evs[0].UscisTime)
	}
	// The same history again, plus one entry: only the new entry joins.
	out := f.observe(t, status(received, "d", "03-01-2026 10:00:00",
		hist("2026-02-10", "second on the tenth"), hist("2026-01-05", "first"),
		hist("2026-02-10", "third on the tenth"), hist("2026-02-20", "fourth")))
	if got := types(out.Events); !equal(got, []string{"history", "status_updated"}) {
		t.Fatalf("second answer wrote %v", got)
	}
}

func TestFanOutAndUntrack(t *testing.T) {
	f := setup(t, 2)
	a, b := f.tenants[0], f.tenants[1]
	// b's feed already has an event, so its feed position differs from a's.
	err := f.st.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := detect.AppendSystemEvent(context.Background(), tx,
			detect.SystemEvent{TenantID: b, Type: detect.TypeEndpointDisabled, WebhookEndpointID: "whe_1"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	out := f.observe(t, status(received, "d", "01-05-2026 10:00:00"))
	if len(out.Events) != 2 {
		t.Fatalf("%d events, want one per tenant", len(out.Events))
	}
	ea, eb := f.timeline(t, a), f.timeline(t, b)
	if len(ea) != 1 || len(eb) != 1 || ea[0].ID == eb[0].ID {
		t.Fatalf("timelines %d %d", len(ea), len(eb))
	}
	if ea[0].FeedSeq != 1 || eb[0].FeedSeq != 2 {
		t.Errorf("feed positions %d %d, want 1 2", ea[0].FeedSeq, eb[0].FeedSeq)
	}
	if err := f.tr.Untrack(context.Background(), a, number); err != nil {
		t.Fatal(err)
	}
	if n := f.caseState(t).Trackers; n != 1 {
		t.Errorf("trackers = %d after one untrack, want 1", n)
	}
	f.observe(t, status(rfe, "r", "02-05-2026 10:00:00"))
	if len(f.timeline(t, a)) != 1 || len(f.timeline(t, b)) != 2 {
		t.Errorf("after untrack by a: a has %d, b has %d events", len(f.timeline(t, a)),
			len(f.timeline(t, b)))
	}
}

// TestLateChange: a change found late carries an older USCIS date but is new by the time
// casewire observed it.
func TestLateChange(t *testing.T) {
	f := setup(t, 1)
	f.observe(t, status(rfe, "r", "03-01-2026 10:00:00"))
	out := f.observe(t, status("Case Was Approved", "a", "02-01-2026 10:00:00"))
	if out.Type != detect.TypeStatusChanged {
		t.Fatalf("late change type %q", out.Type)
	}
	evs := f.timeline(t, f.tenants[0])
	if len(evs) != 2 || evs[1].Category != "decision" || !evs[1].ObserveTime.After(evs[0].ObserveTime) {
		t.Fatalf("late change not appended last by observe time")
	}
}

func TestKeepFormTypeAndUnknown(t *testing.T) {
	f := setup(t, 1)
	f.observe(t, status(received, "d", "01-05-2026 10:00:00"))
	res := status("Something Nobody Has Seen", "zzz", "01-06-2026 10:00:00")
	res.Status.FormType = ""
	out := f.observe(t, res)
	if out.Status.FormType != "I-130" || f.caseState(t).FormType != "I-130" {
		t.Errorf("form type %q, want I-130 kept", out.Status.FormType)
	}
	if out.Status.Category != classify.Unknown {
		t.Fatalf("category %s", out.Status.Category)
	}
	if got := unknownCount(t, f.reg); got != 1 {
		t.Errorf("unknown counter = %v", got)
	}
}

func unknownCount(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "casewire_detect_unknown_status_total" {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("no unknown counter")
	return 0
}

func TestNotifier(t *testing.T) {
	f := setup(t, 1)
	wait := f.d.Notifier().Wait(f.tenants[0])
	f.observe(t, status(received, "d", ""))
	select {
	case <-wait:
	case <-time.After(time.Second):
		t.Fatal("watcher not woken")
	}
}

func TestObserveUnknownReceipt(t *testing.T) {
	f := setup(t, 0)
	_, err := f.d.Observe(context.Background(), number, status(received, "d", ""), detect.SourcePoll)
	if err == nil {
		t.Fatal("observing an untracked receipt succeeded")
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
