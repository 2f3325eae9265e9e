package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casewire/casewire/deliver"
	"github.com/casewire/casewire/detect"
	"github.com/casewire/casewire/ent"
	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/secretbox"
	"github.com/casewire/casewire/server"
	"github.com/casewire/casewire/server/servertest"
	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/webhook"
)

// startWebhooks runs a server whose Webhook API is backed by a running delivery service.
func startWebhooks(t *testing.T, insecure bool, configure ...func(*server.Options)) *servertest.Server {
	t.Helper()
	var svc *deliver.Service
	s := servertest.Start(t, func(o *server.Options) {
		for _, c := range configure {
			c(o)
		}
		key, _ := secretbox.NewKey()
		ring, _ := secretbox.Parse(key)
		var err error
		svc, err = deliver.New(o.Store, ring, deliver.Config{
			AllowInsecure: insecure, TestOnly: true, FetchPollInterval: 20 * time.Millisecond,
			AppendEvent: func(ctx context.Context, tx *store.Tx, tenant, typ, ep string) (*ent.Event, error) {
				return detect.AppendSystemEvent(ctx, tx, detect.SystemEvent{
					TenantID: tenant, Type: typ, WebhookEndpointID: ep})
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		o.Webhooks = svc
	})
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop(context.Background()) })
	return s
}

func TestWebhookEndpointLifecycle(t *testing.T) {
	s := startWebhooks(t, true)
	got := make(chan *http.Request, 10)
	bodies := make(chan []byte, 10)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	}))
	defer rc.Close()
	for name, opts := range servertest.Protocols {
		t.Run(name, func(t *testing.T) {
			c := s.Clients(s.Key, name).Webhooks
			ctx := context.Background()
			created, err := c.CreateWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.CreateWebhookEndpointRequest{
				WebhookEndpoint: &casewirev1.WebhookEndpoint{Url: rc.URL, Description: "matters",
					Filter: &casewirev1.EventFilter{Categories: []casewirev1.Category{casewirev1.Category_CATEGORY_DECISION}}}}))
			if err != nil {
				t.Fatal(err)
			}
			ep := created.Msg.GetWebhookEndpoint()
			if !strings.HasPrefix(ep.GetSecret(), "whsec_") || !ep.GetEnabled() ||
				ep.GetFilter().GetCategories()[0] != casewirev1.Category_CATEGORY_DECISION {
				t.Fatalf("created %v", ep)
			}
			read, err := c.GetWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.GetWebhookEndpointRequest{Id: ep.GetId()}))
			if err != nil || read.Msg.GetWebhookEndpoint().GetSecret() != "" {
				t.Fatalf("get shows the secret or fails: %v", err)
			}
			if _, err := c.TestWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.TestWebhookEndpointRequest{Id: ep.GetId()})); err != nil {
				t.Fatal(err)
			}
			r, body := <-got, <-bodies
			v, _ := webhook.NewVerifier(ep.GetSecret())
			if err := v.Verify(r.Header, body); err != nil {
				t.Fatalf("test delivery: %v", err)
			}
			rot, err := c.RotateWebhookEndpointSecret(ctx, connect.NewRequest(&casewirev1.RotateWebhookEndpointSecretRequest{
				Id: ep.GetId(), Overlap: durationpb.New(time.Hour)}))
			if err != nil || rot.Msg.GetWebhookEndpoint().GetSecret() == ep.GetSecret() ||
				rot.Msg.GetWebhookEndpoint().GetPreviousSecretExpireTime() == nil {
				t.Fatalf("rotate: %v", err)
			}
			var list *connect.Response[casewirev1.ListDeliveriesResponse]
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) {
				list, err = c.ListDeliveries(ctx, connect.NewRequest(&casewirev1.ListDeliveriesRequest{WebhookEndpointId: ep.GetId()}))
				if err == nil && len(list.Msg.GetDeliveries()) == 1 &&
					list.Msg.GetDeliveries()[0].GetState() == casewirev1.DeliveryState_DELIVERY_STATE_SUCCEEDED {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			d := list.Msg.GetDeliveries()[0]
			if d.GetState() != casewirev1.DeliveryState_DELIVERY_STATE_SUCCEEDED || d.GetEventType() != casewirev1.EventType_EVENT_TYPE_TEST {
				t.Fatalf("delivery %v", d)
			}
			atts, err := c.ListDeliveryAttempts(ctx, connect.NewRequest(&casewirev1.ListDeliveryAttemptsRequest{
				WebhookEndpointId: ep.GetId(), DeliveryId: d.GetId()}))
			if err != nil || len(atts.Msg.GetAttempts()) != 1 || atts.Msg.GetAttempts()[0].GetStatusCode() != 200 {
				t.Fatalf("attempts %v: %v", atts, err)
			}
			upd, err := c.UpdateWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.UpdateWebhookEndpointRequest{
				WebhookEndpoint: &casewirev1.WebhookEndpoint{Id: ep.GetId(), Enabled: false},
				UpdateMask:      &fieldmaskpb.FieldMask{Paths: []string{"enabled"}}}))
			if err != nil || upd.Msg.GetWebhookEndpoint().GetEnabled() {
				t.Fatalf("disable: %v", err)
			}
			_, err = c.TestWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.TestWebhookEndpointRequest{Id: ep.GetId()}))
			if connect.CodeOf(err) != connect.CodeFailedPrecondition {
				t.Fatalf("test of a disabled endpoint: %v", err)
			}
			if _, err := c.ReplayEvents(ctx, connect.NewRequest(&casewirev1.ReplayEventsRequest{
				WebhookEndpointId: ep.GetId(), SinceTime: timestamppb.New(time.Now().Add(-time.Hour))})); err != nil {
				t.Fatal(err)
			}
			if _, err := c.DeleteWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.DeleteWebhookEndpointRequest{Id: ep.GetId()})); err != nil {
				t.Fatal(err)
			}
			_, err = c.GetWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.GetWebhookEndpointRequest{Id: ep.GetId()}))
			if connect.CodeOf(err) != connect.CodeNotFound {
				t.Fatalf("deleted endpoint: %v", err)
			}
			_ = opts
		})
	}
}

