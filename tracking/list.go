package tracking

import (
	"context"
	"fmt"
	"slices"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"

	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/casestate"
	"github.com/casewire/casewire/ent/predicate"
	"github.com/casewire/casewire/ent/trackedreceipt"
)

// Filter narrows List; zero fields do not filter.
type Filter struct {
	// Category is a taxonomy category name, e.g. "evidence_request".
	Category       string
	ActionRequired *bool
	MatterID       string
	Label          string
}

// List returns up to limit of the tenant's receipts with an id after the given one, in id
// order.
func (s *Service) List(ctx context.Context, tenant string, f Filter, after string, limit int) ([]Receipt, error) {
	q := s.st.Ent.TrackedReceipt.Query().
		Where(trackedreceipt.TenantID(tenant), trackedreceipt.UntrackTimeIsNil())
	if after != "" {
		q = q.Where(trackedreceipt.IDGT(after))
	}
	if f.MatterID != "" {
		q = q.Where(trackedreceipt.MatterID(f.MatterID))
	}
	if f.Label != "" {
		q = q.Where(predicate.TrackedReceipt(func(s *sql.Selector) {
			s.Where(sqljson.ValueContains(trackedreceipt.FieldLabels, f.Label))
		}))
	}
	if cases := caseFilter(f); len(cases) > 0 {
		q = q.Where(inCases(cases...))
	}
	trs, err := q.Order(ent.Asc(trackedreceipt.FieldID)).Limit(limit).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracking: list: %w", err)
	}
	return s.withCases(ctx, trs)
}

// caseFilter turns the status filters into predicates on case states.
func caseFilter(f Filter) []*sql.Predicate {
	var ps []*sql.Predicate
	if f.Category != "" {
		ps = append(ps, sql.EQ(casestate.FieldCategory, f.Category))
	}
	if f.ActionRequired != nil {
		ps = append(ps, sql.EQ(casestate.FieldActionRequired, *f.ActionRequired))
	}
	return ps
}

// inCases keeps tracked receipts whose case state matches every predicate.
func inCases(ps ...*sql.Predicate) predicate.TrackedReceipt {
	return func(s *sql.Selector) {
		sub := sql.Select(casestate.FieldID).From(sql.Table(casestate.Table)).Where(sql.And(ps...))
		s.Where(sql.In(s.C(trackedreceipt.FieldReceiptNumber), sub))
	}
}

// withCases pairs tracked receipts with their case states, keeping their order.
func (s *Service) withCases(ctx context.Context, trs []*ent.TrackedReceipt) ([]Receipt, error) {
	ids := make([]string, len(trs))
	for i, tr := range trs {
		ids[i] = tr.ReceiptNumber
	}
	cases := make(map[string]*ent.CaseState, len(ids))
	for chunk := range slices.Chunk(ids, queryChunk) {
		css, err := s.st.Ent.CaseState.Query().Where(casestate.IDIn(chunk...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("tracking: read cases: %w", err)
		}
		for _, cs := range css {
			cases[cs.ID] = cs
		}
	}
	out := make([]Receipt, 0, len(trs))
	for _, tr := range trs {
		cs := cases[tr.ReceiptNumber]
		if cs == nil {
			return nil, fmt.Errorf("tracking: case state missing for a tracked receipt")
		}
		out = append(out, Receipt{Tracked: tr, Case: cs})
	}
	return out, nil
}

// exportPage is how many receipts Export reads at a time.
const exportPage = 1000

// Export calls fn with every receipt the tenant tracks, in id order, reading a page at a
// time so that memory stays flat however many there are.
func (s *Service) Export(ctx context.Context, tenant string, fn func(Receipt) error) error {
	after := ""
	for {
		page, err := s.List(ctx, tenant, Filter{}, after, exportPage)
		if err != nil {
			return err
		}
		for _, r := range page {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(page) < exportPage {
			return nil
		}
		after = page[len(page)-1].Tracked.ID
	}
}
