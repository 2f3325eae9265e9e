package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
)

func (w *world) track(t *testing.T, c interface {
	TrackReceipt(context.Context, *connect.Request[casewirev1.TrackReceiptRequest]) (*connect.Response[casewirev1.TrackReceiptResponse], error)
}, number string) {
	t.Helper()
	if _, err := c.TrackReceipt(context.Background(), req(&casewirev1.TrackReceiptRequest{ReceiptNumber: number, ClientReference: "ref"})); err != nil {
		t.Fatal(err)
	}
}

func TestEventFeedAndTimeline(t *testing.T) {
	w := startWorld(t)
	ctx := context.Background()
	for _, proto := range []string{"connect", "grpc", "grpcweb"} {
		t.Run(proto, func(t *testing.T) {
			c := w.S.Clients(w.S.Key, proto)
			number := map[string]string{"connect": "NBC2190000001", "grpc": "NBC2190000002", "grpcweb": "NBC2190000003"}[proto]
			w.track(t, c.Receipts, number)
			// Read to the end of the feed first; the cursor of an empty answer is kept.
			start, err := c.Events.ListEvents(ctx, req(&casewirev1.ListEventsRequest{PageSize: 1000}))
			if err != nil || start.Msg.GetNextPageToken() == "" {
				t.Fatalf("feed start: %v %v", start, err)
			}
			cursor := start.Msg.GetNextPageToken()
			empty, err := c.Events.ListEvents(ctx, req(&casewirev1.ListEventsRequest{PageToken: cursor}))
			if err != nil || len(empty.Msg.GetEvents()) != 0 || empty.Msg.GetNextPageToken() != cursor {
				t.Fatalf("empty page: %v %v", empty, err)
			}
			w.answer(t, number, "Case Was Received", "01-02-2026 09:00:00")
			w.answer(t, number, "Request for Evidence Was Sent", "02-02-2026 09:00:00")
			page1, err := c.Events.ListEvents(ctx, req(&casewirev1.ListEventsRequest{PageToken: cursor, PageSize: 1}))
			if err != nil || len(page1.Msg.GetEvents()) != 1 {
				t.Fatalf("page 1: %v %v", page1, err)
			}
			page2, err := c.Events.ListEvents(ctx, req(&casewirev1.ListEventsRequest{PageToken: page1.Msg.GetNextPageToken()}))
			if err != nil || len(page2.Msg.GetEvents()) != 1 {
				t.Fatalf("page 2: %v %v", page2, err)
			}
			base, change := page1.Msg.GetEvents()[0], page2.Msg.GetEvents()[0]
			if base.GetType() != casewirev1.EventType_EVENT_TYPE_BASELINE ||
				change.GetType() != casewirev1.EventType_EVENT_TYPE_STATUS_CHANGED ||
				change.GetPreviousStatus().GetCategory() != casewirev1.Category_CATEGORY_ACCEPTANCE ||
				change.GetStatus().GetCategory() != casewirev1.Category_CATEGORY_EVIDENCE_REQUEST ||
				change.GetSource() != casewirev1.EventSource_EVENT_SOURCE_POLL ||
				change.GetClientReference() != "ref" || change.GetUscis().GetModifiedDateRaw() != "02-02-2026 09:00:00" ||
				change.GetCursor() != page2.Msg.GetNextPageToken() {
				t.Fatalf("events %v / %v", base, change)
			}
			got, err := c.Events.GetEvent(ctx, req(&casewirev1.GetEventRequest{Id: change.GetId()}))
			if err != nil || got.Msg.GetEvent().GetId() != change.GetId() {
				t.Fatalf("get: %v %v", got, err)
			}
			typed, err := c.Events.ListEvents(ctx, req(&casewirev1.ListEventsRequest{PageToken: cursor,
				Types: []casewirev1.EventType{casewirev1.EventType_EVENT_TYPE_STATUS_CHANGED}}))
			if err != nil || len(typed.Msg.GetEvents()) != 1 {
				t.Fatalf("typed: %v %v", typed, err)
			}
			tl, err := c.Events.ListReceiptEvents(ctx, req(&casewirev1.ListReceiptEventsRequest{ReceiptNumber: number}))
			if err != nil || len(tl.Msg.GetEvents()) != 2 || tl.Msg.GetEvents()[0].GetSequence() != 1 ||
				tl.Msg.GetEvents()[1].GetSequence() != 2 {
				t.Fatalf("timeline: %v %v", tl, err)
			}
		})
	}
}

