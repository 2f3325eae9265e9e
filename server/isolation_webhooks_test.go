package server_test

import (
	"context"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
)

// aEndpoint registers an endpoint of tenant A with one test delivery, and returns the
// endpoint, the delivery and the delivered event.
func aEndpoint(t *testing.T, e *isoEnv) (string, string, string) {
	t.Helper()
	ctx := context.Background()
	created, err := e.A.Webhooks.CreateWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.CreateWebhookEndpointRequest{
		WebhookEndpoint: &casewirev1.WebhookEndpoint{Url: "http://127.0.0.1:1/"}}))
	if err != nil {
		t.Fatal(err)
	}
	id := created.Msg.GetWebhookEndpoint().GetId()
	test, err := e.A.Webhooks.TestWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.TestWebhookEndpointRequest{Id: id}))
	if err != nil {
		t.Fatal(err)
	}
	return id, test.Msg.GetDelivery().GetId(), test.Msg.GetDelivery().GetEventId()
}

func init() {
	const svc = "/casewire.v1.WebhookService/"
	ctx := context.Background()
	addIsolation(svc+"CreateWebhookEndpoint", func(t *testing.T, e *isoEnv) {
		res, err := e.B.Webhooks.CreateWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.CreateWebhookEndpointRequest{
			WebhookEndpoint: &casewirev1.WebhookEndpoint{Url: "http://127.0.0.1:4/"}}))
		if err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, getErr(e.A.Webhooks.GetWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.GetWebhookEndpointRequest{
			Id: res.Msg.GetWebhookEndpoint().GetId()}))))
	})
	addIsolation(svc+"GetWebhookEndpoint", func(t *testing.T, e *isoEnv) {
		id, _, _ := aEndpoint(t, e)
		wantNotFound(t, getErr(e.B.Webhooks.GetWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.GetWebhookEndpointRequest{Id: id}))))
	})
	addIsolation(svc+"ListWebhookEndpoints", func(t *testing.T, e *isoEnv) {
		id, _, _ := aEndpoint(t, e)
		res, err := e.B.Webhooks.ListWebhookEndpoints(ctx, connect.NewRequest(&casewirev1.ListWebhookEndpointsRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range res.Msg.GetWebhookEndpoints() {
			if w.GetId() == id {
				t.Fatal("B lists A's endpoint")
			}
		}
	})
	addIsolation(svc+"UpdateWebhookEndpoint", func(t *testing.T, e *isoEnv) {
		id, _, _ := aEndpoint(t, e)
		wantNotFound(t, getErr(e.B.Webhooks.UpdateWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.UpdateWebhookEndpointRequest{
			WebhookEndpoint: &casewirev1.WebhookEndpoint{Id: id, Url: "http://127.0.0.1:2/"}}))))
	})
	addIsolation(svc+"DeleteWebhookEndpoint", func(t *testing.T, e *isoEnv) {
		id, _, _ := aEndpoint(t, e)
		wantNotFound(t, getErr(e.B.Webhooks.DeleteWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.DeleteWebhookEndpointRequest{Id: id}))))
		if _, err := e.A.Webhooks.GetWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.GetWebhookEndpointRequest{Id: id})); err != nil {
			t.Fatalf("A's endpoint gone after B's delete: %v", err)
		}
	})
	addIsolation(svc+"RotateWebhookEndpointSecret", func(t *testing.T, e *isoEnv) {
		id, _, _ := aEndpoint(t, e)
		wantNotFound(t, getErr(e.B.Webhooks.RotateWebhookEndpointSecret(ctx, connect.NewRequest(&casewirev1.RotateWebhookEndpointSecretRequest{Id: id}))))
	})
	addIsolation(svc+"TestWebhookEndpoint", func(t *testing.T, e *isoEnv) {
		id, _, _ := aEndpoint(t, e)
		wantNotFound(t, getErr(e.B.Webhooks.TestWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.TestWebhookEndpointRequest{Id: id}))))
	})
	addIsolation(svc+"ListDeliveries", func(t *testing.T, e *isoEnv) {
		id, _, _ := aEndpoint(t, e)
		wantNotFound(t, getErr(e.B.Webhooks.ListDeliveries(ctx, connect.NewRequest(&casewirev1.ListDeliveriesRequest{WebhookEndpointId: id}))))
	})
	addIsolation(svc+"ListDeliveryAttempts", func(t *testing.T, e *isoEnv) {
		id, dID, _ := aEndpoint(t, e)
		wantNotFound(t, getErr(e.B.Webhooks.ListDeliveryAttempts(ctx, connect.NewRequest(&casewirev1.ListDeliveryAttemptsRequest{
			WebhookEndpointId: id, DeliveryId: dID}))))
	})
	addIsolation(svc+"RedeliverEvent", func(t *testing.T, e *isoEnv) {
		id, _, evID := aEndpoint(t, e)
		wantNotFound(t, getErr(e.B.Webhooks.RedeliverEvent(ctx, connect.NewRequest(&casewirev1.RedeliverEventRequest{
			WebhookEndpointId: id, EventId: evID}))))
		// Nor can B's own endpoint be sent A's event.
		own, err := e.B.Webhooks.CreateWebhookEndpoint(ctx, connect.NewRequest(&casewirev1.CreateWebhookEndpointRequest{
			WebhookEndpoint: &casewirev1.WebhookEndpoint{Url: "http://127.0.0.1:3/"}}))
		if err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, getErr(e.B.Webhooks.RedeliverEvent(ctx, connect.NewRequest(&casewirev1.RedeliverEventRequest{
			WebhookEndpointId: own.Msg.GetWebhookEndpoint().GetId(), EventId: evID}))))
	})
	addIsolation(svc+"ReplayEvents", func(t *testing.T, e *isoEnv) {
		id, _, _ := aEndpoint(t, e)
		wantNotFound(t, getErr(e.B.Webhooks.ReplayEvents(ctx, connect.NewRequest(&casewirev1.ReplayEventsRequest{
			WebhookEndpointId: id, SinceTime: timestamppb.Now()}))))
	})
}
