package emulator

import (
	"encoding/json"
	"net/http"
	"regexp"
	"time"
	_ "time/tzdata" // opening hours and dates are US Eastern on any host
)

// wellFormed is the upstream's format check: exact, no normalising.
var wellFormed = regexp.MustCompile(`^[A-Z]{3}[0-9]{10}$`)

// eastern is the sandbox's time zone for its opening hours and for dates in answers.
var eastern = mustLoad("America/New_York")

// serveCaseStatus answers GET /case-status/{receipt}. The checks run in this order:
// spike arrest (TPS), off-hours, token, daily quota, injected faults, format, lookup.
func (e *Emulator) serveCaseStatus(w http.ResponseWriter, r *http.Request) {
	status, contentType, body := e.caseStatus(r)
	e.mu.Lock()
	e.counts.CaseStatus++
	e.counts.ByStatus[status]++
	e.mu.Unlock()
	writeBody(w, status, contentType, body)
}

func (e *Emulator) caseStatus(r *http.Request) (int, string, []byte) {
	const js = "application/json"
	if e.spike != nil && !e.spike.Allow() {
		return http.StatusTooManyRequests, js, body429
	}
	if e.opts.OffHours || (e.opts.SandboxHours && !openHours(e.Now())) {
		return http.StatusServiceUnavailable, js, body503Hours
	}
	if !e.authorized(r) {
		return http.StatusUnauthorized, js, body401
	}
	if !e.spendQuota() {
		return http.StatusTooManyRequests, js, body429
	}
	f := e.currentFaults()
	if !sleep(r, time.Duration(f.LatencyMS)*time.Millisecond) {
		return http.StatusServiceUnavailable, js, nil
	}
	rn := r.PathValue("receipt")
	if !wellFormed.MatchString(rn) {
		return http.StatusUnprocessableEntity, js, body422
	}
	c, ok := e.lookup(rn, e.Now())
	if !ok {
		return http.StatusNotFound, js, body404
	}
	return e.faulty(f, c)
}

// faulty answers c, or the fault drawn for this request.
func (e *Emulator) faulty(f Faults, c wireCase) (int, string, []byte) {
	b, _ := json.MarshalIndent(wireStatus{CaseStatus: c, Message: "Query was successful"}, "", "  ")
	e.mu.Lock()
	x := e.rng.Float64()
	e.mu.Unlock()
	switch {
	case x < f.ErrorRate:
		return http.StatusInternalServerError, "application/json", nil
	case x < f.ErrorRate+f.HTMLRate:
		return http.StatusOK, "text/html; charset=utf-8", []byte(htmlPage)
	case x < f.ErrorRate+f.HTMLRate+f.TruncatedRate:
		return http.StatusOK, "application/json", b[:len(b)/2]
	}
	return http.StatusOK, "application/json", append(b, '\n')
}

// spendQuota counts one request against the emulated day's quota.
func (e *Emulator) spendQuota() bool {
	if e.opts.DailyQuota <= 0 {
		return true
	}
	now := e.Now().UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	e.mu.Lock()
	defer e.mu.Unlock()
	if !day.Equal(e.quotaDay) {
		e.quotaDay, e.quota = day, 0
	}
	if e.quota >= e.opts.DailyQuota {
		return false
	}
	e.quota++
	return true
}

func (e *Emulator) currentFaults() Faults {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.faults
}

// openHours reports whether the sandbox is open at t: Monday to Friday, 07:00 to 20:00
// US Eastern.
func openHours(t time.Time) bool {
	t = t.In(eastern)
	if t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
		return false
	}
	return t.Hour() >= 7 && t.Hour() < 20
}

// sleep waits d or until the request ends; it reports whether d passed.
func sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}
