package server_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/casewire/casewire/detect"
	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/server"
	"github.com/casewire/casewire/server/servertest"
	"github.com/casewire/casewire/uscis"
)

// world is a server with a change detector sharing its notifier, so tests can play USCIS
// answers and read the events through the API.
type world struct {
	S *servertest.Server
	D *detect.Detector
}

func startWorld(t *testing.T) *world {
	t.Helper()
	n := detect.NewNotifier()
	s := servertest.Start(t, func(o *server.Options) { o.Events = n })
	return &world{S: s, D: detect.New(s.Store, nil, nil, detect.Options{Notifier: n})}
}

// answer plays a USCIS status answer for a receipt.
func (w *world) answer(t *testing.T, number, title, modified string) {
	t.Helper()
	res := uscis.Result{Kind: uscis.KindStatus, Status: &uscis.CaseStatus{
		ReceiptNumber: number, TitleEN: title, DescriptionENRaw: "About " + title,
		DescriptionEN: "About " + title, ModifiedRaw: modified, Modified: uscis.ParseDate(modified),
		FormType: "I-485",
	}}
	if _, err := w.D.Observe(context.Background(), number, res, detect.SourcePoll); err != nil {
		t.Fatal(err)
	}
}

// answerErr plays an answer from a goroutine that may not fail the test; a failure shows as
// the event never arriving.
func (w *world) answerErr(number, title string) {
	_, _ = w.D.Observe(context.Background(), number, uscis.Result{Kind: uscis.KindStatus,
		Status: &uscis.CaseStatus{TitleEN: title}}, detect.SourcePoll)
}

func req[T any](m *T) *connect.Request[T] { return connect.NewRequest(m) }

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	if connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("error = %v, want InvalidArgument on %s", err, field)
	}
	var ce *connect.Error
	if !errorsAs(err, &ce) || len(ce.Message()) < len(field) || ce.Message()[:len(field)] != field {
		t.Fatalf("error %v does not name field %s", err, field)
	}
}

func TestReceiptsEveryProtocol(t *testing.T) {
	w := startWorld(t)
	for i, proto := range []string{"connect", "grpc", "grpcweb"} {
		t.Run(proto, func(t *testing.T) {
			ctx := context.Background()
			c := w.S.Clients(w.S.Key, proto)
			number := fmt.Sprintf("EAC21900%05d", i)
			m, err := c.Matters.CreateMatter(ctx, req(&casewirev1.CreateMatterRequest{
				Matter: &casewirev1.Matter{Name: "Doe", ExternalId: "M-" + proto}}))
			if err != nil {
				t.Fatal(err)
			}
			matterID := m.Msg.GetMatter().GetId()
			tr, err := c.Receipts.TrackReceipt(ctx, req(&casewirev1.TrackReceiptRequest{
				ReceiptNumber: "eac-21-900-" + number[8:], MatterId: matterID,
				Labels: []string{" h1b ", "h1b", "vip"}, ClientReference: "ref-1"}))
			if err != nil {
				t.Fatal(err)
			}
			got := tr.Msg.GetReceipt()
			if !tr.Msg.GetCreated() || got.GetReceiptNumber() != number ||
				fmt.Sprint(got.GetLabels()) != "[h1b vip]" ||
				got.GetCheckState() != casewirev1.CheckState_CHECK_STATE_PENDING ||
				got.GetNextCheckTime() == nil || got.GetStatus() != nil {
				t.Fatalf("tracked = %v created=%v", got, tr.Msg.GetCreated())
			}
			again, err := c.Receipts.TrackReceipt(ctx, req(&casewirev1.TrackReceiptRequest{
				ReceiptNumber: number, Labels: []string{"other"}}))
			// Labels given replace the old ones; the matter, left out, stays.
			if err != nil || again.Msg.GetCreated() || again.Msg.GetReceipt().GetMatterId() != tr.Msg.GetReceipt().GetMatterId() ||
				fmt.Sprint(again.Msg.GetReceipt().GetLabels()) != "[other]" {
				t.Fatalf("track again: %v %v", again, err)
			}
			w.answer(t, number, "Case Was Approved", "01-02-2026 09:00:00")
			g, err := c.Receipts.GetReceipt(ctx, req(&casewirev1.GetReceiptRequest{ReceiptNumber: number}))
			if err != nil {
				t.Fatal(err)
			}
			st := g.Msg.GetReceipt().GetStatus()
			if st.GetCategory() != casewirev1.Category_CATEGORY_DECISION ||
				st.GetOutcome() != casewirev1.Outcome_OUTCOME_APPROVED || st.GetFormType() != "I-485" ||
				g.Msg.GetReceipt().GetUscis().GetTitleEn() != "Case Was Approved" ||
				g.Msg.GetReceipt().GetCheckState() != casewirev1.CheckState_CHECK_STATE_OK {
				t.Fatalf("get = %v", g.Msg.GetReceipt())
			}
			u, err := c.Receipts.UpdateReceipt(ctx, req(&casewirev1.UpdateReceiptRequest{
				Receipt:    &casewirev1.Receipt{ReceiptNumber: number, MatterId: matterID, ClientReference: "ignored"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"matter_id"}}}))
			if err != nil || u.Msg.GetReceipt().GetMatterId() != matterID ||
				u.Msg.GetReceipt().GetClientReference() != "ref-1" {
				t.Fatalf("update: %v %v", u, err)
			}
			r, err := c.Receipts.RefreshReceipt(ctx, req(&casewirev1.RefreshReceiptRequest{ReceiptNumber: number}))
			if err != nil || time.Since(r.Msg.GetReceipt().GetNextCheckTime().AsTime()) > time.Minute {
				t.Fatalf("refresh: %v %v", r, err)
			}
			if _, err := c.Receipts.UntrackReceipt(ctx, req(&casewirev1.UntrackReceiptRequest{ReceiptNumber: number})); err != nil {
				t.Fatal(err)
			}
			_, err = c.Receipts.GetReceipt(ctx, req(&casewirev1.GetReceiptRequest{ReceiptNumber: number}))
			wantCode(t, err, connect.CodeNotFound)
		})
	}
}

