package schedule

import (
	"testing"
	"time"

	"github.com/casewire/casewire/classify"
	"github.com/casewire/casewire/uscis"
)

var t0 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

func status(cat classify.Category, out classify.Outcome, title, form string) State {
	return State{Number: "EAC9012345678", Result: uscis.KindStatus, Category: cat, Outcome: out,
		CanonicalTitle: title, FormType: form, LastChange: t0.Add(-60 * day)}
}

func TestNextIntervals(t *testing.T) {
	recent := status(classify.Review, classify.OutcomeNone, "Case Is Being Actively Reviewed By USCIS", "I-485")
	recent.LastChange = t0.Add(-2 * day)
	freshDenial := status(classify.Decision, classify.Denied, "Case Was Denied", "I-485")
	freshDenial.LastChange = t0.Add(-10 * day)
	tests := []struct {
		name     string
		s        State
		min, max time.Duration
	}{
		{"never fetched: now", State{Number: "EAC9012345678"}, 0, 0},
		{"card delivered: weeks", status(classify.CardProduction, classify.OutcomeNone,
			"Card Was Delivered To Me By The Post Office", "I-485"), 27 * day, 33 * day},
		{"card produced: hours", status(classify.CardProduction, classify.OutcomeNone,
			"New Card Is Being Produced", "I-765"), 10 * time.Hour, 14 * time.Hour},
		{"card mailed: hours", status(classify.CardProduction, classify.OutcomeNone,
			"Card Was Mailed To Me", "I-765"), 10 * time.Hour, 14 * time.Hour},
		{"approved, card to come", status(classify.Decision, classify.Approved,
			"Case Was Approved", "I-485"), 10 * time.Hour, 14 * time.Hour},
		{"approved, nothing to come", status(classify.Decision, classify.Approved,
			"Case Was Approved", "I-129"), 12 * day, 16 * day},
		{"denial, appeal window passed", status(classify.Decision, classify.Denied,
			"Case Was Denied", "I-485"), 27 * day, 33 * day},
		{"denial, appeal window open", freshDenial, 3 * day, 5 * day},
		{"withdrawn", status(classify.Decision, classify.Withdrawn, "Case Was Withdrawn", ""),
			27 * day, 33 * day},
		{"evidence response: daily", status(classify.EvidenceResponse, classify.OutcomeNone,
			"Response To USCIS Request For Evidence Was Received", "I-485"), 43 * time.Hour,
			53 * time.Hour},
		{"interview completed: daily", status(classify.Interview, classify.OutcomeNone,
			"Interview Was Completed And My Case Must Be Reviewed", "N-400"), 21 * time.Hour,
			27 * time.Hour},
		{"recent change: sooner", recent, 25 * time.Hour, 32 * time.Hour},
		{"approved long ago: final", func() State {
			s := status(classify.Decision, classify.Approved, "Case Was Approved", "I-485")
			s.Modified = t0.Add(-200 * day)
			return s
		}(), 12 * day, 16 * day},
		{"not found: weekly", State{Number: "EAC9012345678", Result: uscis.KindNotFound},
			6 * day, 8 * day},
		{"first error: minutes", State{Number: "EAC9012345678", Result: uscis.KindUnavailable,
			ConsecutiveErrors: 1}, 4 * time.Minute, 6 * time.Minute},
		{"fourth error: doubled", State{Number: "EAC9012345678", Result: uscis.KindRateLimited,
			ConsecutiveErrors: 4}, 36 * time.Minute, 44 * time.Minute},
		{"many errors: capped", State{Number: "EAC9012345678", Result: uscis.KindMalformed,
			ConsecutiveErrors: 40}, 10 * time.Hour, 14 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Next(tt.s, t0, Budget{}).Sub(t0)
			if got < tt.min || got > tt.max {
				t.Errorf("Next - now = %v, want in [%v, %v]", got, tt.min, tt.max)
			}
		})
	}
}

func TestNextBudget(t *testing.T) {
	s := status(classify.Review, classify.OutcomeNone, "Case Is Being Actively Reviewed By USCIS", "I-485")
	base := Next(s, t0, Budget{}).Sub(t0)
	tests := []struct {
		name   string
		b      Budget
		factor float64
	}{
		{"fits: scaled to fill", Budget{PerDay: 1000, Demand: 970}, 1},
		{"twice over: doubled", Budget{PerDay: 1000, Demand: 1940}, 2},
		{"ten times over", Budget{PerDay: 1000, Demand: 9700}, 10},
		{"spare: shrunk", Budget{PerDay: 1000, Demand: 485}, 0.5},
		{"no budget known", Budget{Demand: 1e6}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Next(s, t0, tt.b).Sub(t0)
			want := time.Duration(float64(base) * tt.factor)
			if d := got - want; d > time.Minute || d < -time.Minute {
				t.Errorf("interval %v, want %v", got, want)
			}
		})
	}
}

func TestNextBounds(t *testing.T) {
	s := status(classify.CardProduction, classify.OutcomeNone, "Card Was Mailed To Me", "I-765")
	if got := Next(s, t0, Budget{PerDay: 1e6, Demand: 1}).Sub(t0); got < MinInterval {
		t.Errorf("spare budget gave %v, below MinInterval", got)
	}
	s = status(classify.CardProduction, classify.OutcomeNone, "Card Was Delivered To Me", "I-765")
	if got := Next(s, t0, Budget{PerDay: 1, Demand: 1e6}).Sub(t0); got > MaxInterval {
		t.Errorf("tight budget gave %v, above MaxInterval", got)
	}
	e := State{Number: "EAC9012345678", Result: uscis.KindUnavailable, ConsecutiveErrors: 1}
	if a, b := Next(e, t0, Budget{}), Next(e, t0, Budget{PerDay: 1, Demand: 1e6}); !a.Equal(b) {
		t.Errorf("error backoff depends on budget: %v vs %v", a, b)
	}
}

func TestNextJitterSpreads(t *testing.T) {
	seen := map[time.Time]bool{}
	for _, n := range []string{"EAC9000000001", "EAC9000000002", "EAC9000000003", "LIN9000000004"} {
		s := status(classify.Review, classify.OutcomeNone, "", "I-485")
		s.Number = n
		seen[Next(s, t0, Budget{})] = true
		if a, b := Next(s, t0, Budget{}), Next(s, t0, Budget{}); !a.Equal(b) {
			t.Fatal("Next is not deterministic")
		}
	}
	if len(seen) < 3 {
		t.Errorf("four receipts in one state got %d distinct times; jitter should spread them", len(seen))
	}
}

func TestRateSumsToDemand(t *testing.T) {
	s := status(classify.CardProduction, classify.OutcomeNone, "New Card Is Being Produced", "I-765")
	if got := Rate(s, t0); got < 1.9 || got > 2.1 {
		t.Errorf("Rate of a 12h state = %v, want 2 a day", got)
	}
	if got := Rate(State{Result: uscis.KindUnavailable}, t0); got != 0 {
		t.Errorf("Rate of an error state = %v, want 0", got)
	}
}
