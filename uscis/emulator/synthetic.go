package emulator

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"regexp"
	"time"
)

// Synthetic receipts are EAC, WAC, LIN, SRC or IOE followed by "90" and eight digits, for
// example EAC9012345678: well formed, easy to recognise, and not a staging number. Any
// number of the family answers; its path is a function of (Seed, receipt, Start's day).
// MODEL.md describes the path model.
var syntheticRe = regexp.MustCompile(`^(EAC|WAC|LIN|SRC|IOE)90[0-9]{8}$`)

var syntheticPrefixes = []string{"EAC", "WAC", "LIN", "SRC", "IOE"}

// IsSynthetic reports whether rn belongs to the synthetic family.
func IsSynthetic(rn string) bool { return syntheticRe.MatchString(rn) }

// Synthetic returns n distinct synthetic receipt numbers, the same for the same Seed.
func (e *Emulator) Synthetic(n int) []string {
	rng := rand.New(rand.NewPCG(e.opts.Seed, 0x73796e746865))
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	for len(out) < n {
		rn := fmt.Sprintf("%s90%08d", syntheticPrefixes[rng.IntN(len(syntheticPrefixes))],
			rng.IntN(100_000_000))
		if !seen[rn] {
			seen[rn] = true
			out = append(out, rn)
		}
	}
	return out
}

// ChangeTimes returns when the status of receipt changes on the emulated clock, past and
// future, oldest first; silent updates (same title, new modifiedDate) count. For a
// scripted case it returns when it was scripted; for other receipts nil.
func (e *Emulator) ChangeTimes(receipt string) []time.Time {
	e.mu.Lock()
	sc, ok := e.scripted[receipt]
	e.mu.Unlock()
	if ok {
		return append([]time.Time(nil), sc.setAt...)
	}
	if !IsSynthetic(receipt) {
		return nil
	}
	p := e.path(receipt)
	out := make([]time.Time, len(p.steps))
	for i, s := range p.steps {
		out[i] = s.at
	}
	return out
}

// form is how a kind of filing moves.
type form struct {
	code      string
	weight    float64
	bio       bool    // biometrics appointment
	interview float64 // chance of an interview
	card      bool    // a card is produced and mailed
	travel    bool    // a travel document is mailed
	dos       float64 // chance of being sent to the Department of State after approval
}

var forms = []form{
	{code: "I-485", weight: 0.25, bio: true, interview: 0.5, card: true},
	{code: "I-765", weight: 0.25, bio: true, card: true},
	{code: "I-130", weight: 0.2, dos: 0.5},
	{code: "N-400", weight: 0.1, bio: true, interview: 1},
	{code: "I-90", weight: 0.08, bio: true, card: true},
	{code: "I-131", weight: 0.07, bio: true, travel: true},
	{code: "I-129", weight: 0.05},
}

// Model parameters; MODEL.md explains them. Gaps between steps are exponential with
// these means, and never shorter than minGap.
const (
	day            = 24 * time.Hour
	filedWithin    = 240 * day
	minGap         = time.Hour
	pReject        = 0.03
	pTransfer      = 0.10
	pActiveReview  = 0.50
	pRFE           = 0.25
	pDenied        = 0.08
	pSilent        = 0.30
	meanRejection  = 10 * day
	meanBiometrics = 21 * day
	meanTransfer   = 30 * day
	meanReview     = 45 * day
	meanRFE        = 60 * day
	meanRFEAnswer  = 35 * day
	meanInterview  = 60 * day
	meanInterDone  = 30 * day
	meanDecision   = 45 * day
	meanProduced   = 7 * day
	meanMailed     = 5 * day
	meanDelivered  = 4 * day
	meanTravelDoc  = 14 * day
	meanDOS        = 30 * day
	meanSilent     = 10 * day
)

var rejections = []string{
	"Case Was Rejected Because I Did Not Sign My Form",
	"Case Rejected Because I Sent An Incorrect Fee",
	"Case Was Rejected Because It Was Improperly Filed",
}

// step is one status of a path. A silent step repeats the previous title with a new
// modifiedDate; descAt is the date its description speaks of.
type step struct {
	at     time.Time
	descAt time.Time
	title  string
	silent bool
}

// path is the whole life of one synthetic case.
type path struct {
	form      form
	submitted time.Time
	steps     []step
}

// pathBuilder draws a path step by step.
type pathBuilder struct {
	rng *rand.Rand
	t   time.Time
	p   path
}

func (b *pathBuilder) chance(p float64) bool { return b.rng.Float64() < p }

