package deliver

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/store"
)

// maxCachedStmts bounds the statements a worker keeps prepared. The worker's queries have
// a fixed shape, so a few dozen cover them; others run unprepared.
const maxCachedStmts = 64

// stmtCache keeps the worker's statements prepared, so that the database parses each
// shape once per connection instead of once per delivery (SQLite's driver prepares every
// unprepared statement anew, which was the largest cost of a delivery). A statement not
// yet prepared runs unprepared while it is prepared in the background: preparing on the
// spot could wait for the connection the caller's own transaction holds.
type stmtCache struct {
	db      *sql.DB
	mu      sync.Mutex
	m       map[string]*sql.Stmt
	pending map[string]bool
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// stmt returns the prepared statement of query, or nil when it is not prepared (yet).
func (c *stmtCache) stmt(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.m[query]; st != nil || c.pending[query] || len(c.m)+len(c.pending) >= maxCachedStmts {
		return st
	}
	c.pending[query] = true
	go c.prepare(query)
	return nil
}

func (c *stmtCache) prepare(query string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := c.db.PrepareContext(ctx, query)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, query)
	if err == nil {
		c.m[query] = st
	}
}

// close releases every prepared statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		_ = st.Close()
		delete(c.m, q)
	}
}

// cachedDB runs queries outside a transaction through prepared statements.
type cachedDB struct{ c *stmtCache }

func (d cachedDB) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st := d.c.stmt(q)
	if st == nil {
		return d.c.db.ExecContext(ctx, q, args...)
	}
	return st.ExecContext(ctx, args...)
}

func (d cachedDB) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st := d.c.stmt(q)
	if st == nil {
		return d.c.db.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

// cachedTx runs queries in tx through the statements prepared on tx's connection.
type cachedTx struct {
	c  *stmtCache
	tx *sql.Tx
}

func (t cachedTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st := t.c.stmt(q)
	if st == nil {
		return t.tx.ExecContext(ctx, q, args...)
	}
	return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

func (t cachedTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st := t.c.stmt(q)
	if st == nil {
		return t.tx.QueryContext(ctx, q, args...)
	}
	return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
}

// entOn returns an ent client whose queries go through the cache.
func (c *stmtCache) entOn(dia string) *ent.Client {
	return ent.NewClient(ent.Driver(entsql.NewDriver(dia, entsql.Conn{ExecQuerier: cachedDB{c}})))
}

// inTx is store.InTx with the worker's statements prepared: fn's ent client and the
// *sql.Tx are the same transaction, committed when fn returns nil.
func (s *Service) inTx(ctx context.Context, fn func(tx *store.Tx) error) error {
	sqlTx, err := s.st.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("deliver: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
	}()
	conn := entsql.Conn{ExecQuerier: cachedTx{s.stmts, sqlTx}}
	drv := joinedTx{entsql.NewDriver(s.st.Dialect, conn)}
	if err := fn(&store.Tx{Ent: ent.NewClient(ent.Driver(drv)), SQL: sqlTx}); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("deliver: commit: %w", err)
	}
	return nil
}

// joinedTx is an ent driver inside a transaction: operations that open one of their own
// join it.
type joinedTx struct{ *entsql.Driver }

// Tx returns the transaction itself, without a commit or rollback of its own.
func (d joinedTx) Tx(context.Context) (dialect.Tx, error) { return dialect.NopTx(d), nil }
