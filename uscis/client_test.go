package uscis_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/casewire/casewire/uscis"
	"github.com/casewire/casewire/uscis/emulator"
)

const secret = "casewire-dev-secret"

// env is a client talking to an emulator over real HTTP on 127.0.0.1.
type env struct {
	t   *testing.T
	emu *emulator.Emulator
	srv *httptest.Server
	c   *uscis.Client
	log *syncBuffer
	reg *prometheus.Registry
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fastConfig retries quickly so fault tests stay short.
func fastConfig(base string) uscis.Config {
	return uscis.Config{
		BaseURL: base, TokenURL: base + "/oauth/accesstoken",
		ClientID: "casewire-dev", ClientSecret: secret,
		RequestsPerSecond: 1000, MaxRetries: 2, RetryBase: time.Millisecond,
		RetryMax: 5 * time.Millisecond, Timeout: 2 * time.Second,
	}
}

func newEnv(t *testing.T, eo emulator.Options, tweak func(*uscis.Config, *uscis.Options)) *env {
	t.Helper()
	e := &env{t: t, emu: emulator.New(eo), log: &syncBuffer{}, reg: prometheus.NewRegistry()}
	e.srv = httptest.NewServer(e.emu)
	t.Cleanup(e.srv.Close)
	cfg := fastConfig(e.srv.URL)
	opts := uscis.Options{Logger: slog.New(slog.NewTextHandler(e.log, nil)), Registerer: e.reg}
	if tweak != nil {
		tweak(&cfg, &opts)
	}
	c, err := uscis.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	e.c = c
	return e
}

func (e *env) fetch(rn string) uscis.Result {
	return e.c.Fetch(context.Background(), rn, uscis.PriorityRoutine)
}

func TestFetchAnswers(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	res := e.fetch("EAC9999103402")
	if res.Kind != uscis.KindStatus || res.Status == nil || res.Attempts != 1 {
		t.Fatalf("got %+v", res)
	}
	s := res.Status
	if s.TitleEN != "Case Approval Was Affirmed" || s.FormType != "I-130" || !s.HistoryNull ||
		s.TitleES == "" || s.Modified.IsZero() {
		t.Errorf("status %+v", s)
	}
	if res := e.fetch("eac-9999-103-403"); res.Kind != uscis.KindStatus || len(res.Status.History) != 1 {
		t.Errorf("normalised receipt: %+v", res)
	}
	if res := e.fetch("EAC1512345678"); res.Kind != uscis.KindNotFound || res.HTTPStatus != 404 ||
		!strings.HasPrefix(res.Message, "Case Status Online does not recognize") {
		t.Errorf("live number in sandbox: %+v", res)
	}
	before := e.emu.Requests()
	for _, bad := range []string{"EAC123", "", "1234567890123", "EAC99991034O2", "IOE*123456789"} {
		if res := e.fetch(bad); res.Kind != uscis.KindBadFormat || res.Attempts != 0 {
			t.Errorf("%q: %+v", bad, res)
		}
	}
	if n := e.emu.Requests() - before; n != 0 {
		t.Errorf("bad receipts sent %d requests", n)
	}
}

// TestFaults runs the client against each injected fault and checks the outcome and that
// transient faults were retried (three attempts with MaxRetries 2).
func TestFaults(t *testing.T) {
	tests := []struct {
		name     string
		eo       emulator.Options
		timeout  time.Duration
		kind     uscis.Kind
		status   int
		attempts int
		message  string
	}{
		{name: "latency past timeout", eo: emulator.Options{Faults: emulator.Faults{LatencyMS: 300}},
			timeout: 50 * time.Millisecond, kind: uscis.KindUnavailable, attempts: 3},
		{name: "5xx", eo: emulator.Options{Faults: emulator.Faults{ErrorRate: 1}},
			kind: uscis.KindUnavailable, status: 500, attempts: 3},
		{name: "html body", eo: emulator.Options{Faults: emulator.Faults{HTMLRate: 1}},
			kind: uscis.KindMalformed, status: 200, attempts: 3},
		{name: "truncated json", eo: emulator.Options{Faults: emulator.Faults{TruncatedRate: 1}},
			kind: uscis.KindMalformed, status: 200, attempts: 3},
		{name: "429", eo: emulator.Options{TPS: 1, DailyQuota: 0},
			kind: uscis.KindRateLimited, status: 429, attempts: 3, message: "Spike Arrest Violation"},
		{name: "off hours", eo: emulator.Options{OffHours: true}, kind: uscis.KindUnavailable,
			status: 503, attempts: 3, message: "The Case Status API Sandbox is unavailable"},
		{name: "401 loop", eo: emulator.Options{Faults: emulator.Faults{RejectTokens: true}},
			kind: uscis.KindUnauthorized, status: 401, attempts: 2, message: "Invalid Access Token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.eo, func(c *uscis.Config, _ *uscis.Options) {
				if tt.timeout > 0 {
					c.Timeout = tt.timeout
				}
			})
			if tt.name == "429" {
				e.fetch("EAC9999103402") // spends the one-request burst
			}
			res := e.fetch("EAC9999103402")
			if res.Kind != tt.kind || res.HTTPStatus != tt.status || res.Attempts != tt.attempts ||
				res.Status != nil || !strings.HasPrefix(res.Message, tt.message) || res.Err == nil {
				t.Errorf("got kind %v status %d attempts %d message %q err %v", res.Kind,
					res.HTTPStatus, res.Attempts, res.Message, res.Err)
			}
		})
	}
}