func (b *pathBuilder) add(mean time.Duration, title string) {
	mustTitle(title)
	b.t = b.t.Add(max(time.Duration(b.rng.ExpFloat64()*float64(mean)), minGap))
	b.p.steps = append(b.p.steps, step{at: b.t, descAt: b.t, title: title})
}

// path builds the life of a synthetic receipt: a function of Seed, the receipt and the
// UTC day of Start.
func (e *Emulator) path(rn string) path {
	anchor := e.opts.Start.UTC().Truncate(day)
	b := &pathBuilder{rng: rand.New(rand.NewPCG(e.opts.Seed, fnv64(rn)))}
	b.p.form = pickForm(b.rng.Float64())
	b.p.submitted = anchor.Add(-time.Duration(b.rng.Float64() * float64(filedWithin)))
	b.t = b.p.submitted
	b.p.steps = []step{{at: b.t, descAt: b.t, title: "Case Was Received"}}
	b.walk()
	b.silentUpdates()
	return b.p
}

// walk draws the main line: received → biometrics → (transfer) → (review) → (RFE →
// response) → (interview → completed) → decision → card or travel document or DOS.
func (b *pathBuilder) walk() {
	f := b.p.form
	if b.chance(pReject) {
		b.add(meanRejection, rejections[b.rng.IntN(len(rejections))])
		return
	}
	if f.bio {
		b.add(meanBiometrics, "Biometrics Appointment Was Scheduled")
	}
	if b.chance(pTransfer) {
		b.add(meanTransfer, "Case Was Transferred And A New Office Has Jurisdiction")
	}
	if b.chance(pActiveReview) {
		b.add(meanReview, "Case Is Being Actively Reviewed By USCIS")
	}
	if b.chance(pRFE) {
		b.add(meanRFE, "Request for Evidence Was Sent")
		b.add(meanRFEAnswer, "Response To USCIS' Request For Evidence Was Received")
	}
	if b.chance(f.interview) {
		b.add(meanInterview, "Interview Was Scheduled")
		b.add(meanInterDone, "Interview Was Completed And My Case Must Be Reviewed")
	}
	if b.chance(pDenied) {
		b.add(meanDecision, "Case Was Denied")
		return
	}
	b.add(meanDecision, "Case Was Approved")
	b.afterApproval()
}

func (b *pathBuilder) afterApproval() {
	f := b.p.form
	switch {
	case f.card:
		b.add(meanProduced, "New Card Is Being Produced")
		b.add(meanMailed, "Card Was Mailed To Me")
		b.add(meanDelivered, "Card Was Delivered To Me By The Post Office")
	case f.travel:
		b.add(meanTravelDoc, "Travel Document Was Mailed")
	case b.chance(f.dos):
		b.add(meanDOS, "Case Was Sent To The Department of State")
	}
}

// silentUpdates inserts, after each step but the last, with chance pSilent, one update
// that keeps the title and moves modifiedDate, if it falls before the next step.
func (b *pathBuilder) silentUpdates() {
	var out []step
	for i, s := range b.p.steps {
		out = append(out, s)
		if i == len(b.p.steps)-1 || !b.chance(pSilent) {
			continue
		}
		at := s.at.Add(max(time.Duration(b.rng.ExpFloat64()*float64(meanSilent)), minGap))
		if at.Before(b.p.steps[i+1].at) {
			out = append(out, step{at: at, descAt: s.descAt, title: s.title, silent: true})
		}
	}
	b.p.steps = out
}

func pickForm(x float64) form {
	for _, f := range forms {
		if x < f.weight {
			return f
		}
		x -= f.weight
	}
	return forms[len(forms)-1]
}

// syntheticCase answers a synthetic receipt at emulated time now; false before it was filed.
func (e *Emulator) syntheticCase(rn string, now time.Time) (wireCase, bool) {
	p := e.path(rn)
	cur := -1
	for i, s := range p.steps {
		if !s.at.After(now) {
			cur = i
		}
	}
	if cur < 0 {
		return wireCase{}, false
	}
	s := p.steps[cur]
	c := wireCase{
		ReceiptNumber: rn, FormType: p.form.code,
		SubmittedDate: stamp(p.submitted), ModifiedDate: stamp(s.at),
		TextEN: s.title, DescEN: describe(s.title, p.form.code, rn, s.descAt),
		TextES: mustTitle(s.title).es,
	}
	for _, h := range p.steps[:cur] {
		if !h.silent && h.title != s.title {
			c.History = append(c.History, wireHistory{Date: h.at.In(eastern).Format(layoutDay),
				TextEN: fmt.Sprintf("On %s, the status of your case was: %s.", longDate(h.at), h.title)})
		}
	}
	return c, true
}

func fnv64(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}
