package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/store"
)

// TestOpen_SQLiteSettings checks the connection settings the design relies
// on: WAL, a busy timeout, foreign keys, and a read pool that cannot write.
func TestOpen_SQLiteSettings(t *testing.T) {
	db := MustOpenDB(t, "sqlite")
	for _, c := range []struct {
		pragma string
		read   bool
		want   string
	}{
		{"journal_mode", false, "wal"},
		{"busy_timeout", false, "10000"},
		{"foreign_keys", false, "1"},
		{"busy_timeout", true, "10000"},
		{"query_only", true, "1"},
		{"query_only", false, "0"},
	} {
		if got := db.PragmaForTest(t, c.pragma, c.read); got != c.want {
			t.Errorf("PRAGMA %s (read pool %v) = %s, want %s", c.pragma, c.read, got, c.want)
		}
	}
	if err := db.ReadPoolExecForTest("CREATE TABLE nope (x INTEGER)"); err == nil {
		t.Error("the read pool could write")
	}
}

// TestSQLite_TwoProcessesWrite opens one file twice, as two crmsync
// processes would, and writes from both at once: immediate transactions
// and the busy timeout must make them queue rather than fail with
// "database is locked", and the change log must stay gapless.
func TestSQLite_TwoProcessesWrite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared.db")
	var dbs []*store.DB
	for range 2 {
		db, err := store.Open(ctx, path, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		dbs = append(dbs, db)
	}
	ws := mustWorkspace(t, dbs[0])
	var wg sync.WaitGroup
	errs := make(chan error, 2*20)
	for p, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range 20 {
				cs := make([]*crmsync.Contact, 50)
				for i := range cs {
					cs[i] = contactN(fmt.Sprintf("p%d-b%d", p, b), i)
				}
				if _, err := db.UpsertContacts(ctx, ws.ID, cs); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	changes, err := dbs[1].FindChanges(ctx, ws.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1000 {
		t.Fatalf("%d changes, want 1000", len(changes))
	}
	for i, c := range changes {
		if c.Seq != int64(i+1) {
			t.Fatalf("change %d has seq %d", i, c.Seq)
		}
	}
}
