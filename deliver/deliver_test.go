package deliver

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riverqueue/river/rivertype"

	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/event"
	"github.com/casewire/casewire/secretbox"
	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/store/storetest"
	"github.com/casewire/casewire/webhook"
)

func TestDeliversSignedEvent(t *testing.T) {
	f := start(t, Config{})
	rc := newReceiver(t, nil)
	ep, secret := f.endpoint(t, rc.URL, Filter{})
	ev := f.emit(t, "IOE0912345678", 1, "decision")
	d := f.waitState(t, ep.ID, ev.ID, StateSucceeded)
	hits := rc.all()
	if len(hits) != 1 {
		t.Fatalf("receiver saw %d requests", len(hits))
	}
	v, _ := webhook.NewVerifier(secret)
	if err := v.Verify(hits[0].header, hits[0].body); err != nil {
		t.Fatalf("delivery does not verify: %v", err)
	}
	if hits[0].header.Get(webhook.HeaderID) != ev.ID {
		t.Fatalf("webhook-id %q, want the event id", hits[0].header.Get(webhook.HeaderID))
	}
	var p webhook.Payload
	if err := json.Unmarshal(hits[0].body, &p); err != nil || p.Type != webhook.TypeStatusChanged {
		t.Fatalf("payload %s: %v", hits[0].body, err)
	}
	got, err := p.Event()
	if err != nil || got.GetReceiptNumber() != "IOE0912345678" || got.GetSequence() != 1 {
		t.Fatalf("event %v: %v", got, err)
	}
	atts := f.attempts(t, d.ID)
	if len(atts) != 1 || atts[0].StatusCode != 200 || d.AttemptCount != 1 {
		t.Fatalf("attempts %+v, delivery %+v", atts, d)
	}
	ep, _ = f.svc.Endpoint(context.Background(), f.tenant, ep.ID)
	if ep.LastSuccessTime == nil || ep.FailingSinceTime != nil {
		t.Fatalf("endpoint health not recorded: %+v", ep)
	}
}

func TestFilters(t *testing.T) {
	f := start(t, Config{})
	rc := newReceiver(t, nil)
	decisions, _ := f.endpoint(t, rc.URL, Filter{Categories: []string{"decision"}})
	all, _ := f.endpoint(t, rc.URL, Filter{})
	review := f.emit(t, "IOE0912345678", 1, "review")
	decision := f.emit(t, "IOE0912345678", 2, "decision")
	f.waitState(t, decisions.ID, decision.ID, StateSucceeded)
	f.waitState(t, all.ID, review.ID, StateSucceeded)
	n, err := f.st.Ent.Delivery.Query().Count(context.Background())
	if err != nil || n != 3 {
		t.Fatalf("%d deliveries, want 3 (review filtered out of one endpoint)", n)
	}
}

// Receivers that misbehave: each failing one is retried on the schedule and then fails,
// with every attempt recorded.
func TestReceiverFaults(t *testing.T) {
	elsewhere := newReceiver(t, nil)
	cases := []struct {
		name    string
		answer  func(w http.ResponseWriter, r *http.Request, n int)
		state   string
		status  int
		errPart string
	}{
		{"500", func(w http.ResponseWriter, _ *http.Request, _ int) {
			http.Error(w, "boom", 500)
		}, StateFailed, 500, "answered 500"},
		{"hangs", func(w http.ResponseWriter, r *http.Request, _ int) {
			<-r.Context().Done()
		}, StateFailed, 0, "no answer within"},
		{"resets", func(w http.ResponseWriter, _ *http.Request, _ int) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}, StateFailed, 0, ""},
		{"redirects", func(w http.ResponseWriter, r *http.Request, _ int) {
			http.Redirect(w, r, elsewhere.URL, http.StatusTemporaryRedirect)
		}, StateFailed, 307, "redirects are not followed"},
		{"slow but in time", func(w http.ResponseWriter, _ *http.Request, _ int) {
			time.Sleep(300 * time.Millisecond)
		}, StateSucceeded, 200, ""},
	}
	f := start(t, Config{Timeout: time.Second, Schedule: Schedule{50 * time.Millisecond, 50 * time.Millisecond}})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc := newReceiver(t, c.answer)
			ep, _ := f.endpoint(t, rc.URL, Filter{})
			ev := f.emit(t, "IOE09"+strings.Repeat("1", 8), 1, "review")
			d := f.waitState(t, ep.ID, ev.ID, c.state)
			atts := f.attempts(t, d.ID)
			want := 3
			if c.state == StateSucceeded {
				want = 1
			}
			if len(atts) != want || rc.count() != want {
				t.Fatalf("%d attempts recorded, %d received, want %d", len(atts), rc.count(), want)
			}
			for _, a := range atts {
				if a.StatusCode != c.status || !strings.Contains(a.Error, c.errPart) {
					t.Fatalf("attempt %d: status %d error %q", a.Number, a.StatusCode, a.Error)
				}
				if c.state == StateFailed && a.Error == "" {
					t.Fatalf("failed attempt %d has no error", a.Number)
				}
			}
			if c.name == "slow but in time" && atts[0].DurationMs < 300 {
				t.Fatalf("duration %dms", atts[0].DurationMs)
			}
		})
	}
	if elsewhere.count() != 0 {
		t.Fatal("a redirect was followed")
	}
}

