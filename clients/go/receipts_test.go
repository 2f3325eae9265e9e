package casewire_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"connectrpc.com/connect"

	casewire "github.com/casewire/casewire/clients/go"
	"github.com/casewire/casewire/detect"
	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/gen/casewire/v1/casewirev1connect"
	"github.com/casewire/casewire/server"
	"github.com/casewire/casewire/server/servertest"
	"github.com/casewire/casewire/uscis"
)

const testReceipt = "IOE0912345678"

// fakeEvents answers the receipt and event calls the examples make, and refuses calls
// without the expected key, so the client's unary and streaming paths are tested on every
// protocol while the server's receipt feature is being built.
type fakeEvents struct {
	casewirev1connect.UnimplementedReceiptServiceHandler
	casewirev1connect.UnimplementedEventServiceHandler
	key string
}

func (f *fakeEvents) auth(h http.Header) error {
	if h.Get("Authorization") != "Bearer "+f.key {
		return connect.NewError(connect.CodeUnauthenticated, nil)
	}
	return nil
}

func (f *fakeEvents) TrackReceipt(_ context.Context, r *connect.Request[casewirev1.TrackReceiptRequest],
) (*connect.Response[casewirev1.TrackReceiptResponse], error) {
	if err := f.auth(r.Header()); err != nil {
		return nil, err
	}
	rec := &casewirev1.Receipt{ReceiptNumber: r.Msg.GetReceiptNumber(),
		CheckState: casewirev1.CheckState_CHECK_STATE_PENDING}
	return connect.NewResponse(&casewirev1.TrackReceiptResponse{Receipt: rec, Created: true}), nil
}

func (f *fakeEvents) ListReceiptEvents(_ context.Context,
	r *connect.Request[casewirev1.ListReceiptEventsRequest],
) (*connect.Response[casewirev1.ListReceiptEventsResponse], error) {
	if err := f.auth(r.Header()); err != nil {
		return nil, err
	}
	return connect.NewResponse(&casewirev1.ListReceiptEventsResponse{Events: events(2)}), nil
}

func (f *fakeEvents) WatchEvents(_ context.Context, r *connect.Request[casewirev1.WatchEventsRequest],
	s *connect.ServerStream[casewirev1.WatchEventsResponse]) error {
	if err := f.auth(r.Header()); err != nil {
		return err
	}
	for _, ev := range events(3) {
		if err := s.Send(&casewirev1.WatchEventsResponse{Event: ev}); err != nil {
			return err
		}
	}
	return nil
}

func events(n int) []*casewirev1.Event {
	out := make([]*casewirev1.Event, n)
	for i := range out {
		out[i] = &casewirev1.Event{Id: fmt.Sprint("evt_", i), ReceiptNumber: testReceipt,
			Sequence: int64(i + 1), Cursor: fmt.Sprint("c", i+1)}
	}
	return out
}