func TestRevokedTokenIsRenewedOnce(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	if res := e.fetch("EAC9999103402"); res.Kind != uscis.KindStatus {
		t.Fatalf("warm-up: %+v", res)
	}
	e.emu.SetFaults(emulator.Faults{RevokeTokens: true})
	res := e.fetch("EAC9999103402")
	if res.Kind != uscis.KindStatus || res.Attempts != 2 {
		t.Errorf("after revocation: kind %v attempts %d", res.Kind, res.Attempts)
	}
	if c := e.emu.Counts(); c.Token != 2 || c.ByStatus[401] != 1 {
		t.Errorf("counts %+v", c)
	}
	if !e.c.Health().CredentialsOK {
		t.Error("a renewed token raised the alarm")
	}
}

// TestTokenRenewedBeforeExpiry runs for a few token lifetimes and expects no 401: the
// client renews ahead of expiry.
func TestTokenRenewedBeforeExpiry(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 3 seconds")
	}
	e := newEnv(t, emulator.Options{TokenTTL: time.Second}, func(c *uscis.Config, _ *uscis.Options) {
		c.TokenRenewBefore = 10 * time.Second // capped at a fifth of the lifetime
	})
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if res := e.fetch("EAC9999103402"); res.Kind != uscis.KindStatus {
			t.Fatalf("%+v", res)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c := e.emu.Counts()
	if c.ByStatus[401] != 0 || c.Token < 3 || c.Token > 8 {
		t.Errorf("tokens %d, 401s %d", c.Token, c.ByStatus[401])
	}
}

func TestCredentialAlarm(t *testing.T) {
	e := newEnv(t, emulator.Options{Faults: emulator.Faults{RejectTokens: true}}, nil)
	for range 3 {
		e.fetch("EAC9999103402")
	}
	h := e.c.Health()
	if h.CredentialsOK || h.ConsecutiveAuthFailures != 3 || h.FailingSince.IsZero() ||
		!strings.Contains(h.LastAuthError, "Invalid Access Token") {
		t.Errorf("health %+v", h)
	}
	if got := e.log.String(); !strings.Contains(got, "level=ERROR") ||
		!strings.Contains(got, "consecutive_failures=1") {
		t.Errorf("log: %s", got)
	}
	if v := gauge(t, e.reg, "casewire_uscis_credentials_ok"); v != 0 {
		t.Errorf("credentials_ok = %v", v)
	}
	if v := gauge(t, e.reg, "casewire_uscis_auth_failures_total"); v != 3 {
		t.Errorf("auth_failures_total = %v", v)
	}
	e.emu.SetFaults(emulator.Faults{})
	if res := e.fetch("EAC9999103402"); res.Kind != uscis.KindStatus {
		t.Fatalf("after recovery: %+v", res)
	}
	if h := e.c.Health(); !h.CredentialsOK || h.ConsecutiveAuthFailures != 0 {
		t.Errorf("health after recovery %+v", h)
	}
	if v := gauge(t, e.reg, "casewire_uscis_credentials_ok"); v != 1 {
		t.Errorf("credentials_ok after recovery = %v", v)
	}
}

func TestWrongSecretNeverLeaks(t *testing.T) {
	const wrong = "s3cret-that-must-not-leak"
	e := newEnv(t, emulator.Options{}, func(c *uscis.Config, _ *uscis.Options) {
		c.ClientSecret = wrong
	})
	res := e.fetch("EAC9999103402")
	if res.Kind != uscis.KindUnauthorized || res.Attempts != 0 {
		t.Fatalf("got %+v", res)
	}
	h := e.c.Health()
	for where, s := range map[string]string{"error": res.Err.Error(), "health": h.LastAuthError,
		"log": e.log.String(), "health %v": fmt.Sprintf("%+v", h)} {
		if strings.Contains(s, wrong) {
			t.Errorf("%s contains the secret: %s", where, s)
		}
	}
	if e.emu.Requests() != 0 {
		t.Error("case-status was called without a token")
	}
}

func TestConfigRedactsSecret(t *testing.T) {
	cfg := fastConfig("http://127.0.0.1:1")
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "cfg", cfg)
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg),
		fmt.Sprintf("%v", &cfg), buf.String()} {
		if strings.Contains(s, secret) || !strings.Contains(s, "REDACTED") {
			t.Errorf("not redacted: %s", s)
		}
	}
}

func TestMetricLabelsCarryNoReceipt(t *testing.T) {
	e := newEnv(t, emulator.Options{}, nil)
	for _, rn := range []string{"EAC9999103402", "EAC1512345678", "EAC12"} {
		e.fetch(rn)
	}
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`[A-Z]{3}[0-9]{2,}`)
	kinds := map[string]bool{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if re.MatchString(l.GetValue()) {
					t.Errorf("%s has label %s=%s", mf.GetName(), l.GetName(), l.GetValue())
				}
				if mf.GetName() == "casewire_uscis_fetch_results_total" {
					kinds[l.GetValue()] = true
				}
			}
		}
	}
	if !kinds["status"] || !kinds["not_found"] || !kinds["bad_format"] {
		t.Errorf("result kinds %v", kinds)
	}
}

// gauge reads one unlabelled gauge or counter from reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name || len(mf.GetMetric()) == 0 {
			continue
		}
		m := mf.GetMetric()[0]
		if m.GetGauge() != nil {
			return m.GetGauge().GetValue()
		}
		return m.GetCounter().GetValue()
	}
	t.Fatalf("metric %s not found", name)
	return 0
}
