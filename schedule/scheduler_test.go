package schedule

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/casewire/casewire/detect"
	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/casestate"
	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/store/storetest"
	"github.com/casewire/casewire/uscis"
	"github.com/casewire/casewire/uscis/emulator"
)

// rig is an emulator on loopback with a manual clock, and the receipts it answers.
type rig struct {
	emu  *emulator.Emulator
	url  string
	mu   sync.Mutex
	now  time.Time
	nums []string
}

func newRig(t *testing.T, opts emulator.Options, n int) *rig {
	t.Helper()
	r := &rig{now: t0}
	opts.Clock = r.clock
	opts.Start = t0
	opts.Seed = 7
	r.emu = emulator.New(opts)
	srv := httptest.NewServer(r.emu)
	t.Cleanup(srv.Close)
	r.url = srv.URL
	r.nums = r.emu.Synthetic(n)
	return r
}

func (r *rig) clock() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.now
}

func (r *rig) advance(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.now = r.now.Add(d)
}

// client is a USCIS client on st's shared quota and pace.
func (r *rig) client(t *testing.T, st *store.Store, quota int, reserve float64) *uscis.Client {
	t.Helper()
	c, err := uscis.New(uscis.Config{
		BaseURL: r.url, TokenURL: r.url + "/oauth/accesstoken",
		ClientID: "casewire-dev", ClientSecret: "casewire-dev-secret",
		RequestsPerSecond: 2000, DailyQuota: quota, RefreshReserve: reserve,
		MaxRetries: -1, RetryBase: time.Millisecond,
	}, uscis.Options{Quota: NewQuota(st), Pacer: NewPacer(st, 2000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// detector adapts the change detector to Observer.
type detector struct{ d *detect.Detector }

func (o detector) Observe(ctx context.Context, n string, res uscis.Result, refresh bool) error {
	src := detect.SourcePoll
	if refresh {
		src = detect.SourceRefresh
	}
	_, err := o.d.Observe(ctx, n, res, src)
	return err
}

// recorder is a Fetcher that notes the order and priority of fetches.
type recorder struct {
	f     Fetcher
	mu    sync.Mutex
	order []string
	prio  []uscis.Priority
}

func (r *recorder) Fetch(ctx context.Context, n string, p uscis.Priority) uscis.Result {
	r.mu.Lock()
	r.order = append(r.order, n)
	r.prio = append(r.prio, p)
	r.mu.Unlock()
	return r.f.Fetch(ctx, n, p)
}

func newScheduler(t *testing.T, st *store.Store, f Fetcher, owner string) *Scheduler {
	return New(st, f, detector{detect.New(st, nil, nil, detect.Options{})}, Config{
		Owner: owner, Workers: 4, Idle: 5 * time.Millisecond, Lease: time.Minute,
	})
}

// track stores receipts as tracked and due at due.
func track(t *testing.T, st *store.Store, nums []string, due time.Time) {
	t.Helper()
	bulk := make([]*ent.CaseStateCreate, len(nums))
	for i, n := range nums {
		bulk[i] = st.Ent.CaseState.Create().SetID(n).SetTrackers(1).SetNextCheckTime(due.UTC())
	}
	if err := st.Ent.CaseState.CreateBulk(bulk...).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// drain steps s until nothing is due.
func drain(t *testing.T, s *Scheduler) int {
	t.Helper()
	n := 0
	for {
		did, err := s.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !did {
			return n
		}
		n++
	}
}

func cases(t *testing.T, st *store.Store) map[string]*ent.CaseState {
	t.Helper()
	all, err := st.Ent.CaseState.Query().All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*ent.CaseState{}
	for _, c := range all {
		out[c.ID] = c
	}
	return out
}

func TestTwoProcessesNeverFetchTwice(t *testing.T) {
	a, b := openTwice(t)
	r := newRig(t, emulator.Options{}, 60)
	track(t, a, r.nums, time.Now().Add(-time.Minute))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	scheds := []*Scheduler{
		newScheduler(t, a, r.client(t, a, 10000, 0), "proc-a"),
		newScheduler(t, b, r.client(t, b, 10000, 0), "proc-b"),
	}
	for _, s := range scheds {
		wg.Go(func() { _ = s.Run(ctx) })
	}
	deadline := time.Now().Add(20 * time.Second)
	for r.emu.Requests() < int64(len(r.nums)) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // room for a second fetch, were there one
	cancel()
	wg.Wait()
	if got := r.emu.Requests(); got != int64(len(r.nums)) {
		t.Errorf("emulator saw %d case-status requests for %d receipts, want one each", got, len(r.nums))
	}
	for n, c := range cases(t, a) {
		if c.CheckState != detect.CheckOK || !c.NextCheckTime.After(time.Now()) {
			t.Errorf("%s: check %s, next %v", n, c.CheckState, c.NextCheckTime)
		}
		if c.LeaseOwner != "" || c.LeaseUntil != nil {
			t.Errorf("%s: lease %q kept after a graceful stop", n, c.LeaseOwner)
		}
	}
}

func TestRefreshBeforeRoutine(t *testing.T) {
	st := storetest.Open(t)
	r := newRig(t, emulator.Options{}, 12)
	now := time.Now()
	track(t, st, r.nums[:10], now.Add(-time.Hour))
	track(t, st, r.nums[10:], now.Add(-time.Second))
	_, err := st.Ent.CaseState.Update().Where(casestate.IDIn(r.nums[10:]...)).
		SetRefreshRequested(true).Save(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{f: r.client(t, st, 10000, 0)}
	s := newScheduler(t, st, rec, "p")
	if n := drain(t, s); n != 12 {
		t.Fatalf("drained %d, want 12", n)
	}
	for i := range 2 {
		if rec.prio[i] != uscis.PriorityRefresh || (rec.order[i] != r.nums[10] && rec.order[i] != r.nums[11]) {
			t.Errorf("fetch %d was routine or not a refresh receipt", i)
		}
	}
	for i := 2; i < 12; i++ {
		if rec.prio[i] != uscis.PriorityRoutine {
			t.Errorf("fetch %d: priority %v, want routine", i, rec.prio[i])
		}
	}
	for _, c := range cases(t, st) {
		if c.RefreshRequested {
			t.Errorf("refresh_requested still set after the refresh was served")
		}
	}
}

func TestRestartResumes(t *testing.T) {
	cfg := storetest.Config(t)
	ctx := context.Background()
	r := newRig(t, emulator.Options{}, 10)
	first, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	track(t, first, r.nums, time.Now().Add(-time.Minute))
	s := newScheduler(t, first, r.client(t, first, 10000, 0), "before")
	for range 4 {
		if did, err := s.Step(ctx); !did || err != nil {
			t.Fatalf("step: %v %v", did, err)
		}
	}
	// A crash while holding two claims: leases that will expire.
	if _, err := s.claim(ctx, 2, false); err != nil {
		t.Fatal(err)
	}
	first.Close()
	again, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	rec := &recorder{f: r.client(t, again, 10000, 0)}
	s2 := newScheduler(t, again, rec, "after")
	if n := drain(t, s2); n != 4 {
		t.Errorf("after restart fetched %d, want the 4 never claimed", n)
	}
	_, err = again.Ent.CaseState.Update().Where(casestate.LeaseOwner("before")).
		SetLeaseUntil(time.Now().Add(-time.Second).UTC()).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := drain(t, s2); n != 2 {
		t.Errorf("fetched %d after the dead leases expired, want 2", n)
	}
	if got := r.emu.Requests(); got != 10 {
		t.Errorf("emulator saw %d requests for 10 receipts", got)
	}
}

func TestErrorsNeverChangeStatus(t *testing.T) {
	st := storetest.Open(t)
	ctx := context.Background()
	r := newRig(t, emulator.Options{}, 40)
	track(t, st, r.nums, time.Now().Add(-time.Minute))
	s := newScheduler(t, st, r.client(t, st, 10000, 0), "p")
	drain(t, s)
	before := cases(t, st)
	for _, c := range before {
		if c.TitleEn == "" || c.CheckState != detect.CheckOK {
			t.Fatalf("baseline fetch stored no status: %q %s", c.TitleEn, c.CheckState)
		}
	}
	faults := []emulator.Faults{{ErrorRate: 1}, {HTMLRate: 1}, {TruncatedRate: 1},
		{RejectTokens: true}}
	for _, f := range faults {
		r.advance(60 * day) // statuses move upstream meanwhile
		r.emu.SetFaults(f)
		_, err := st.Ent.CaseState.Update().SetNextCheckTime(time.Now().Add(-time.Second).UTC()).
			Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s.allUntil = time.Time{}
		drain(t, s)
	}
	for n, c := range cases(t, st) {
		b := before[n]
		if c.TitleEn != b.TitleEn || c.Fingerprint != b.Fingerprint || c.Category != b.Category {
			t.Errorf("an error changed the stored status: %q -> %q", b.TitleEn, c.TitleEn)
		}
		if c.CheckState == detect.CheckNotFound {
			t.Errorf("an error marked a receipt not found")
		}
	}
	n, err := st.Ent.Event.Query().Count(ctx)
	if err != nil || n != 0 {
		t.Errorf("%d events written (no tenant tracks them; and errors make none): %v", n, err)
	}
}

func TestErrorsBackOff(t *testing.T) {
	st := storetest.Open(t)
	r := newRig(t, emulator.Options{Faults: emulator.Faults{ErrorRate: 1}}, 5)
	track(t, st, r.nums, time.Now().Add(-time.Minute))
	s := newScheduler(t, st, r.client(t, st, 10000, 0), "p")
	drain(t, s)
	for _, c := range cases(t, st) {
		wait := time.Until(c.NextCheckTime)
		if c.CheckState != detect.CheckError || wait < 3*time.Minute || wait > 7*time.Minute {
			t.Errorf("after one error: check %s, next in %v; want error and ~5m", c.CheckState, wait)
		}
		if c.CheckState == detect.CheckOK {
			t.Errorf("error recorded as a status")
		}
	}
}

func TestQuotaExhaustionKeepsRefreshBudget(t *testing.T) {
	st := storetest.Open(t)
	ctx := context.Background()
	r := newRig(t, emulator.Options{}, 16)
	routine, refresh := r.nums[:12], r.nums[12:]
	track(t, st, routine, time.Now().Add(-time.Minute))
	rec := &recorder{f: r.client(t, st, 10, 0.3)} // routine may use 7 of 10
	s := newScheduler(t, st, rec, "p")
	drain(t, s)
	if got := r.emu.Requests(); got != 7 {
		t.Errorf("routine polling sent %d requests, want the routine limit 7", got)
	}
	track(t, st, refresh, time.Now())
	_, err := st.Ent.CaseState.Update().Where(casestate.IDIn(refresh...)).
		SetRefreshRequested(true).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	drain(t, s)
	if got := r.emu.Requests(); got != 10 {
		t.Errorf("after refreshes %d requests, want 10 (3 refreshes on the reserve)", got)
	}
	stats, err := ReadStats(ctx, st, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Backlog != 5+1 || stats.OldestDue.IsZero() {
		t.Errorf("backlog %d oldest %v; want the 5 routine and 1 refresh left waiting", stats.Backlog, stats.OldestDue)
	}
}
