package tracking

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/casestate"
	"github.com/casewire/casewire/ent/trackedreceipt"
	"github.com/casewire/casewire/receipt"
	"github.com/casewire/casewire/store"
)

// activeBy returns, for each of the numbers the tenant has a row for, whether it tracks it
// now. Numbers it never tracked are missing.
func activeBy(ctx context.Context, c *ent.Client, tenant string, numbers []string) (map[string]bool, error) {
	out := make(map[string]bool)
	for chunk := range slices.Chunk(numbers, queryChunk) {
		trs, err := c.TrackedReceipt.Query().Where(trackedreceipt.TenantID(tenant),
			trackedreceipt.ReceiptNumberIn(chunk...)).
			Select(trackedreceipt.FieldReceiptNumber, trackedreceipt.FieldUntrackTime).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("tracking: read receipts: %w", err)
		}
		for _, tr := range trs {
			out[tr.ReceiptNumber] = tr.UntrackTime == nil
		}
	}
	return out, nil
}

// write counts the new trackers on the case states, then upserts the tracked rows, and
// answers the rows as written in request order. Case rows are written first and in number
// order: change detection locks a case row before tracked rows, and two batches lock case
// rows in the same order.
func (s *Service) write(ctx context.Context, tx *store.Tx, tenant string, rows []row, active map[string]bool, res Result) (Result, error) {
	now := s.now().UTC()
	var activated, kept []string
	for _, r := range rows {
		if active[r.number.Value] {
			kept = append(kept, r.number.Value)
		} else {
			activated = append(activated, r.number.Value)
		}
	}
	slices.Sort(activated)
	cases, err := addTrackers(ctx, tx, s.st.Dialect, activated, now)
	if err != nil {
		return Result{}, err
	}
	if err := readCases(ctx, tx.Ent, kept, cases); err != nil {
		return Result{}, err
	}
	tracked, err := upsertTracked(ctx, tx, s.st.Dialect, tenant, rows, now)
	if err != nil {
		return Result{}, err
	}
	res.Receipts = make([]Receipt, 0, len(rows))
	res.Created = make([]bool, 0, len(rows))
	for _, r := range rows {
		n := r.number.Value
		tr, cs := tracked[n], cases[n]
		if tr == nil || cs == nil {
			return Result{}, fmt.Errorf("tracking: %s missing after tracking", receipt.Mask(n))
		}
		created := !active[n]
		res.Receipts = append(res.Receipts, Receipt{Tracked: tr, Case: cs})
		res.Created = append(res.Created, created)
		if created {
			res.CreatedCount++
		}
	}
	if len(activated) > 0 {
		s.wake()
	}
	return res, nil
}

// caseUpsert adds one tracker to a case state; a case nobody tracked is due now again.
const caseUpsert = `ON CONFLICT ("id") DO UPDATE SET ` +
	`"next_check_time" = CASE WHEN "case_states"."trackers" = 0 ` +
	`THEN excluded."next_check_time" ELSE "case_states"."next_check_time" END, ` +
	`"trackers" = "case_states"."trackers" + 1, "update_time" = excluded."update_time" `

