package server

import (
	"context"
	"errors"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/auditentry"
	"github.com/casewire/casewire/ent/auditintent"
	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/receipt"
	"github.com/casewire/casewire/store"
)

// audit appends an entry for every mutation once its handler has answered, whatever the
// outcome: who, what, which resource, when, from where, and how it ended. A call that
// passed authentication has an intent written before its handler ran (auditAhead); the
// entry takes its place.
type audit struct{ s *Server }

func (a audit) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		res, err := next(ctx, req)
		c := callFrom(ctx)
		// Calls refused by the rate limit are not written: a flood must not become a flood
		// of writes. They are counted in the request metrics. A call that got as far as
		// its intent is always written, whatever it answered.
		refused := c.intentID == "" && connect.CodeOf(err) == connect.CodeResourceExhausted
		if !isRead(methodOf(c.procedure)) && c.principal.TenantID != "" && !refused {
			msg, _ := req.Any().(proto.Message)
			resource := resourceOf(msg)
			if resource == "" && res != nil {
				// A create names its new resource only in the answer.
				out, _ := res.Any().(proto.Message)
				resource = resourceOf(out)
			}
			a.s.record(ctx, c, resource, codeName(err))
		}
		return res, err
	}
}

func (a audit) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (a audit) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// record writes one audit entry and, when the call has an intent, removes the intent in
// the same transaction. If the intent was already taken for a call cut short (the call
// outlived intentTimeout), the log then holds both that entry of unknown outcome and this
// one. A failure to write is logged at Error: someone must look at an audit log that
// cannot be written. The intent then stays, and becomes an entry of unknown outcome.
func (s *Server) record(ctx context.Context, c *call, resource, outcome string) {
	ctx = context.WithoutCancel(ctx)
	err := s.opts.Store.InTx(ctx, func(tx *store.Tx) error {
		if c.intentID != "" {
			if _, err := tx.Ent.AuditIntent.Delete().Where(auditintent.ID(c.intentID)).Exec(ctx); err != nil {
				return err
			}
		}
		return tx.Ent.AuditEntry.Create().
			SetTenantID(c.principal.TenantID).
			SetAPIKeyID(c.principal.KeyID).
			SetAction(strings.TrimPrefix(c.procedure, "/")).
			SetResource(resource).
			SetPeerAddress(c.peer).
			SetRequestID(c.requestID).
			SetOutcome(outcome).
			Exec(ctx)
	})
	if err != nil {
		s.log.ErrorContext(ctx, "audit entry not written", "procedure", c.procedure, "error", err)
	}
}

// auditAhead writes the intent of a mutation that passed authentication before its handler
// runs. A call whose intent cannot be written is refused, so nothing changes unrecorded.
type auditAhead struct{ s *Server }

func (a auditAhead) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		c := callFrom(ctx)
		if isRead(methodOf(c.procedure)) || c.principal.TenantID == "" {
			return next(ctx, req)
		}
		msg, _ := req.Any().(proto.Message)
		intent, err := a.s.opts.Store.Ent.AuditIntent.Create().
			SetTenantID(c.principal.TenantID).
			SetAPIKeyID(c.principal.KeyID).
			SetAction(strings.TrimPrefix(c.procedure, "/")).
			SetResource(resourceOf(msg)).
			SetPeerAddress(c.peer).
			SetRequestID(c.requestID).
			Save(ctx)
		if err != nil {
			a.s.log.ErrorContext(ctx, "audit intent not written; call refused",
				"procedure", c.procedure, "error", err)
			return nil, connect.NewError(connect.CodeUnavailable,
				errors.New("the audit log cannot be written now; nothing was changed"))
		}
		c.intentID = intent.ID
		return next(ctx, req)
	}
}

func (a auditAhead) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler passes streams through: every streaming method only reads.
func (a auditAhead) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// intentTimeout is how old an intent must be before it is taken for the trace of a call
// cut short by a stopped process: longer than any call runs.
const intentTimeout = 10 * time.Minute

// settleBatch bounds the intents one listing settles; the next listing takes the rest.
const settleBatch = 500

// OutcomeUnknown is the outcome of an entry whose call was cut short: the process stopped
// after the call began and before its outcome was written, so the change may or may not
// have been made.
const OutcomeUnknown = "unknown"

