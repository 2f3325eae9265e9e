package casewire_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	casewire "github.com/casewire/casewire/clients/go"
	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/webhook"
)

// delivery returns a body and its headers signed with the given secrets at ts.
func delivery(t *testing.T, ts time.Time, secrets ...string) ([]byte, http.Header) {
	t.Helper()
	ev := &casewirev1.Event{Id: "evt_7", Type: casewirev1.EventType_EVENT_TYPE_BASELINE,
		ReceiptNumber: testReceipt, Sequence: 1, ObserveTime: timestamppb.New(ts)}
	body, err := webhook.Encode(ev)
	if err != nil {
		t.Fatal(err)
	}
	var keys [][]byte
	for _, s := range secrets {
		k, err := webhook.DecodeSecret(s)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	h := http.Header{}
	webhook.SetHeaders(h, keys, ev.Id, ts, body)
	return body, h
}

func TestVerifyWebhook(t *testing.T) {
	secret, _ := webhook.NewSecret()
	other, _ := webhook.NewSecret()
	now := time.Now()
	late, early := now.Add(-6*time.Minute), now.Add(6*time.Minute)
	tests := []struct {
		name    string
		secret  string
		signed  []string
		at      time.Time
		tamper  bool
		wantErr error
	}{
		{"valid", secret, []string{secret}, now, false, nil},
		{"rotation: either signature", secret, []string{other, secret}, now, false, nil},
		{"tampered body", secret, []string{secret}, now, true, casewire.ErrWebhookSignature},
		{"wrong secret", secret, []string{other}, now, false, casewire.ErrWebhookSignature},
		{"expired", secret, []string{secret}, late, false, casewire.ErrWebhookTimestamp},
		{"from the future", secret, []string{secret}, early, false, casewire.ErrWebhookTimestamp},
		{"not a secret", "whsec_!!", []string{secret}, now, false, casewire.ErrWebhookSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, h := delivery(t, tt.at, tt.signed...)
			if tt.tamper {
				body = bytes.Replace(body, []byte(testReceipt), []byte("IOE0999999999"), 1)
			}
			if err := casewire.VerifyWebhook(tt.secret, h, body); !errors.Is(err, tt.wantErr) {
				t.Fatalf("VerifyWebhook = %v, want %v", err, tt.wantErr)
			}
		})
	}
	body, h := delivery(t, now, secret)
	h.Del("webhook-id")
	err := casewire.VerifyWebhook(secret, h, body)
	if !errors.Is(err, casewire.ErrWebhookMissingHeaders) {
		t.Fatalf("no webhook-id: %v", err)
	}
}

// TestWebhookHandlerOverHTTP posts deliveries to a real HTTP server running the handler.
func TestWebhookHandlerOverHTTP(t *testing.T) {
	oldSecret, _ := webhook.NewSecret()
	newSecret, _ := webhook.NewSecret()
	v, err := casewire.NewWebhookVerifier(oldSecret, newSecret)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *casewirev1.Event, 1)
	srv := httptest.NewServer(casewire.WebhookHandler(v,
		func(_ context.Context, d *casewire.WebhookDelivery) error {
			if d.Payload.Type != casewire.WebhookTypeBaseline {
				t.Errorf("type %q", d.Payload.Type)
			}
			ev, err := d.Payload.Event()
			got <- ev
			return err
		}))
	defer srv.Close()
	post := func(body []byte, h http.Header) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		req.Header = h
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	// The sender has rotated to the new secret; the receiver still accepts both.
	if code := post(delivery(t, time.Now(), newSecret)); code != http.StatusNoContent {
		t.Fatalf("valid delivery: %d", code)
	}
	if ev := <-got; ev.GetReceiptNumber() != testReceipt || ev.GetSequence() != 1 {
		t.Fatalf("event = %v", ev)
	}
	stranger, _ := webhook.NewSecret()
	if code := post(delivery(t, time.Now(), stranger)); code != http.StatusUnauthorized {
		t.Fatalf("unknown secret: %d, want 401", code)
	}
	if len(got) != 0 {
		t.Fatal("a rejected delivery reached the callback")
	}
}
