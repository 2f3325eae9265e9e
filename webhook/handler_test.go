package webhook

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
)

func TestHandler(t *testing.T) {
	secret, _ := NewSecret()
	key, _ := DecodeSecret(secret)
	v, _ := NewVerifier(secret)
	ev := &casewirev1.Event{
		Id: "evt_1", Type: casewirev1.EventType_EVENT_TYPE_STATUS_CHANGED,
		ReceiptNumber: "IOE0912345678", Sequence: 3, ObserveTime: timestamppb.Now(),
	}
	body, err := Encode(ev)
	if err != nil {
		t.Fatal(err)
	}
	var got *Delivery
	h := Handler(v, func(_ context.Context, d *Delivery) error { got = d; return nil })
	send := func(b []byte, sign []byte) int {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(b))
		SetHeaders(req.Header, [][]byte{key}, ev.Id, time.Now(), sign)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := send(body, body); code != http.StatusNoContent {
		t.Fatalf("valid delivery answered %d", code)
	}
	if got.ID != "evt_1" || got.Payload.Type != TypeStatusChanged {
		t.Fatalf("delivery = %+v", got)
	}
	back, err := got.Payload.Event()
	if err != nil || back.GetReceiptNumber() != ev.ReceiptNumber || back.GetSequence() != 3 {
		t.Fatalf("Event() = %v, %v", back, err)
	}
	if code := send(append(body, ' '), body); code != http.StatusUnauthorized {
		t.Fatalf("tampered delivery answered %d", code)
	}
	if code := send([]byte("not json"), []byte("not json")); code != http.StatusBadRequest {
		t.Fatalf("malformed delivery answered %d", code)
	}
}
