package schedule

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/store/storetest"
	"github.com/casewire/casewire/uscis"
)

// openTwice opens one fresh database twice, as two processes would.
func openTwice(t *testing.T) (*store.Store, *store.Store) {
	t.Helper()
	cfg := storetest.Config(t)
	a, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	b, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b
}

func TestQuotaConcurrentNeverExceeds(t *testing.T) {
	a, b := openTwice(t)
	ctx := context.Background()
	window := uscis.QuotaWindow(t0, 0)
	const limit, callers, each = 37, 8, 10
	var granted atomic.Int64
	var wg sync.WaitGroup
	for i := range callers {
		q := NewQuota(a)
		if i%2 == 1 {
			q = NewQuota(b)
		}
		wg.Go(func() {
			for range each {
				_, ok, err := q.Reserve(ctx, window, limit)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					granted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got := granted.Load(); got != limit {
		t.Errorf("granted %d reservations, want exactly the limit %d", got, limit)
	}
	if used, err := NewQuota(b).Used(ctx, window); err != nil || used != limit {
		t.Errorf("Used = %d, %v; want %d", used, err, limit)
	}
}

func TestQuotaSurvivesReopen(t *testing.T) {
	cfg := storetest.Config(t)
	ctx := context.Background()
	window := uscis.QuotaWindow(t0, 0)
	first, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, ok, err := NewQuota(first).Reserve(ctx, window, 4); err != nil || !ok {
			t.Fatalf("Reserve: %v %v", ok, err)
		}
	}
	first.Close()
	again, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	q := NewQuota(again)
	if used, ok, err := q.Reserve(ctx, window, 4); err != nil || !ok || used != 4 {
		t.Fatalf("after reopen Reserve = %d %v %v, want 4 true", used, ok, err)
	}
	if used, ok, _ := q.Reserve(ctx, window, 4); ok || used != 4 {
		t.Errorf("over the limit after reopen: Reserve = %d %v", used, ok)
	}
}

func TestQuotaResetsAtConfiguredHour(t *testing.T) {
	st := storetest.Open(t)
	ctx := context.Background()
	const hour = 7
	now := time.Date(2026, 3, 2, 6, 59, 0, 0, time.UTC)
	q := NewQuota(st)
	if _, ok, _ := q.Reserve(ctx, uscis.QuotaWindow(now, hour), 1); !ok {
		t.Fatal("first reservation refused")
	}
	if _, ok, _ := q.Reserve(ctx, uscis.QuotaWindow(now.Add(30*time.Second), hour), 1); ok {
		t.Fatal("second reservation before the reset hour granted")
	}
	after := now.Add(2 * time.Minute)
	if used, ok, err := q.Reserve(ctx, uscis.QuotaWindow(after, hour), 1); !ok || used != 1 {
		t.Errorf("after %02d:00 Reserve = %d %v %v, want a fresh window", hour, used, ok, err)
	}
}

func TestPacerSharedAcrossProcesses(t *testing.T) {
	a, b := openTwice(t)
	const rps, calls = 20.0, 20
	pa, pb := NewPacer(a, rps, 0), NewPacer(b, rps, 0)
	var mu sync.Mutex
	var times []time.Time
	start := time.Now()
	var wg sync.WaitGroup
	for i := range calls {
		p := pa
		if i%2 == 1 {
			p = pb
		}
		wg.Go(func() {
			if err := p.Wait(context.Background(), uscis.PriorityRoutine); err != nil {
				t.Error(err)
			}
			mu.Lock()
			times = append(times, time.Now())
			mu.Unlock()
		})
	}
	wg.Wait()
	// calls slots at rps need (calls-1)/rps seconds whatever process each caller is in.
	minSpan := time.Duration(float64(calls-1) / rps * float64(time.Second))
	if got := time.Since(start); got < minSpan-50*time.Millisecond {
		t.Errorf("%d calls at %v/s on two processes took %v, want at least %v", calls, rps, got, minSpan)
	}
}

func TestPacerHonoursContext(t *testing.T) {
	st := storetest.Open(t)
	p := NewPacer(st, 0.5, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := p.Wait(ctx, uscis.PriorityRoutine); err != nil {
		t.Fatalf("first slot: %v", err)
	}
	if err := p.Wait(ctx, uscis.PriorityRoutine); err == nil {
		t.Error("second slot at 0.5/s granted within 200ms")
	}
}
