package web_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/saleshive/crmsync/secret"
	"github.com/saleshive/crmsync/store"
	"github.com/saleshive/crmsync/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// eachBackend runs f once on a fresh SQLite database and once on a fresh
// PostgreSQL database (skipped loudly, or failed under
// CRMSYNC_REQUIRE_POSTGRES=1, when PostgreSQL is not installed).
func eachBackend(t *testing.T, f func(t *testing.T, db backend)) {
	t.Run("sqlite", func(t *testing.T) { f(t, mustOpenDB(t, filepath.Join(t.TempDir(), "crmsync.db"))) })
	t.Run("postgres", func(t *testing.T) { f(t, mustOpenDB(t, pgtest.DSN(t))) })
}

// mustOpenDB opens and migrates the database at url (a SQLite path or a
// postgres:// URL) and closes it when tb ends.
func mustOpenDB(tb testing.TB, url string) *store.DB {
	tb.Helper()
	key, err := secret.GenerateKey()
	if err != nil {
		tb.Fatal(err)
	}
	keyring, err := secret.NewKeyring(key)
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, url, store.Options{Keyring: keyring, PasswordIterations: 1000})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return db
}
