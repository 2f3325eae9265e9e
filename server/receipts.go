package server

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/receipt"
	"github.com/casewire/casewire/timeline"
	"github.com/casewire/casewire/tracking"
)

// ReceiptBackend is the domain service behind the Receipt API. When Options.Receipts is nil
// the server uses a tracking service on its own store that wakes no scheduler.
type ReceiptBackend = *tracking.Service

// receiptService answers the Receipt API in the caller's tenant's view: another tenant's
// receipt is not found.
type receiptService struct {
	s *Server
}

func (r *receiptService) svc() *tracking.Service {
	if r.s.opts.Receipts != nil {
		return r.s.opts.Receipts
	}
	return tracking.New(r.s.opts.Store, tracking.Options{})
}

func (r *receiptService) TrackReceipt(ctx context.Context, req *connect.Request[casewirev1.TrackReceiptRequest]) (*connect.Response[casewirev1.TrackReceiptResponse], error) {
	res, err := r.svc().Track(ctx, tenantID(ctx), []tracking.Request{trackRequest(req.Msg)})
	if err != nil {
		return nil, trackingError(err)
	}
	if len(res.Errors) > 0 {
		return nil, invalid(res.Errors[0].Field, res.Errors[0].Reason)
	}
	return connect.NewResponse(&casewirev1.TrackReceiptResponse{
		Receipt: receiptToProto(res.Receipts[0], false), Created: res.Created[0],
	}), nil
}

func (r *receiptService) BatchTrackReceipts(ctx context.Context, req *connect.Request[casewirev1.BatchTrackReceiptsRequest]) (*connect.Response[casewirev1.BatchTrackReceiptsResponse], error) {
	in := req.Msg.GetReceipts()
	if len(in) == 0 {
		return nil, invalid("receipts", "is required")
	}
	reqs := make([]tracking.Request, len(in))
	for i, t := range in {
		reqs[i] = trackRequest(t)
	}
	res, err := r.svc().Track(ctx, tenantID(ctx), reqs)
	if err != nil {
		return nil, trackingError(err)
	}
	out := &casewirev1.BatchTrackReceiptsResponse{
		Receipts:     make([]*casewirev1.Receipt, len(res.Receipts)),
		CreatedCount: int32(res.CreatedCount),
	}
	for i, rc := range res.Receipts {
		out.Receipts[i] = receiptToProto(rc, false)
	}
	for _, e := range res.Errors {
		out.Errors = append(out.Errors, &casewirev1.BatchTrackError{
			Index: int32(e.Index), ReceiptNumber: e.Number, Field: e.Field, Reason: e.Reason,
		})
	}
	return connect.NewResponse(out), nil
}

func (r *receiptService) UntrackReceipt(ctx context.Context, req *connect.Request[casewirev1.UntrackReceiptRequest]) (*connect.Response[casewirev1.UntrackReceiptResponse], error) {
	if err := r.svc().Untrack(ctx, tenantID(ctx), req.Msg.GetReceiptNumber()); err != nil {
		return nil, trackingError(err)
	}
	return connect.NewResponse(&casewirev1.UntrackReceiptResponse{}), nil
}

func (r *receiptService) GetReceipt(ctx context.Context, req *connect.Request[casewirev1.GetReceiptRequest]) (*connect.Response[casewirev1.GetReceiptResponse], error) {
	rc, err := r.svc().Get(ctx, tenantID(ctx), req.Msg.GetReceiptNumber())
	if err != nil {
		return nil, trackingError(err)
	}
	return connect.NewResponse(&casewirev1.GetReceiptResponse{Receipt: receiptToProto(rc, false)}), nil
}

func (r *receiptService) ListReceipts(ctx context.Context, req *connect.Request[casewirev1.ListReceiptsRequest]) (*connect.Response[casewirev1.ListReceiptsResponse], error) {
	m := req.Msg
	size, after, err := page(m.GetPageSize(), m.GetPageToken())
	if err != nil {
		return nil, err
	}
	f := tracking.Filter{Category: timeline.CategoryName(m.GetCategory()), MatterID: m.GetMatterId(),
		Label: m.GetLabel()}
	if m.GetCategory() != casewirev1.Category_CATEGORY_UNSPECIFIED &&
		timeline.Category(f.Category) != m.GetCategory() {
		return nil, invalid("category", "is not a known category")
	}
	if m.ActionRequired != nil {
		f.ActionRequired = m.ActionRequired
	}
	rows, err := r.svc().List(ctx, tenantID(ctx), f, after, size+1)
	if err != nil {
		return nil, err
	}
	out := &casewirev1.ListReceiptsResponse{}
	rows, out.NextPageToken = nextPage(rows, size, func(rc tracking.Receipt) string { return rc.Tracked.ID })
	for _, rc := range rows {
		out.Receipts = append(out.Receipts, receiptToProto(rc, false))
	}
	return connect.NewResponse(out), nil
}

