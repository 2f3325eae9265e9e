// Command migrategen writes a new versioned migration for each database when the ent schema
// has changed since the last one. It replays the existing migrations on a scratch database,
// compares the result with the schema, and writes the difference as a goose SQL file.
//
//	go run ./store/migrategen -name add_widgets
//
// PostgreSQL is needed as the scratch database for its dialect (CASEWIRE_DEV_DATABASE_URL,
// default postgres://postgres@127.0.0.1:5432/postgres).
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/sqltool"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/lib/pq"
	"modernc.org/sqlite"

	"github.com/casewire/casewire/ent/migrate"
)

func main() {
	name := flag.String("name", "change", "name of the migration, when one is needed")
	flag.Parse()
	// Atlas opens SQLite through the driver name "sqlite3"; casewire uses the pure-Go one.
	sql.Register("sqlite3", &sqlite.Driver{})
	ctx := context.Background()
	if err := diff(ctx, "store/migrations/sqlite", dialect.SQLite,
		"sqlite://migrategen?mode=memory&_pragma=foreign_keys(1)", *name); err != nil {
		log.Fatal(err)
	}
	pg, cleanup, err := scratchPostgres(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer cleanup()
	if err := diff(ctx, "store/migrations/postgres", dialect.Postgres, pg, *name); err != nil {
		log.Fatal(err)
	}
}

func diff(ctx context.Context, path, dia, url, name string) error {
	dir, err := sqltool.NewGooseDir(path)
	if err != nil {
		return err
	}
	err = migrate.NamedDiff(ctx, url, name,
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(dia),
		schema.WithFormatter(sqltool.GooseFormatter),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
	)
	if err != nil && !strings.Contains(err.Error(), "no changes") {
		return fmt.Errorf("migrategen: %s: %w", dia, err)
	}
	return checksum(dir)
}

func checksum(dir atlasmigrate.Dir) error {
	sum, err := dir.Checksum()
	if err != nil {
		return err
	}
	return atlasmigrate.WriteSumFile(dir, sum)
}

// scratchPostgres makes an empty database to replay migrations on, and removes it after.
func scratchPostgres(ctx context.Context) (string, func(), error) {
	admin := os.Getenv("CASEWIRE_DEV_DATABASE_URL")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return "", nil, err
	}
	const scratch = "casewire_migrategen"
	_, _ = db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+scratch)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+scratch); err != nil {
		return "", nil, fmt.Errorf("migrategen: scratch database: %w", err)
	}
	url := strings.Replace(admin, "/postgres?", "/"+scratch+"?", 1)
	return url, func() {
		_, _ = db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+scratch)
		db.Close()
	}, nil
}