func TestReceiptValidation(t *testing.T) {
	w := startWorld(t)
	c := w.S.Clients(w.S.Key, "connect")
	ctx := context.Background()
	long := make([]string, 21)
	for i := range long {
		long[i] = fmt.Sprint("l", i)
	}
	cases := []struct {
		field string
		call  func() error
	}{
		{"receipt_number", func() error {
			return getErr(c.Receipts.TrackReceipt(ctx, req(&casewirev1.TrackReceiptRequest{ReceiptNumber: "EAC12"})))
		}},
		{"matter_id", func() error {
			return getErr(c.Receipts.TrackReceipt(ctx, req(&casewirev1.TrackReceiptRequest{ReceiptNumber: "EAC2190012345", MatterId: "mat_nope"})))
		}},
		{"labels", func() error {
			return getErr(c.Receipts.TrackReceipt(ctx, req(&casewirev1.TrackReceiptRequest{ReceiptNumber: "EAC2190012345", Labels: long})))
		}},
		{"labels", func() error {
			return getErr(c.Receipts.TrackReceipt(ctx, req(&casewirev1.TrackReceiptRequest{ReceiptNumber: "EAC2190012345",
				Labels: []string{fmt.Sprintf("%065d", 0)}})))
		}},
		{"receipts", func() error {
			return getErr(c.Receipts.BatchTrackReceipts(ctx, req(&casewirev1.BatchTrackReceiptsRequest{})))
		}},
		{"receipt_number", func() error {
			return getErr(c.Receipts.GetReceipt(ctx, req(&casewirev1.GetReceiptRequest{ReceiptNumber: ""})))
		}},
		{"update_mask", func() error {
			return getErr(c.Receipts.UpdateReceipt(ctx, req(&casewirev1.UpdateReceiptRequest{
				Receipt:    &casewirev1.Receipt{ReceiptNumber: "EAC2190012345"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}})))
		}},
		{"page_token", func() error {
			return getErr(c.Receipts.ListReceipts(ctx, req(&casewirev1.ListReceiptsRequest{PageToken: "!!"})))
		}},
		{"page_token", func() error {
			return getErr(c.Events.ListEvents(ctx, req(&casewirev1.ListEventsRequest{PageToken: "bm9wZQ"})))
		}},
	}
	for _, tc := range cases {
		wantField(t, tc.call(), tc.field)
	}
}

