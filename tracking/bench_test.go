package tracking_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/store/storetest"
	"github.com/casewire/casewire/tracking"
)

const (
	benchTotal = 100000
	benchBatch = 10000
)

func benchTenant(b *testing.B, st *store.Store) string {
	b.Helper()
	return st.Ent.Tenant.Create().SetName("bench").SaveX(context.Background()).ID
}

func trackAll(b *testing.B, svc *tracking.Service, tenant string, prefix string) {
	b.Helper()
	for start := 0; start < benchTotal; start += benchBatch {
		reqs := make([]tracking.Request, benchBatch)
		for i := range reqs {
			reqs[i] = tracking.Request{Number: fmt.Sprintf("%s%010d", prefix, start+i),
				Labels: []string{"bench"}, ClientReference: "ref"}
		}
		res, err := svc.Track(context.Background(), tenant, reqs)
		if err != nil || len(res.Errors) > 0 || res.CreatedCount != benchBatch {
			b.Fatalf("track: %v, %d errors, %d created", err, len(res.Errors), res.CreatedCount)
		}
	}
}

// BenchmarkTrack100k tracks 100,000 new receipts in batches of 10,000 into a fresh database
// and reports the heap in use afterwards.
func BenchmarkTrack100k(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		st := storetest.Open(b)
		svc := tracking.New(st, tracking.Options{})
		tenant := benchTenant(b, st)
		b.StartTimer()
		trackAll(b, svc, tenant, "EAC")
		b.StopTimer()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		b.ReportMetric(float64(m.HeapInuse)/(1<<20), "MiB-heap-after")
		b.ReportMetric(float64(m.Sys)/(1<<20), "MiB-sys")
		b.StartTimer()
	}
	b.ReportMetric(float64(benchTotal), "receipts/op")
}

// BenchmarkListPage lists a page of 100 from the middle of 100,000 tracked receipts, with
// and without a label filter: first right after tracking them, then, on PostgreSQL, after
// ANALYZE has given the planner statistics of the table, as autovacuum does soon after a
// large import.
func BenchmarkListPage(b *testing.B) {
	st := storetest.Open(b)
	svc := tracking.New(st, tracking.Options{})
	tenant := benchTenant(b, st)
	trackAll(b, svc, tenant, "LIN")
	mid, err := svc.List(context.Background(), tenant, tracking.Filter{}, "", benchTotal/2)
	if err != nil {
		b.Fatal(err)
	}
	after := mid[len(mid)-1].Tracked.ID
	filters := []struct {
		name string
		f    tracking.Filter
	}{{"all", tracking.Filter{}}, {"label", tracking.Filter{Label: "bench"}}}
	run := func(prefix string) {
		for _, c := range filters {
			b.Run(prefix+c.name, func(b *testing.B) {
				for b.Loop() {
					page, err := svc.List(context.Background(), tenant, c.f, after, 100)
					if err != nil || len(page) != 100 {
						b.Fatalf("list: %d, %v", len(page), err)
					}
				}
			})
		}
	}
	run("")
	if storetest.Postgres() {
		if _, err := st.DB.Exec("ANALYZE tracked_receipts, case_states"); err != nil {
			b.Fatal(err)
		}
		run("analyzed-")
	}
}
