package schedule

import (
	"hash/fnv"
	"math"
	"strings"
	"time"

	"github.com/casewire/casewire/classify"
	"github.com/casewire/casewire/uscis"
)

// State is what the policy knows of one receipt after a fetch: what the fetch found, the
// normalised status detection stored, and when the status last changed. POLICY.md explains
// how each field moves the next check.
type State struct {
	// Number is the receipt number; it seeds the jitter so that the policy stays pure.
	Number string
	// Result is the kind of the last fetch; 0 when the receipt was never fetched.
	Result uscis.Kind
	// Category, Outcome, CanonicalTitle and FormType are the stored normalised status.
	Category       classify.Category
	Outcome        classify.Outcome
	CanonicalTitle string
	FormType       string
	// LastChange is when casewire last observed a change; zero when unknown.
	LastChange time.Time
	// Modified is USCIS's modifiedDate of the status, when given. It says when the status
	// changed even when casewire first saw it much later, so it wins over LastChange.
	Modified time.Time
	// ConsecutiveErrors counts fetches in a row that ended in an error.
	ConsecutiveErrors int
}

// Budget is the routine polling budget the policy must fit. The zero Budget leaves the
// base intervals unscaled.
type Budget struct {
	// PerDay is the number of routine fetches a day the quota allows.
	PerDay float64
	// Demand is the number of fetches a day the tracked receipts would take at the base
	// intervals: the sum of Rate over them.
	Demand float64
}

// Policy limits. The budget fill keeps headroom for new receipts and errors.
const (
	// MinInterval is the shortest routine interval, however much budget is spare.
	MinInterval = time.Hour
	// MaxInterval is the longest: every tracked receipt is asked about at least this often.
	MaxInterval = 60 * 24 * time.Hour
	// budgetFill is the share of the routine budget the plan aims to use.
	budgetFill = 0.97
	// minScale bounds how far spare budget shrinks the base intervals.
	minScale = 0.1
	// recentWindow and recentFactor check a receipt sooner after it changed.
	recentWindow = 7 * 24 * time.Hour
	recentFactor = 0.6
	// errorBase doubles with each consecutive error up to errorMax.
	errorBase = 5 * time.Minute
	errorMax  = 12 * time.Hour
	// jitterShare spreads checks of receipts that share a state over ±jitterShare.
	jitterShare = 0.1
	// staleApproval is how long after an approval a follow-up is still expected.
	staleApproval = 90 * 24 * time.Hour
	// appealWindow is how long after a denial a motion or appeal may still show up.
	appealWindow = 33 * 24 * time.Hour
)

const day = 24 * time.Hour

// Scale is the factor applied to every base interval so that the planned fetches fill
// budgetFill of the routine budget: above 1 when the tracked receipts ask for more than the
// budget, below 1 (down to minScale) when budget is spare. It is 1 without a budget.
func (b Budget) Scale() float64 {
	if b.PerDay <= 0 || b.Demand <= 0 {
		return 1
	}
	return max(b.Demand/(b.PerDay*budgetFill), minScale)
}

// Next returns when to check the receipt again, given its state after the fetch at now.
// Errors back off exponentially with jitter whatever the budget; statuses and not-found
// answers take the base interval of their state, scaled to the budget, with jitter.
func Next(s State, now time.Time, b Budget) time.Time {
	switch s.Result {
	case 0:
		return now
	case uscis.KindStatus, uscis.KindNotFound:
	default:
		return now.Add(backoff(s))
	}
	d := time.Duration(float64(BaseInterval(s, now)) * b.Scale())
	d = min(max(d, MinInterval), MaxInterval)
	return now.Add(jitter(s, d))
}

// Rate is the number of fetches a day the receipt takes at its base interval; the sum over
// tracked receipts is Budget.Demand.
func Rate(s State, now time.Time) float64 {
	if s.Result != uscis.KindStatus && s.Result != uscis.KindNotFound {
		return 0
	}
	return float64(day) / float64(BaseInterval(s, now))
}

// BaseInterval is the unscaled interval for a receipt whose last fetch found a status or
// not-found. The table is in POLICY.md.
func BaseInterval(s State, now time.Time) time.Duration {
	if s.Result == uscis.KindNotFound {
		return 7 * day
	}
	d := statusInterval(s, now)
	if c := changed(s); !c.IsZero() && now.Sub(c) < recentWindow && !final(s, now) {
		d = time.Duration(float64(d) * recentFactor)
	}
	return d
}

