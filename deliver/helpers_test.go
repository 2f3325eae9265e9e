package deliver

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/casewire/casewire/access"
	"github.com/casewire/casewire/detect"
	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/delivery"
	"github.com/casewire/casewire/ent/deliveryattempt"
	"github.com/casewire/casewire/secretbox"
	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/store/storetest"
)

// fixture is a running delivery service on a fresh database with one tenant.
type fixture struct {
	st     *store.Store
	svc    *Service
	tenant string
}

func appendSystem(ctx context.Context, tx *store.Tx, tenant, typ, endpoint string) (*ent.Event, error) {
	return detect.AppendSystemEvent(ctx, tx, detect.SystemEvent{
		TenantID: tenant, Type: typ, WebhookEndpointID: endpoint})
}

func testConfig(cfg Config) Config {
	cfg.AllowInsecure = true
	cfg.TestOnly = true
	cfg.AppendEvent = appendSystem
	if testing.Verbose() {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	cfg.FetchPollInterval = or(cfg.FetchPollInterval, 20*time.Millisecond)
	cfg.Timeout = or(cfg.Timeout, 2*time.Second)
	return cfg
}

func start(t *testing.T, cfg Config) *fixture {
	t.Helper()
	st := storetest.Open(t)
	key, _ := secretbox.NewKey()
	ring, _ := secretbox.Parse(key)
	return startOn(t, st, ring, testConfig(cfg))
}

func startOn(t *testing.T, st *store.Store, ring *secretbox.Keyring, cfg Config) *fixture {
	t.Helper()
	svc, err := New(st, ring, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = svc.Stop(ctx)
	})
	ten, _, err := access.CreateTenant(context.Background(), st.Ent, "Firm")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, svc: svc, tenant: ten.ID}
}

// endpoint registers an endpoint for url and returns it with its secret.
func (f *fixture) endpoint(t *testing.T, url string, filter Filter) (*ent.WebhookEndpoint, string) {
	t.Helper()
	ep, secret, err := f.svc.CreateEndpoint(context.Background(), f.tenant,
		EndpointSpec{URL: url, Filter: filter, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return ep, secret
}

// emit writes a status event of a receipt and enqueues its deliveries in one transaction.
func (f *fixture) emit(t *testing.T, receipt string, seq int64, category string) *ent.Event {
	t.Helper()
	ctx := context.Background()
	var ev *ent.Event
	err := f.st.InTx(ctx, func(tx *store.Tx) error {
		ten, err := tx.Ent.Tenant.UpdateOneID(f.tenant).AddEventSeq(1).Save(ctx)
		if err != nil {
			return err
		}
		ev, err = tx.Ent.Event.Create().SetTenantID(f.tenant).SetFeedSeq(ten.EventSeq).
			SetType("status_changed").SetReceiptNumber(receipt).SetSequence(seq).
			SetObserveTime(time.Now().UTC()).SetSource("poll").SetCategory(category).
			SetTitleEn("Case Was Approved").Save(ctx)
		if err != nil {
			return err
		}
		return f.svc.Enqueue(ctx, tx, []*ent.Event{ev})
	})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// wait polls cond until it holds or 15 seconds pass.
func wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (f *fixture) deliveryOf(t *testing.T, endpointID, eventID string) *ent.Delivery {
	t.Helper()
	d, err := f.st.Ent.Delivery.Query().Where(delivery.EndpointID(endpointID),
		delivery.EventID(eventID)).Order(ent.Desc(delivery.FieldID)).First(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (f *fixture) waitState(t *testing.T, endpointID, eventID, state string) *ent.Delivery {
	t.Helper()
	var d *ent.Delivery
	defer func() {
		if t.Failed() {
			t.Logf("last seen: %+v", d)
			var errs sql.NullString
			_ = f.st.DB.QueryRow("SELECT errors FROM river_job WHERE id = " +
				fmt.Sprint(d.JobID)).Scan(&errs)
			t.Logf("job errors: %s", errs.String)
		}
	}()
	wait(t, "delivery "+state, func() bool {
		d = f.deliveryOf(t, endpointID, eventID)
		return d.State == state
	})
	return d
}

func (f *fixture) attempts(t *testing.T, deliveryID string) []*ent.DeliveryAttempt {
	t.Helper()
	rows, err := f.st.Ent.DeliveryAttempt.Query().
		Where(deliveryattempt.DeliveryID(deliveryID)).
		Order(ent.Asc(deliveryattempt.FieldNumber)).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// hit is one request a receiver saw.
type hit struct {
	header http.Header
	body   []byte
	at     time.Time
}

// receiver is a loopback webhook receiver that records requests and answers with answer.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	hits   []hit
	answer func(w http.ResponseWriter, r *http.Request, n int)
}

func newReceiver(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, n int)) *receiver {
	rc := &receiver{answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.hits = append(rc.hits, hit{header: r.Header.Clone(), body: b, at: time.Now()})
		n := len(rc.hits)
		rc.mu.Unlock()
		if rc.answer != nil {
			rc.answer(w, r, n)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) all() []hit {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hit(nil), rc.hits...)
}

func (rc *receiver) count() int { return len(rc.all()) }
