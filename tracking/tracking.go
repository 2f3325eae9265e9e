// Package tracking keeps which receipts each tenant tracks: it validates and stores a firm's
// interest in a receipt number, with its matter, labels and reference, and keeps the shared
// case state of the number that the scheduler polls. A receipt tracked by several firms has
// one case state, fetched once; its trackers count says how many firms still want it.
//
// It sits between the API server and the store; it never talks to USCIS. Change detection
// (package detect) reads the tracked receipts it writes to fan events out.
package tracking

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/casestate"
	"github.com/casewire/casewire/ent/trackedreceipt"
	"github.com/casewire/casewire/receipt"
	"github.com/casewire/casewire/store"
)

// Limits on what a firm may attach to a receipt.
const (
	MaxBatch        = 10000
	MaxLabels       = 20
	MaxLabelLen     = 64
	MaxReferenceLen = 200
)

// ErrNotFound means the tenant does not track the receipt (or another tenant does).
var ErrNotFound = errors.New("tracking: receipt not tracked")

// FieldError rejects one field of a request. Its text never quotes a receipt number.
type FieldError struct {
	Field  string
	Reason string
}

// Error returns "field: reason".
func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Options configures a Service. Every field is optional.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Wake is called after receipts are newly tracked or a refresh is asked for, so an
	// in-process scheduler can fetch them at once instead of at its next tick.
	Wake func()
}

// Service tracks receipts for tenants.
type Service struct {
	st   *store.Store
	now  func() time.Time
	wake func()
}

// New returns a service on st.
func New(st *store.Store, opts Options) *Service {
	s := &Service{st: st, now: opts.Now, wake: opts.Wake}
	if s.now == nil {
		s.now = time.Now
	}
	if s.wake == nil {
		s.wake = func() {}
	}
	return s
}

// Receipt is a tenant's tracked receipt together with the shared state of its case.
type Receipt struct {
	Tracked *ent.TrackedReceipt
	Case    *ent.CaseState
}

// ParseNumber normalises and validates a receipt number given to look a receipt up.
func ParseNumber(input string) (string, error) {
	n, err := receipt.Parse(input)
	if err != nil {
		return "", &FieldError{Field: "receipt_number", Reason: reasonOf(err)}
	}
	return n.Value, nil
}

// reasonOf turns a receipt error into a reason that does not repeat the field name.
func reasonOf(err error) string {
	return strings.TrimPrefix(err.Error(), "receipt number ")
}

// CleanLabels trims labels, drops blank and repeated ones, and checks the limits.
func CleanLabels(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, l := range in {
		l = strings.TrimSpace(l)
		if l == "" || contains(out, l) {
			continue
		}
		if utf8.RuneCountInString(l) > MaxLabelLen {
			return nil, &FieldError{Field: "labels",
				Reason: fmt.Sprintf("a label is longer than %d characters", MaxLabelLen)}
		}
		out = append(out, l)
	}
	if len(out) > MaxLabels {
		return nil, &FieldError{Field: "labels",
			Reason: fmt.Sprintf("at most %d labels, got %d", MaxLabels, len(out))}
	}
	return out, nil
}

// CleanReference trims a client reference and checks its length.
func CleanReference(ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if utf8.RuneCountInString(ref) > MaxReferenceLen {
		return "", &FieldError{Field: "client_reference",
			Reason: fmt.Sprintf("is longer than %d characters", MaxReferenceLen)}
	}
	return ref, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Get answers a receipt the tenant tracks.
func (s *Service) Get(ctx context.Context, tenant, number string) (Receipt, error) {
	tr, err := s.active(ctx, s.st.Ent, tenant, number)
	if err != nil {
		return Receipt{}, err
	}
	cs, err := s.st.Ent.CaseState.Get(ctx, tr.ReceiptNumber)
	if err != nil {
		return Receipt{}, fmt.Errorf("tracking: read case: %w", err)
	}
	return Receipt{Tracked: tr, Case: cs}, nil
}

// active loads the tenant's active tracked receipt for a number given by a client.
func (s *Service) active(ctx context.Context, c *ent.Client, tenant, input string) (*ent.TrackedReceipt, error) {
	number, err := ParseNumber(input)
	if err != nil {
		return nil, err
	}
	tr, err := c.TrackedReceipt.Query().Where(trackedreceipt.TenantID(tenant),
		trackedreceipt.ReceiptNumber(number), trackedreceipt.UntrackTimeIsNil()).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("tracking: read receipt: %w", err)
	}
	return tr, nil
}