func TestBoundsStoredBody(t *testing.T) {
	f := start(t, Config{Schedule: Schedule{}})
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(500)
		w.Write([]byte(strings.Repeat("é", 10000) + "\x00"))
	})
	ep, _ := f.endpoint(t, rc.URL, Filter{})
	ev := f.emit(t, "IOE0912345678", 1, "review")
	d := f.waitState(t, ep.ID, ev.ID, StateFailed)
	body := f.attempts(t, d.ID)[0].ResponseBody
	if len(body) > maxStoredBody || len(body) < maxStoredBody-4 {
		t.Fatalf("stored %d bytes of the body", len(body))
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	f := start(t, Config{Schedule: Schedule{10 * time.Millisecond}})
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	})
	ep, _ := f.endpoint(t, rc.URL, Filter{})
	ev := f.emit(t, "IOE0912345678", 1, "review")
	f.waitState(t, ep.ID, ev.ID, StateSucceeded)
	hits := rc.all()
	if gap := hits[1].at.Sub(hits[0].at); gap < 1900*time.Millisecond {
		t.Fatalf("retried after %s despite Retry-After: 2", gap)
	}
}

func TestGoneDisablesEndpointAndReenableResumes(t *testing.T) {
	f := start(t, Config{})
	gone := true
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		if gone {
			w.WriteHeader(http.StatusGone)
		}
	})
	other := newReceiver(t, nil)
	ep, _ := f.endpoint(t, rc.URL, Filter{})
	watcher, _ := f.endpoint(t, other.URL, Filter{EventTypes: []string{"endpoint_disabled"}})
	ev := f.emit(t, "IOE0912345678", 1, "review")
	f.waitState(t, ep.ID, ev.ID, StatePaused)
	ctx := context.Background()
	row, _ := f.svc.Endpoint(ctx, f.tenant, ep.ID)
	if row.Enabled || !strings.Contains(row.DisabledReason, "410") {
		t.Fatalf("endpoint %+v not disabled by 410", row)
	}
	disabled, err := f.st.Ent.Event.Query().Where(event.Type("endpoint_disabled"),
		event.WebhookEndpointID(ep.ID)).Only(ctx)
	if err != nil {
		t.Fatalf("no endpoint_disabled event: %v", err)
	}
	f.waitState(t, watcher.ID, disabled.ID, StateSucceeded)
	var p webhook.Payload
	_ = json.Unmarshal(other.all()[0].body, &p)
	if p.Type != webhook.TypeEndpointDisabled {
		t.Fatalf("watcher got %q", p.Type)
	}
	gone = false
	_, err = f.svc.UpdateEndpoint(ctx, f.tenant, ep.ID, EndpointSpec{Enabled: true},
		map[string]bool{FieldEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	f.waitState(t, ep.ID, ev.ID, StateSucceeded)
}

func TestFailingTooLongDisables(t *testing.T) {
	f := start(t, Config{DisableAfter: 400 * time.Millisecond,
		Schedule: slices.Repeat(Schedule{100 * time.Millisecond}, 100)})
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(502) })
	ep, _ := f.endpoint(t, rc.URL, Filter{})
	ev := f.emit(t, "IOE0912345678", 1, "review")
	d := f.waitState(t, ep.ID, ev.ID, StatePaused)
	if d.AttemptCount < 3 {
		t.Fatalf("disabled after %d attempts", d.AttemptCount)
	}
	row, _ := f.svc.Endpoint(context.Background(), f.tenant, ep.ID)
	if row.Enabled || !strings.Contains(row.DisabledReason, "no successful delivery") {
		t.Fatalf("endpoint %+v", row)
	}
	n, _ := f.st.Ent.Event.Query().Where(event.Type("endpoint_disabled")).Count(context.Background())
	if n != 1 {
		t.Fatalf("%d endpoint_disabled events", n)
	}
}

