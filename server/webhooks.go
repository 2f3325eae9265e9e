package server

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/casewire/casewire/deliver"
	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/delivery"
	"github.com/casewire/casewire/ent/deliveryattempt"
	"github.com/casewire/casewire/ent/webhookendpoint"
	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/gen/casewire/v1/casewirev1connect"
	"github.com/casewire/casewire/timeline"
)

// WebhookBackend is the delivery service behind the Webhook API (package deliver's
// Service): it owns secrets, URL checks and the job queue. Reads go to the store directly.
type WebhookBackend interface {
	CreateEndpoint(ctx context.Context, tenantID string, spec deliver.EndpointSpec) (*ent.WebhookEndpoint, string, error)
	UpdateEndpoint(ctx context.Context, tenantID, id string, spec deliver.EndpointSpec, fields map[string]bool) (*ent.WebhookEndpoint, error)
	DeleteEndpoint(ctx context.Context, tenantID, id string) error
	RotateSecret(ctx context.Context, tenantID, id string, overlap time.Duration) (*ent.WebhookEndpoint, string, error)
	Test(ctx context.Context, tenantID, id string) (*ent.Delivery, error)
	Redeliver(ctx context.Context, tenantID, endpointID, eventID string) (*ent.Delivery, error)
	Replay(ctx context.Context, tenantID, endpointID string, since time.Time) (int, error)
}

// webhookService manages a firm's webhook endpoints and shows their deliveries.
type webhookService struct {
	casewirev1connect.UnimplementedWebhookServiceHandler
	s *Server
}

// Limits of an endpoint's fields.
const (
	maxFilterValues = 100
	maxOverlap      = 7 * 24 * time.Hour
)

// backend returns the delivery service, or Unimplemented when none is configured.
func (w *webhookService) backend() (WebhookBackend, error) {
	if w.s.opts.Webhooks == nil {
		return nil, connect.NewError(connect.CodeUnimplemented, errors.New("webhooks are not enabled"))
	}
	return w.s.opts.Webhooks, nil
}

// webhookError maps the delivery service's errors to codes.
func webhookError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, deliver.ErrNotFound):
		return connect.NewError(connect.CodeNotFound, err)
	case errors.Is(err, deliver.ErrInvalidURL):
		return invalid("webhook_endpoint.url", strings.TrimPrefix(err.Error(), deliver.ErrInvalidURL.Error()+": "))
	case errors.Is(err, deliver.ErrDisabled):
		return connect.NewError(connect.CodeFailedPrecondition, err)
	}
	return err
}

func (w *webhookService) CreateWebhookEndpoint(ctx context.Context, req *connect.Request[casewirev1.CreateWebhookEndpointRequest]) (*connect.Response[casewirev1.CreateWebhookEndpointResponse], error) {
	b, err := w.backend()
	if err != nil {
		return nil, err
	}
	spec, err := endpointSpec(req.Msg.GetWebhookEndpoint(), nil)
	if err != nil {
		return nil, err
	}
	spec.Enabled = true // endpoints start enabled; an update can disable them
	row, secret, err := b.CreateEndpoint(ctx, tenantID(ctx), spec)
	if err != nil {
		return nil, webhookError(err)
	}
	out := endpointToProto(row)
	out.Secret = secret
	return connect.NewResponse(&casewirev1.CreateWebhookEndpointResponse{WebhookEndpoint: out}), nil
}

func (w *webhookService) GetWebhookEndpoint(ctx context.Context, req *connect.Request[casewirev1.GetWebhookEndpointRequest]) (*connect.Response[casewirev1.GetWebhookEndpointResponse], error) {
	if _, err := w.backend(); err != nil {
		return nil, err
	}
	row, err := w.find(ctx, req.Msg.GetId(), "id")
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&casewirev1.GetWebhookEndpointResponse{WebhookEndpoint: endpointToProto(row)}), nil
}

