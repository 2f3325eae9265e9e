package uscis

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestTokenFixtureShape serves the recorded token answer (expires_in as a string) and a
// numeric variant, and checks the expiry the client derives from each.
func TestTokenFixtureShape(t *testing.T) {
	fixture, err := os.ReadFile("testdata/token.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		body string
		life time.Duration
	}{
		{"string", string(fixture), 1800 * time.Second},
		{"number", strings.Replace(string(fixture), `"1800"`, `1800`, 1), 1800 * time.Second},
		{"short", strings.Replace(string(fixture), `"1800"`, `"10"`, 1), 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var form string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = r.ParseForm()
				form = r.PostForm.Encode()
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			cfg := Config{TokenURL: srv.URL, ClientID: "id", ClientSecret: "sec",
				TokenRenewBefore: time.Minute}
			tk := newTokens(cfg, srv.Client())
			tok, err := fetcher{tk}.Token()
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken != "Zb3xR7wQk2LmNp8sTvY4cHdJ6aE1" {
				t.Errorf("access token %q", tok.AccessToken)
			}
			// The reuse cache renews at Expiry-TokenRenewBefore: that must fall renewBefore
			// (capped at a fifth of the lifetime) ahead of the real expiry.
			early := min(time.Minute, tt.life/5)
			renewAt := tok.Expiry.Add(-time.Minute)
			want := time.Now().Add(tt.life - early)
			if d := renewAt.Sub(want); d < -2*time.Second || d > 2*time.Second {
				t.Errorf("renews at %v, want about %v", renewAt, want)
			}
			if !strings.Contains(form, "client_secret=sec") ||
				!strings.Contains(form, "grant_type=client_credentials") {
				t.Errorf("form %q", form)
			}
		})
	}
}

func TestTokenInvalidateOnlyDropsTheRefusedToken(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"t` + string(rune('0'+n.Add(1))) +
			`","token_type":"Bearer","expires_in":"1800"}`))
	}))
	defer srv.Close()
	tk := newTokens(Config{TokenURL: srv.URL, ClientID: "id", TokenRenewBefore: time.Minute},
		srv.Client())
	first, _ := tk.token()
	tk.invalidate("some-older-token")
	if again, _ := tk.token(); again != first {
		t.Errorf("a stale invalidation dropped the live token: %s → %s", first, again)
	}
	tk.invalidate(first)
	if renewed, _ := tk.token(); renewed == first || n.Load() != 2 {
		t.Errorf("renewed %s after %d fetches", renewed, n.Load())
	}
}
