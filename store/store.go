// Package store opens casewire's database, SQLite by default or PostgreSQL, brings its schema
// up to date with versioned migrations, and runs work in transactions that the ent client and
// the job queue share. Scheduling, change detection and delivery read and write through it.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver

	"entgo.io/ent/dialect"

	"github.com/casewire/casewire/ent"
	_ "github.com/casewire/casewire/ent/runtime" // schema defaults and hooks
)

// Config says which database to open.
type Config struct {
	// DatabaseURL is a PostgreSQL URL; empty means SQLite in DataDir.
	DatabaseURL string
	// DataDir holds the SQLite file when DatabaseURL is empty.
	DataDir string
}

// Store is an open, migrated database.
type Store struct {
	// DB is the database/sql handle shared by ent and the job queue.
	DB *sql.DB
	// Ent is the ent client on DB.
	Ent *ent.Client
	// Dialect is dialect.SQLite or dialect.Postgres.
	Dialect string
}

// postgresConns is the size of a process's PostgreSQL connection pool.
const postgresConns = 20

// SQLiteFile is the name of the embedded database inside the data directory.
const SQLiteFile = "casewire.db"

// Open opens the database the config names and applies pending migrations.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	db, dia, err := openDB(cfg)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if err := migrate(ctx, db, dia); err != nil {
		db.Close()
		return nil, err
	}
	drv := entsql.OpenDB(dia, db)
	return &Store{DB: db, Ent: ent.NewClient(ent.Driver(drv)), Dialect: dia}, nil
}

func openDB(cfg Config) (*sql.DB, string, error) {
	if cfg.DatabaseURL != "" {
		if !strings.HasPrefix(cfg.DatabaseURL, "postgres://") &&
			!strings.HasPrefix(cfg.DatabaseURL, "postgresql://") {
			return nil, "", errors.New("store: database URL must start with postgres:// or postgresql://")
		}
		db, err := sql.Open("pgx", cfg.DatabaseURL)
		if err != nil {
			return nil, "", fmt.Errorf("store: open postgres: %w", err)
		}
		// Keep every connection the pool may open: database/sql keeps two idle by default,
		// and a busy process would then open and close PostgreSQL connections (each one a
		// new server process) all the time.
		db.SetMaxOpenConns(postgresConns)
		db.SetMaxIdleConns(postgresConns)
		return db, dialect.Postgres, nil
	}
	dir := cfg.DataDir
	if dir == "" {
		dir = "data"
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", fmt.Errorf("store: data directory: %w", err)
	}
	path := filepath.Join(dir, SQLiteFile)
	if err := ownerOnly(path); err != nil {
		return nil, "", err
	}
	db, err := sql.Open("sqlite", SQLiteDSN(path))
	if err != nil {
		return nil, "", fmt.Errorf("store: open sqlite: %w", err)
	}
	// One connection: SQLite has one writer, and a single connection keeps the job queue
	// and ent from ever waiting on each other's locks.
	db.SetMaxOpenConns(1)
	return db, dialect.SQLite, nil
}

// ownerOnly makes the database file, and the journal files SQLite keeps beside it, readable
// by the owner alone, whatever the directory's own mode. SQLite gives the files it makes
// the database file's mode.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("store: database file: %w", err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("store: database file mode: %w", err)
		}
	}
	return nil
}

// SQLiteDSN is the connection string casewire uses for a SQLite file.
func SQLiteDSN(path string) string {
	// A path is part of a URI here: '#' or '?' in it would cut it short.
	path = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)" +
		"&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// Close closes the database.
func (s *Store) Close() error { return s.Ent.Close() }

// Ping reports whether the database answers; readiness checks use it.
func (s *Store) Ping(ctx context.Context) error { return s.DB.PingContext(ctx) }

// Tx is one database transaction seen both through ent and as a *sql.Tx, so that rows and
// job-queue inserts commit or roll back together.
type Tx struct {
	Ent *ent.Client
	SQL *sql.Tx
}

// InTx runs fn in a transaction and commits it when fn returns nil.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	sqlTx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
	}()
	drv := inTx{entsql.NewDriver(s.Dialect, entsql.Conn{ExecQuerier: sqlTx})}
	if err := fn(&Tx{Ent: ent.NewClient(ent.Driver(drv)), SQL: sqlTx}); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// inTx is an ent driver already inside a transaction: ent operations that open their own
// transaction (UpdateOne, for one) join the outer one instead of beginning a new one on a
// *sql.Tx, which cannot.
type inTx struct{ *entsql.Driver }

// Tx returns the outer transaction without a commit or rollback of its own.
func (d inTx) Tx(ctx context.Context) (dialect.Tx, error) { return dialect.NopTx(d), nil }