// Untrack stops the tenant tracking a receipt. Its events stay; other tenants are not
// affected. When no tenant tracks the number any more, polling stops.
func (s *Service) Untrack(ctx context.Context, tenant, number string) error {
	return s.st.InTx(ctx, func(tx *store.Tx) error {
		if err := s.lockTenant(ctx, tx, tenant); err != nil {
			return err
		}
		tr, err := s.active(ctx, tx.Ent, tenant, number)
		if err != nil {
			return err
		}
		// The case row is written before the tracked row: change detection locks them in
		// that order too.
		if err := tx.Ent.CaseState.Update().
			Where(casestate.ID(tr.ReceiptNumber), casestate.TrackersGT(0)).
			AddTrackers(-1).Exec(ctx); err != nil {
			return fmt.Errorf("tracking: untrack case: %w", err)
		}
		return tx.Ent.TrackedReceipt.UpdateOne(tr).SetUntrackTime(s.now().UTC()).Exec(ctx)
	})
}

// Refresh asks for the receipt to be fetched ahead of routine polling.
func (s *Service) Refresh(ctx context.Context, tenant, number string) (Receipt, error) {
	tr, err := s.active(ctx, s.st.Ent, tenant, number)
	if err != nil {
		return Receipt{}, err
	}
	cs, err := s.st.Ent.CaseState.UpdateOneID(tr.ReceiptNumber).
		SetRefreshRequested(true).SetNextCheckTime(s.now().UTC()).Save(ctx)
	if err != nil {
		return Receipt{}, fmt.Errorf("tracking: refresh: %w", err)
	}
	s.wake()
	return Receipt{Tracked: tr, Case: cs}, nil
}

// Changes are the fields Update may set; only those named in Paths change.
type Changes struct {
	MatterID        string
	Labels          []string
	ClientReference string
	// Paths names the fields to change: "matter_id", "labels", "client_reference".
	Paths map[string]bool
}

// Update changes a tracked receipt's matter, labels or client reference.
func (s *Service) Update(ctx context.Context, tenant, number string, ch Changes) (Receipt, error) {
	tr, err := s.active(ctx, s.st.Ent, tenant, number)
	if err != nil {
		return Receipt{}, err
	}
	upd := tr.Update()
	if ch.Paths["matter_id"] {
		if err := s.checkMatters(ctx, tenant, []string{ch.MatterID}); err != nil {
			return Receipt{}, err
		}
		upd.SetMatterID(strings.TrimSpace(ch.MatterID))
	}
	if ch.Paths["labels"] {
		labels, err := CleanLabels(ch.Labels)
		if err != nil {
			return Receipt{}, err
		}
		upd.SetLabels(labels)
	}
	if ch.Paths["client_reference"] {
		ref, err := CleanReference(ch.ClientReference)
		if err != nil {
			return Receipt{}, err
		}
		upd.SetClientReference(ref)
	}
	if _, err := upd.Save(ctx); err != nil {
		return Receipt{}, fmt.Errorf("tracking: update: %w", err)
	}
	return s.Get(ctx, tenant, tr.ReceiptNumber)
}

// checkMatters fails unless every non-empty id names a matter of the tenant.
func (s *Service) checkMatters(ctx context.Context, tenant string, ids []string) error {
	known, err := s.knownMatters(ctx, tenant, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" && !known[id] {
			return &FieldError{Field: "matter_id", Reason: "no such matter"}
		}
	}
	return nil
}