// addTrackers adds one tracker to each case state, making the missing ones due now with
// the database's defaults for every other column, and returns the rows as written.
func addTrackers(ctx context.Context, tx *store.Tx, dia string, numbers []string, now time.Time) (map[string]*ent.CaseState, error) {
	out := make(map[string]*ent.CaseState, len(numbers))
	m := newMultiInsert(dia, casestate.Table, []string{casestate.FieldID,
		casestate.FieldCreateTime, casestate.FieldUpdateTime, casestate.FieldNextCheckTime,
		casestate.FieldTrackers})
	tail := caseUpsert + "RETURNING " + quoteAll(casestate.Columns)
	var got []*ent.CaseState
	flush := func() error {
		got = got[:0]
		if err := m.query(ctx, tx.SQL, tail, &got); err != nil {
			return fmt.Errorf("tracking: case states: %w", err)
		}
		for _, cs := range got {
			out[cs.ID] = cs
		}
		return nil
	}
	for _, n := range numbers {
		if !m.room(2) {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		t := func() string { return m.once(colNow, "", func(string) any { return now }) }
		m.row(m.arg(n), t(), t(), t(), "1")
	}
	return out, flush()
}

// readCases adds the case states of the numbers to cases.
func readCases(ctx context.Context, c *ent.Client, numbers []string, cases map[string]*ent.CaseState) error {
	for chunk := range slices.Chunk(numbers, queryChunk) {
		css, err := c.CaseState.Query().Where(casestate.IDIn(chunk...)).All(ctx)
		if err != nil {
			return fmt.Errorf("tracking: read cases: %w", err)
		}
		for _, cs := range css {
			cases[cs.ID] = cs
		}
	}
	return nil
}

// trackedUpsert marks a number the tenant tracked before as tracked again, and takes the
// matter, labels and reference the request gives; one the request leaves empty keeps its
// value, so tracking a number again never wipes what the firm set (UpdateReceipt clears).
const trackedUpsert = `ON CONFLICT ("tenant_id", "receipt_number") DO UPDATE SET ` +
	`"matter_id" = CASE WHEN excluded."matter_id" = '' THEN "tracked_receipts"."matter_id" ` +
	`ELSE excluded."matter_id" END, ` +
	`"labels" = CASE WHEN excluded."labels" IS NULL OR CAST(excluded."labels" AS TEXT) IN ('null', '[]') ` +
	`THEN "tracked_receipts"."labels" ELSE excluded."labels" END, ` +
	`"client_reference" = CASE WHEN excluded."client_reference" = '' ` +
	`THEN "tracked_receipts"."client_reference" ELSE excluded."client_reference" END, ` +
	`"warnings" = excluded."warnings", ` +
	`"update_time" = excluded."update_time", "untrack_time" = NULL `

// Columns whose values a batch shares or may share, for multiInsert.once.
const (
	colNow = iota
	colTenant
	colMatter
	colLabels
	colReference
	colWarnings
)

// upsertTracked inserts the tenant's rows or, for numbers it tracked before, replaces their
// matter, labels and reference and marks them tracked again. It returns the rows as
// written.
func upsertTracked(ctx context.Context, tx *store.Tx, dia, tenant string, rows []row, now time.Time) (map[string]*ent.TrackedReceipt, error) {
	out := make(map[string]*ent.TrackedReceipt, len(rows))
	m := newMultiInsert(dia, trackedreceipt.Table, []string{trackedreceipt.FieldID,
		trackedreceipt.FieldTenantID, trackedreceipt.FieldCreateTime,
		trackedreceipt.FieldUpdateTime, trackedreceipt.FieldReceiptNumber,
		trackedreceipt.FieldMatterID, trackedreceipt.FieldLabels,
		trackedreceipt.FieldClientReference, trackedreceipt.FieldWarnings})
	tail := trackedUpsert + "RETURNING " + quoteAll(trackedreceipt.Columns)
	var got []*ent.TrackedReceipt
	flush := func() error {
		got = got[:0]
		if err := m.query(ctx, tx.SQL, tail, &got); err != nil {
			return fmt.Errorf("tracking: tracked receipts: %w", err)
		}
		for _, tr := range got {
			out[tr.ReceiptNumber] = tr
		}
		return nil
	}
	for _, r := range rows {
		if !m.room(8) {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		t := func() string { return m.once(colNow, "", func(string) any { return now }) }
		m.row(m.arg(trackedreceipt.DefaultID()), m.once(colTenant, tenant, nil),
			t(), t(), m.arg(r.number.Value), m.once(colMatter, r.matterID, nil),
			m.once(colLabels, jsonText(r.labels), rawJSON), m.once(colReference, r.ref, nil),
			m.once(colWarnings, jsonText(warnings(r.number)), rawJSON))
	}
	return out, flush()
}

// jsonText encodes a list as ent stores it; nil is JSON null.
func jsonText(list []string) string {
	b, _ := json.Marshal(list)
	return string(b)
}

// rawJSON binds JSON text the way ent binds JSON fields.
func rawJSON(s string) any { return json.RawMessage(s) }

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
