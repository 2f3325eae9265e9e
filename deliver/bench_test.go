package deliver

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/secretbox"
	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/store/storetest"
)

// benchWorld is ten tenants with one endpoint each; the first endpoint answers 500, so one
// delivery in ten fails and is retried on the default schedule during the run.
type benchWorld struct {
	st      *store.Store
	svc     *Service
	tenants []string
	mu      sync.Mutex
	sent    map[string]time.Time
	// early holds arrivals that beat their commit's note in sent (latency about zero).
	early map[string]bool
	lat   []time.Duration
	// healthy holds the tenants whose deliveries are timed: the second to the tenth.
	healthy map[string]bool
	got     atomic.Int64
	// receipts numbers events so that each has its own receipt.
	receipts atomic.Int64
}

func newBenchWorld(b *testing.B) *benchWorld {
	return newBenchWorldCfg(b, Config{AllowInsecure: true, Workers: 200,
		FetchCooldown: 5 * time.Millisecond, FetchPollInterval: 20 * time.Millisecond})
}

func newBenchWorldCfg(b *testing.B, cfg Config) *benchWorld {
	st := storetest.Open(b)
	key, _ := secretbox.NewKey()
	ring, _ := secretbox.Parse(key)
	w := &benchWorld{st: st, sent: map[string]time.Time{}, early: map[string]bool{},
		healthy: map[string]bool{}}
	rc := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/t0" {
			rw.WriteHeader(http.StatusInternalServerError)
			return
		}
		now := time.Now()
		id := r.Header.Get("webhook-id")
		w.mu.Lock()
		if at, ok := w.sent[id]; ok {
			w.lat = append(w.lat, now.Sub(at))
			delete(w.sent, id)
			w.got.Add(1)
		} else {
			w.early[id] = true
		}
		w.mu.Unlock()
	}))
	b.Cleanup(rc.Close)
	svc, err := New(st, ring, cfg)
	if err != nil {
		b.Fatal(err)
	}
	w.svc = svc
	for i := range 10 {
		ten, err := st.Ent.Tenant.Create().SetName(fmt.Sprint("firm ", i)).Save(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		w.tenants = append(w.tenants, ten.ID)
		w.healthy[ten.ID] = i > 0
		_, _, err = svc.CreateEndpoint(context.Background(), ten.ID,
			EndpointSpec{URL: fmt.Sprintf("%s/t%d", rc.URL, i), Enabled: true})
		if err != nil {
			b.Fatal(err)
		}
	}
	return w
}

// emit commits n events of each of the given tenants in one transaction with their
// deliveries, and notes the commit time of those whose endpoint is healthy.
func (w *benchWorld) emit(b *testing.B, tenants []int, n int) {
	ctx := context.Background()
	var evs []*ent.Event
	err := w.st.InTx(ctx, func(tx *store.Tx) error {
		evs = evs[:0]
		for _, t := range tenants {
			ten, err := tx.Ent.Tenant.UpdateOneID(w.tenants[t]).AddEventSeq(int64(n)).Save(ctx)
			if err != nil {
				return err
			}
			rows := make([]*ent.EventCreate, n)
			now := time.Now().UTC()
			for i := range rows {
				rows[i] = tx.Ent.Event.Create().SetTenantID(ten.ID).
					SetFeedSeq(ten.EventSeq - int64(n-1-i)).SetType("status_changed").
					SetReceiptNumber(fmt.Sprintf("IOE%010d", w.receipts.Add(1))).SetSequence(1).
					SetObserveTime(now).SetSource("poll").SetCategory("decision")
			}
			saved, err := tx.Ent.Event.CreateBulk(rows...).Save(ctx)
			if err != nil {
				return err
			}
			evs = append(evs, saved...)
		}
		return w.svc.Enqueue(ctx, tx, evs)
	})
	if err != nil {
		b.Error(err) // may run on a goroutine of its own
		return
	}
	at := time.Now()
	w.mu.Lock()
	for _, ev := range evs {
		switch {
		case !w.healthy[ev.TenantID]:
		case w.early[ev.ID]:
			delete(w.early, ev.ID)
			w.lat = append(w.lat, 0)
			w.got.Add(1)
		default:
			w.sent[ev.ID] = at
		}
	}
	w.mu.Unlock()
}

func (w *benchWorld) start(b *testing.B) {
	if err := w.svc.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = w.svc.Stop(context.Background()) })
}

func (w *benchWorld) waitAll(b *testing.B, healthy int64) {
	deadline := time.Now().Add(5 * time.Minute)
	for w.got.Load() < healthy {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d healthy deliveries arrived", w.got.Load(), healthy)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (w *benchWorld) report(b *testing.B, elapsed time.Duration, latency bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.lat) == 0 {
		return
	}
	q := func(p float64) float64 { return quantile(w.lat, p) }
	b.ReportMetric(float64(len(w.lat))/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(0, "ns/op")
	if !latency {
		return
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.95), "p95-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}

// BenchmarkDeliverThroughput commits a backlog of b.N events (transactions of 100, ten
// for each tenant), then starts the workers and measures until every healthy delivery
// arrived: the delivery rate, apart from how fast events are written.
func BenchmarkDeliverThroughput(b *testing.B) {
	w := newBenchWorld(b)
	all := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	batches := max(b.N/100, 1)
	for range batches {
		w.emit(b, all, 10)
	}
	b.ResetTimer()
	begin := time.Now()
	w.start(b)
	w.waitAll(b, int64(batches*90))
	w.report(b, time.Since(begin), false)
}

// BenchmarkDeliverAt200PerSecond commits b.N events one per transaction at 200 events a
// second, round robin over the ten tenants, and measures commit-to-receipt latency.
func BenchmarkDeliverAt200PerSecond(b *testing.B) {
	w := newBenchWorld(b)
	w.start(b)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	b.ResetTimer()
	begin := time.Now()
	healthy := int64(0)
	var wg sync.WaitGroup
	for i := range b.N {
		<-tick.C
		wg.Go(func() { w.emit(b, []int{i % 10}, 1) })
		if i%10 != 0 {
			healthy++
		}
	}
	wg.Wait()
	w.waitAll(b, healthy)
	w.report(b, time.Since(begin), true)
}

// quantile sorts lat and returns its p-quantile in milliseconds.
func quantile(lat []time.Duration, p float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
}
