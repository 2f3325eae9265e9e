package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

// MaxBodyBytes bounds the body a Handler reads.
const MaxBodyBytes = 1 << 20

// Delivery is a verified, decoded delivery as a receiver sees it.
type Delivery struct {
	// ID is the webhook-id header: the event id, the same on every retry, so a receiver
	// can drop duplicates by it.
	ID        string
	Timestamp time.Time
	Payload   Payload
	// Body is the raw body that was verified.
	Body []byte
}

// Read verifies a request and decodes its body. It reads at most MaxBodyBytes.
func (v *Verifier) Read(r *http.Request) (*Delivery, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > MaxBodyBytes {
		return nil, errors.New("webhook: body too large")
	}
	if err := v.Verify(r.Header, body); err != nil {
		return nil, err
	}
	d := &Delivery{ID: r.Header.Get(HeaderID), Body: body}
	unix, _ := strconv.ParseInt(r.Header.Get(HeaderTimestamp), 10, 64)
	d.Timestamp = time.Unix(unix, 0).UTC()
	if err := json.Unmarshal(body, &d.Payload); err != nil {
		return nil, &decodeError{err}
	}
	return d, nil
}

type decodeError struct{ err error }

func (e *decodeError) Error() string { return "webhook: decode body: " + e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }

// Handler returns an http.Handler that verifies each request with v and passes the
// delivery to fn. It answers 401 to a request that fails verification, 400 to a body that
// is not a payload, 500 when fn fails (so casewire retries) and 204 when fn succeeds.
func Handler(v *Verifier, fn func(context.Context, *Delivery) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		d, err := v.Read(r)
		var de *decodeError
		switch {
		case errors.As(err, &de):
			http.Error(w, "malformed payload", http.StatusBadRequest)
			return
		case err != nil:
			http.Error(w, "signature verification failed", http.StatusUnauthorized)
			return
		}
		if err := fn(r.Context(), d); err != nil {
			http.Error(w, "delivery not accepted", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
