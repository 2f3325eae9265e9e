package tracking_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/store/storetest"
	"github.com/casewire/casewire/tracking"
)

// TestTrackCountsTrackers follows one number through two tenants tracking, re-tracking and
// untracking it, and checks the answer and the shared trackers count at each step.
func TestTrackCountsTrackers(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	svc := tracking.New(st, tracking.Options{Now: func() time.Time { return now }})
	a, b := newTenant(t, st, "a"), newTenant(t, st, "b")
	const n1, n2 = "EAC2190000001", "XYZ2190000002"

	one := func(tenant, number string, labels []string, wantCreated bool, wantTrackers int) tracking.Receipt {
		t.Helper()
		res, err := svc.Track(ctx, tenant, []tracking.Request{{Number: number, Labels: labels,
			ClientReference: " ref "}})
		if err != nil || len(res.Errors) > 0 || len(res.Receipts) != 1 {
			t.Fatalf("track: %v %+v", err, res.Errors)
		}
		r := res.Receipts[0]
		if res.Created[0] != wantCreated || r.Case.Trackers != wantTrackers {
			t.Fatalf("created %v trackers %d, want %v %d", res.Created[0], r.Case.Trackers,
				wantCreated, wantTrackers)
		}
		if r.Tracked.ClientReference != "ref" || !slices.Equal(r.Tracked.Labels, labels) ||
			r.Tracked.UntrackTime != nil || r.Tracked.ReceiptNumber != number {
			t.Fatalf("tracked row %+v", r.Tracked)
		}
		return r
	}
	first := one(a, n1, []string{"x"}, true, 1)
	if first.Case.CheckState != "pending" || !first.Case.NextCheckTime.Equal(now) {
		t.Fatalf("new case %+v", first.Case)
	}
	one(b, n1, []string{}, true, 2)
	again := one(a, n1, []string{"y", "z"}, false, 2)
	if again.Tracked.ID != first.Tracked.ID || !again.Tracked.CreateTime.Equal(now) {
		t.Fatalf("re-track changed the row: %+v", again.Tracked)
	}
	for _, tenant := range []string{a, b} {
		if err := svc.Untrack(ctx, tenant, n1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Ent.CaseState.UpdateOneID(n1).SetNextCheckTime(now.Add(time.Hour)).
		Save(ctx); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	back := one(a, n1, []string{"y", "z"}, true, 1)
	if back.Tracked.ID != first.Tracked.ID || !back.Case.NextCheckTime.Equal(now) {
		t.Fatalf("tracked again: %+v %v", back.Tracked, back.Case.NextCheckTime)
	}
	// Tracking again with nothing but the number keeps what the firm set.
	res, err := svc.Track(ctx, a, []tracking.Request{{Number: n1}})
	if err != nil || len(res.Receipts) != 1 {
		t.Fatalf("bare re-track: %v", err)
	}
	if kept := res.Receipts[0].Tracked; !slices.Equal(kept.Labels, []string{"y", "z"}) ||
		kept.ClientReference != "ref" {
		t.Fatalf("bare re-track wiped the firm's data: %+v", kept)
	}
	if w := one(a, n2, nil, true, 1).Tracked.Warnings; len(w) != 1 {
		t.Fatalf("warnings %q", w)
	}
}

// TestTrackLargeBatch tracks a batch longer than one SQLite statement holds, with more
// distinct labels than a statement binds once, and checks every row in order.
func TestTrackLargeBatch(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	svc := tracking.New(st, tracking.Options{})
	tenant := newTenant(t, st, "big")
	reqs := make([]tracking.Request, tracking.MaxBatch)
	for i := range reqs {
		reqs[i] = tracking.Request{Number: fmt.Sprintf("EAC%010d", i),
			Labels: []string{fmt.Sprintf("l%d", i%200)}, ClientReference: fmt.Sprint(i)}
	}
	reqs[5].Number = "bad"
	res, err := svc.Track(ctx, tenant, reqs)
	if err != nil || len(res.Errors) != 1 || res.Errors[0].Index != 5 {
		t.Fatalf("track: %v %+v", err, res.Errors)
	}
	if res.CreatedCount != len(reqs)-1 || len(res.Receipts) != len(reqs)-1 {
		t.Fatalf("created %d of %d", res.CreatedCount, len(res.Receipts))
	}
	for i, r := range res.Receipts {
		j := i
		if i >= 5 {
			j++
		}
		if r.Tracked.ReceiptNumber != reqs[j].Number || r.Tracked.Labels[0] != reqs[j].Labels[0] ||
			r.Tracked.ClientReference != reqs[j].ClientReference ||
			r.Case.ID != reqs[j].Number || r.Case.Trackers != 1 {
			t.Fatalf("row %d: %+v", i, r.Tracked)
		}
	}
	page, err := svc.List(ctx, tenant, tracking.Filter{Label: "l7"}, "", 100)
	if err != nil || len(page) != 50 {
		t.Fatalf("list by label: %d, %v", len(page), err)
	}
}

func newTenant(t *testing.T, st *store.Store, name string) string {
	t.Helper()
	return st.Ent.Tenant.Create().SetName(name).SaveX(context.Background()).ID
}