// statusInterval is the interval of a status, before the recency factor.
func statusInterval(s State, now time.Time) time.Duration {
	if d, ok := titleInterval(s); ok {
		return d
	}
	switch s.Category {
	case classify.Decision, classify.Appeal:
		return decisionInterval(s, now)
	case classify.Acceptance, classify.Unknown, "":
		return day
	case classify.Interview, classify.Biometrics, classify.Review, classify.Transfer,
		classify.EvidenceResponse,
		classify.OathCeremony, classify.Notice, classify.DeliveryProblem:
		return 2 * day
	case classify.EvidenceRequest:
		return 2 * day
	case classify.CardProduction:
		return 12 * time.Hour
	}
	return 2 * day
}

// titleInterval covers statuses whose category alone says too little: the end of card
// production, the hand-over to the Department of State and a completed interview.
func titleInterval(s State) (time.Duration, bool) {
	t := strings.ToLower(s.CanonicalTitle)
	switch {
	case strings.Contains(t, "delivered"), strings.Contains(t, "picked up"):
		return 30 * day, true
	case strings.Contains(t, "travel document was mailed"):
		return 30 * day, true
	case strings.Contains(t, "department of state"):
		return 30 * day, true
	case strings.Contains(t, "interview was completed"):
		return day, true
	}
	return 0, false
}

// decisionInterval: an approval with a card or document to come is checked often; a denial
// while a motion or appeal may still show up now and then; other outcomes rarely.
func decisionInterval(s State, now time.Time) time.Duration {
	switch s.Outcome {
	case classify.Approved:
		return approvedInterval(s, now)
	case classify.Denied, classify.Revoked, classify.Terminated:
		if c := changed(s); c.IsZero() || now.Sub(c) < appealWindow {
			return 4 * day
		}
		return 30 * day
	case classify.Rejected, classify.Withdrawn, classify.Closed:
		return 30 * day
	}
	return 2 * day
}

// changed is the best knowledge of when the status last changed.
func changed(s State) time.Time {
	if !s.Modified.IsZero() {
		return s.Modified
	}
	return s.LastChange
}

// approvedInterval: a card or document usually follows an approval within weeks, and an
// approved I-130 may still go to the Department of State; an approval that has not moved
// for months is final.
func approvedInterval(s State, now time.Time) time.Duration {
	c := changed(s)
	fresh := func(d time.Duration) bool { return c.IsZero() || now.Sub(c) < d }
	switch form := strings.ToUpper(strings.TrimSpace(s.FormType)); {
	case cardForms[form] && fresh(staleApproval):
		return 12 * time.Hour
	case form == "I-130" && fresh(staleApproval):
		return 3 * day
	}
	return 14 * day
}

// final reports whether the state expects no further change.
func final(s State, now time.Time) bool {
	return statusInterval(s, now) >= 10*day
}

// cardForms are the forms whose approval is followed by a card or travel document.
var cardForms = map[string]bool{
	"I-485": true, "I-765": true, "I-90": true, "I-131": true, "I-751": true, "I-821": true,
	"I-821D": true, "I-829": true, "I-817": true,
}

func cardForm(f string) bool { return cardForms[strings.ToUpper(strings.TrimSpace(f))] }

// backoff is the delay after the n-th consecutive error: errorBase doubling up to errorMax,
// with jitter.
func backoff(s State) time.Duration {
	n := max(s.ConsecutiveErrors, 1)
	d := errorMax
	if n <= 20 {
		d = min(time.Duration(float64(errorBase)*math.Pow(2, float64(n-1))), errorMax)
	}
	return jitter(s, d)
}

// jitter spreads d over ±jitterShare, deterministically from the receipt and its error
// count, so that receipts in one state do not fall due together.
func jitter(s State, d time.Duration) time.Duration {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s.Number))
	_, _ = h.Write([]byte{byte(s.ConsecutiveErrors), byte(s.Result)})
	u := float64(h.Sum64()%10000)/10000*2 - 1
	return time.Duration(float64(d) * (1 + jitterShare*u))
}
