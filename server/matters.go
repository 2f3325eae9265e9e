package server

import (
	"context"
	"strings"
	"unicode/utf8"

	"connectrpc.com/connect"

	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/matter"
	"github.com/casewire/casewire/ent/trackedreceipt"
	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/store"
)

// matterService keeps a firm's references to its own matters.
type matterService struct{ s *Server }

const (
	maxNameLen        = 200
	maxExternalIDLen  = 200
	maxDescriptionLen = 2000
)

func (m *matterService) CreateMatter(ctx context.Context, req *connect.Request[casewirev1.CreateMatterRequest]) (*connect.Response[casewirev1.CreateMatterResponse], error) {
	in := req.Msg.GetMatter()
	if in == nil {
		return nil, invalid("matter", "is required")
	}
	if err := checkMatter(in, nil); err != nil {
		return nil, err
	}
	tenant := tenantID(ctx)
	if err := m.uniqueExternalID(ctx, tenant, in.GetExternalId(), ""); err != nil {
		return nil, err
	}
	row, err := m.s.opts.Store.Ent.Matter.Create().
		SetTenantID(tenant).
		SetName(strings.TrimSpace(in.GetName())).
		SetExternalID(strings.TrimSpace(in.GetExternalId())).
		SetDescription(in.GetDescription()).
		Save(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&casewirev1.CreateMatterResponse{Matter: matterToProto(row, 0)}), nil
}

func (m *matterService) GetMatter(ctx context.Context, req *connect.Request[casewirev1.GetMatterRequest]) (*connect.Response[casewirev1.GetMatterResponse], error) {
	row, err := m.find(ctx, req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	n, err := m.receiptCount(ctx, row.ID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&casewirev1.GetMatterResponse{Matter: matterToProto(row, n)}), nil
}

func (m *matterService) ListMatters(ctx context.Context, req *connect.Request[casewirev1.ListMattersRequest]) (*connect.Response[casewirev1.ListMattersResponse], error) {
	size, after, err := page(req.Msg.GetPageSize(), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	q := m.s.opts.Store.Ent.Matter.Query().Where(matter.TenantID(tenantID(ctx)))
	if after != "" {
		q = q.Where(matter.IDGT(after))
	}
	if ext := strings.TrimSpace(req.Msg.GetExternalId()); ext != "" {
		q = q.Where(matter.ExternalID(ext))
	}
	rows, err := q.Order(ent.Asc(matter.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	out := &casewirev1.ListMattersResponse{}
	rows, out.NextPageToken = nextPage(rows, size, func(r *ent.Matter) string { return r.ID })
	for _, r := range rows {
		n, err := m.receiptCount(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		out.Matters = append(out.Matters, matterToProto(r, n))
	}
	return connect.NewResponse(out), nil
}

func (m *matterService) UpdateMatter(ctx context.Context, req *connect.Request[casewirev1.UpdateMatterRequest]) (*connect.Response[casewirev1.UpdateMatterResponse], error) {
	in := req.Msg.GetMatter()
	if in == nil {
		return nil, invalid("matter", "is required")
	}
	paths, err := maskPaths(req.Msg.GetUpdateMask().GetPaths(), "name", "external_id", "description")
	if err != nil {
		return nil, err
	}
	if err := checkMatter(in, paths); err != nil {
		return nil, err
	}
	row, err := m.find(ctx, in.GetId())
	if err != nil {
		return nil, err
	}
	upd := row.Update()
	if paths["name"] {
		upd.SetName(strings.TrimSpace(in.GetName()))
	}
	if paths["external_id"] {
		ext := strings.TrimSpace(in.GetExternalId())
		if err := m.uniqueExternalID(ctx, row.TenantID, ext, row.ID); err != nil {
			return nil, err
		}
		upd.SetExternalID(ext)
	}
	if paths["description"] {
		upd.SetDescription(in.GetDescription())
	}
	row, err = upd.Save(ctx)
	if err != nil {
		return nil, err
	}
	n, err := m.receiptCount(ctx, row.ID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&casewirev1.UpdateMatterResponse{Matter: matterToProto(row, n)}), nil
}

func (m *matterService) DeleteMatter(ctx context.Context, req *connect.Request[casewirev1.DeleteMatterRequest]) (*connect.Response[casewirev1.DeleteMatterResponse], error) {
	row, err := m.find(ctx, req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	err = m.s.opts.Store.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Ent.TrackedReceipt.Update().
			Where(trackedreceipt.TenantID(row.TenantID), trackedreceipt.MatterID(row.ID)).
			SetMatterID("").Save(ctx); err != nil {
			return err
		}
		return tx.Ent.Matter.DeleteOneID(row.ID).Exec(ctx)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&casewirev1.DeleteMatterResponse{}), nil
}

// find loads a matter of the caller's tenant; another tenant's matter is not found.
func (m *matterService) find(ctx context.Context, id string) (*ent.Matter, error) {
	if id == "" {
		return nil, invalid("id", "is required")
	}
	row, err := m.s.opts.Store.Ent.Matter.Query().
		Where(matter.ID(id), matter.TenantID(tenantID(ctx))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound("matter " + id)
	}
	return row, err
}

func (m *matterService) receiptCount(ctx context.Context, id string) (int, error) {
	return m.s.opts.Store.Ent.TrackedReceipt.Query().
		Where(trackedreceipt.TenantID(tenantID(ctx)), trackedreceipt.MatterID(id),
			trackedreceipt.UntrackTimeIsNil()).Count(ctx)
}

func (m *matterService) uniqueExternalID(ctx context.Context, tenant, ext, self string) error {
	if ext == "" {
		return nil
	}
	q := m.s.opts.Store.Ent.Matter.Query().Where(matter.TenantID(tenant), matter.ExternalID(ext))
	if self != "" {
		q = q.Where(matter.IDNEQ(self))
	}
	taken, err := q.Exist(ctx)
	if err != nil {
		return err
	}
	if taken {
		return connect.NewError(connect.CodeAlreadyExists,
			errorf("external_id: another matter already has %q", ext))
	}
	return nil
}

// checkMatter validates the fields a request sets; paths nil means all of them.
func checkMatter(in *casewirev1.Matter, paths map[string]bool) error {
	all := paths == nil
	if all || paths["name"] {
		if strings.TrimSpace(in.GetName()) == "" {
			return invalid("matter.name", "is required")
		}
		if utf8.RuneCountInString(in.GetName()) > maxNameLen {
			return invalid("matter.name", "is longer than 200 characters")
		}
	}
	if (all || paths["external_id"]) && utf8.RuneCountInString(in.GetExternalId()) > maxExternalIDLen {
		return invalid("matter.external_id", "is longer than 200 characters")
	}
	if (all || paths["description"]) && utf8.RuneCountInString(in.GetDescription()) > maxDescriptionLen {
		return invalid("matter.description", "is longer than 2000 characters")
	}
	return nil
}

func matterToProto(r *ent.Matter, receipts int) *casewirev1.Matter {
	return &casewirev1.Matter{
		Id:           r.ID,
		Name:         r.Name,
		ExternalId:   r.ExternalID,
		Description:  r.Description,
		ReceiptCount: int32(receipts),
		CreateTime:   ts(r.CreateTime),
		UpdateTime:   ts(r.UpdateTime),
	}
}
