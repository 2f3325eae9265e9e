package uscis_test

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/casewire/casewire/uscis"
	"github.com/casewire/casewire/uscis/emulator"
)

func TestQuotaWindow(t *testing.T) {
	at := func(d, h, m int) time.Time { return time.Date(2025, 3, d, h, m, 0, 0, time.UTC) }
	tests := []struct {
		name string
		t    time.Time
		hour int
		want time.Time
	}{
		{"midnight reset, midday", at(4, 12, 0), 0, at(4, 0, 0)},
		{"midnight reset, at reset", at(4, 0, 0), 0, at(4, 0, 0)},
		{"midnight reset, just before", at(4, 23, 59), 0, at(4, 0, 0)},
		{"reset at 5, before it", at(4, 4, 59), 5, at(3, 5, 0)},
		{"reset at 5, after it", at(4, 5, 1), 5, at(4, 5, 0)},
		{"month boundary", time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC), 5,
			time.Date(2025, 2, 28, 5, 0, 0, 0, time.UTC)},
		{"other zone", time.Date(2025, 3, 4, 21, 0, 0, 0, uscis.Eastern), 0, at(5, 0, 0)},
	}
	for _, tt := range tests {
		if got := uscis.QuotaWindow(tt.t, tt.hour); !got.Equal(tt.want) {
			t.Errorf("%s: QuotaWindow = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMemoryQuota(t *testing.T) {
	q := uscis.NewMemoryQuota()
	ctx := context.Background()
	w1 := time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= 3; i++ {
		if used, ok, _ := q.Reserve(ctx, w1, 3); !ok || used != i {
			t.Fatalf("reserve %d: used %d ok %v", i, used, ok)
		}
	}
	if used, ok, _ := q.Reserve(ctx, w1, 3); ok || used != 3 {
		t.Errorf("over limit: used %d ok %v", used, ok)
	}
	w2 := w1.Add(24 * time.Hour)
	if used, ok, _ := q.Reserve(ctx, w2, 3); !ok || used != 1 {
		t.Errorf("new window: used %d ok %v", used, ok)
	}
	if n, _ := q.Used(ctx, w1); n != 0 {
		t.Errorf("old window kept %d", n)
	}
}

// TestPacerServesRefreshFirst queues routine waiters, then one refresh: the refresh gets
// the next free slot ahead of them.
func TestPacerServesRefreshFirst(t *testing.T) {
	p := uscis.NewRatePacer(20)
	ctx := context.Background()
	_ = p.Wait(ctx, uscis.PriorityRoutine) // spends the burst
	var mu sync.Mutex
	var order []uscis.Priority
	var wg sync.WaitGroup
	wait := func(pr uscis.Priority) {
		defer wg.Done()
		if err := p.Wait(ctx, pr); err != nil {
			t.Error(err)
		}
		mu.Lock()
		order = append(order, pr)
		mu.Unlock()
	}
	for range 5 {
		wg.Add(1)
		go wait(uscis.PriorityRoutine)
	}
	time.Sleep(10 * time.Millisecond)
	wg.Add(1)
	go wait(uscis.PriorityRefresh)
	wg.Wait()
	pos := -1
	for i, pr := range order {
		if pr == uscis.PriorityRefresh {
			pos = i
		}
	}
	if pos < 0 || pos > 1 {
		t.Errorf("refresh served at position %d of %v", pos, order)
	}
}

func TestPacerWaitHonoursContext(t *testing.T) {
	p := uscis.NewRatePacer(0.1)
	_ = p.Wait(context.Background(), uscis.PriorityRoutine)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := p.Wait(ctx, uscis.PriorityRoutine); err == nil {
		t.Error("Wait returned a slot a rate of 0.1/s cannot give")
	}
}

// arrivals records when requests reach the emulator.
type arrivals struct {
	mu    sync.Mutex
	times []time.Time
	next  http.Handler
}

func (a *arrivals) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		a.mu.Lock()
		a.times = append(a.times, time.Now())
		a.mu.Unlock()
	}
	a.next.ServeHTTP(w, r)
}

