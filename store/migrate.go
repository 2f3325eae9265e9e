package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"entgo.io/ent/dialect"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// migrations holds the versioned schema changes for each database, generated from the ent
// schema by `make generate` (see migrategen) and applied in order at start-up.
//
//go:embed migrations
var migrations embed.FS

// migrate applies every migration the database has not seen yet.
func migrate(ctx context.Context, db *sql.DB, dia string) error {
	gooseDialect, sub := goose.DialectSQLite3, "migrations/sqlite"
	if dia == dialect.Postgres {
		gooseDialect, sub = goose.DialectPostgres, "migrations/postgres"
	}
	dir, err := fs.Sub(migrations, sub)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	p, err := goose.NewProvider(gooseDialect, db, dir)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return migrateQueue(ctx, db, dia)
}

// migrateQueue brings the job queue's own tables up to date, with its own migrations.
func migrateQueue(ctx context.Context, db *sql.DB, dia string) error {
	var err error
	if dia == dialect.Postgres {
		m, merr := rivermigrate.New(riverdatabasesql.New(db), nil)
		if merr != nil {
			return fmt.Errorf("store: queue migrations: %w", merr)
		}
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	} else {
		m, merr := rivermigrate.New(riversqlite.New(db), nil)
		if merr != nil {
			return fmt.Errorf("store: queue migrations: %w", merr)
		}
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	}
	if err != nil {
		return fmt.Errorf("store: queue migrate: %w", err)
	}
	return nil
}
