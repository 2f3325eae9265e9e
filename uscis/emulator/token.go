package emulator

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// serveToken answers the client-credentials grant. Credentials may come in the form body
// (as USCIS documents) or in HTTP Basic auth.
func (e *Emulator) serveToken(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.counts.Token++
	e.mu.Unlock()
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{
			"ErrorCode": "invalid_request", "Error": "Unsupported grant type"})
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if !e.credentialsMatch(id, secret) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{
			"ErrorCode": "invalid_client", "Error": "ClientId is Invalid"})
		return
	}
	writeJSON(w, http.StatusOK, e.issue())
}

func (e *Emulator) credentialsMatch(id, secret string) bool {
	idOK := subtle.ConstantTimeCompare([]byte(id), []byte(e.opts.ClientID)) == 1
	secretOK := subtle.ConstantTimeCompare([]byte(secret), []byte(e.opts.ClientSecret)) == 1
	return idOK && secretOK
}

// issue creates a token valid for TokenTTL on the emulated clock.
func (e *Emulator) issue() wireToken {
	now := e.Now()
	e.mu.Lock()
	tok := fmt.Sprintf("emu%016x%08x", e.rng.Uint64(), e.tokenSeq.Add(1))
	for t, exp := range e.tokens {
		if !now.Before(exp) {
			delete(e.tokens, t)
		}
	}
	e.tokens[tok] = now.Add(e.opts.TokenTTL)
	e.mu.Unlock()
	return wireToken{
		RefreshTokenExpiresIn: "0",
		APIProductList:        "[Case Status API - Emulator]",
		OrganizationName:      "uscis",
		TokenType:             "Bearer",
		IssuedAt:              strconv.FormatInt(now.UnixMilli(), 10),
		AccessToken:           tok,
		ExpiresIn:             strconv.Itoa(int(e.opts.TokenTTL / time.Second)),
		Status:                "approved",
	}
}

// authorized reports whether r carries a live token.
func (e *Emulator) authorized(r *http.Request) bool {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	if len(h) <= len(prefix) || h[:len(prefix)] != prefix {
		return false
	}
	now := e.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	exp, ok := e.tokens[h[len(prefix):]]
	return ok && now.Before(exp) && !e.faults.RejectTokens
}