func TestBatchTrackReportsEachBadRow(t *testing.T) {
	w := startWorld(t)
	c := w.S.Clients(w.S.Key, "grpc")
	ctx := context.Background()
	rows := []*casewirev1.TrackReceiptRequest{
		{ReceiptNumber: "EAC2190000001"},
		{ReceiptNumber: "not a receipt"},
		{ReceiptNumber: "EAC2190000002", MatterId: "mat_missing"},
		{ReceiptNumber: "eac2190000001"},
		{ReceiptNumber: "IOE0906929443", Labels: []string{"x"}},
		{ReceiptNumber: "ABC1234567890"},
	}
	res, err := c.Receipts.BatchTrackReceipts(ctx, req(&casewirev1.BatchTrackReceiptsRequest{Receipts: rows}))
	if err != nil {
		t.Fatal(err)
	}
	var errs []string
	for _, e := range res.Msg.GetErrors() {
		errs = append(errs, fmt.Sprintf("%d:%s", e.GetIndex(), e.GetField()))
	}
	if want := "[1:receipt_number 2:matter_id 3:receipt_number]"; fmt.Sprint(errs) != want {
		t.Fatalf("errors %v, want %s", errs, want)
	}
	got := res.Msg.GetReceipts()
	if len(got) != 3 || res.Msg.GetCreatedCount() != 3 || got[1].GetReceiptNumber() != "IOE0906929443" {
		t.Fatalf("tracked %v created %d", got, res.Msg.GetCreatedCount())
	}
	if len(got[2].GetWarnings()) == 0 {
		t.Errorf("unknown prefix has no warning")
	}
	tooMany := make([]*casewirev1.TrackReceiptRequest, 10001)
	for i := range tooMany {
		tooMany[i] = &casewirev1.TrackReceiptRequest{ReceiptNumber: fmt.Sprintf("EAC21%08d", i)}
	}
	_, err = c.Receipts.BatchTrackReceipts(ctx, req(&casewirev1.BatchTrackReceiptsRequest{Receipts: tooMany}))
	wantField(t, err, "receipts")
}

func TestListFiltersAndPages(t *testing.T) {
	w := startWorld(t)
	c := w.S.Clients(w.S.Key, "connect")
	ctx := context.Background()
	m, err := c.Matters.CreateMatter(ctx, req(&casewirev1.CreateMatterRequest{Matter: &casewirev1.Matter{Name: "M"}}))
	if err != nil {
		t.Fatal(err)
	}
	var rows []*casewirev1.TrackReceiptRequest
	for i := range 25 {
		r := &casewirev1.TrackReceiptRequest{ReceiptNumber: fmt.Sprintf("LIN21900%05d", i)}
		if i%5 == 0 {
			r.Labels, r.MatterId = []string{"rfe-watch"}, m.Msg.GetMatter().GetId()
		}
		rows = append(rows, r)
	}
	if _, err := c.Receipts.BatchTrackReceipts(ctx, req(&casewirev1.BatchTrackReceiptsRequest{Receipts: rows})); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		w.answer(t, fmt.Sprintf("LIN21900%05d", i), "Request for Evidence Was Sent", "")
	}
	w.answer(t, "LIN2190000010", "Case Was Received", "")
	yes := true
	count := func(r *casewirev1.ListReceiptsRequest) int {
		n, token := 0, ""
		for {
			r.PageToken, r.PageSize = token, 4
			res, err := c.Receipts.ListReceipts(ctx, req(r))
			if err != nil {
				t.Fatal(err)
			}
			n += len(res.Msg.GetReceipts())
			if token = res.Msg.GetNextPageToken(); token == "" {
				return n
			}
		}
	}
	cases := map[string]struct {
		r    *casewirev1.ListReceiptsRequest
		want int
	}{
		"all":             {&casewirev1.ListReceiptsRequest{}, 25},
		"category":        {&casewirev1.ListReceiptsRequest{Category: casewirev1.Category_CATEGORY_EVIDENCE_REQUEST}, 3},
		"action required": {&casewirev1.ListReceiptsRequest{ActionRequired: &yes}, 3},
		"label":           {&casewirev1.ListReceiptsRequest{Label: "rfe-watch"}, 5},
		"matter":          {&casewirev1.ListReceiptsRequest{MatterId: m.Msg.GetMatter().GetId()}, 5},
		"label+category":  {&casewirev1.ListReceiptsRequest{Label: "rfe-watch", Category: casewirev1.Category_CATEGORY_EVIDENCE_REQUEST}, 1},
	}
	for name, tc := range cases {
		if got := count(tc.r); got != tc.want {
			t.Errorf("%s: %d receipts, want %d", name, got, tc.want)
		}
	}
}

