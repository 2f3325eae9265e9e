package access_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/casewire/casewire/access"
	"github.com/casewire/casewire/ent/auditentry"
	"github.com/casewire/casewire/store/storetest"
)

func TestKeysAreRandomPrefixedAndStoredAsHashes(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	ten, key, err := access.CreateTenant(ctx, s.Ent, "  Firm  ")
	if err != nil {
		t.Fatal(err)
	}
	if ten.Name != "Firm" {
		t.Errorf("name = %q, want it trimmed", ten.Name)
	}
	if !strings.HasPrefix(key, "cw_") || len(key) != 46 {
		t.Fatalf("key %q: want cw_ and 43 characters", key)
	}
	rows := s.Ent.APIKey.Query().AllX(ctx)
	if len(rows) != 1 {
		t.Fatalf("%d keys stored", len(rows))
	}
	if strings.Contains(string(rows[0].Hash), key) || string(rows[0].Hash) == key {
		t.Fatal("the key is stored in clear")
	}
	if rows[0].Prefix != key[:12] {
		t.Fatalf("prefix %q", rows[0].Prefix)
	}
	p, err := access.NewKeys(s.Ent).Authenticate(ctx, key)
	if err != nil || p.TenantID != ten.ID || p.Scope != access.ScopeAdmin {
		t.Fatalf("principal = %+v, %v", p, err)
	}
	seen := map[string]bool{}
	for range 1000 {
		k, err := access.NewKey()
		if err != nil || seen[k] {
			t.Fatalf("duplicate or failed key: %v", err)
		}
		seen[k] = true
	}
}

func TestAuthenticateRefuses(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	ten, key, err := access.CreateTenant(ctx, s.Ent, "Firm")
	if err != nil {
		t.Fatal(err)
	}
	keys := access.NewKeys(s.Ent)
	past := time.Now().Add(-time.Minute)
	_, expired, err := keys.Issue(ctx, s.Ent, ten.ID, "old", access.ScopeRead, &past)
	if err != nil {
		t.Fatal(err)
	}
	revokedRow, revoked, err := keys.Issue(ctx, s.Ent, ten.ID, "gone", access.ScopeRead, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Ent.APIKey.UpdateOne(revokedRow).SetRevokeTime(time.Now()).ExecX(ctx)
	for name, presented := range map[string]string{
		"empty":          "",
		"no prefix":      strings.TrimPrefix(key, "cw_"),
		"same prefix":    key[:12] + strings.Repeat("x", len(key)-12),
		"one char short": key[:len(key)-1],
		"expired":        expired,
		"revoked":        revoked,
	} {
		if _, err := keys.Authenticate(ctx, presented); !errors.Is(err, access.ErrUnauthenticated) {
			t.Errorf("%s: error = %v, want ErrUnauthenticated", name, err)
		}
	}
}

// TestIssueKeyIsAudited: a key issued from the command line works and leaves an audit
// entry naming it, written with it.
func TestIssueKeyIsAudited(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	ten, _, err := access.CreateTenant(ctx, s.Ent, "Firm")
	if err != nil {
		t.Fatal(err)
	}
	row, key, err := access.IssueKey(ctx, s.Ent, ten.ID, "demo key", access.ScopeAdmin, "cli/demo.key")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := access.NewKeys(s.Ent).Authenticate(ctx, key); err != nil || p.KeyID != row.ID {
		t.Fatalf("the issued key authenticates as %v, %v", p, err)
	}
	e, err := s.Ent.AuditEntry.Query().Where(auditentry.Action("cli/demo.key")).Only(ctx)
	if err != nil || e.Resource != row.ID || e.TenantID != ten.ID || e.Outcome != "ok" {
		t.Fatalf("audit entry %v, %v; want one naming key %s", e, err, row.ID)
	}
}
