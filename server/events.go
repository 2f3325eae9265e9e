package server

import (
	"context"
	"strconv"
	"time"

	"connectrpc.com/connect"

	"github.com/casewire/casewire/detect"
	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/event"
	"github.com/casewire/casewire/ent/tenant"
	"github.com/casewire/casewire/ent/trackedreceipt"
	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/timeline"
	"github.com/casewire/casewire/tracking"
)

// EventBackend wakes event watchers when events commit in this process, usually the
// change detector's notifier. When Options.Events is nil, watchers only poll the database.
type EventBackend = *detect.Notifier

// watchPoll is how often a watcher reads the database when nothing wakes it: events
// written by another process on the same PostgreSQL arrive within it.
const watchPoll = 500 * time.Millisecond

// watchBatch is how many events a watcher reads at a time.
const watchBatch = 500

// eventService reads the caller's tenant's events: the feed, the timelines and the stream.
type eventService struct {
	s *Server
}

func (e *eventService) ListEvents(ctx context.Context, req *connect.Request[casewirev1.ListEventsRequest]) (*connect.Response[casewirev1.ListEventsResponse], error) {
	m := req.Msg
	size, _, err := page(m.GetPageSize(), "")
	if err != nil {
		return nil, err
	}
	after, err := decodeCursor("page_token", m.GetPageToken())
	if err != nil {
		return nil, err
	}
	q, err := e.feed(ctx, after, m.GetTypes())
	if err != nil {
		return nil, err
	}
	if n := m.GetReceiptNumber(); n != "" {
		number, err := tracking.ParseNumber(n)
		if err != nil {
			return nil, trackingError(err)
		}
		q = q.Where(event.ReceiptNumber(number))
	}
	if id := m.GetMatterId(); id != "" {
		q = q.Where(event.MatterID(id))
	}
	rows, err := q.Limit(size).All(ctx)
	if err != nil {
		return nil, err
	}
	out := &casewirev1.ListEventsResponse{NextPageToken: encodeCursor(after)}
	for _, r := range rows {
		out.Events = append(out.Events, eventToProto(r))
		out.NextPageToken = encodeCursor(r.FeedSeq)
	}
	return connect.NewResponse(out), nil
}

// feed queries the tenant's events after a feed position, in feed order.
func (e *eventService) feed(ctx context.Context, after int64, types []casewirev1.EventType) (*ent.EventQuery, error) {
	q := e.s.opts.Store.Ent.Event.Query().
		Where(event.TenantID(tenantID(ctx)), event.FeedSeqGT(after)).
		Order(ent.Asc(event.FieldFeedSeq))
	if len(types) == 0 {
		return q, nil
	}
	names := make([]string, 0, len(types))
	for _, t := range types {
		if t == casewirev1.EventType_EVENT_TYPE_UNSPECIFIED || casewirev1.EventType_name[int32(t)] == "" {
			return nil, invalid("types", "holds an unknown event type")
		}
		names = append(names, timeline.EventTypeName(t))
	}
	return q.Where(event.TypeIn(names...)), nil
}

func (e *eventService) GetEvent(ctx context.Context, req *connect.Request[casewirev1.GetEventRequest]) (*connect.Response[casewirev1.GetEventResponse], error) {
	id := req.Msg.GetId()
	if id == "" {
		return nil, invalid("id", "is required")
	}
	row, err := e.s.opts.Store.Ent.Event.Query().
		Where(event.ID(id), event.TenantID(tenantID(ctx))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound("event")
	}
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&casewirev1.GetEventResponse{Event: eventToProto(row)}), nil
}

// WatchEvents sends the events after the cursor, then each new one as it commits. It wakes
// on the in-process notifier and reads the database every watchPoll in any case.
func (e *eventService) WatchEvents(ctx context.Context, req *connect.Request[casewirev1.WatchEventsRequest], stream *connect.ServerStream[casewirev1.WatchEventsResponse]) error {
	after, err := decodeCursor("cursor", req.Msg.GetCursor())
	if err != nil {
		return err
	}
	if req.Msg.GetCursor() == "" {
		if after, err = e.feedEnd(ctx); err != nil {
			return err
		}
	}
	if _, err := e.feed(ctx, after, req.Msg.GetTypes()); err != nil {
		return err
	}
	// Send the headers now: clients and the JSON facade wait for them before reading.
	if err := stream.Send(nil); err != nil {
		return err
	}
	tick := time.NewTicker(watchPoll)
	defer tick.Stop()
	for {
		var wake <-chan struct{}
		if n := e.s.opts.Events; n != nil {
			wake = n.Wait(tenantID(ctx))
		}
		q, _ := e.feed(ctx, after, req.Msg.GetTypes())
		rows, err := q.Limit(watchBatch).All(ctx)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := stream.Send(&casewirev1.WatchEventsResponse{Event: eventToProto(r)}); err != nil {
				return err
			}
			after = r.FeedSeq
		}
		if len(rows) == watchBatch {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-tick.C:
		}
	}
}

// feedEnd is the position of the tenant's newest event.
func (e *eventService) feedEnd(ctx context.Context) (int64, error) {
	t, err := e.s.opts.Store.Ent.Tenant.Query().Where(tenant.ID(tenantID(ctx))).Only(ctx)
	if err != nil {
		return 0, err
	}
	return t.EventSeq, nil
}

func (e *eventService) ListReceiptEvents(ctx context.Context, req *connect.Request[casewirev1.ListReceiptEventsRequest]) (*connect.Response[casewirev1.ListReceiptEventsResponse], error) {
	m := req.Msg
	size, token, err := page(m.GetPageSize(), m.GetPageToken())
	if err != nil {
		return nil, err
	}
	var after int64
	if token != "" {
		if after, err = strconv.ParseInt(token, 10, 64); err != nil {
			return nil, invalid("page_token", "is not a token from an earlier answer")
		}
	}
	number, err := tracking.ParseNumber(m.GetReceiptNumber())
	if err != nil {
		return nil, trackingError(err)
	}
	st := e.s.opts.Store.Ent
	// A receipt the tenant tracked once keeps its timeline; another tenant's is not found.
	known, err := st.TrackedReceipt.Query().Where(trackedreceipt.TenantID(tenantID(ctx)),
		trackedreceipt.ReceiptNumber(number)).Exist(ctx)
	if err != nil {
		return nil, err
	}
	if !known {
		return nil, notFound("receipt")
	}
	rows, err := st.Event.Query().Where(event.TenantID(tenantID(ctx)), event.ReceiptNumber(number),
		event.SequenceGT(after)).Order(ent.Asc(event.FieldSequence)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	out := &casewirev1.ListReceiptEventsResponse{}
	rows, out.NextPageToken = nextPage(rows, size, func(r *ent.Event) string {
		return strconv.FormatInt(r.Sequence, 10)
	})
	for _, r := range rows {
		out.Events = append(out.Events, eventToProto(r))
	}
	return connect.NewResponse(out), nil
}

// decodeCursor reads a cursor; empty means the start of the feed.
func decodeCursor(field, c string) (int64, error) {
	seq, err := timeline.DecodeCursor(c)
	if err != nil {
		return 0, invalid(field, "is not a cursor from an earlier answer")
	}
	return seq, nil
}

func eventToProto(r *ent.Event) *casewirev1.Event { return timeline.EventProto(r) }

func encodeCursor(seq int64) string { return timeline.EncodeCursor(seq) }
