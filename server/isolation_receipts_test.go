package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/casewire/casewire/detect"
	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/uscis"
)

// aReceipt tracks a receipt for tenant A with a matter and labels, and records a status
// event for it; it returns the number and the event's id.
func aReceipt(t *testing.T, e *isoEnv, number string) (string, string) {
	t.Helper()
	ctx := context.Background()
	mid := aMatter(t, e)
	if _, err := e.A.Receipts.TrackReceipt(ctx, req(&casewirev1.TrackReceiptRequest{
		ReceiptNumber: number, MatterId: mid, Labels: []string{"a-only"}, ClientReference: "A's"})); err != nil {
		t.Fatal(err)
	}
	d := detect.New(e.S.Store, nil, nil, detect.Options{})
	out, err := d.Observe(ctx, number, uscis.Result{Kind: uscis.KindStatus,
		Status: &uscis.CaseStatus{TitleEN: "Case Was Received"}}, detect.SourcePoll)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range out.Events {
		if ev.TenantID == e.S.TenantID {
			return number, ev.ID
		}
	}
	return number, ""
}

func init() {
	const svc = "/casewire.v1.ReceiptService/"
	addIsolation(svc+"TrackReceipt", func(t *testing.T, e *isoEnv) {
		n, _ := aReceipt(t, e, "EAC2290000101")
		res, err := e.B.Receipts.TrackReceipt(context.Background(), req(&casewirev1.TrackReceiptRequest{ReceiptNumber: n}))
		if err != nil {
			t.Fatal(err)
		}
		got := res.Msg.GetReceipt()
		if !res.Msg.GetCreated() || got.GetMatterId() != "" || len(got.GetLabels()) != 0 || got.GetClientReference() != "" {
			t.Fatalf("B's tracking of a shared number shows A's data: %v", got)
		}
		a, err := e.A.Receipts.GetReceipt(context.Background(), req(&casewirev1.GetReceiptRequest{ReceiptNumber: n}))
		if err != nil || a.Msg.GetReceipt().GetClientReference() != "A's" {
			t.Fatalf("A's receipt changed: %v %v", a, err)
		}
	})
	addIsolation(svc+"BatchTrackReceipts", func(t *testing.T, e *isoEnv) {
		mid := aMatter(t, e)
		res, err := e.B.Receipts.BatchTrackReceipts(context.Background(), req(&casewirev1.BatchTrackReceiptsRequest{
			Receipts: []*casewirev1.TrackReceiptRequest{{ReceiptNumber: "EAC2290000102", MatterId: mid}}}))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Msg.GetErrors()) != 1 || res.Msg.GetErrors()[0].GetField() != "matter_id" {
			t.Fatalf("B attached a receipt to A's matter: %v", res.Msg)
		}
	})
	addIsolation(svc+"UntrackReceipt", func(t *testing.T, e *isoEnv) {
		n, _ := aReceipt(t, e, "EAC2290000103")
		wantNotFound(t, getErr(e.B.Receipts.UntrackReceipt(context.Background(), req(&casewirev1.UntrackReceiptRequest{ReceiptNumber: n}))))
		if _, err := e.A.Receipts.GetReceipt(context.Background(), req(&casewirev1.GetReceiptRequest{ReceiptNumber: n})); err != nil {
			t.Fatalf("A's receipt gone after B's untrack: %v", err)
		}
	})
	addIsolation(svc+"GetReceipt", func(t *testing.T, e *isoEnv) {
		n, _ := aReceipt(t, e, "EAC2290000104")
		wantNotFound(t, getErr(e.B.Receipts.GetReceipt(context.Background(), req(&casewirev1.GetReceiptRequest{ReceiptNumber: n}))))
		var out map[string]any
		if code := doJSON(t, e.S, http.MethodGet, "/v1/receipts/"+n, e.BKey, "", &out); code != http.StatusNotFound {
			t.Fatalf("JSON GET of A's receipt as B: %d %v", code, out)
		}
	})
	addIsolation(svc+"ListReceipts", func(t *testing.T, e *isoEnv) {
		aReceipt(t, e, "EAC2290000105")
		res, err := e.B.Receipts.ListReceipts(context.Background(), req(&casewirev1.ListReceiptsRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Msg.GetReceipts() {
			if r.GetClientReference() == "A's" {
				t.Fatal("B lists A's receipt")
			}
		}
	})
	addIsolation(svc+"UpdateReceipt", func(t *testing.T, e *isoEnv) {
		n, _ := aReceipt(t, e, "EAC2290000106")
		wantNotFound(t, getErr(e.B.Receipts.UpdateReceipt(context.Background(), req(&casewirev1.UpdateReceiptRequest{
			Receipt: &casewirev1.Receipt{ReceiptNumber: n, ClientReference: "stolen"}}))))
	})
	addIsolation(svc+"RefreshReceipt", func(t *testing.T, e *isoEnv) {
		n, _ := aReceipt(t, e, "EAC2290000107")
		wantNotFound(t, getErr(e.B.Receipts.RefreshReceipt(context.Background(), req(&casewirev1.RefreshReceiptRequest{ReceiptNumber: n}))))
	})
	addIsolation(svc+"ExportReceipts", func(t *testing.T, e *isoEnv) {
		aReceipt(t, e, "EAC2290000108")
		stream, err := e.B.Receipts.ExportReceipts(context.Background(), req(&casewirev1.ExportReceiptsRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		for stream.Receive() {
			if stream.Msg().GetReceipt().GetClientReference() == "A's" {
				t.Fatal("B exports A's receipt")
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
	})
	const ev = "/casewire.v1.EventService/"
	addIsolation(ev+"ListEvents", func(t *testing.T, e *isoEnv) {
		_, id := aReceipt(t, e, "EAC2290000109")
		res, err := e.B.Events.ListEvents(context.Background(), req(&casewirev1.ListEventsRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range res.Msg.GetEvents() {
			if x.GetId() == id || x.GetClientReference() == "A's" {
				t.Fatal("B's feed holds A's event")
			}
		}
	})
	addIsolation(ev+"GetEvent", func(t *testing.T, e *isoEnv) {
		_, id := aReceipt(t, e, "EAC2290000110")
		wantNotFound(t, getErr(e.B.Events.GetEvent(context.Background(), req(&casewirev1.GetEventRequest{Id: id}))))
	})
	addIsolation(ev+"ListReceiptEvents", func(t *testing.T, e *isoEnv) {
		n, _ := aReceipt(t, e, "EAC2290000111")
		wantNotFound(t, getErr(e.B.Events.ListReceiptEvents(context.Background(), req(&casewirev1.ListReceiptEventsRequest{ReceiptNumber: n}))))
	})
	addIsolation(ev+"WatchEvents", func(t *testing.T, e *isoEnv) {
		aReceipt(t, e, "EAC2290000112")
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		// From the very start of the feed: B's stream must hold nothing of A's.
		stream, err := e.B.Events.WatchEvents(ctx, req(&casewirev1.WatchEventsRequest{Cursor: startCursor}))
		if err != nil {
			t.Fatal(err)
		}
		defer stream.Close()
		for stream.Receive() {
			if stream.Msg().GetEvent().GetClientReference() == "A's" {
				t.Fatal("B watches A's event")
			}
		}
		if code := connect.CodeOf(stream.Err()); stream.Err() != nil && code != connect.CodeDeadlineExceeded {
			t.Fatal(stream.Err())
		}
	})
}

// startCursor is the cursor of feed position 0: everything from the beginning.
const startCursor = "ZjE6MA" // base64url("f1:0")
