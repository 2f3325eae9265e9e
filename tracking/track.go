package tracking

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/matter"
	"github.com/casewire/casewire/ent/trackedreceipt"
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

// Chunk sizes keep each statement under SQLite's and PostgreSQL's parameter limits.
const (
	queryChunk  = 5000
	insertChunk = 1000
)

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
	var existing map[string]*ent.TrackedReceipt
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		if err := s.lockTenant(ctx, tx, tenant); err != nil {
			return err
		}
		if existing, err = trackedBy(ctx, tx.Ent, tenant, numbersOf(rows)); err != nil {
			return err
		}
		return s.write(ctx, tx, tenant, rows, existing)
	})
	if err != nil {
		return Result{}, err
	}
	return s.answer(ctx, tenant, rows, existing, res)
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

// trackedBy returns the tenant's rows for the numbers, tracked now or before.
func trackedBy(ctx context.Context, c *ent.Client, tenant string, numbers []string) (map[string]*ent.TrackedReceipt, error) {
	out := make(map[string]*ent.TrackedReceipt, len(numbers))
	for chunk := range slices.Chunk(numbers, queryChunk) {
		trs, err := c.TrackedReceipt.Query().Where(trackedreceipt.TenantID(tenant),
			trackedreceipt.ReceiptNumberIn(chunk...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("tracking: read receipts: %w", err)
		}
		for _, tr := range trs {
			out[tr.ReceiptNumber] = tr
		}
	}
	return out, nil
}

// write counts the new trackers on the case states, then upserts the tracked rows. Case
// rows are written first and in number order: change detection locks a case row before
// tracked rows, and two batches lock case rows in the same order.
func (s *Service) write(ctx context.Context, tx *store.Tx, tenant string, rows []row, existing map[string]*ent.TrackedReceipt) error {
	now := s.now().UTC()
	var activated []string
	for _, r := range rows {
		if tr := existing[r.number.Value]; tr == nil || tr.UntrackTime != nil {
			activated = append(activated, r.number.Value)
		}
	}
	slices.Sort(activated)
	if err := addTrackers(ctx, tx, activated, now); err != nil {
		return err
	}
	if err := upsertTracked(ctx, tx, tenant, rows, now); err != nil {
		return err
	}
	if len(activated) > 0 {
		s.wake()
	}
	return nil
}

// addTrackers adds one tracker to each case state, making the missing ones due now. A case
// nobody tracked any more is due now as well.
func addTrackers(ctx context.Context, tx *store.Tx, numbers []string, now time.Time) error {
	for chunk := range slices.Chunk(numbers, insertChunk) {
		bulk := make([]*ent.CaseStateCreate, len(chunk))
		for i, n := range chunk {
			bulk[i] = tx.Ent.CaseState.Create().SetID(n).SetNextCheckTime(now).SetTrackers(1).
				SetCreateTime(now).SetUpdateTime(now)
		}
		err := tx.Ent.CaseState.CreateBulk(bulk...).OnConflict(
			sql.ConflictColumns("id"),
			sql.ResolveWith(func(u *sql.UpdateSet) {
				u.Set("next_check_time", sql.Expr("CASE WHEN case_states.trackers = 0 "+
					"THEN excluded.next_check_time ELSE case_states.next_check_time END"))
				u.Set("trackers", sql.Expr("case_states.trackers + 1"))
				u.SetExcluded("update_time")
			}),
		).Exec(ctx)
		if err != nil {
			return fmt.Errorf("tracking: case states: %w", err)
		}
	}
	return nil
}

// upsertTracked inserts the tenant's rows or, for numbers it tracked before, replaces their
// matter, labels and reference and marks them tracked again.
func upsertTracked(ctx context.Context, tx *store.Tx, tenant string, rows []row, now time.Time) error {
	for chunk := range slices.Chunk(rows, insertChunk) {
		bulk := make([]*ent.TrackedReceiptCreate, len(chunk))
		for i, r := range chunk {
			bulk[i] = tx.Ent.TrackedReceipt.Create().SetTenantID(tenant).
				SetReceiptNumber(r.number.Value).SetMatterID(r.matterID).SetLabels(r.labels).
				SetClientReference(r.ref).SetWarnings(warnings(r.number)).
				SetCreateTime(now).SetUpdateTime(now)
		}
		err := tx.Ent.TrackedReceipt.CreateBulk(bulk...).
			OnConflictColumns(trackedreceipt.FieldTenantID, trackedreceipt.FieldReceiptNumber).
			Update(func(u *ent.TrackedReceiptUpsert) {
				u.UpdateMatterID().UpdateLabels().UpdateClientReference().UpdateWarnings().
					UpdateUpdateTime().ClearUntrackTime()
			}).Exec(ctx)
		if err != nil {
			return fmt.Errorf("tracking: tracked receipts: %w", err)
		}
	}
	return nil
}

// warnings are what a firm should know about a number itself.
func warnings(n receipt.Number) []string {
	var out []string
	if n.Flagged {
		out = append(out, "unconfirmed IOE* form: kept as typed and not sent to USCIS; "+
			"track the full number instead")
	}
	if !n.KnownPrefix {
		out = append(out, fmt.Sprintf("prefix %s is not a known USCIS office", n.Prefix))
	}
	return out
}

// answer reads back the tracked receipts in request order.
func (s *Service) answer(ctx context.Context, tenant string, rows []row, before map[string]*ent.TrackedReceipt, res Result) (Result, error) {
	numbers := numbersOf(rows)
	got, err := s.load(ctx, tenant, numbers)
	if err != nil {
		return Result{}, err
	}
	res.Receipts = make([]Receipt, 0, len(rows))
	res.Created = make([]bool, 0, len(rows))
	for _, n := range numbers {
		r, ok := got[n]
		if !ok {
			return Result{}, fmt.Errorf("tracking: %s vanished after tracking", receipt.Mask(n))
		}
		prev := before[n]
		created := prev == nil || prev.UntrackTime != nil
		res.Receipts = append(res.Receipts, r)
		res.Created = append(res.Created, created)
		if created {
			res.CreatedCount++
		}
	}
	return res, nil
}

// load reads the tenant's active receipts for the numbers with their case states.
func (s *Service) load(ctx context.Context, tenant string, numbers []string) (map[string]Receipt, error) {
	trs, err := trackedBy(ctx, s.st.Ent, tenant, numbers)
	if err != nil {
		return nil, err
	}
	list := make([]*ent.TrackedReceipt, 0, len(trs))
	for _, tr := range trs {
		if tr.UntrackTime == nil {
			list = append(list, tr)
		}
	}
	joined, err := s.withCases(ctx, list)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Receipt, len(joined))
	for _, r := range joined {
		out[r.Tracked.ReceiptNumber] = r
	}
	return out, nil
}
