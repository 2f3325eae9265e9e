package schedule

import (
	"container/heap"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/casewire/casewire/classify"
	"github.com/casewire/casewire/uscis"
	"github.com/casewire/casewire/uscis/emulator"
)

// The comparison of issue 5: the emulator's synthetic receipts under a fixed daily budget,
// polled once by casewire's policy (Next, scaled by Budget) and once round-robin. Time is
// simulated: the emulator's clock and the policy's now move slot by slot, and every fetch
// goes through uscis.Client to the emulator handler. See BENCHMARKS.md.

// simConfig is one comparison.
type simConfig struct {
	receipts int
	perDay   int           // routine budget: fetches a day
	warmUp   time.Duration // before measuring: both strategies learn every receipt
	measure  time.Duration // changes in this window count
	tail     time.Duration // extra time to detect the window's last changes
}

// simResult is what one strategy achieved.
type simResult struct {
	changes    int
	undetected int
	mean, p95  time.Duration
	fetches    int // fetches in the measured window
	budgetUsed float64
}

// handlerTransport serves requests with an http.Handler in process.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	w := httptest.NewRecorder()
	t.h.ServeHTTP(w, r)
	return w.Result(), nil
}

// sim is one run: an emulator on a simulated clock and a client on it.
type sim struct {
	cfg     simConfig
	now     time.Time
	emu     *emulator.Emulator
	client  *uscis.Client
	nums    []string
	fetchAt map[string][]time.Time
}

func newSim(b *testing.B, cfg simConfig) *sim {
	s := &sim{cfg: cfg, now: t0, fetchAt: map[string][]time.Time{}}
	s.emu = emulator.New(emulator.Options{Seed: 1, Start: t0, Clock: func() time.Time { return s.now },
		TokenTTL: 10000 * day})
	c, err := uscis.New(uscis.Config{BaseURL: "http://emulator", TokenURL: "http://emulator/oauth/accesstoken",
		ClientID: "casewire-dev", ClientSecret: "casewire-dev-secret", RequestsPerSecond: 1e9,
		DailyQuota: 1 << 30, MaxRetries: -1},
		uscis.Options{Transport: handlerTransport{s.emu}, Now: func() time.Time { return s.now }})
	if err != nil {
		b.Fatal(err)
	}
	s.client = c
	s.nums = s.emu.Synthetic(cfg.receipts)
	return s
}

// fetch asks the emulator about n at the current simulated time.
func (s *sim) fetch(n string) uscis.Result {
	s.fetchAt[n] = append(s.fetchAt[n], s.now)
	return s.client.Fetch(context.Background(), n, uscis.PriorityRoutine)
}

// run calls pick once per budget slot until the end, then scores the fetches.
func (s *sim) run(pick func(now time.Time)) simResult {
	slot := day / time.Duration(s.cfg.perDay)
	end := t0.Add(s.cfg.warmUp + s.cfg.measure + s.cfg.tail)
	for ; s.now.Before(end); s.now = s.now.Add(slot) {
		pick(s.now)
	}
	return s.score()
}

// score measures, for every change in the window, the delay to the first fetch at or after it.
func (s *sim) score() simResult {
	from, to := t0.Add(s.cfg.warmUp), t0.Add(s.cfg.warmUp+s.cfg.measure)
	var r simResult
	var delays []time.Duration
	for _, n := range s.nums {
		fetches := s.fetchAt[n]
		for _, f := range fetches {
			if !f.Before(from) && f.Before(to) {
				r.fetches++
			}
		}
		for _, c := range s.emu.ChangeTimes(n) {
			if c.Before(from) || !c.Before(to) {
				continue
			}
			r.changes++
			i := sort.Search(len(fetches), func(i int) bool { return !fetches[i].Before(c) })
			if i == len(fetches) {
				r.undetected++
				delays = append(delays, s.now.Sub(c))
				continue
			}
			delays = append(delays, fetches[i].Sub(c))
		}
	}
	slices.Sort(delays)
	var sum time.Duration
	for _, d := range delays {
		sum += d
	}
	if len(delays) > 0 {
		r.mean = sum / time.Duration(len(delays))
		r.p95 = delays[len(delays)*95/100]
	}
	r.budgetUsed = float64(r.fetches) / (float64(s.cfg.perDay) * s.cfg.measure.Hours() / 24)
	return r
}

