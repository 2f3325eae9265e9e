package emulator

import (
	"slices"
	"testing"
	"time"
)

func TestSyntheticNumbers(t *testing.T) {
	a := New(Options{Seed: 7, Start: tuesday10}).Synthetic(500)
	b := New(Options{Seed: 7, Start: tuesday10}).Synthetic(500)
	c := New(Options{Seed: 8, Start: tuesday10}).Synthetic(500)
	if !slices.Equal(a, b) {
		t.Error("same seed gave different numbers")
	}
	if slices.Equal(a, c) {
		t.Error("different seeds gave the same numbers")
	}
	seen := map[string]bool{}
	for _, rn := range a {
		if seen[rn] || !IsSynthetic(rn) || !wellFormed.MatchString(rn) {
			t.Fatalf("bad or repeated synthetic number %q", rn)
		}
		seen[rn] = true
	}
	for _, rn := range []string{"EAC9999103402", "EAC1512345678", "MSC9012345678", "EAC901234567"} {
		if IsSynthetic(rn) {
			t.Errorf("%s is not synthetic", rn)
		}
	}
}

// TestSyntheticFollowsChangeTimes checks that the answer changes exactly at ChangeTimes:
// modifiedDate moves at every change, and nowhere in between.
func TestSyntheticFollowsChangeTimes(t *testing.T) {
	c := &clock{t: tuesday10}
	e := New(Options{Seed: 1, Start: tuesday10, Clock: c.Now})
	for _, rn := range e.Synthetic(200) {
		times := e.ChangeTimes(rn)
		if len(times) < 2 || !slices.IsSortedFunc(times, func(a, b time.Time) int { return a.Compare(b) }) {
			t.Fatalf("%s: change times %v", rn, times)
		}
		if _, ok := e.lookup(rn, times[0].Add(-time.Second)); ok {
			t.Errorf("%s answers before it was filed", rn)
		}
		for i, at := range times {
			before, _ := e.lookup(rn, at.Add(-time.Second))
			now, ok := e.lookup(rn, at)
			if !ok || now.ModifiedDate != stamp(at) {
				t.Fatalf("%s step %d: modifiedDate %q, want %q", rn, i, now.ModifiedDate, stamp(at))
			}
			if i > 0 && before.ModifiedDate == now.ModifiedDate {
				t.Errorf("%s step %d: no change at %v", rn, i, at)
			}
			if _, ok := titles[now.TextEN]; !ok {
				t.Errorf("%s: title %q not in statuses.tsv", rn, now.TextEN)
			}
		}
	}
}

func TestSyntheticIsRepeatable(t *testing.T) {
	c := &clock{t: tuesday10}
	e1 := New(Options{Seed: 3, Start: tuesday10, Clock: c.Now})
	e2 := New(Options{Seed: 3, Start: tuesday10.Add(5 * time.Hour), Clock: c.Now})
	e3 := New(Options{Seed: 4, Start: tuesday10, Clock: c.Now})
	differ := 0
	for _, rn := range e1.Synthetic(50) {
		if !slices.Equal(e1.ChangeTimes(rn), e2.ChangeTimes(rn)) {
			t.Errorf("%s: same seed and day, different paths", rn)
		}
		if !slices.Equal(e1.ChangeTimes(rn), e3.ChangeTimes(rn)) {
			differ++
		}
	}
	if differ < 45 {
		t.Errorf("only %d of 50 paths depend on the seed", differ)
	}
}

// TestSyntheticModel checks the shares MODEL.md promises, over many receipts.
func TestSyntheticModel(t *testing.T) {
	e := New(Options{Seed: 42, Start: tuesday10})
	const n = 4000
	counts := map[string]int{}
	silent := 0
	for _, rn := range e.Synthetic(n) {
		p := e.path(rn)
		seen := map[string]bool{}
		for _, s := range p.steps {
			if s.silent {
				silent++
				continue
			}
			seen[s.title] = true
		}
		for title := range seen {
			counts[title]++
		}
		if p.submitted.After(tuesday10) || p.submitted.Before(tuesday10.Add(-filedWithin-day)) {
			t.Fatalf("%s filed at %v", rn, p.submitted)
		}
	}
	share := func(title string) float64 { return float64(counts[title]) / n }
	checks := []struct {
		title  string
		lo, hi float64
	}{
		{"Case Was Received", 1, 1},
		{"Case Was Approved", 0.85, 0.92},
		{"Case Was Denied", 0.05, 0.11},
		{"Request for Evidence Was Sent", 0.20, 0.30},
		{"Case Was Transferred And A New Office Has Jurisdiction", 0.07, 0.13},
		{"Card Was Delivered To Me By The Post Office", 0.45, 0.60},
		{"Biometrics Appointment Was Scheduled", 0.70, 0.80},
	}
	for _, c := range checks {
		if s := share(c.title); s < c.lo || s > c.hi {
			t.Errorf("%s: share %.3f outside [%.2f, %.2f]", c.title, s, c.lo, c.hi)
		}
	}
	if silent < n/2 {
		t.Errorf("only %d silent updates over %d receipts", silent, n)
	}
}

func TestSpeed(t *testing.T) {
	e := New(Options{Start: tuesday10, Speed: 3600})
	time.Sleep(20 * time.Millisecond)
	if got := e.Now().Sub(tuesday10); got < time.Minute || got > time.Hour {
		t.Errorf("after 20ms at 3600x the clock moved %v", got)
	}
}