func TestWatchEventsEveryProtocol(t *testing.T) {
	w := startWorld(t)
	for i, proto := range []string{"connect", "grpc", "grpcweb"} {
		t.Run(proto, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c := w.S.Clients(w.S.Key, proto)
			number := []string{"YSC2190000001", "YSC2190000002", "YSC2190000003"}[i]
			w.track(t, c.Receipts, number)
			end, err := c.Events.ListEvents(ctx, req(&casewirev1.ListEventsRequest{PageSize: 1000}))
			if err != nil {
				t.Fatal(err)
			}
			w.answer(t, number, "Case Was Received", "")
			stream, err := c.Events.WatchEvents(ctx, req(&casewirev1.WatchEventsRequest{Cursor: end.Msg.GetNextPageToken()}))
			if err != nil {
				t.Fatal(err)
			}
			defer stream.Close()
			if !stream.Receive() || stream.Msg().GetEvent().GetType() != casewirev1.EventType_EVENT_TYPE_BASELINE {
				t.Fatalf("backlog: %v %v", stream.Msg(), stream.Err())
			}
			done := make(chan struct{})
			go func() { defer close(done); w.answerErr(number, "Case Was Approved") }()
			defer func() { <-done }()
			if !stream.Receive() || stream.Msg().GetEvent().GetType() != casewirev1.EventType_EVENT_TYPE_STATUS_CHANGED {
				t.Fatalf("live: %v %v", stream.Msg(), stream.Err())
			}
		})
	}
}

// TestWatchEventsPollsTheDatabase: an event written without the server's notifier (as by
// another process) still reaches a watcher.
func TestWatchEventsPollsTheDatabase(t *testing.T) {
	w := startWorld(t)
	other := &world{S: w.S, D: nil}
	other.D = newDetectorWithoutNotifier(w)
	c := w.S.Clients(w.S.Key, "grpc")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w.track(t, c.Receipts, "MSC2190000001")
	stream, err := c.Events.WatchEvents(ctx, req(&casewirev1.WatchEventsRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	time.Sleep(100 * time.Millisecond)
	other.answer(t, "MSC2190000001", "Case Was Received", "")
	if !stream.Receive() || stream.Msg().GetEvent().GetReceiptNumber() != "MSC2190000001" {
		t.Fatalf("watch: %v %v", stream.Msg(), stream.Err())
	}
}

func TestEventsJSON(t *testing.T) {
	w := startWorld(t)
	c := w.S.Clients(w.S.Key, "connect")
	w.track(t, c.Receipts, "IOE0906929443")
	w.answer(t, "IOE0906929443", "Case Was Received", "")
	var out map[string]any
	code := doJSON(t, w.S, http.MethodGet, "/v1/events", w.S.Key, "", &out)
	evs, _ := out["events"].([]any)
	if code != http.StatusOK || len(evs) != 1 || out["nextPageToken"] == "" {
		t.Fatalf("GET /v1/events: %d %v", code, out)
	}
	code = doJSON(t, w.S, http.MethodGet, "/v1/receipts/IOE0906929443/events", w.S.Key, "", &out)
	if code != http.StatusOK || len(out["events"].([]any)) != 1 {
		t.Fatalf("timeline: %d %v", code, out)
	}
	// The watch streams newline-delimited JSON through the gateway.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, _ := http.NewRequestWithContext(ctx, http.MethodGet, w.S.URL+"/v1/events:watch?cursor=", nil)
	r.Header.Set("Authorization", "Bearer "+w.S.Key)
	// The facade writes its headers with the first event, so the event comes first.
	go func() {
		time.Sleep(300 * time.Millisecond)
		w.answerErr("IOE0906929443", "Case Was Approved")
	}()
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	line, err := bufio.NewReader(res.Body).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		Result struct {
			Event struct{ Type string } `json:"event"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(line), &msg); err != nil || msg.Result.Event.Type != "EVENT_TYPE_STATUS_CHANGED" {
		t.Fatalf("watch line %q: %v", strings.TrimSpace(line), err)
	}
}
