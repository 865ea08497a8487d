package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/saleshive/crmsync/store"
	"github.com/saleshive/crmsync/store/pgtest"
)

func TestMigrate(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		t.Run("Idempotent", func(t *testing.T) {
			applied, err := db.Migrate(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(applied) != 0 {
				t.Fatalf("second Migrate applied %v, want nothing", applied)
			}
			ms, err := store.Migrations(db.Dialect())
			if err != nil {
				t.Fatal(err)
			}
			if n := db.QueryIntForTest(t, "SELECT count(*) FROM schema_migrations"); n != int64(len(ms)) {
				t.Fatalf("schema_migrations has %d rows, want %d", n, len(ms))
			}
		})
	})
}

func TestMigrations_BothDialectsHaveTheSameVersions(t *testing.T) {
	lite, err := store.Migrations("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	pg, err := store.Migrations("postgres")
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) == 0 || len(lite) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].Name != pg[i].Name {
			t.Errorf("migration %d: sqlite %s, postgres %s", i, lite[i].Name, pg[i].Name)
		}
	}
}

// TestMigrate_ConcurrentPostgres runs Migrate from several handles (as
// several processes would) on one empty PostgreSQL database at once.
func TestMigrate_ConcurrentPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	const n = 5
	var wg sync.WaitGroup
	applied := make([][]int, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		db, err := store.Open(ctx, dsn, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			applied[i], errs[i] = db.Migrate(ctx)
		}()
	}
	wg.Wait()
	total := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Migrate %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	ms, _ := store.Migrations("postgres")
	if total != len(ms) {
		t.Fatalf("migrations applied %d times in total, want each once (%d)", total, len(ms))
	}
}