// Events of one receipt reach an endpoint in order; a receipt whose delivery is failing
// holds back only its own later events.
func TestOrderPerReceipt(t *testing.T) {
	f := start(t, Config{Schedule: Schedule{time.Second}})
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.WriteHeader(500)
		}
	})
	ep, _ := f.endpoint(t, rc.URL, Filter{})
	a1 := f.emit(t, "IOE0900000001", 1, "review")
	f.waitState(t, ep.ID, a1.ID, StatePending)
	wait(t, "first attempt", func() bool { return rc.count() == 1 })
	a2 := f.emit(t, "IOE0900000001", 2, "decision")
	b1 := f.emit(t, "IOE0900000002", 1, "review")
	f.waitState(t, ep.ID, a2.ID, StateSucceeded)
	var order []string
	for _, h := range rc.all() {
		order = append(order, h.header.Get(webhook.HeaderID))
	}
	want := []string{a1.ID, b1.ID, a1.ID, a2.ID}
	if !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
}

// A hanging endpoint holds at most PerEndpoint workers; another endpoint keeps flowing.
func TestSlowEndpointDoesNotDelayOthers(t *testing.T) {
	f := start(t, Config{Workers: 10, PerEndpoint: 2, Timeout: 3 * time.Second})
	// The slow endpoint hangs until the fast one has everything: if the fast one waited
	// behind it, neither would ever finish and the wait below would fail.
	release := make(chan struct{})
	slow := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	fast := newReceiver(t, nil)
	f.endpoint(t, slow.URL, Filter{})
	f.endpoint(t, fast.URL, Filter{})
	for i := range 30 {
		f.emit(t, fmt.Sprintf("IOE09%08d", i), 1, "review")
	}
	wait(t, "fast endpoint", func() bool { return fast.count() == 30 })
	n := slow.count()
	close(release)
	if n > 2 {
		t.Fatalf("slow endpoint got %d concurrent requests, bound is 2", n)
	}
}