// TestPaceUnderConcurrency lets many goroutines fetch at once and counts, at the emulator,
// the requests in every one-second window: never more than the pace allows, and no 429.
func TestPaceUnderConcurrency(t *testing.T) {
	const pace, callers = 20, 40
	emu := emulator.New(emulator.Options{TPS: pace})
	rec := &arrivals{next: emu}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	cfg := fastConfig(srv.URL)
	cfg.RequestsPerSecond = pace
	c, err := uscis.New(cfg, uscis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	receipts := emu.Synthetic(callers)
	var wg sync.WaitGroup
	for i, rn := range receipts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr := uscis.PriorityRoutine
			if i%5 == 0 {
				pr = uscis.PriorityRefresh
			}
			if res := c.Fetch(context.Background(), rn, pr); res.Kind != uscis.KindStatus {
				t.Errorf("%v: %v", res.Kind, res.Err)
			}
		}()
	}
	wg.Wait()
	if n := emu.Counts().ByStatus[429]; n != 0 {
		t.Errorf("%d answers were 429", n)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.times) != callers {
		t.Fatalf("emulator saw %d requests, want %d", len(rec.times), callers)
	}
	for i, start := range rec.times {
		n := 0
		for _, at := range rec.times[i:] {
			if at.Sub(start) < time.Second {
				n++
			}
		}
		if n > pace+1 {
			t.Fatalf("%d requests within one second from request %d", n, i)
		}
	}
}

// TestQuotaBudget checks the refresh reserve, that an exhausted quota sends nothing, and
// that the budget comes back when the window resets.
func TestQuotaBudget(t *testing.T) {
	emu := emulator.New(emulator.Options{})
	srv := httptest.NewServer(emu)
	defer srv.Close()
	var mu sync.Mutex
	now := time.Date(2025, 3, 4, 23, 0, 0, 0, time.UTC)
	cfg := fastConfig(srv.URL)
	cfg.DailyQuota, cfg.RefreshReserve = 10, 0.2
	c, err := uscis.New(cfg, uscis.Options{Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}})
	if err != nil {
		t.Fatal(err)
	}
	count := func(p uscis.Priority, n int) map[uscis.Kind]int {
		kinds := map[uscis.Kind]int{}
		var kmu sync.Mutex
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k := c.Fetch(context.Background(), "EAC9999103402", p).Kind
				kmu.Lock()
				kinds[k]++
				kmu.Unlock()
			}()
		}
		wg.Wait()
		return kinds
	}
	if got := count(uscis.PriorityRoutine, 20); got[uscis.KindStatus] != 8 ||
		got[uscis.KindQuotaExhausted] != 12 {
		t.Errorf("routine: %v", got)
	}
	if got := count(uscis.PriorityRefresh, 5); got[uscis.KindStatus] != 2 ||
		got[uscis.KindQuotaExhausted] != 3 {
		t.Errorf("refresh: %v", got)
	}
	if n := emu.Requests(); n != 10 {
		t.Errorf("emulator saw %d requests, want the quota of 10", n)
	}
	h := c.Health()
	if h.QuotaUsed != 10 || h.QuotaLimit != 10 || h.RoutineLimit != 8 || h.QuotaExhausted != 15 ||
		!h.QuotaResetsAt.Equal(time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("health %+v", h)
	}
	mu.Lock()
	now = now.Add(90 * time.Minute)
	mu.Unlock()
	if got := count(uscis.PriorityRoutine, 3); got[uscis.KindStatus] != 3 {
		t.Errorf("after reset: %v", got)
	}
}

// TestNonOKIsNeverAStatus is a property test: whatever a non-200 answer looks like, and
// whatever a 200 answer that is not a usable status looks like, a valid receipt never gets
// KindStatus or KindBadFormat.
func TestNonOKIsNeverAStatus(t *testing.T) {
	statuses := []int{400, 401, 403, 404, 405, 409, 422, 429, 500, 502, 503, 504, 302, 204}
	bodies := [][]byte{nil, []byte("  "), []byte("<html>down</html>"), []byte(`{"code":404`),
		[]byte(`{"message":"Query was successful"}`), []byte(`{"case_status":{}}`),
		[]byte(`[{"message":"x"}]`)}
	for _, f := range []string{"error-401.json", "error-404.json", "error-422.json",
		"error-429.json", "error-503-sandbox-offhours.txt", "status-no-history.json"} {
		b, err := os.ReadFile("testdata/" + f)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var mu sync.Mutex
	var status int
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":"x","token_type":"Bearer","expires_in":"1800"}`))
			return
		}
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	cfg := fastConfig(srv.URL)
	cfg.MaxRetries = -1
	c, err := uscis.New(cfg, uscis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 400 {
		mu.Lock()
		status, body = statuses[rng.IntN(len(statuses))], bodies[rng.IntN(len(bodies))]
		if i%4 == 0 { // a 200 whose body is anything but a usable status
			status, body = 200, bodies[rng.IntN(len(bodies)-1)]
		}
		st, b := status, body
		mu.Unlock()
		res := c.Fetch(context.Background(), "EAC9999103402", uscis.PriorityRoutine)
		if res.Kind == uscis.KindStatus || res.Kind == uscis.KindBadFormat || res.Status != nil {
			t.Fatalf("HTTP %d body %q gave %v", st, b, res.Kind)
		}
	}
}