func (w *webhookService) ListWebhookEndpoints(ctx context.Context, req *connect.Request[casewirev1.ListWebhookEndpointsRequest]) (*connect.Response[casewirev1.ListWebhookEndpointsResponse], error) {
	if _, err := w.backend(); err != nil {
		return nil, err
	}
	size, after, err := page(req.Msg.GetPageSize(), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	q := w.s.opts.Store.Ent.WebhookEndpoint.Query().Where(
		webhookendpoint.TenantID(tenantID(ctx)), webhookendpoint.DeleteTimeIsNil())
	if after != "" {
		q = q.Where(webhookendpoint.IDGT(after))
	}
	rows, err := q.Order(ent.Asc(webhookendpoint.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	out := &casewirev1.ListWebhookEndpointsResponse{}
	rows, out.NextPageToken = nextPage(rows, size, func(r *ent.WebhookEndpoint) string { return r.ID })
	for _, r := range rows {
		out.WebhookEndpoints = append(out.WebhookEndpoints, endpointToProto(r))
	}
	return connect.NewResponse(out), nil
}

func (w *webhookService) UpdateWebhookEndpoint(ctx context.Context, req *connect.Request[casewirev1.UpdateWebhookEndpointRequest]) (*connect.Response[casewirev1.UpdateWebhookEndpointResponse], error) {
	b, err := w.backend()
	if err != nil {
		return nil, err
	}
	in := req.Msg.GetWebhookEndpoint()
	if in == nil {
		return nil, invalid("webhook_endpoint", "is required")
	}
	paths, err := maskPaths(req.Msg.GetUpdateMask().GetPaths(),
		deliver.FieldURL, deliver.FieldDescription, deliver.FieldFilter, deliver.FieldEnabled)
	if err != nil {
		return nil, err
	}
	spec, err := endpointSpec(in, paths)
	if err != nil {
		return nil, err
	}
	if in.GetId() == "" {
		return nil, invalid("webhook_endpoint.id", "is required")
	}
	row, err := b.UpdateEndpoint(ctx, tenantID(ctx), in.GetId(), spec, paths)
	if err != nil {
		return nil, webhookError(err)
	}
	return connect.NewResponse(&casewirev1.UpdateWebhookEndpointResponse{WebhookEndpoint: endpointToProto(row)}), nil
}

func (w *webhookService) DeleteWebhookEndpoint(ctx context.Context, req *connect.Request[casewirev1.DeleteWebhookEndpointRequest]) (*connect.Response[casewirev1.DeleteWebhookEndpointResponse], error) {
	b, err := w.backend()
	if err != nil {
		return nil, err
	}
	if req.Msg.GetId() == "" {
		return nil, invalid("id", "is required")
	}
	if err := b.DeleteEndpoint(ctx, tenantID(ctx), req.Msg.GetId()); err != nil {
		return nil, webhookError(err)
	}
	return connect.NewResponse(&casewirev1.DeleteWebhookEndpointResponse{}), nil
}

func (w *webhookService) RotateWebhookEndpointSecret(ctx context.Context, req *connect.Request[casewirev1.RotateWebhookEndpointSecretRequest]) (*connect.Response[casewirev1.RotateWebhookEndpointSecretResponse], error) {
	b, err := w.backend()
	if err != nil {
		return nil, err
	}
	if req.Msg.GetId() == "" {
		return nil, invalid("id", "is required")
	}
	overlap := deliver.DefaultOverlap
	if o := req.Msg.GetOverlap(); o != nil {
		if err := o.CheckValid(); err != nil || o.AsDuration() < 0 || o.AsDuration() > maxOverlap {
			return nil, invalid("overlap", "must be between 0 and 7 days")
		}
		overlap = o.AsDuration()
	}
	row, secret, err := b.RotateSecret(ctx, tenantID(ctx), req.Msg.GetId(), overlap)
	if err != nil {
		return nil, webhookError(err)
	}
	out := endpointToProto(row)
	out.Secret = secret
	return connect.NewResponse(&casewirev1.RotateWebhookEndpointSecretResponse{WebhookEndpoint: out}), nil
}

func (w *webhookService) TestWebhookEndpoint(ctx context.Context, req *connect.Request[casewirev1.TestWebhookEndpointRequest]) (*connect.Response[casewirev1.TestWebhookEndpointResponse], error) {
	b, err := w.backend()
	if err != nil {
		return nil, err
	}
	if req.Msg.GetId() == "" {
		return nil, invalid("id", "is required")
	}
	d, err := b.Test(ctx, tenantID(ctx), req.Msg.GetId())
	if err != nil {
		return nil, webhookError(err)
	}
	return connect.NewResponse(&casewirev1.TestWebhookEndpointResponse{Delivery: deliveryToProto(d)}), nil
}

func (w *webhookService) ListDeliveries(ctx context.Context, req *connect.Request[casewirev1.ListDeliveriesRequest]) (*connect.Response[casewirev1.ListDeliveriesResponse], error) {
	if _, err := w.backend(); err != nil {
		return nil, err
	}
	ep, err := w.find(ctx, req.Msg.GetWebhookEndpointId(), "webhook_endpoint_id")
	if err != nil {
		return nil, err
	}
	size, before, err := page(req.Msg.GetPageSize(), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	q := w.s.opts.Store.Ent.Delivery.Query().
		Where(delivery.TenantID(ep.TenantID), delivery.EndpointID(ep.ID))
	if before != "" {
		q = q.Where(delivery.IDLT(before))
	}
	if id := req.Msg.GetEventId(); id != "" {
		q = q.Where(delivery.EventID(id))
	}
	switch req.Msg.GetState() {
	case casewirev1.DeliveryState_DELIVERY_STATE_PENDING:
		q = q.Where(delivery.StateIn(deliver.StatePending, deliver.StatePaused))
	case casewirev1.DeliveryState_DELIVERY_STATE_SUCCEEDED:
		q = q.Where(delivery.State(deliver.StateSucceeded))
	case casewirev1.DeliveryState_DELIVERY_STATE_FAILED:
		q = q.Where(delivery.State(deliver.StateFailed))
	}
	rows, err := q.Order(ent.Desc(delivery.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	out := &casewirev1.ListDeliveriesResponse{}
	rows, out.NextPageToken = nextPage(rows, size, func(r *ent.Delivery) string { return r.ID })
	for _, r := range rows {
		out.Deliveries = append(out.Deliveries, deliveryToProto(r))
	}
	return connect.NewResponse(out), nil
}

func (w *webhookService) ListDeliveryAttempts(ctx context.Context, req *connect.Request[casewirev1.ListDeliveryAttemptsRequest]) (*connect.Response[casewirev1.ListDeliveryAttemptsResponse], error) {
	if _, err := w.backend(); err != nil {
		return nil, err
	}
	ep, err := w.find(ctx, req.Msg.GetWebhookEndpointId(), "webhook_endpoint_id")
	if err != nil {
		return nil, err
	}
	id := req.Msg.GetDeliveryId()
	if id == "" {
		return nil, invalid("delivery_id", "is required")
	}
	ok, err := w.s.opts.Store.Ent.Delivery.Query().Where(delivery.ID(id),
		delivery.TenantID(ep.TenantID), delivery.EndpointID(ep.ID)).Exist(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound("delivery " + id)
	}
	size, after, err := page(req.Msg.GetPageSize(), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	q := w.s.opts.Store.Ent.DeliveryAttempt.Query().Where(deliveryattempt.DeliveryID(id),
		deliveryattempt.TenantID(ep.TenantID))
	if after != "" {
		q = q.Where(deliveryattempt.IDGT(after))
	}
	rows, err := q.Order(ent.Asc(deliveryattempt.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	out := &casewirev1.ListDeliveryAttemptsResponse{}
	rows, out.NextPageToken = nextPage(rows, size, func(r *ent.DeliveryAttempt) string { return r.ID })
	for _, r := range rows {
		out.Attempts = append(out.Attempts, attemptToProto(r))
	}
	return connect.NewResponse(out), nil
}

func (w *webhookService) RedeliverEvent(ctx context.Context, req *connect.Request[casewirev1.RedeliverEventRequest]) (*connect.Response[casewirev1.RedeliverEventResponse], error) {
	b, err := w.backend()
	if err != nil {
		return nil, err
	}
	switch {
	case req.Msg.GetWebhookEndpointId() == "":
		return nil, invalid("webhook_endpoint_id", "is required")
	case req.Msg.GetEventId() == "":
		return nil, invalid("event_id", "is required")
	}
	d, err := b.Redeliver(ctx, tenantID(ctx), req.Msg.GetWebhookEndpointId(), req.Msg.GetEventId())
	if err != nil {
		return nil, webhookError(err)
	}
	return connect.NewResponse(&casewirev1.RedeliverEventResponse{Delivery: deliveryToProto(d)}), nil
}

func (w *webhookService) ReplayEvents(ctx context.Context, req *connect.Request[casewirev1.ReplayEventsRequest]) (*connect.Response[casewirev1.ReplayEventsResponse], error) {
	b, err := w.backend()
	if err != nil {
		return nil, err
	}
	if req.Msg.GetWebhookEndpointId() == "" {
		return nil, invalid("webhook_endpoint_id", "is required")
	}
	since := req.Msg.GetSinceTime()
	if since == nil || since.CheckValid() != nil {
		return nil, invalid("since_time", "is required")
	}
	n, err := b.Replay(ctx, tenantID(ctx), req.Msg.GetWebhookEndpointId(), since.AsTime())
	if err != nil {
		return nil, webhookError(err)
	}
	return connect.NewResponse(&casewirev1.ReplayEventsResponse{DeliveryCount: int32(n)}), nil
}

// find loads a live endpoint of the caller's tenant; another tenant's is not found.
func (w *webhookService) find(ctx context.Context, id, field string) (*ent.WebhookEndpoint, error) {
	if id == "" {
		return nil, invalid(field, "is required")
	}
	row, err := w.s.opts.Store.Ent.WebhookEndpoint.Query().Where(webhookendpoint.ID(id),
		webhookendpoint.TenantID(tenantID(ctx)), webhookendpoint.DeleteTimeIsNil()).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound("webhook endpoint " + id)
	}
	return row, err
}

// endpointSpec validates the fields a request sets; paths nil means all of them.
func endpointSpec(in *casewirev1.WebhookEndpoint, paths map[string]bool) (deliver.EndpointSpec, error) {
	all := paths == nil
	if in == nil {
		return deliver.EndpointSpec{}, invalid("webhook_endpoint", "is required")
	}
	spec := deliver.EndpointSpec{URL: strings.TrimSpace(in.GetUrl()), Description: in.GetDescription(),
		Enabled: in.GetEnabled()}
	if (all || paths[deliver.FieldURL]) && spec.URL == "" {
		return spec, invalid("webhook_endpoint.url", "is required")
	}
	if (all || paths[deliver.FieldDescription]) && utf8.RuneCountInString(spec.Description) > maxDescriptionLen {
		return spec, invalid("webhook_endpoint.description", "is longer than 2000 characters")
	}
	var err error
	spec.Filter, err = filterFromProto(in.GetFilter())
	return spec, err
}

func filterFromProto(f *casewirev1.EventFilter) (deliver.Filter, error) {
	out := deliver.Filter{ActionRequiredOnly: f.GetActionRequiredOnly(),
		MatterIDs: f.GetMatterIds(), Labels: f.GetLabels()}
	if len(f.GetEventTypes())+len(f.GetCategories())+len(f.GetMatterIds())+len(f.GetLabels()) > maxFilterValues {
		return out, invalid("webhook_endpoint.filter", "has more than 100 values")
	}
	for _, t := range f.GetEventTypes() {
		if t == casewirev1.EventType_EVENT_TYPE_UNSPECIFIED || casewirev1.EventType_name[int32(t)] == "" {
			return out, invalid("webhook_endpoint.filter.event_types", "holds an unknown type")
		}
		out.EventTypes = append(out.EventTypes, timeline.EventTypeName(t))
	}
	for _, c := range f.GetCategories() {
		name := timeline.CategoryName(c)
		if name == "" || casewirev1.Category_name[int32(c)] == "" {
			return out, invalid("webhook_endpoint.filter.categories", "holds an unknown category")
		}
		out.Categories = append(out.Categories, name)
	}
	return out, nil
}

func filterToProto(f deliver.Filter) *casewirev1.EventFilter {
	out := &casewirev1.EventFilter{ActionRequiredOnly: f.ActionRequiredOnly,
		MatterIds: f.MatterIDs, Labels: f.Labels}
	for _, t := range f.EventTypes {
		out.EventTypes = append(out.EventTypes,
			timeline.EventType(t))
	}
	for _, c := range f.Categories {
		out.Categories = append(out.Categories, timeline.Category(c))
	}
	return out
}

func endpointToProto(r *ent.WebhookEndpoint) *casewirev1.WebhookEndpoint {
	out := &casewirev1.WebhookEndpoint{
		Id: r.ID, Url: r.URL, Description: r.Description,
		Filter:  filterToProto(deliver.ParseFilter(r.FilterJSON)),
		Enabled: r.Enabled, DisabledReason: r.DisabledReason,
		CreateTime: ts(r.CreateTime), UpdateTime: ts(r.UpdateTime),
		LastSuccessTime:  tsp(r.LastSuccessTime),
		FailingSinceTime: tsp(r.FailingSinceTime),
	}
	if r.PreviousSecretExpireTime != nil && time.Now().Before(*r.PreviousSecretExpireTime) {
		out.PreviousSecretExpireTime = tsp(r.PreviousSecretExpireTime)
	}
	return out
}

func deliveryToProto(r *ent.Delivery) *casewirev1.Delivery {
	if r == nil {
		return nil
	}
	state := casewirev1.DeliveryState_DELIVERY_STATE_PENDING
	switch r.State {
	case deliver.StateSucceeded:
		state = casewirev1.DeliveryState_DELIVERY_STATE_SUCCEEDED
	case deliver.StateFailed:
		state = casewirev1.DeliveryState_DELIVERY_STATE_FAILED
	}
	return &casewirev1.Delivery{
		Id: r.ID, WebhookEndpointId: r.EndpointID, EventId: r.EventID,
		EventType: timeline.EventType(r.EventType),
		State:     state, AttemptCount: int32(r.AttemptCount), CreateTime: ts(r.CreateTime),
		LastAttemptTime: tsp(r.LastAttemptTime), NextAttemptTime: tsp(r.NextAttemptTime),
		LastStatusCode: int32(r.LastStatusCode), LastError: r.LastError,
	}
}

func attemptToProto(r *ent.DeliveryAttempt) *casewirev1.DeliveryAttempt {
	return &casewirev1.DeliveryAttempt{
		Id: r.ID, DeliveryId: r.DeliveryID, Number: int32(r.Number),
		StartTime: ts(r.StartTime), Duration: durationpb.New(time.Duration(r.DurationMs) * time.Millisecond),
		StatusCode: int32(r.StatusCode), ResponseBody: r.ResponseBody, Error: r.Error,
	}
}
