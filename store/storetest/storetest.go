// Package storetest gives each test a fresh, migrated database of the kind the test run
// asks for: SQLite by default, PostgreSQL when CASEWIRE_TEST_DB=postgres. The whole suite
// runs once for each, so both databases pass the same tests.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/casewire/casewire/store"
)

// Postgres reports whether this test run uses PostgreSQL.
func Postgres() bool { return os.Getenv("CASEWIRE_TEST_DB") == "postgres" }

// AdminURL is the PostgreSQL server tests make their databases on.
func AdminURL() string {
	if u := os.Getenv("CASEWIRE_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Config returns the configuration of a new empty database that is removed when the test
// ends. Use it to open the same database twice, as a restarted process would.
func Config(t testing.TB) store.Config {
	t.Helper()
	if !Postgres() {
		return store.Config{DataDir: t.TempDir()}
	}
	admin, err := sql.Open("pgx", AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("casewire_test_%d", rand.Uint64())
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		t.Fatalf("storetest: create database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	})
	return store.Config{DatabaseURL: strings.Replace(AdminURL(), "/postgres?", "/"+name+"?", 1)}
}

// Open returns a fresh migrated store closed when the test ends.
func Open(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), Config(t))
	if err != nil {
		t.Fatalf("storetest: open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
