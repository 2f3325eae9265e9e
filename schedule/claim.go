package schedule

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect"

	"github.com/casewire/casewire/classify"
	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/casestate"
	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/uscis"
)

// claim is one receipt leased to this scheduler.
type claim struct {
	number  string
	refresh bool
}

// claimSQL leases up to n due receipts, refreshes first, then the longest overdue, in one
// statement. PostgreSQL skips rows another claimer has locked; SQLite has one writer, so
// the statement alone is atomic. %s is the refresh-only filter, %s the lock clause.
const claimSQL = `UPDATE case_states SET lease_until = ?, lease_owner = ?
WHERE id IN (
  SELECT id FROM case_states
  WHERE trackers > 0 AND next_check_time <= ? AND (lease_until IS NULL OR lease_until < ?) %s
  ORDER BY refresh_requested DESC, next_check_time
  LIMIT ? %s)
RETURNING id, refresh_requested`

// claim leases up to n due receipts to this scheduler.
func (s *Scheduler) claim(ctx context.Context, n int, onlyRefresh bool) ([]claim, error) {
	filter, lock := "", ""
	if onlyRefresh {
		filter = "AND refresh_requested = true"
	}
	if s.st.Dialect == dialect.Postgres {
		lock = "FOR UPDATE SKIP LOCKED"
	}
	now := s.now().UTC()
	q := rebind(s.st.Dialect, fmt.Sprintf(claimSQL, filter, lock))
	rows, err := s.st.DB.QueryContext(ctx, q, now.Add(s.cfg.Lease), s.cfg.Owner, now, now, n)
	if err != nil {
		return nil, fmt.Errorf("schedule: claim: %w", err)
	}
	defer rows.Close()
	var out []claim
	for rows.Next() {
		var c claim
		if err := rows.Scan(&c.number, &c.refresh); err != nil {
			return nil, fmt.Errorf("schedule: claim: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("schedule: claim: %w", err)
	}
	return out, nil
}

// stateOf is the policy's view of a stored case state. The result kind is what its check
// state implies; the caller overrides it with the kind of the fetch it just made.
func stateOf(cs *ent.CaseState) State {
	st := State{
		Number:            cs.ID,
		Category:          classify.Category(cs.Category),
		Outcome:           classify.Outcome(cs.Outcome),
		CanonicalTitle:    cs.CanonicalTitle,
		FormType:          cs.FormType,
		ConsecutiveErrors: cs.ConsecutiveErrors,
	}
	if cs.LastChangeTime != nil {
		st.LastChange = *cs.LastChangeTime
	}
	if cs.UscisModifyTime != nil {
		st.Modified = *cs.UscisModifyTime
	}
	switch {
	case cs.CheckState == "not_found":
		st.Result = uscis.KindNotFound
	case cs.Category != "":
		st.Result = uscis.KindStatus
	}
	return st
}

// Demand is the number of fetches a day the tracked receipts take at their base intervals:
// the Budget.Demand the policy scales against.
func Demand(ctx context.Context, st *store.Store, now time.Time) (float64, error) {
	rows, err := st.Ent.CaseState.Query().
		Where(casestate.TrackersGT(0)).
		Select(casestate.FieldID, casestate.FieldCategory, casestate.FieldOutcome,
			casestate.FieldCanonicalTitle, casestate.FieldFormType, casestate.FieldCheckState,
			casestate.FieldLastChangeTime, casestate.FieldUscisModifyTime).
		All(ctx)
	if err != nil {
		return 0, fmt.Errorf("schedule: demand: %w", err)
	}
	var sum float64
	for _, cs := range rows {
		sum += Rate(stateOf(cs), now)
	}
	return sum, nil
}