func (r *receiptService) UpdateReceipt(ctx context.Context, req *connect.Request[casewirev1.UpdateReceiptRequest]) (*connect.Response[casewirev1.UpdateReceiptResponse], error) {
	in := req.Msg.GetReceipt()
	if in == nil {
		return nil, invalid("receipt", "is required")
	}
	paths, err := maskPaths(req.Msg.GetUpdateMask().GetPaths(), "matter_id", "labels", "client_reference")
	if err != nil {
		return nil, err
	}
	rc, err := r.svc().Update(ctx, tenantID(ctx), in.GetReceiptNumber(), tracking.Changes{
		MatterID: in.GetMatterId(), Labels: in.GetLabels(), ClientReference: in.GetClientReference(),
		Paths: paths,
	})
	if err != nil {
		return nil, trackingError(err)
	}
	return connect.NewResponse(&casewirev1.UpdateReceiptResponse{Receipt: receiptToProto(rc, false)}), nil
}

func (r *receiptService) RefreshReceipt(ctx context.Context, req *connect.Request[casewirev1.RefreshReceiptRequest]) (*connect.Response[casewirev1.RefreshReceiptResponse], error) {
	rc, err := r.svc().Refresh(ctx, tenantID(ctx), req.Msg.GetReceiptNumber())
	if err != nil {
		return nil, trackingError(err)
	}
	return connect.NewResponse(&casewirev1.RefreshReceiptResponse{Receipt: receiptToProto(rc, false)}), nil
}

func (r *receiptService) ExportReceipts(ctx context.Context, req *connect.Request[casewirev1.ExportReceiptsRequest], stream *connect.ServerStream[casewirev1.ExportReceiptsResponse]) error {
	mask := req.Msg.GetMaskReceiptNumbers()
	return r.svc().Export(ctx, tenantID(ctx), func(rc tracking.Receipt) error {
		return stream.Send(&casewirev1.ExportReceiptsResponse{Receipt: receiptToProto(rc, mask)})
	})
}

func trackRequest(t *casewirev1.TrackReceiptRequest) tracking.Request {
	return tracking.Request{Number: t.GetReceiptNumber(), MatterID: t.GetMatterId(),
		Labels: t.GetLabels(), ClientReference: t.GetClientReference()}
}

// trackingError maps the tracking service's errors to codes.
func trackingError(err error) error {
	var ferr *tracking.FieldError
	switch {
	case errors.As(err, &ferr):
		return invalid(ferr.Field, ferr.Reason)
	case errors.Is(err, tracking.ErrNotFound):
		return notFound("receipt")
	}
	return err
}

var checkStates = map[string]casewirev1.CheckState{
	"pending":   casewirev1.CheckState_CHECK_STATE_PENDING,
	"ok":        casewirev1.CheckState_CHECK_STATE_OK,
	"not_found": casewirev1.CheckState_CHECK_STATE_NOT_FOUND,
	"error":     casewirev1.CheckState_CHECK_STATE_ERROR,
}

// receiptToProto builds the API's receipt; mask hides the middle of the receipt number.
func receiptToProto(rc tracking.Receipt, mask bool) *casewirev1.Receipt {
	tr, cs := rc.Tracked, rc.Case
	number := tr.ReceiptNumber
	if mask {
		number = receipt.Mask(number)
	}
	out := &casewirev1.Receipt{
		ReceiptNumber:   number,
		MatterId:        tr.MatterID,
		Labels:          tr.Labels,
		ClientReference: tr.ClientReference,
		Warnings:        tr.Warnings,
		CreateTime:      ts(tr.CreateTime),
		CheckState:      checkStates[cs.CheckState],
		CheckError:      cs.CheckError,
		LastCheckTime:   tsp(cs.LastCheckTime),
		LastChangeTime:  tsp(cs.LastChangeTime),
		NextCheckTime:   ts(cs.NextCheckTime),
		UscisModifyTime: tsp(cs.UscisModifyTime),
		Status: statusToProto(cs.Category, cs.Outcome, cs.ActionRequired, cs.Match,
			cs.CanonicalTitle, cs.FormType),
	}
	if cs.TitleEn != "" {
		out.Uscis = &casewirev1.UscisStatus{
			TitleEn: cs.TitleEn, DescriptionEn: cs.DescriptionEn, TitleEs: cs.TitleEs,
			DescriptionEs: cs.DescriptionEs, FormType: cs.FormType,
			ModifiedDateRaw: cs.ModifiedDateRaw, SubmittedDateRaw: cs.SubmittedDateRaw,
		}
	}
	if cs.Trackers == 0 {
		out.NextCheckTime = nil
	}
	return out
}
