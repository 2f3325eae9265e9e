package uscis

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// tokens caches the access token and renews it before it expires. USCIS answers the
// client-credentials grant with expires_in as a string ("1800"); golang.org/x/oauth2 reads
// it as a number or a numeric string alike, so the library's parser is used unchanged.
type tokens struct {
	cc          *clientcredentials.Config
	ctx         context.Context // carries the HTTP client for token requests
	renewBefore time.Duration

	mu     sync.Mutex
	src    oauth2.TokenSource
	handed string // the access token last handed out
}

func newTokens(cfg Config, hc *http.Client) *tokens {
	t := &tokens{
		cc: &clientcredentials.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			TokenURL:     cfg.TokenURL,
			AuthStyle:    oauth2.AuthStyleInParams,
		},
		ctx:         context.WithValue(context.Background(), oauth2.HTTPClient, hc),
		renewBefore: cfg.TokenRenewBefore,
	}
	t.src = t.newSource()
	return t
}

// newSource returns an empty cache over a fresh fetcher.
func (t *tokens) newSource() oauth2.TokenSource {
	return oauth2.ReuseTokenSourceWithExpiry(nil, fetcher{t}, t.renewBefore)
}

// token returns a valid access token, fetching one when the cached one is due.
func (t *tokens) token() (string, error) {
	t.mu.Lock()
	src := t.src
	t.mu.Unlock()
	tok, err := src.Token()
	if err != nil {
		return "", err
	}
	t.mu.Lock()
	t.handed = tok.AccessToken
	t.mu.Unlock()
	return tok.AccessToken, nil
}

// invalidate drops the cached token after upstream refused bad, unless another caller
// already replaced it.
func (t *tokens) invalidate(bad string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.handed == bad {
		t.src = t.newSource()
		t.handed = ""
	}
}

// fetcher asks the token endpoint for a new token.
type fetcher struct{ t *tokens }

// Token fetches a token and moves its Expiry so that the reuse cache renews it renewBefore
// ahead of time, or after four fifths of its lifetime when that comes sooner.
func (f fetcher) Token() (*oauth2.Token, error) {
	tok, err := f.t.cc.Token(f.t.ctx)
	if err != nil || tok.Expiry.IsZero() {
		return tok, err
	}
	early := min(f.t.renewBefore, time.Until(tok.Expiry)/5)
	tok.Expiry = tok.Expiry.Add(f.t.renewBefore - early)
	return tok, nil
}

// authRefused reports whether a token error means the credentials were refused, as
// opposed to the token endpoint being unreachable or failing.
func authRefused(err error) bool {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		return false
	}
	switch re.Response.StatusCode {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
		return true
	}
	return false
}

// scrub removes the secret from an error text.
func scrub(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[REDACTED]")
}