func TestExportMasks(t *testing.T) {
	w := startWorld(t)
	c := w.S.Clients(w.S.Key, "grpcweb")
	ctx := context.Background()
	var rows []*casewirev1.TrackReceiptRequest
	for i := range 1205 {
		rows = append(rows, &casewirev1.TrackReceiptRequest{ReceiptNumber: fmt.Sprintf("SRC21%08d", i)})
	}
	if _, err := c.Receipts.BatchTrackReceipts(ctx, req(&casewirev1.BatchTrackReceiptsRequest{Receipts: rows})); err != nil {
		t.Fatal(err)
	}
	for _, mask := range []bool{false, true} {
		stream, err := c.Receipts.ExportReceipts(ctx, req(&casewirev1.ExportReceiptsRequest{MaskReceiptNumbers: mask}))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for stream.Receive() {
			got := stream.Msg().GetReceipt().GetReceiptNumber()
			if masked := got == "SRC*******"+got[10:]; masked != mask {
				t.Fatalf("mask=%v exported %q", mask, got)
			}
			n++
		}
		if err := stream.Err(); err != nil || n != 1205 {
			t.Fatalf("mask=%v: %d exported, %v", mask, n, err)
		}
	}
}

func TestReceiptsJSON(t *testing.T) {
	w := startWorld(t)
	var out map[string]any
	code := doJSON(t, w.S, http.MethodPost, "/v1/receipts", w.S.Key,
		`{"receiptNumber":"wac-21-900-12345","labels":["a"]}`, &out)
	if code != http.StatusOK || out["created"] != true {
		t.Fatalf("POST /v1/receipts: %d %v", code, out)
	}
	code = doJSON(t, w.S, http.MethodPost, "/v1/receipts:batchTrack", w.S.Key,
		`{"receipts":[{"receiptNumber":"WAC2190012346"},{"receiptNumber":"bad"}]}`, &out)
	if code != http.StatusOK || len(out["errors"].([]any)) != 1 {
		t.Fatalf("batch: %d %v", code, out)
	}
	w.answer(t, "WAC2190012345", "Case Was Received", "01-02-2026 09:00:00")
	code = doJSON(t, w.S, http.MethodGet, "/v1/receipts/WAC2190012345", w.S.Key, "", &out)
	rc, _ := out["receipt"].(map[string]any)
	st, _ := rc["status"].(map[string]any)
	if code != http.StatusOK || st["category"] != "CATEGORY_ACCEPTANCE" {
		t.Fatalf("GET receipt: %d %v", code, out)
	}
	code = doJSON(t, w.S, http.MethodGet, "/v1/receipts?label=a", w.S.Key, "", &out)
	if code != http.StatusOK || len(out["receipts"].([]any)) != 1 {
		t.Fatalf("list: %d %v", code, out)
	}
	code = doJSON(t, w.S, http.MethodPost, "/v1/receipts", w.S.Key, `{"receiptNumber":"x"}`, &out)
	if code != http.StatusBadRequest {
		t.Fatalf("bad receipt over JSON: %d %v", code, out)
	}
}

func errorsAs(err error, target **connect.Error) bool {
	ce, ok := err.(*connect.Error)
	if ok {
		*target = ce
	}
	return ok
}

func newDetectorWithoutNotifier(w *world) *detect.Detector {
	return detect.New(w.S.Store, nil, nil, detect.Options{})
}
