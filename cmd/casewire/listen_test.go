package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/webhook"
)

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

func TestWebhooksListenVerifiesAndPrints(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	secret, _ := webhook.NewSecret()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"webhooks", "listen", "--addr", addr, "--secret", secret},
			strings.NewReader(""), out, io.Discard)
	}()
	body, _ := webhook.Encode(&casewirev1.Event{Id: "evt_1", ReceiptNumber: "IOE0912345678",
		Type: casewirev1.EventType_EVENT_TYPE_STATUS_CHANGED, ObserveTime: timestamppb.Now()})
	key, _ := webhook.DecodeSecret(secret)
	post := func(b []byte) int {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/", bytes.NewReader(b))
		webhook.SetHeaders(req.Header, [][]byte{key}, "evt_1", time.Now(), body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	deadline := time.Now().Add(5 * time.Second)
	code := post(body)
	for code == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		code = post(body)
	}
	if code != http.StatusNoContent {
		t.Fatalf("signed delivery answered %d", code)
	}
	if code := post(append([]byte(nil), bytes.Replace(body, []byte("IOE"), []byte("EAC"), 1)...)); code != http.StatusUnauthorized {
		t.Fatalf("tampered delivery answered %d", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !strings.Contains(got, "case.status_changed webhook-id=evt_1") || !strings.Contains(got, "IOE0912345678") ||
		strings.Count(got, "webhook-id=") != 1 {
		t.Fatalf("output:\n%s", got)
	}
}
