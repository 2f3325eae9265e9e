package access

import (
	"context"
	"fmt"
	"strings"

	"github.com/casewire/casewire/ent"
)

// CreateTenant makes a tenant and its first admin key in one transaction, and returns the
// key, which is shown once.
func CreateTenant(ctx context.Context, db *ent.Client, name string) (*ent.Tenant, string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, "", fmt.Errorf("access: tenant name: must not be empty")
	}
	tx, err := db.Tx(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("access: begin: %w", err)
	}
	t, err := tx.Tenant.Create().SetName(name).Save(ctx)
	if err != nil {
		_ = tx.Rollback()
		return nil, "", fmt.Errorf("access: create tenant: %w", err)
	}
	_, key, err := NewKeys(db).Issue(ctx, tx.Client(), t.ID, "initial admin key", ScopeAdmin, nil)
	if err != nil {
		_ = tx.Rollback()
		return nil, "", err
	}
	// The command line acts with no key; the audit log still says who made the tenant.
	if err := auditAndCommit(ctx, tx, t.ID, "cli/tenant.create", t.ID); err != nil {
		return nil, "", err
	}
	return t, key, nil
}

// auditAndCommit records a command-line action in tx and commits it, or rolls it back.
func auditAndCommit(ctx context.Context, tx *ent.Tx, tenantID, action, resource string) error {
	err := tx.AuditEntry.Create().SetTenantID(tenantID).SetAction(action).
		SetResource(resource).SetOutcome("ok").Exec(ctx)
	if err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("access: audit: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("access: commit: %w", err)
	}
	return nil
}

// IssueKey issues a key of the tenant for a command-line action (such as the demo's
// fresh admin key) and records it in the audit log under action, in one transaction. It
// returns the key, which is shown once.
func IssueKey(ctx context.Context, db *ent.Client, tenantID, name string, scope Scope, action string) (*ent.APIKey, string, error) {
	tx, err := db.Tx(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("access: begin: %w", err)
	}
	row, key, err := NewKeys(db).Issue(ctx, tx.Client(), tenantID, name, scope, nil)
	if err != nil {
		_ = tx.Rollback()
		return nil, "", err
	}
	if err := auditAndCommit(ctx, tx, tenantID, action, row.ID); err != nil {
		return nil, "", err
	}
	return row, key, nil
}