func TestRotationSignsWithBothSecrets(t *testing.T) {
	f := start(t, Config{})
	rc := newReceiver(t, nil)
	ep, oldSecret := f.endpoint(t, rc.URL, Filter{})
	ctx := context.Background()
	row, newSecret, err := f.svc.RotateSecret(ctx, f.tenant, ep.ID, time.Hour)
	if err != nil || newSecret == oldSecret || row.PreviousSecretExpireTime == nil {
		t.Fatalf("rotate: %v", err)
	}
	ev := f.emit(t, "IOE0912345678", 1, "review")
	f.waitState(t, ep.ID, ev.ID, StateSucceeded)
	h := rc.all()[0]
	if n := len(strings.Fields(h.header.Get(webhook.HeaderSignature))); n != 2 {
		t.Fatalf("%d signatures during the overlap", n)
	}
	for _, s := range []string{oldSecret, newSecret} {
		v, _ := webhook.NewVerifier(s)
		if err := v.Verify(h.header, h.body); err != nil {
			t.Fatalf("verify during overlap: %v", err)
		}
	}
	_, newest, err := f.svc.RotateSecret(ctx, f.tenant, ep.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	ev2 := f.emit(t, "IOE0912345678", 2, "review")
	f.waitState(t, ep.ID, ev2.ID, StateSucceeded)
	h = rc.all()[1]
	stale, _ := webhook.NewVerifier(newSecret)
	fresh, _ := webhook.NewVerifier(newest)
	if stale.Verify(h.header, h.body) == nil || fresh.Verify(h.header, h.body) != nil {
		t.Fatal("a rotation without overlap still signs with the old secret")
	}
}

func TestTestRedeliverReplay(t *testing.T) {
	f := start(t, Config{})
	rc := newReceiver(t, nil)
	ep, _ := f.endpoint(t, rc.URL, Filter{Categories: []string{"decision"}})
	ctx := context.Background()
	since := time.Now().Add(-time.Second)
	d, err := f.svc.Test(ctx, f.tenant, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.waitState(t, ep.ID, d.EventID, StateSucceeded)
	ev := f.emit(t, "IOE0912345678", 1, "decision")
	f.emit(t, "IOE0912345678", 2, "review")
	f.waitState(t, ep.ID, ev.ID, StateSucceeded)
	if _, err := f.svc.Redeliver(ctx, f.tenant, ep.ID, ev.ID); err != nil {
		t.Fatal(err)
	}
	wait(t, "redelivery", func() bool { return rc.count() == 3 })
	if n, err := f.svc.Replay(ctx, f.tenant, ep.ID, since); err != nil || n != 1 {
		t.Fatalf("replay queued %d: %v", n, err)
	}
	wait(t, "replay", func() bool { return rc.count() == 4 })
	var types []string
	for _, h := range rc.all() {
		var p webhook.Payload
		_ = json.Unmarshal(h.body, &p)
		types = append(types, p.Type)
	}
	if types[0] != webhook.TypeTest || rc.all()[3].header.Get(webhook.HeaderID) != ev.ID {
		t.Fatalf("types %v", types)
	}
	other, _, _ := f.svc.CreateEndpoint(ctx, "ten_other", EndpointSpec{URL: rc.URL, Enabled: true})
	if _, err := f.svc.Redeliver(ctx, "ten_other", other.ID, ev.ID); err == nil {
		t.Fatal("another tenant redelivered this tenant's event")
	}
	if _, err := f.svc.Replay(ctx, f.tenant, other.ID, since); err == nil {
		t.Fatal("replayed to another tenant's endpoint")
	}
}

func TestDeleteFailsPending(t *testing.T) {
	f := start(t, Config{Schedule: Schedule{time.Hour}})
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(500) })
	ep, _ := f.endpoint(t, rc.URL, Filter{})
	ev := f.emit(t, "IOE0912345678", 1, "review")
	wait(t, "attempt", func() bool { return rc.count() == 1 })
	ctx := context.Background()
	if err := f.svc.DeleteEndpoint(ctx, f.tenant, ep.ID); err != nil {
		t.Fatal(err)
	}
	if d := f.deliveryOf(t, ep.ID, ev.ID); d.State != StateFailed {
		t.Fatalf("state %s", d.State)
	}
	if _, err := f.svc.Endpoint(ctx, f.tenant, ep.ID); err == nil {
		t.Fatal("deleted endpoint still found")
	}
}