// startFake serves f over HTTP/1.1 and cleartext HTTP/2, as casewire serve does.
func startFake(t *testing.T, f *fakeEvents) string {
	mux := http.NewServeMux()
	mux.Handle(casewirev1connect.NewReceiptServiceHandler(f))
	mux.Handle(casewirev1connect.NewEventServiceHandler(f))
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestTrackTimelineAndWatchOnEveryProtocol(t *testing.T) {
	url := startFake(t, &fakeEvents{key: "cw_test"})
	for _, p := range protocols {
		t.Run(p.String(), func(t *testing.T) {
			trackTimelineWatch(t, casewire.New(url, "cw_test", casewire.WithProtocol(p)))
			err := getTimeline(casewire.New(url, "cw_wrong", casewire.WithProtocol(p)))
			if connect.CodeOf(err) != connect.CodeUnauthenticated {
				t.Fatalf("wrong key: %v, want unauthenticated", err)
			}
		})
	}
}

// TestTrackTimelineAndWatchAgainstTheServer tracks a receipt on a real server, plays USCIS
// answers into its change detector, and reads the receipt, its timeline and the event
// stream through the client on every protocol.
func TestTrackTimelineAndWatchAgainstTheServer(t *testing.T) {
	n := detect.NewNotifier()
	s := servertest.Start(t, func(o *server.Options) { o.Events = n })
	d := detect.New(s.Store, nil, nil, detect.Options{Notifier: n})
	for i, p := range protocols {
		t.Run(p.String(), func(t *testing.T) {
			number := fmt.Sprintf("IOE091234567%d", i)
			c := casewire.New(s.URL, s.Key, casewire.WithProtocol(p))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := c.Receipts.TrackReceipt(ctx, connect.NewRequest(
				&casewirev1.TrackReceiptRequest{ReceiptNumber: number}))
			if err != nil {
				t.Fatal(err)
			}
			observe(t, d, number, "Case Was Received", "January 2, 2026")
			timeline := receiptEvents(ctx, t, c, number)
			if len(timeline) != 1 {
				t.Fatalf("timeline after the first answer: %v", timeline)
			}
			// Watch from the first event's cursor, then let USCIS approve the case.
			stream, err := c.Events.WatchEvents(ctx, connect.NewRequest(
				&casewirev1.WatchEventsRequest{Cursor: timeline[0].GetCursor()}))
			if err != nil {
				t.Fatal(err)
			}
			defer stream.Close()
			observe(t, d, number, "Case Was Approved", "March 4, 2026")
			if !stream.Receive() {
				t.Fatalf("WatchEvents ended: %v", stream.Err())
			}
			ev := stream.Msg().GetEvent()
			if ev.GetReceiptNumber() != number ||
				ev.GetStatus().GetOutcome() != casewirev1.Outcome_OUTCOME_APPROVED {
				t.Fatalf("watched event = %v", ev)
			}
			got, err := c.Receipts.GetReceipt(ctx, connect.NewRequest(
				&casewirev1.GetReceiptRequest{ReceiptNumber: number}))
			if err != nil || got.Msg.GetReceipt().GetStatus().GetCategory() !=
				casewirev1.Category_CATEGORY_DECISION {
				t.Fatalf("GetReceipt = %v, %v", got, err)
			}
			if n := len(receiptEvents(ctx, t, c, number)); n != 2 {
				t.Fatalf("timeline has %d events after the approval, want 2", n)
			}
		})
	}
}

// observe plays a USCIS status answer into the server's change detector.
func observe(t *testing.T, d *detect.Detector, number, title, modified string) {
	t.Helper()
	res := uscis.Result{Kind: uscis.KindStatus, Status: &uscis.CaseStatus{
		ReceiptNumber: number, TitleEN: title, DescriptionEN: "About " + title,
		DescriptionENRaw: "About " + title, ModifiedRaw: modified,
		Modified: uscis.ParseDate(modified), FormType: "I-129",
	}}
	if _, err := d.Observe(context.Background(), number, res, detect.SourcePoll); err != nil {
		t.Fatal(err)
	}
}

func receiptEvents(ctx context.Context, t *testing.T, c *casewire.Client, number string,
) []*casewirev1.Event {
	t.Helper()
	res, err := c.Events.ListReceiptEvents(ctx, connect.NewRequest(
		&casewirev1.ListReceiptEventsRequest{ReceiptNumber: number}))
	if err != nil {
		t.Fatal(err)
	}
	return res.Msg.GetEvents()
}

func trackTimelineWatch(t *testing.T, c *casewire.Client) {
	t.Helper()
	ctx := context.Background()
	tr, err := c.Receipts.TrackReceipt(ctx, connect.NewRequest(
		&casewirev1.TrackReceiptRequest{ReceiptNumber: testReceipt}))
	if err != nil || !tr.Msg.GetCreated() || tr.Msg.GetReceipt().GetReceiptNumber() != testReceipt {
		t.Fatalf("TrackReceipt = %v, %v", tr, err)
	}
	if err := getTimeline(c); err != nil {
		t.Fatal(err)
	}
	stream, err := c.Events.WatchEvents(ctx, connect.NewRequest(&casewirev1.WatchEventsRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	var cursors []string
	for stream.Receive() {
		cursors = append(cursors, stream.Msg().GetEvent().GetCursor())
	}
	if err := stream.Err(); err != nil || fmt.Sprint(cursors) != "[c1 c2 c3]" {
		t.Fatalf("WatchEvents cursors %v, error %v", cursors, err)
	}
}

func getTimeline(c *casewire.Client) error {
	res, err := c.Events.ListReceiptEvents(context.Background(), connect.NewRequest(
		&casewirev1.ListReceiptEventsRequest{ReceiptNumber: testReceipt}))
	if err != nil {
		return err
	}
	if n := len(res.Msg.GetEvents()); n == 0 {
		return fmt.Errorf("timeline of %s is empty", testReceipt)
	}
	return nil
}