// settleIntents turns the tenant's intents older than intentTimeout into entries of
// unknown outcome before the log is read. Each is listed when it is found, as the newest
// entry, with the time its call began. An intent is taken by whichever removes it first:
// this settlement or the end of its call.
func (s *Server) settleIntents(ctx context.Context, tenant string) error {
	// Times are compared in UTC, as they are stored: SQLite compares them as text.
	stale := auditintent.And(auditintent.TenantID(tenant),
		auditintent.CreateTimeLT(time.Now().UTC().Add(-intentTimeout)))
	found, err := s.opts.Store.Ent.AuditIntent.Query().Where(stale).Exist(ctx)
	if err != nil || !found {
		return err
	}
	return s.opts.Store.InTx(ctx, func(tx *store.Tx) error {
		rows, err := tx.Ent.AuditIntent.Query().Where(stale).
			Order(ent.Asc(auditintent.FieldID)).Limit(settleBatch).All(ctx)
		if err != nil {
			return err
		}
		for _, in := range rows {
			n, err := tx.Ent.AuditIntent.Delete().Where(auditintent.ID(in.ID)).Exec(ctx)
			if err != nil {
				return err
			}
			if n == 0 {
				continue // its call has just ended and written its own entry
			}
			err = tx.Ent.AuditEntry.Create().SetCreateTime(in.CreateTime).
				SetTenantID(in.TenantID).SetAPIKeyID(in.APIKeyID).SetAction(in.Action).
				SetResource(in.Resource).SetPeerAddress(in.PeerAddress).
				SetRequestID(in.RequestID).SetOutcome(OutcomeUnknown).Exec(ctx)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func methodOf(procedure string) string {
	return procedure[strings.LastIndex(procedure, "/")+1:]
}

// resourceOf names what a request acts on, from its identifying fields; receipt numbers
// are masked.
func resourceOf(msg proto.Message) string {
	if msg == nil {
		return ""
	}
	return resourceIn(msg.ProtoReflect(), 0)
}

func resourceIn(m protoreflect.Message, depth int) string {
	fields := m.Descriptor().Fields()
	for _, name := range []string{"receipt_number", "webhook_endpoint_id", "id"} {
		fd := fields.ByName(protoreflect.Name(name))
		if fd == nil || fd.Kind() != protoreflect.StringKind || fd.IsList() {
			continue
		}
		if v := m.Get(fd).String(); v != "" {
			if name == "receipt_number" {
				return "receipts/" + receipt.Mask(v)
			}
			return v
		}
	}
	if depth > 0 {
		return ""
	}
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap() && m.Has(fd) {
			if r := resourceIn(m.Get(fd).Message(), depth+1); r != "" {
				return r
			}
		}
	}
	return ""
}

// auditService reads the append-only log.
type auditService struct{ s *Server }

func (a *auditService) ListAuditEntries(ctx context.Context, req *connect.Request[casewirev1.ListAuditEntriesRequest]) (*connect.Response[casewirev1.ListAuditEntriesResponse], error) {
	m := req.Msg
	size, after, err := page(m.GetPageSize(), m.GetPageToken())
	if err != nil {
		return nil, err
	}
	if err := a.s.settleIntents(ctx, tenantID(ctx)); err != nil {
		return nil, err
	}
	q := a.s.opts.Store.Ent.AuditEntry.Query().Where(auditentry.TenantID(tenantID(ctx)))
	if after != "" {
		q = q.Where(auditentry.IDLT(after))
	}
	if m.GetApiKeyId() != "" {
		q = q.Where(auditentry.APIKeyID(m.GetApiKeyId()))
	}
	if m.GetAction() != "" {
		q = q.Where(auditentry.ActionContains(m.GetAction()))
	}
	if m.GetStartTime() != nil {
		q = q.Where(auditentry.CreateTimeGTE(m.GetStartTime().AsTime()))
	}
	if m.GetEndTime() != nil {
		q = q.Where(auditentry.CreateTimeLT(m.GetEndTime().AsTime()))
	}
	rows, err := q.Order(ent.Desc(auditentry.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	out := &casewirev1.ListAuditEntriesResponse{}
	rows, out.NextPageToken = nextPage(rows, size, func(r *ent.AuditEntry) string { return r.ID })
	for _, r := range rows {
		out.AuditEntries = append(out.AuditEntries, auditToProto(r))
	}
	return connect.NewResponse(out), nil
}

func auditToProto(r *ent.AuditEntry) *casewirev1.AuditEntry {
	return &casewirev1.AuditEntry{
		Id:          r.ID,
		ApiKeyId:    r.APIKeyID,
		Action:      r.Action,
		Resource:    r.Resource,
		CreateTime:  ts(r.CreateTime),
		PeerAddress: r.PeerAddress,
		RequestId:   r.RequestID,
		Outcome:     r.Outcome,
	}
}