func TestEncryptionKeyRotationReencrypts(t *testing.T) {
	oldKey, _ := secretbox.NewKey()
	newKey, _ := secretbox.NewKey()
	oldRing, _ := secretbox.Parse(oldKey)
	st := storetest.Open(t)
	f := startOn(t, st, oldRing, testConfig(Config{}))
	rc := newReceiver(t, nil)
	ep, secret := f.endpoint(t, rc.URL, Filter{})
	ctx := context.Background()
	if _, _, err := f.svc.RotateSecret(ctx, f.tenant, ep.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	both, _ := secretbox.Parse(newKey + "," + oldKey)
	svc, err := New(st, both, testConfig(Config{}))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := svc.ReencryptSecrets(ctx); err != nil || n != 1 {
		t.Fatalf("re-encrypted %d: %v", n, err)
	}
	if n, _ := svc.ReencryptSecrets(ctx); n != 0 {
		t.Fatalf("second pass re-encrypted %d", n)
	}
	row, _ := st.Ent.WebhookEndpoint.Get(ctx, ep.ID)
	onlyNew, _ := secretbox.Parse(newKey)
	if _, err := onlyNew.Open(*row.PreviousSecret, []byte(ep.ID)); err != nil {
		t.Fatalf("previous secret still needs the old key: %v", err)
	}
	plain, err := onlyNew.Open(row.Secret, []byte(ep.ID))
	if err != nil || string(plain) == secret {
		t.Fatalf("current secret: %v", err)
	}
}

// TestDeadEndpointsCannotTakeThePoolFromAHealthyOne: more hanging endpoints than workers,
// none of which has ever answered, hold only the shared bound of untrusted endpoints; an
// endpoint that has been succeeding keeps getting its deliveries. Without the bound every
// worker would hang and the wait below would fail.
func TestDeadEndpointsCannotTakeThePoolFromAHealthyOne(t *testing.T) {
	f := start(t, Config{Workers: 8, PerEndpoint: 1, Timeout: 30 * time.Second})
	healthy := newReceiver(t, nil)
	f.endpoint(t, healthy.URL, Filter{})
	f.emit(t, "IOE0900000001", 1, "review")
	wait(t, "the healthy endpoint's first success", func() bool { return healthy.count() == 1 })
	time.Sleep(1100 * time.Millisecond) // let the endpoint cache see the success

	release := make(chan struct{})
	defer close(release)
	hung := make([]*receiver, 12)
	for i := range hung {
		hung[i] = newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
		f.endpoint(t, hung[i].URL, Filter{})
	}
	for i := range 10 {
		f.emit(t, fmt.Sprintf("IOE09%08d", 100+i), 1, "review")
	}
	wait(t, "the healthy endpoint's deliveries", func() bool { return healthy.count() == 11 })
	inFlight := 0
	for _, h := range hung {
		inFlight += h.count()
	}
	if limit := max(2*1, 8/untrustedShare); inFlight > limit {
		t.Fatalf("%d requests hang at untrusted endpoints, bound is %d", inFlight, limit)
	}
}

// TestQueuesFollowEndpointHealth: a new endpoint's deliveries start on the untrusted
// queue; once it has succeeded they go on the healthy queue; a failed attempt retries on
// the untrusted queue, and the job it leaves behind does nothing if it runs again.
func TestQueuesFollowEndpointHealth(t *testing.T) {
	f := start(t, Config{Schedule: Schedule{time.Second}})
	ctx := context.Background()
	failing := false
	var mu sync.Mutex
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		mu.Lock()
		defer mu.Unlock()
		if failing {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	ep, _ := f.endpoint(t, rc.URL, Filter{})
	queueOf := func(d *ent.Delivery) string {
		var q string
		if err := f.st.DB.QueryRowContext(ctx, "SELECT queue FROM river_job WHERE id = "+
			fmt.Sprint(d.JobID)).Scan(&q); err != nil {
			t.Fatal(err)
		}
		return q
	}

	first := f.emit(t, "IOE0900000001", 1, "review")
	d := f.waitState(t, ep.ID, first.ID, StateSucceeded)
	if q := queueOf(d); q != QueueUntrusted {
		t.Fatalf("a new endpoint's delivery ran on %q", q)
	}
	second := f.emit(t, "IOE0900000002", 1, "review")
	if q := queueOf(f.deliveryOf(t, ep.ID, second.ID)); q != Queue {
		t.Fatalf("a succeeding endpoint's delivery was queued on %q", q)
	}
	f.waitState(t, ep.ID, second.ID, StateSucceeded)

	mu.Lock()
	failing = true
	mu.Unlock()
	third := f.emit(t, "IOE0900000003", 1, "review")
	wait(t, "the failed attempt", func() bool { return f.deliveryOf(t, ep.ID, third.ID).AttemptCount == 1 })
	d = f.deliveryOf(t, ep.ID, third.ID)
	if q := queueOf(d); q != QueueUntrusted || d.State != StatePending {
		t.Fatalf("after a failure the delivery is %s on %q", d.State, q)
	}
	old := f.deliveryOf(t, ep.ID, second.ID).JobID // a job of this endpoint that has finished
	if err := f.svc.work(ctx, &rivertype.JobRow{ID: old, Queue: QueueUntrusted}, d.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(f.attempts(t, d.ID)); n != 1 {
		t.Fatalf("a job that is no longer the delivery's made an attempt: %d attempts", n)
	}
	mu.Lock()
	failing = false
	mu.Unlock()
	f.waitState(t, ep.ID, third.ID, StateSucceeded)
}

// TestUntrustedAttemptsArePaced: attempts to endpoints without a recent success start no
// faster than Config.UntrustedRate allows, past a small burst, while an endpoint that is
// succeeding is not held back by them. A rate of one attempt in 1,000 s lets only the
// burst through during the test.
func TestUntrustedAttemptsArePaced(t *testing.T) {
	f := start(t, Config{UntrustedRate: 0.001})
	healthy := newReceiver(t, nil)
	f.endpoint(t, healthy.URL, Filter{})
	f.emit(t, "IOE0900000001", 1, "review") // the burst's first token
	wait(t, "the healthy endpoint's first success", func() bool { return healthy.count() == 1 })
	time.Sleep(1100 * time.Millisecond) // let the endpoint cache see the success

	failing := make([]*receiver, 2*untrustedBurst)
	for i := range failing {
		failing[i] = newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
			w.WriteHeader(http.StatusInternalServerError)
		})
		f.endpoint(t, failing[i].URL, Filter{})
	}
	for i := range 5 {
		f.emit(t, fmt.Sprintf("IOE09%08d", 100+i), 1, "review")
	}
	wait(t, "the healthy endpoint's deliveries", func() bool { return healthy.count() == 6 })
	attempted := func() int {
		n := 0
		for _, rc := range failing {
			n += rc.count()
		}
		return n
	}
	wait(t, "the burst of untrusted attempts", func() bool { return attempted() >= untrustedBurst-1 })
	time.Sleep(500 * time.Millisecond)
	if n := attempted(); n > untrustedBurst-1 {
		t.Fatalf("%d attempts reached untrusted endpoints; the pace allows %d", n, untrustedBurst-1)
	}
}

// TestBacklogOfANewEndpointIsNotPaced: a new endpoint's deliveries are queued as
// untrusted, but once its first attempt succeeds the rest are no longer held to the pace
// of untrusted endpoints (which here allows only a small burst), and none of them fails
// for waiting.
func TestBacklogOfANewEndpointIsNotPaced(t *testing.T) {
	f := start(t, Config{UntrustedRate: 0.001, PerEndpoint: 1})
	rc := newReceiver(t, nil)
	f.endpoint(t, rc.URL, Filter{})
	const n = 4 * untrustedBurst
	for i := range n {
		f.emit(t, fmt.Sprintf("IOE09%08d", 100+i), 1, "review")
	}
	wait(t, "the backlog", func() bool { return rc.count() == n })
}

// TestMetricsCountAttemptsByResult: a success, an answer of 500 and a refused connection
// are counted under their results; the 500, with no retry left, counts as a failed
// delivery, and the first-attempt success as a lag.
func TestMetricsCountAttemptsByResult(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	f := start(t, Config{Registerer: reg, Schedule: Schedule{}})
	ok := newReceiver(t, nil)
	bad := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(http.StatusInternalServerError)
	})
	down := newReceiver(t, nil)
	down.Close()
	for _, u := range []string{ok.URL, bad.URL, down.URL} {
		f.endpoint(t, u, Filter{})
	}
	f.emit(t, "IOE0900000001", 1, "review")
	attempts := f.svc.metrics.attempts
	wait(t, "three attempts", func() bool {
		return testutil.ToFloat64(attempts.WithLabelValues(resultSuccess))+
			testutil.ToFloat64(attempts.WithLabelValues(resultHTTPError))+
			testutil.ToFloat64(attempts.WithLabelValues(resultTransport)) == 3
	})
	for _, r := range []string{resultSuccess, resultHTTPError, resultTransport} {
		if n := testutil.ToFloat64(attempts.WithLabelValues(r)); n != 1 {
			t.Errorf("%s attempts = %v, want 1", r, n)
		}
	}
	if n := testutil.ToFloat64(f.svc.metrics.failed); n != 2 {
		t.Errorf("failed deliveries = %v, want 2", n)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP casewire_webhook_endpoints_disabled_total Webhook endpoints disabled by delivery: a 410 Gone, or failing too long.
# TYPE casewire_webhook_endpoints_disabled_total counter
casewire_webhook_endpoints_disabled_total 0
`), "casewire_webhook_endpoints_disabled_total"); err != nil {
		t.Error(err)
	}
	count := func(name string) uint64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == name {
				return mf.GetMetric()[0].GetHistogram().GetSampleCount()
			}
		}
		return 0
	}
	if n := count("casewire_webhook_first_delivery_lag_seconds"); n != 1 {
		t.Errorf("lag samples = %d, want 1", n)
	}
	if n := count("casewire_webhook_attempt_duration_seconds"); n != 3 {
		t.Errorf("duration samples = %d, want 3", n)
	}
}

// TestDisabledEndpointPausesPendingDeliveriesAndEnableResumes: deliveries that were pending
// when their endpoint was disabled (retries, a redelivery) are paused by the worker, not
// failed or left to River's own retries, and go out when the endpoint is enabled again;
// those of a deleted endpoint fail.
func TestDisabledEndpointPausesPendingDeliveriesAndEnableResumes(t *testing.T) {
	f := start(t, Config{})
	ctx := context.Background()
	rc := newReceiver(t, nil)
	ep, _ := f.endpoint(t, rc.URL, Filter{})
	enable := func(on bool) {
		t.Helper()
		if _, err := f.svc.UpdateEndpoint(ctx, f.tenant, ep.ID, EndpointSpec{Enabled: on},
			map[string]bool{FieldEnabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	ev := f.emit(t, "IOE0900000001", 1, "review")
	f.waitState(t, ep.ID, ev.ID, StateSucceeded)
	enable(false)
	d, err := f.svc.Redeliver(ctx, f.tenant, ep.ID, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	paused := func() bool { got, _ := f.st.Ent.Delivery.Get(ctx, d.ID); return got.State == StatePaused }
	wait(t, "the redelivery paused", paused)
	var errs sql.NullString
	if err := f.st.DB.QueryRowContext(ctx, "SELECT errors FROM river_job WHERE id = "+
		fmt.Sprint(d.JobID)).Scan(&errs); err != nil || strings.Contains(errs.String, "panic") {
		t.Fatalf("job errors %q, %v", errs.String, err)
	}
	enable(true)
	wait(t, "the redelivery sent", func() bool { return rc.count() == 2 })

	other := newReceiver(t, nil)
	gone, _ := f.endpoint(t, other.URL, Filter{})
	if err := f.svc.DeleteEndpoint(ctx, f.tenant, gone.ID); err != nil {
		t.Fatal(err)
	}
	// A job of the deleted endpoint that was already queued fails its delivery.
	var dd *ent.Delivery
	err = f.st.InTx(ctx, func(tx *store.Tx) error {
		row := newDelivery(tx, gone, ev)
		id, _ := row.row.Mutation().ID()
		if err := f.svc.insert(ctx, tx, []outgoing{row}); err != nil {
			return err
		}
		dd, err = tx.Ent.Delivery.Get(ctx, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, "the deleted endpoint's delivery failed", func() bool {
		got, _ := f.st.Ent.Delivery.Get(ctx, dd.ID)
		return got.State == StateFailed && got.LastError == "endpoint deleted"
	})
	if other.count() != 0 {
		t.Fatalf("a deleted endpoint received %d requests", other.count())
	}
}

// TestSweepRequeuesStrandedDeliveries: a pending delivery whose job has ended without it
// (here cancelled; the job queue discards one after its own retries, and removes old ones)
// is given a new job by the sweep and delivered; a pending delivery with a live job, and
// a fresh stranded one that may belong to a transaction in flight, are left alone. The
// process runs east of UTC, where a cutoff in local time would compare wrongly with the
// UTC times SQLite stores as text.
func TestSweepRequeuesStrandedDeliveries(t *testing.T) {
	local := time.Local
	time.Local = time.FixedZone("JST", 9*3600)
	defer func() { time.Local = local }()
	f := start(t, Config{})
	ctx := context.Background()
	rc := newReceiver(t, nil)
	ep, _ := f.endpoint(t, rc.URL, Filter{})
	strand := func(receipt string) *ent.Delivery {
		return f.deliveryOf(t, ep.ID, f.emit(t, receipt, 1, "review").ID)
	}
	// Stop the workers while deliveries are stranded, so none is sent before the sweep.
	if err := f.svc.river.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	old, fresh := strand("IOE0900000001"), strand("IOE0900000002")
	live := strand("IOE0900000003")
	if _, err := f.svc.river.JobCancel(ctx, old.JobID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.DB.ExecContext(ctx, "DELETE FROM river_job WHERE id = "+fmt.Sprint(fresh.JobID)); err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-time.Hour).UTC()
	for _, d := range []*ent.Delivery{old, live} {
		f.st.Ent.Delivery.UpdateOneID(d.ID).SetUpdateTime(long).ExecX(ctx)
	}
	n, err := f.svc.sweep(ctx)
	if err != nil || n != 1 {
		t.Fatalf("sweep = %d, %v; want the one old stranded delivery", n, err)
	}
	if again, err := f.svc.sweep(ctx); err != nil || again != 0 {
		t.Fatalf("second sweep = %d, %v", again, err)
	}
	if got := f.st.Ent.Delivery.GetX(ctx, live.ID); got.JobID != live.JobID {
		t.Fatalf("a delivery with a live job was given job %d", got.JobID)
	}
	if got := f.st.Ent.Delivery.GetX(ctx, fresh.ID); got.JobID != fresh.JobID {
		t.Fatalf("a fresh delivery was swept")
	}
	if err := f.svc.river.Start(ctx); err != nil {
		t.Fatal(err)
	}
	f.waitState(t, ep.ID, old.EventID, StateSucceeded)
	f.waitState(t, ep.ID, live.EventID, StateSucceeded)
}

// TestShortRetryAfterDoesNotShortenTheSchedule: a Retry-After shorter than the schedule's
// wait leaves the schedule's wait, so a receiver asking for a second does not burn through
// the retries meant to last days.
func TestShortRetryAfterDoesNotShortenTheSchedule(t *testing.T) {
	f := start(t, Config{Schedule: Schedule{time.Hour}})
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	ep, _ := f.endpoint(t, rc.URL, Filter{})
	ev := f.emit(t, "IOE0912345678", 1, "review")
	var d *ent.Delivery
	wait(t, "the first attempt", func() bool {
		d = f.deliveryOf(t, ep.ID, ev.ID)
		return d.AttemptCount == 1 && d.NextAttemptTime != nil
	})
	if gap := d.NextAttemptTime.Sub(*d.LastAttemptTime); gap < 40*time.Minute {
		t.Fatalf("next attempt in %s, want the schedule's hour (less jitter)", gap)
	}
}

// TestTimedOutAttemptRecordsItsDuration: an attempt that ends without an answer is
// recorded with the time it took, not zero.
func TestTimedOutAttemptRecordsItsDuration(t *testing.T) {
	f := start(t, Config{Timeout: time.Second, Schedule: Schedule{time.Hour}})
	rc := newReceiver(t, func(_ http.ResponseWriter, r *http.Request, _ int) { <-r.Context().Done() })
	ep, _ := f.endpoint(t, rc.URL, Filter{})
	ev := f.emit(t, "IOE0912345678", 1, "review")
	var got []*ent.DeliveryAttempt
	wait(t, "the attempt", func() bool {
		got = f.attempts(t, f.deliveryOf(t, ep.ID, ev.ID).ID)
		return len(got) == 1
	})
	if got[0].StatusCode != 0 || got[0].DurationMs < 900 {
		t.Fatalf("attempt %+v, want no status and about a second", got[0])
	}
}

func TestConfigRefusesNegativeSettings(t *testing.T) {
	st := storetest.Open(t)
	key, _ := secretbox.NewKey()
	ring, _ := secretbox.Parse(key)
	for _, c := range []struct {
		cfg   Config
		field string
	}{
		{Config{Timeout: -time.Second}, "Timeout"},
		{Config{DisableAfter: -time.Hour}, "DisableAfter"},
		{Config{Workers: -1}, "Workers"},
		{Config{PerEndpoint: -1}, "PerEndpoint"},
		{Config{UntrustedRate: -1}, "UntrustedRate"},
	} {
		if _, err := New(st, ring, c.cfg); err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("New with a negative %s: %v", c.field, err)
		}
	}
}
