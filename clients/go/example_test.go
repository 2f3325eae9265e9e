package casewire_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	casewire "github.com/casewire/casewire/clients/go"
	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/webhook"
)

// The examples that talk to a server read its address and key from the environment.
var (
	baseURL = os.Getenv("CASEWIRE_URL")
	apiKey  = os.Getenv("CASEWIRE_API_KEY")
)

func ExampleNew() {
	c := casewire.New(baseURL, apiKey,
		casewire.WithProtocol(casewire.ProtocolGRPC),
		casewire.WithTimeout(10*time.Second))
	res, err := c.Classification.ClassifyStatus(context.Background(),
		connect.NewRequest(&casewirev1.ClassifyStatusRequest{Title: "Case Was Approved"}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Msg.GetStatus().GetCategory())
}

func ExampleClient_trackReceipt() {
	c := casewire.New(baseURL, apiKey)
	ctx := context.Background()
	res, err := c.Receipts.TrackReceipt(ctx, connect.NewRequest(&casewirev1.TrackReceiptRequest{
		ReceiptNumber:   "IOE0912345678",
		ClientReference: "garcia-h1b",
		Labels:          []string{"h1b"},
	}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("tracking", res.Msg.GetReceipt().GetReceiptNumber(), "new:", res.Msg.GetCreated())
	// The first check runs in the background; read the receipt again for its status.
	got, err := c.Receipts.GetReceipt(ctx, connect.NewRequest(&casewirev1.GetReceiptRequest{
		ReceiptNumber: "IOE0912345678",
	}))
	if err != nil {
		log.Fatal(err)
	}
	r := got.Msg.GetReceipt()
	fmt.Println(r.GetCheckState(), r.GetStatus().GetCategory(), r.GetUscis().GetTitleEn())
}

func ExampleClient_timeline() {
	c := casewire.New(baseURL, apiKey)
	req := &casewirev1.ListReceiptEventsRequest{ReceiptNumber: "IOE0912345678", PageSize: 100}
	for {
		res, err := c.Events.ListReceiptEvents(context.Background(), connect.NewRequest(req))
		if err != nil {
			log.Fatal(err)
		}
		for _, ev := range res.Msg.GetEvents() {
			fmt.Println(ev.GetObserveTime().AsTime().Format(time.DateOnly), ev.GetType(),
				ev.GetStatus().GetCategory())
		}
		if res.Msg.GetNextPageToken() == "" {
			return
		}
		req.PageToken = res.Msg.GetNextPageToken()
	}
}

func ExampleClient_watchEvents() {
	c := casewire.New(baseURL, apiKey)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Pass the cursor of the last event handled to resume after a disconnect.
	stream, err := c.Events.WatchEvents(ctx, connect.NewRequest(&casewirev1.WatchEventsRequest{
		Types: []casewirev1.EventType{casewirev1.EventType_EVENT_TYPE_STATUS_CHANGED},
	}))
	if err != nil {
		log.Fatal(err)
	}
	defer stream.Close()
	for stream.Receive() {
		ev := stream.Msg().GetEvent()
		fmt.Println(ev.GetReceiptNumber(), ev.GetPreviousStatus().GetCategory(), "->",
			ev.GetStatus().GetCategory(), "cursor", ev.GetCursor())
	}
	if err := stream.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Fatal(err)
	}
}

func ExampleWebhookHandler() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // from CreateWebhookEndpoint
	v, err := casewire.NewWebhookVerifier(secret)
	if err != nil {
		log.Fatal(err)
	}
	h := casewire.WebhookHandler(v, func(_ context.Context, d *casewire.WebhookDelivery) error {
		if d.Payload.Type != casewire.WebhookTypeStatusChanged {
			return nil // ignore types this receiver does not handle
		}
		ev, err := d.Payload.Event()
		if err != nil {
			return err
		}
		fmt.Println(d.ID, ev.GetReceiptNumber(), ev.GetStatus().GetOutcome())
		return nil
	})
	// Mount h with http.Handle("/casewire", h). Here a delivery is signed as casewire
	// would sign it and handed to h directly.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, signedDelivery(secret))
	fmt.Println(rec.Code)
	// Output:
	// evt_01 IOE0912345678 OUTCOME_APPROVED
	// 204
}

// signedDelivery returns a request as casewire sends it to a webhook endpoint.
func signedDelivery(secret string) *http.Request {
	ev := &casewirev1.Event{
		Id: "evt_01", Type: casewirev1.EventType_EVENT_TYPE_STATUS_CHANGED,
		ReceiptNumber: "IOE0912345678", ObserveTime: timestamppb.Now(),
		Status: &casewirev1.NormalizedStatus{Outcome: casewirev1.Outcome_OUTCOME_APPROVED},
	}
	body, err := webhook.Encode(ev)
	if err != nil {
		panic(err)
	}
	key, _ := webhook.DecodeSecret(secret)
	req := httptest.NewRequest(http.MethodPost, "/casewire", strings.NewReader(string(body)))
	webhook.SetHeaders(req.Header, [][]byte{key}, ev.Id, time.Now(), body)
	return req
}
