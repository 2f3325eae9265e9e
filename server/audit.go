package server

import (
	"context"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/auditentry"
	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/receipt"
)

// audit appends an entry for every mutation once its handler has answered, whatever the
// outcome: who, what, which resource, when, from where, and how it ended.
type audit struct{ s *Server }

func (a audit) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		res, err := next(ctx, req)
		c := callFrom(ctx)
		// Calls refused by the rate limit are not written: a flood must not become a flood
		// of writes. They are counted in the request metrics.
		if !isRead(methodOf(c.procedure)) && c.principal.TenantID != "" &&
			connect.CodeOf(err) != connect.CodeResourceExhausted {
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

// record writes one audit entry. A failure to write it is logged at Error: someone must
// look at an audit log that cannot be written.
func (s *Server) record(ctx context.Context, c *call, resource, outcome string) {
	err := s.opts.Store.Ent.AuditEntry.Create().
		SetTenantID(c.principal.TenantID).
		SetAPIKeyID(c.principal.KeyID).
		SetAction(strings.TrimPrefix(c.procedure, "/")).
		SetResource(resource).
		SetPeerAddress(c.peer).
		SetRequestID(c.requestID).
		SetOutcome(outcome).
		Exec(context.WithoutCancel(ctx))
	if err != nil {
		s.log.ErrorContext(ctx, "audit entry not written", "procedure", c.procedure, "error", err)
	}
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
