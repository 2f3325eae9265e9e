// Package emulator serves an emulation of the USCIS Case Status API for development,
// tests, benchmarks and the demo: the OAuth 2.0 token endpoint, case-status for the
// sandbox's staging receipts and for a family of synthetic receipts whose statuses move
// with an emulated clock, the upstream's limits and its faults.
//
// Routes:
//
//	POST /oauth/accesstoken          client credentials; Apigee-shaped answer
//	GET  /case-status/{receipt}      the case-status contract
//	PUT|DELETE|GET /_emulator/faults         inject or clear faults
//	PUT|GET|DELETE /_emulator/cases/{receipt} script a case's current status
//
// The /_emulator control endpoints have no authentication. They are meant for loopback
// tooling only: never expose an emulator beyond 127.0.0.1.
package emulator

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Options configure an Emulator. Zero values take the documented defaults.
type Options struct {
	// ClientID and ClientSecret are the only credentials the token endpoint accepts
	// (defaults "casewire-dev" and "casewire-dev-secret").
	ClientID     string
	ClientSecret string
	// TokenTTL is how long a token lives on the emulated clock (default 30m).
	TokenTTL time.Duration
	// Seed chooses the synthetic receipts' paths; the same seed and Start give the same run.
	Seed uint64
	// Start is the emulated time when the emulator starts (default: the real time). Synthetic
	// paths are anchored at Start's UTC day.
	Start time.Time
	// Speed is emulated seconds per real second (default 1; 3600 runs an hour a second).
	Speed float64
	// Clock, when set, is the emulated clock and Start and Speed are ignored (for tests).
	Clock func() time.Time
	// TPS is the spike-arrest limit in requests a second on case-status, counted in real
	// time (0: unlimited). Beyond it the answer is 429 Spike Arrest Violation.
	TPS int
	// DailyQuota is the number of case-status requests answered per emulated UTC day
	// (0: unlimited). Beyond it the answer is 429.
	DailyQuota int
	// OffHours answers every case-status request with the sandbox's off-hours 503.
	OffHours bool
	// SandboxHours answers 503 outside Monday to Friday, 07:00 to 20:00 US Eastern, on the
	// emulated clock, like the sandbox.
	SandboxHours bool
	// Faults are injected from the start; PUT /_emulator/faults replaces them.
	Faults Faults
}

// Faults are injected failures. Rates are shares of case-status answers, 0 to 1, drawn in
// this order: error (500), HTML page (200 with text/html), truncated JSON (200).
type Faults struct {
	// LatencyMS delays every case-status answer by this many real milliseconds.
	LatencyMS int `json:"latency_ms,omitempty"`
	// ErrorRate answers a 500 with an empty body.
	ErrorRate float64 `json:"error_rate,omitempty"`
	// HTMLRate answers 200 with an HTML maintenance page.
	HTMLRate float64 `json:"html_rate,omitempty"`
	// TruncatedRate answers 200 with the status JSON cut in half.
	TruncatedRate float64 `json:"truncated_rate,omitempty"`
	// RevokeTokens, when sent in a PUT, revokes every token issued so far; new ones work.
	RevokeTokens bool `json:"revoke_tokens,omitempty"`
	// RejectTokens answers 401 to every case-status request while set, like a credential
	// whose access was withdrawn.
	RejectTokens bool `json:"reject_tokens,omitempty"`
}

// Counts are the requests the emulator received.
type Counts struct {
	// Token counts token requests, CaseStatus case-status requests.
	Token      int64
	CaseStatus int64
	// ByStatus counts case-status answers by HTTP status.
	ByStatus map[int]int64
}

// Emulator is an http.Handler serving the emulated API. Create it with New.
type Emulator struct {
	opts      Options
	realStart time.Time
	mux       *http.ServeMux
	spike     *rate.Limiter
	tokenSeq  atomic.Uint64

	mu       sync.Mutex
	tokens   map[string]time.Time // access token → expiry, emulated clock
	faults   Faults
	rng      *rand.Rand
	scripted map[string]scriptedCase
	quotaDay time.Time
	quota    int
	counts   Counts
}

// New returns an Emulator for opts.
func New(opts Options) *Emulator {
	def(&opts.ClientID, "casewire-dev")
	def(&opts.ClientSecret, "casewire-dev-secret")
	def(&opts.TokenTTL, 30*time.Minute)
	def(&opts.Speed, 1)
	if opts.Start.IsZero() {
		opts.Start = time.Now()
	}
	e := &Emulator{
		opts:      opts,
		realStart: time.Now(),
		tokens:    map[string]time.Time{},
		faults:    opts.Faults,
		rng:       rand.New(rand.NewPCG(opts.Seed, 0x6661756c7473)),
		scripted:  map[string]scriptedCase{},
		counts:    Counts{ByStatus: map[int]int64{}},
	}
	if opts.TPS > 0 {
		e.spike = rate.NewLimiter(rate.Limit(opts.TPS), opts.TPS)
	}
	e.routes()
	return e
}

func (e *Emulator) routes() {
	e.mux = http.NewServeMux()
	e.mux.HandleFunc("POST /oauth/accesstoken", e.serveToken)
	e.mux.HandleFunc("GET /case-status/{receipt}", e.serveCaseStatus)
	e.mux.HandleFunc("GET /_emulator/faults", e.getFaults)
	e.mux.HandleFunc("PUT /_emulator/faults", e.putFaults)
	e.mux.HandleFunc("DELETE /_emulator/faults", e.deleteFaults)
	e.mux.HandleFunc("GET /_emulator/cases/{receipt}", e.getCase)
	e.mux.HandleFunc("PUT /_emulator/cases/{receipt}", e.putCase)
	e.mux.HandleFunc("DELETE /_emulator/cases/{receipt}", e.deleteCase)
}

// ServeHTTP implements http.Handler.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.mux.ServeHTTP(w, r) }

// Now returns the emulated time.
func (e *Emulator) Now() time.Time {
	if e.opts.Clock != nil {
		return e.opts.Clock()
	}
	elapsed := float64(time.Since(e.realStart)) * e.opts.Speed
	return e.opts.Start.Add(time.Duration(elapsed))
}

// Requests returns the number of case-status requests received.
func (e *Emulator) Requests() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.counts.CaseStatus
}

// Counts returns a copy of the request counters.
func (e *Emulator) Counts() Counts {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.counts
	c.ByStatus = make(map[int]int64, len(e.counts.ByStatus))
	for k, v := range e.counts.ByStatus {
		c.ByStatus[k] = v
	}
	return c
}

// SetFaults replaces the injected faults; RevokeTokens revokes the tokens issued so far.
func (e *Emulator) SetFaults(f Faults) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if f.RevokeTokens {
		clear(e.tokens)
		f.RevokeTokens = false
	}
	e.faults = f
}

func def[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}
