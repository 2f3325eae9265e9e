package tracking

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"entgo.io/ent/dialect"

	"github.com/casewire/casewire/ent/matter"
	"github.com/casewire/casewire/receipt"
	"github.com/casewire/casewire/store"
)

// Request asks to track one receipt.
type Request struct {
	Number          string
	MatterID        string
	Labels          []string
	ClientReference string
}

// RowError reports a rejected request of a batch.
type RowError struct {
	// Index is the request's position in the batch, from 0.
	Index int
	// Number is the receipt number as given.
	Number string
	FieldError
}

// Result is the outcome of Track.
type Result struct {
	// Receipts are the tracked receipts in request order, without the rejected rows.
	Receipts []Receipt
	// Created says, for each of Receipts, whether the tenant did not track it before.
	Created []bool
	// Errors are the rejected rows.
	Errors []RowError
	// CreatedCount counts the true values of Created.
	CreatedCount int
}

// queryChunk is how many numbers one IN list of a read holds, well under both databases'
// parameter limits.
const queryChunk = 5000

// row is a request that passed validation.
type row struct {
	index    int
	number   receipt.Number
	matterID string
	labels   []string
	ref      string
}

// Track tracks up to MaxBatch receipts for a tenant in one transaction. Every bad row is
// reported in Result.Errors and the good rows are tracked. Tracking a receipt again updates
// its matter, labels and reference. A receipt new to every tenant is due for a fetch at once.
func (s *Service) Track(ctx context.Context, tenant string, reqs []Request) (Result, error) {
	if len(reqs) > MaxBatch {
		return Result{}, &FieldError{Field: "receipts",
			Reason: fmt.Sprintf("at most %d per batch, got %d", MaxBatch, len(reqs))}
	}
	rows, errs := validate(reqs)
	rows, errs, err := s.dropUnknownMatters(ctx, tenant, reqs, rows, errs)
	if err != nil {
		return Result{}, err
	}
	res := Result{Errors: errs}
	if len(rows) == 0 {
		return res, nil
	}
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		if err := s.lockTenant(ctx, tx, tenant); err != nil {
			return err
		}
		active, err := activeBy(ctx, tx.Ent, tenant, numbersOf(rows))
		if err != nil {
			return err
		}
		res, err = s.write(ctx, tx, tenant, rows, active, res)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// validate checks each request and reports the bad ones; a receipt repeated in the batch
// is reported at its second appearance.
func validate(reqs []Request) ([]row, []RowError) {
	rows := make([]row, 0, len(reqs))
	var errs []RowError
	first := make(map[string]int, len(reqs))
	for i, r := range reqs {
		rw, ferr := check(i, r)
		if ferr == nil {
			if j, dup := first[rw.number.Value]; dup {
				ferr = &FieldError{Field: "receipt_number",
					Reason: fmt.Sprintf("repeats row %d of this batch", j)}
			} else {
				first[rw.number.Value] = i
			}
		}
		if ferr != nil {
			errs = append(errs, RowError{Index: i, Number: r.Number, FieldError: *ferr})
			continue
		}
		rows = append(rows, rw)
	}
	return rows, errs
}

func check(i int, r Request) (row, *FieldError) {
	n, err := receipt.Parse(r.Number)
	if err != nil {
		return row{}, &FieldError{Field: "receipt_number", Reason: reasonOf(err)}
	}
	labels, err := CleanLabels(r.Labels)
	if err != nil {
		return row{}, err.(*FieldError)
	}
	ref, err := CleanReference(r.ClientReference)
	if err != nil {
		return row{}, err.(*FieldError)
	}
	return row{index: i, number: n, matterID: strings.TrimSpace(r.MatterID), labels: labels,
		ref: ref}, nil
}

// dropUnknownMatters rejects rows whose matter is not one of the tenant's.
func (s *Service) dropUnknownMatters(ctx context.Context, tenant string, reqs []Request, rows []row, errs []RowError) ([]row, []RowError, error) {
	var ids []string
	for _, r := range rows {
		if r.matterID != "" {
			ids = append(ids, r.matterID)
		}
	}
	known, err := s.knownMatters(ctx, tenant, ids)
	if err != nil {
		return nil, nil, err
	}
	kept := rows[:0]
	for _, r := range rows {
		if r.matterID != "" && !known[r.matterID] {
			errs = append(errs, RowError{Index: r.index, Number: reqs[r.index].Number,
				FieldError: FieldError{Field: "matter_id", Reason: "no such matter"}})
			continue
		}
		kept = append(kept, r)
	}
	slices.SortFunc(errs, func(a, b RowError) int { return a.Index - b.Index })
	return kept, errs, nil
}

// knownMatters returns which of ids are matters of the tenant.
func (s *Service) knownMatters(ctx context.Context, tenant string, ids []string) (map[string]bool, error) {
	known := map[string]bool{}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for chunk := range slices.Chunk(ids, queryChunk) {
		found, err := s.st.Ent.Matter.Query().
			Where(matter.TenantID(tenant), matter.IDIn(chunk...)).IDs(ctx)
		if err != nil {
			return nil, fmt.Errorf("tracking: read matters: %w", err)
		}
		for _, id := range found {
			known[id] = true
		}
	}
	return known, nil
}

// lockTenant serialises one tenant's tracking changes on PostgreSQL with an advisory lock,
// which no other writer takes, so that the trackers counts stay exact. SQLite runs one
// writer at a time already.
func (s *Service) lockTenant(ctx context.Context, tx *store.Tx, tenant string) error {
	if s.st.Dialect != dialect.Postgres {
		return nil
	}
	_, err := tx.SQL.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", "casewire.track."+tenant)
	if err != nil {
		return fmt.Errorf("tracking: lock tenant: %w", err)
	}
	return nil
}

func numbersOf(rows []row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.number.Value
	}
	return out
}
