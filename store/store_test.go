package store_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/store/storetest"
)

func TestOpenTwiceKeepsData(t *testing.T) {
	ctx := context.Background()
	cfg := storetest.Config(t)
	s, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ten, err := s.Ent.Tenant.Create().SetName("Firm").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// A second start applies no migration twice and loses nothing.
	s, err = store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	got, err := s.Ent.Tenant.Get(ctx, ten.ID)
	if err != nil || got.Name != "Firm" {
		t.Fatalf("tenant after reopen = %v, %v", got, err)
	}
}

func TestInTxRollsBackOnError(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	wantErr := context.Canceled
	err := s.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Ent.Tenant.Create().SetName("Gone").Save(ctx); err != nil {
			return err
		}
		return wantErr
	})
	if err != wantErr {
		t.Fatalf("InTx error = %v, want %v", err, wantErr)
	}
	if n := s.Ent.Tenant.Query().CountX(ctx); n != 0 {
		t.Fatalf("tenants after rollback = %d, want 0", n)
	}
}

func TestAuditEntriesAreAppendOnly(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	e := s.Ent.AuditEntry.Create().SetTenantID("ten_x").SetAction("a").SetOutcome("ok").SaveX(ctx)
	if err := s.Ent.AuditEntry.UpdateOne(e).Exec(ctx); err == nil {
		t.Fatal("update of an audit entry succeeded")
	}
	if err := s.Ent.AuditEntry.DeleteOne(e).Exec(ctx); err == nil {
		t.Fatal("delete of an audit entry succeeded")
	}
}

func TestSQLiteFilesAreOwnerOnly(t *testing.T) {
	if storetest.Postgres() {
		t.Skip("SQLite only")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Ent.Tenant.Create().SetName("Firm").SaveX(ctx)
	for _, name := range []string{"casewire.db", "casewire.db-wal", "casewire.db-shm"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, mode)
		}
	}
}

// TestPoolKeepsItsConnections: connections the pool opened under load stay open when the
// load ends, instead of being closed and opened again (for PostgreSQL, a server process
// each); database/sql would keep only two.
func TestPoolKeepsItsConnections(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	n := s.DB.Stats().MaxOpenConnections
	conns := make([]*sql.Conn, n)
	for i := range conns {
		c, err := s.DB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	for _, c := range conns {
		c.Close()
	}
	st := s.DB.Stats()
	if st.MaxIdleClosed != 0 || st.Idle != n {
		t.Fatalf("after %d connections were released: %d idle, %d closed as surplus",
			n, st.Idle, st.MaxIdleClosed)
	}
}