func TestWebhookURLRefused(t *testing.T) {
	s := startWebhooks(t, false)
	c := s.Clients(s.Key, "connect").Webhooks
	for _, u := range []string{"http://example.com/", "https://localhost/", "https://169.254.169.254/", "https://10.0.0.8/"} {
		_, err := c.CreateWebhookEndpoint(context.Background(), connect.NewRequest(&casewirev1.CreateWebhookEndpointRequest{
			WebhookEndpoint: &casewirev1.WebhookEndpoint{Url: u}}))
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", u, err)
		}
	}
	var out map[string]any
	code := doJSON(t, s, http.MethodPost, "/v1/webhookEndpoints", s.Key, `{"url":"https://127.0.0.1/"}`, &out)
	if code != http.StatusBadRequest {
		t.Fatalf("JSON create with a loopback URL: %d %v", code, out)
	}
}

// TestWebhookTenantIsolation proves that another tenant's endpoints, deliveries and
// events answer NotFound to every webhook method.
func TestWebhookTenantIsolation(t *testing.T) {
	s := startWebhooks(t, true)
	_, bKey := s.NewTenant(t, "Other Firm")
	a, b := s.Clients(s.Key, "connect").Webhooks, s.Clients(bKey, "grpc").Webhooks
	ctx := context.Background()
	created, err := a.CreateWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.CreateWebhookEndpointRequest{
		WebhookEndpoint: &casewirev1.WebhookEndpoint{Url: "http://127.0.0.1:1/"}}))
	if err != nil {
		t.Fatal(err)
	}
	id := created.Msg.GetWebhookEndpoint().GetId()
	test, err := a.TestWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.TestWebhookEndpointRequest{Id: id}))
	if err != nil {
		t.Fatal(err)
	}
	dID, evID := test.Msg.GetDelivery().GetId(), test.Msg.GetDelivery().GetEventId()
	calls := map[string]func() error{
		"Get": func() error {
			return getErr(b.GetWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.GetWebhookEndpointRequest{Id: id})))
		},
		"Update": func() error {
			return getErr(b.UpdateWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.UpdateWebhookEndpointRequest{
				WebhookEndpoint: &casewirev1.WebhookEndpoint{Id: id, Url: "http://127.0.0.1:2/"}})))
		},
		"Delete": func() error {
			return getErr(b.DeleteWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.DeleteWebhookEndpointRequest{Id: id})))
		},
		"Rotate": func() error {
			return getErr(b.RotateWebhookEndpointSecret(ctx, connect.NewRequest(&casewirev1.RotateWebhookEndpointSecretRequest{Id: id})))
		},
		"Test": func() error {
			return getErr(b.TestWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.TestWebhookEndpointRequest{Id: id})))
		},
		"ListDeliveries": func() error {
			return getErr(b.ListDeliveries(ctx, connect.NewRequest(&casewirev1.ListDeliveriesRequest{WebhookEndpointId: id})))
		},
		"ListDeliveryAttempts": func() error {
			return getErr(b.ListDeliveryAttempts(ctx, connect.NewRequest(&casewirev1.ListDeliveryAttemptsRequest{
				WebhookEndpointId: id, DeliveryId: dID})))
		},
		"Redeliver": func() error {
			return getErr(b.RedeliverEvent(ctx, connect.NewRequest(&casewirev1.RedeliverEventRequest{
				WebhookEndpointId: id, EventId: evID})))
		},
		"Replay": func() error {
			return getErr(b.ReplayEvents(ctx, connect.NewRequest(&casewirev1.ReplayEventsRequest{
				WebhookEndpointId: id, SinceTime: timestamppb.Now()})))
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) { wantNotFound(t, call()) })
	}
	// B's own endpoint cannot redeliver A's event either.
	own, err := b.CreateWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.CreateWebhookEndpointRequest{
		WebhookEndpoint: &casewirev1.WebhookEndpoint{Url: "http://127.0.0.1:3/"}}))
	if err != nil {
		t.Fatal(err)
	}
	wantNotFound(t, getErr(b.RedeliverEvent(ctx, connect.NewRequest(&casewirev1.RedeliverEventRequest{
		WebhookEndpointId: own.Msg.GetWebhookEndpoint().GetId(), EventId: evID}))))
	list, err := b.ListWebhookEndpoints(ctx, connect.NewRequest(&casewirev1.ListWebhookEndpointsRequest{}))
	if err != nil || len(list.Msg.GetWebhookEndpoints()) != 1 {
		t.Fatalf("B lists %v: %v", list, err)
	}
	if _, err := a.GetWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.GetWebhookEndpointRequest{Id: id})); err != nil {
		t.Fatalf("A's endpoint was changed by B: %v", err)
	}
}
