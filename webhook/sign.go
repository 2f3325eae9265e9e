// Package webhook defines the wire form of casewire's webhook deliveries and signs and
// verifies them by the Standard Webhooks scheme: headers webhook-id, webhook-timestamp and
// webhook-signature, the last holding "v1," and a base64 HMAC-SHA256 of
// "id.timestamp.body" under the endpoint's secret. Senders (package deliver) and receivers
// (the Go client, `casewire webhooks listen`) share it. It does no I/O of its own apart
// from the receiver's http.Handler.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of a delivery.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every signing secret casewire issues.
const SecretPrefix = "whsec_"

// secretBytes is the length of a generated secret before encoding.
const secretBytes = 32

// Errors a verification returns; callers branch on them with errors.Is.
var (
	// ErrMissingHeaders means a webhook header is absent or empty.
	ErrMissingHeaders = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature")
	// ErrTimestamp means the timestamp is malformed or outside the tolerance.
	ErrTimestamp = errors.New("webhook: timestamp outside the tolerance")
	// ErrSignature means no signature matches any of the verifier's secrets.
	ErrSignature = errors.New("webhook: no matching signature")
	// ErrSecret means a secret is not "whsec_" followed by base64.
	ErrSecret = errors.New("webhook: secret is not whsec_ followed by base64")
)

// NewSecret returns a fresh random signing secret in its "whsec_" form.
func NewSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webhook: secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// DecodeSecret returns the key bytes of a "whsec_" secret. The prefix is optional, as in
// other Standard Webhooks libraries.
func DecodeSecret(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(key) == 0 {
		return nil, ErrSecret
	}
	return key, nil
}

// Sign returns one "v1,<base64>" signature of a message under key.
func Sign(key []byte, id string, ts time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, id, ts.Unix(), body))
}

// SignAll returns the webhook-signature header value: one signature per key, separated by
// spaces. During a secret rotation the endpoint has two keys and both sign.
func SignAll(keys [][]byte, id string, ts time.Time, body []byte) string {
	sigs := make([]string, len(keys))
	for i, k := range keys {
		sigs[i] = Sign(k, id, ts, body)
	}
	return strings.Join(sigs, " ")
}

// SetHeaders sets the three webhook headers of a delivery on h.
func SetHeaders(h http.Header, keys [][]byte, id string, ts time.Time, body []byte) {
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, SignAll(keys, id, ts, body))
}

func mac(key []byte, id string, unix int64, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write(strconv.AppendInt(nil, unix, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// DefaultTolerance is how far a delivery's timestamp may be from the receiver's clock.
const DefaultTolerance = 5 * time.Minute

// Verifier checks deliveries against one or more secrets; a receiver that rotates its
// secret lists both until the overlap ends.
type Verifier struct {
	keys [][]byte
	// Tolerance bounds the clock difference; 0 means DefaultTolerance.
	Tolerance time.Duration
	// Now is the receiver's clock; nil means time.Now.
	Now func() time.Time
}

// NewVerifier returns a verifier of the given "whsec_" secrets.
func NewVerifier(secrets ...string) (*Verifier, error) {
	if len(secrets) == 0 {
		return nil, ErrSecret
	}
	v := &Verifier{}
	for _, s := range secrets {
		k, err := DecodeSecret(s)
		if err != nil {
			return nil, err
		}
		v.keys = append(v.keys, k)
	}
	return v, nil
}

// Verify checks the headers and body of a delivery: the timestamp within the tolerance
// and at least one "v1" signature made with one of the secrets.
func (v *Verifier) Verify(h http.Header, body []byte) error {
	id, rawTS, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || rawTS == "" || sigs == "" {
		return ErrMissingHeaders
	}
	unix, err := strconv.ParseInt(rawTS, 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	if err := v.checkTime(unix); err != nil {
		return err
	}
	for _, k := range v.keys {
		want := mac(k, id, unix, body)
		for _, s := range strings.Fields(sigs) {
			version, b64, ok := strings.Cut(s, ",")
			if !ok || version != "v1" {
				continue
			}
			got, err := base64.StdEncoding.DecodeString(b64)
			if err == nil && hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return ErrSignature
}

func (v *Verifier) checkTime(unix int64) error {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	tol := v.Tolerance
	if tol == 0 {
		tol = DefaultTolerance
	}
	d := now().Sub(time.Unix(unix, 0))
	if d > tol || d < -tol {
		return ErrTimestamp
	}
	return nil
}
