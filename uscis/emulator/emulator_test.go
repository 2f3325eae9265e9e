package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable emulated clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)         { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// tuesday10 is a Tuesday at 10:00 US Eastern, inside sandbox hours.
var tuesday10 = time.Date(2025, 3, 4, 10, 0, 0, 0, eastern)

type harness struct {
	t     *testing.T
	e     *Emulator
	srv   *httptest.Server
	clock *clock
}

func start(t *testing.T, opts Options) *harness {
	t.Helper()
	c := &clock{t: tuesday10}
	if opts.Clock == nil {
		opts.Clock = c.Now
	}
	if opts.Start.IsZero() {
		opts.Start = tuesday10
	}
	e := New(opts)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &harness{t: t, e: e, srv: srv, clock: c}
}

func (h *harness) token() string {
	h.t.Helper()
	resp, body := h.postToken(url.Values{"grant_type": {"client_credentials"},
		"client_id": {"casewire-dev"}, "client_secret": {"casewire-dev-secret"}})
	if resp.StatusCode != 200 {
		h.t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	var tok map[string]any
	if err := json.Unmarshal(body, &tok); err != nil {
		h.t.Fatal(err)
	}
	return tok["access_token"].(string)
}

func (h *harness) postToken(form url.Values) (*http.Response, []byte) {
	h.t.Helper()
	resp, err := http.PostForm(h.srv.URL+"/oauth/accesstoken", form)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func (h *harness) get(tok, rn string) (*http.Response, []byte) {
	h.t.Helper()
	return h.do(http.MethodGet, "/case-status/"+rn, tok, nil)
}

func (h *harness) do(method, path, tok string, body any) (*http.Response, []byte) {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.srv.URL+path, rd)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sameJSON(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got is not JSON: %v: %s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON differs:\n got %s\nwant %s", got, want)
	}
}

func TestTokenEndpoint(t *testing.T) {
	h := start(t, Options{TokenTTL: 45 * time.Second})
	resp, body := h.postToken(url.Values{"grant_type": {"client_credentials"},
		"client_id": {"casewire-dev"}, "client_secret": {"casewire-dev-secret"}})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var got, shape map[string]any
	_ = json.Unmarshal(body, &got)
	_ = json.Unmarshal(fixture(t, "token.json"), &shape)
	for k, v := range shape {
		if _, isString := v.(string); isString {
			if _, ok := got[k].(string); !ok {
				t.Errorf("field %s = %#v, want a string like the fixture", k, got[k])
			}
		}
	}
	if got["expires_in"] != "45" || got["token_type"] != "Bearer" {
		t.Errorf("expires_in %v token_type %v", got["expires_in"], got["token_type"])
	}
	tests := []struct {
		name string
		form url.Values
		want int
	}{
		{"wrong secret", url.Values{"grant_type": {"client_credentials"},
			"client_id": {"casewire-dev"}, "client_secret": {"nope"}}, 401},
		{"wrong id", url.Values{"grant_type": {"client_credentials"},
			"client_id": {"x"}, "client_secret": {"casewire-dev-secret"}}, 401},
		{"wrong grant", url.Values{"grant_type": {"password"}}, 400},
	}
	for _, tt := range tests {
		if resp, _ := h.postToken(tt.form); resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
	req, _ := http.NewRequest("POST", h.srv.URL+"/oauth/accesstoken",
		strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("casewire-dev", "casewire-dev-secret")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("basic auth: %v %v", resp, err)
	}
}

func TestDocumentedSandboxAnswers(t *testing.T) {
	h := start(t, Options{})
	tok := h.token()
	for rn, name := range map[string]string{
		"EAC9999103402": "status-no-history.json",
		"EAC9999103403": "status-with-history.json",
	} {
		resp, body := h.get(tok, rn)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", rn, resp.StatusCode)
		}
		want := fixture(t, name)
		var w map[string]any
		_ = json.Unmarshal(want, &w)
		w["message"] = "Query was successful"
		want, _ = json.Marshal(w)
		sameJSON(t, body, want)
	}
}

func TestStagingReceipts(t *testing.T) {
	h := start(t, Options{})
	tok := h.token()
	with, without := SandboxReceipts()
	if len(with) != 25 || len(without) != 25 {
		t.Fatalf("staging receipts: %d with, %d without", len(with), len(without))
	}
	check := func(rn string, wantHistory bool) {
		resp, body := h.get(tok, rn)
		var got struct {
			CaseStatus map[string]json.RawMessage `json:"case_status"`
		}
		if resp.StatusCode != 200 || json.Unmarshal(body, &got) != nil {
			t.Fatalf("%s: %d %s", rn, resp.StatusCode, body)
		}
		hist := string(got.CaseStatus["hist_case_status"])
		if isNull := hist == "null"; isNull == wantHistory {
			t.Errorf("%s: hist_case_status = %s, want history %v", rn, hist, wantHistory)
		}
		if string(got.CaseStatus["receiptNumber"]) != `"`+rn+`"` {
			t.Errorf("%s: receiptNumber %s", rn, got.CaseStatus["receiptNumber"])
		}
	}
	for _, rn := range with {
		check(rn, true)
	}
	for _, rn := range without {
		check(rn, false)
	}
}

func TestErrorAnswers(t *testing.T) {
	h := start(t, Options{TokenTTL: time.Minute})
	tok := h.token()
	tests := []struct {
		name, tok, rn string
		status        int
		body          string
	}{
		{"live number", tok, "EAC1512345678", 404, "error-404.json"},
		{"lower case", tok, "eac9999103402", 422, "error-422.json"},
		{"too short", tok, "EAC99991034", 422, "error-422.json"},
		{"no token", "", "EAC9999103402", 401, "error-401.json"},
		{"bad token", "forged", "EAC9999103402", 401, "error-401.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := h.get(tt.tok, tt.rn)
			if resp.StatusCode != tt.status || !bytes.Equal(body, fixture(t, tt.body)) {
				t.Errorf("got %d %s", resp.StatusCode, body)
			}
		})
	}
	h.clock.Advance(time.Minute)
	if resp, _ := h.get(tok, "EAC9999103402"); resp.StatusCode != 401 {
		t.Errorf("expired token: %d", resp.StatusCode)
	}
}

func TestLimits(t *testing.T) {
	t.Run("tps", func(t *testing.T) {
		h := start(t, Options{TPS: 3})
		tok := h.token()
		var limited int
		for range 10 {
			resp, body := h.get(tok, "EAC9999103402")
			if resp.StatusCode == 429 {
				limited++
				if !bytes.Equal(body, fixture(t, "error-429.json")) {
					t.Errorf("429 body %s", body)
				}
			}
		}
		if limited < 5 {
			t.Errorf("only %d of 10 instant requests limited at 3 TPS", limited)
		}
	})
	t.Run("daily quota", func(t *testing.T) {
		h := start(t, Options{DailyQuota: 3, TokenTTL: 48 * time.Hour})
		tok := h.token()
		codes := []int{}
		for range 4 {
			resp, _ := h.get(tok, "EAC9999103402")
			codes = append(codes, resp.StatusCode)
		}
		h.clock.Advance(24 * time.Hour)
		resp, _ := h.get(tok, "EAC9999103402")
		codes = append(codes, resp.StatusCode)
		if !reflect.DeepEqual(codes, []int{200, 200, 200, 429, 200}) {
			t.Errorf("codes %v", codes)
		}
	})
	t.Run("off hours", func(t *testing.T) {
		h := start(t, Options{OffHours: true})
		resp, body := h.get(h.token(), "EAC9999103402")
		if resp.StatusCode != 503 || !bytes.Equal(body, fixture(t, "error-503-sandbox-offhours.txt")) {
			t.Errorf("got %d %q", resp.StatusCode, body)
		}
	})
	t.Run("sandbox hours", func(t *testing.T) {
		h := start(t, Options{SandboxHours: true, TokenTTL: 1000 * time.Hour})
		tok := h.token()
		for _, tt := range []struct {
			at   time.Time
			want int
		}{
			{tuesday10, 200},
			{tuesday10.Add(11 * time.Hour), 503},     // 21:00
			{tuesday10.Add(-4 * time.Hour), 503},     // 06:00
			{tuesday10.Add(4 * 24 * time.Hour), 503}, // Saturday
		} {
			h.clock.Set(tt.at)
			if resp, _ := h.get(tok, "EAC9999103402"); resp.StatusCode != tt.want {
				t.Errorf("%v: %d, want %d", tt.at, resp.StatusCode, tt.want)
			}
		}
	})
}

func TestFaults(t *testing.T) {
	h := start(t, Options{})
	tok := h.token()
	put := func(f Faults) {
		if resp, b := h.do("PUT", "/_emulator/faults", "", f); resp.StatusCode != 200 {
			t.Fatalf("PUT faults: %d %s", resp.StatusCode, b)
		}
	}
	put(Faults{ErrorRate: 1})
	if resp, _ := h.get(tok, "EAC9999103402"); resp.StatusCode != 500 {
		t.Errorf("error rate 1: %d", resp.StatusCode)
	}
	put(Faults{HTMLRate: 1})
	if resp, b := h.get(tok, "EAC9999103402"); resp.StatusCode != 200 ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || json.Valid(b) {
		t.Errorf("html: %d %s", resp.StatusCode, b)
	}
	put(Faults{TruncatedRate: 1})
	if resp, b := h.get(tok, "EAC9999103402"); resp.StatusCode != 200 || json.Valid(b) {
		t.Errorf("truncated: %d %s", resp.StatusCode, b)
	}
	put(Faults{LatencyMS: 150})
	began := time.Now()
	h.get(tok, "EAC9999103402")
	if d := time.Since(began); d < 150*time.Millisecond {
		t.Errorf("latency fault: answered in %v", d)
	}
	put(Faults{RejectTokens: true})
	if resp, _ := h.get(h.token(), "EAC9999103402"); resp.StatusCode != 401 {
		t.Errorf("reject tokens: %d", resp.StatusCode)
	}
	put(Faults{RevokeTokens: true})
	if resp, _ := h.get(tok, "EAC9999103402"); resp.StatusCode != 401 {
		t.Errorf("revoked token: %d", resp.StatusCode)
	}
	if resp, _ := h.get(h.token(), "EAC9999103402"); resp.StatusCode != 200 {
		t.Errorf("token issued after revocation: %d", resp.StatusCode)
	}
	put(Faults{ErrorRate: 1})
	if resp, _ := h.do("DELETE", "/_emulator/faults", "", nil); resp.StatusCode != 204 {
		t.Errorf("DELETE faults: %d", resp.StatusCode)
	}
	if resp, _ := h.get(h.token(), "EAC9999103402"); resp.StatusCode != 200 {
		t.Errorf("after DELETE: %d", resp.StatusCode)
	}
	if c := h.e.Counts(); c.ByStatus[500] != 1 || c.CaseStatus != h.e.Requests() || c.Token < 4 {
		t.Errorf("counts %+v", c)
	}
}

func TestScriptedCases(t *testing.T) {
	h := start(t, Options{TokenTTL: 24 * time.Hour})
	tok := h.token()
	rn := h.e.Synthetic(1)[0]
	script := map[string]any{"title": "Case Was Approved", "description": "<p>Approved.</p>",
		"formType": "I-765", "history": []any{}, "title_es": "Caso Fue Aprobado"}
	if resp, b := h.do("PUT", "/_emulator/cases/"+rn, "", script); resp.StatusCode != 200 {
		t.Fatalf("PUT case: %d %s", resp.StatusCode, b)
	}
	_, body := h.get(tok, rn)
	var got wireStatus
	_ = json.Unmarshal(body, &got)
	c := got.CaseStatus
	if c.TextEN != "Case Was Approved" || c.DescEN != "<p>Approved.</p>" || c.FormType != "I-765" ||
		c.History == nil || len(c.History) != 0 || c.ModifiedDate != stamp(tuesday10) {
		t.Errorf("scripted answer %+v", c)
	}
	if _, b := h.do("GET", "/_emulator/cases/"+rn, "", nil); !strings.Contains(string(b), "Caso Fue") {
		t.Errorf("GET case: %s", b)
	}
	h.clock.Advance(time.Hour)
	h.do("PUT", "/_emulator/cases/"+rn, "", map[string]any{"title": "Card Was Mailed To Me"})
	if got := h.e.ChangeTimes(rn); len(got) != 2 || !got[1].Equal(tuesday10.Add(time.Hour)) {
		t.Errorf("ChangeTimes %v", got)
	}
	_, body = h.get(tok, rn)
	if !strings.Contains(string(body), `"hist_case_status": null`) {
		t.Errorf("history absent in script should answer null: %s", body)
	}
	if resp, _ := h.do("PUT", "/_emulator/cases/EAC1", "", script); resp.StatusCode != 422 {
		t.Errorf("bad receipt: %d", resp.StatusCode)
	}
	if resp, _ := h.do("PUT", "/_emulator/cases/"+rn, "", map[string]any{"formType": "I-1"}); resp.StatusCode != 400 {
		t.Errorf("no title: %d", resp.StatusCode)
	}
	// A live-looking number becomes answerable once scripted, and 404 again when deleted.
	h.do("PUT", "/_emulator/cases/EAC1512345678", "", script)
	if resp, _ := h.get(tok, "EAC1512345678"); resp.StatusCode != 200 {
		t.Errorf("scripted live number: %d", resp.StatusCode)
	}
	h.do("DELETE", "/_emulator/cases/EAC1512345678", "", nil)
	if resp, _ := h.get(tok, "EAC1512345678"); resp.StatusCode != 404 {
		t.Errorf("deleted script: %d", resp.StatusCode)
	}
}