// roundRobin fetches the receipts in a fixed cycle, one per slot.
func roundRobin(b *testing.B, cfg simConfig) simResult {
	s := newSim(b, cfg)
	i := 0
	return s.run(func(time.Time) {
		s.fetch(s.nums[i%len(s.nums)])
		i++
	})
}

// item is one receipt in the policy's due queue.
type item struct {
	state State
	next  time.Time
	fp    string
}

type dueQueue []*item

func (q dueQueue) Len() int           { return len(q) }
func (q dueQueue) Less(i, j int) bool { return q[i].next.Before(q[j].next) }
func (q dueQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *dueQueue) Push(x any)        { *q = append(*q, x.(*item)) }
func (q *dueQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

// policy fetches the most overdue receipt per slot, if any is due, and reschedules it with
// Next under the budget; demand is re-estimated every six simulated hours, as the
// scheduler does every few minutes.
func policy(b *testing.B, cfg simConfig) simResult {
	s := newSim(b, cfg)
	q := make(dueQueue, 0, len(s.nums))
	for _, n := range s.nums {
		q = append(q, &item{state: State{Number: n}, next: t0})
	}
	heap.Init(&q)
	budget := Budget{PerDay: float64(cfg.perDay)}
	var planned time.Time
	cls := classify.Default()
	return s.run(func(now time.Time) {
		if !now.Before(planned) {
			budget.Demand = 0
			for _, it := range q {
				budget.Demand += Rate(it.state, now)
			}
			planned = now.Add(6 * time.Hour)
		}
		if q[0].next.After(now) {
			return
		}
		it := q[0]
		observe(cls, it, s.fetch(it.state.Number), now)
		it.next = Next(it.state, now, budget)
		heap.Fix(&q, 0)
	})
}

// observe updates the policy's state as change detection would.
func observe(cls *classify.Classifier, it *item, res uscis.Result, now time.Time) {
	it.state.Result = res.Kind
	if res.Kind != uscis.KindStatus {
		it.state.ConsecutiveErrors++
		return
	}
	it.state.ConsecutiveErrors = 0
	st := res.Status
	fp := st.TitleEN + "|" + st.ModifiedRaw
	if fp == it.fp {
		return
	}
	it.fp = fp
	r := cls.ClassifyForm(st.TitleEN, st.DescriptionEN, st.FormType)
	it.state.Category, it.state.Outcome = r.Category, r.Outcome
	it.state.CanonicalTitle, it.state.FormType = r.CanonicalTitle, r.FormType
	it.state.LastChange = now
	it.state.Modified = st.Modified
}

func BenchmarkSchedulerVersusRoundRobin(b *testing.B) {
	for _, perDay := range []int{2500, 5000} {
		cfg := simConfig{receipts: 10000, perDay: perDay, warmUp: 10 * day, measure: 30 * day,
			tail: 5 * day}
		b.Run(fmt.Sprintf("receipts=%d/budget=%d", cfg.receipts, perDay), func(b *testing.B) {
			var rr, pol simResult
			for b.Loop() {
				rr, pol = roundRobin(b, cfg), policy(b, cfg)
			}
			report(b, "rr", rr)
			report(b, "policy", pol)
			b.ReportMetric(pol.mean.Hours()/rr.mean.Hours(), "mean_ratio")
			b.Logf("changes %d; round-robin mean %v p95 %v used %.0f%% (undetected %d); "+
				"policy mean %v p95 %v used %.0f%% (undetected %d)", rr.changes,
				rr.mean.Round(time.Minute), rr.p95.Round(time.Minute), rr.budgetUsed*100, rr.undetected,
				pol.mean.Round(time.Minute), pol.p95.Round(time.Minute), pol.budgetUsed*100,
				pol.undetected)
		})
	}
}

func report(b *testing.B, name string, r simResult) {
	b.ReportMetric(r.mean.Hours(), name+"_mean_h")
	b.ReportMetric(r.p95.Hours(), name+"_p95_h")
	b.ReportMetric(r.budgetUsed*100, name+"_budget_%")
}
