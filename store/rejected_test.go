package store_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/store"
)

// TestRejectedBatch_LeavesDatabaseUnchanged compares a full dump of every
// table before and after each kind of rejected batch, including batches
// rejected inside the transaction after rows were already written.
func TestRejectedBatch_LeavesDatabaseUnchanged(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ws := mustWorkspace(t, db)
		mustContacts(t, db, ws.ID, "c", 3)
		if _, err := db.UpsertActivities(ctx, ws.ID, []*crmsync.Activity{activityN("a", 0, "c-0")}); err != nil {
			t.Fatal(err)
		}
		invalid := contactN("c", 1)
		invalid.Email = "broken@"
		for name, write := range map[string]func() error{
			"InvalidContact": func() error {
				_, err := db.UpsertContacts(ctx, ws.ID, []*crmsync.Contact{contactN("c", 0), contactN("new", 0), invalid})
				return err
			},
			"DuplicateSourceID": func() error {
				_, err := db.UpsertContacts(ctx, ws.ID, []*crmsync.Contact{contactN("new", 0), contactN("new", 0)})
				return err
			},
			"UnknownContact": func() error {
				_, err := db.UpsertActivities(ctx, ws.ID, []*crmsync.Activity{activityN("a", 0, "c-1"), activityN("a", 1, "nobody")})
				return err
			},
			"UnknownWorkspace": func() error {
				_, err := db.UpsertContacts(ctx, 987654, []*crmsync.Contact{contactN("new", 0)})
				return err
			},
			// Fails in the database after the contacts were inserted: the
			// change-log row for seq 1 already exists.
			"FailsMidTransaction": func() error {
				db.ExecForTest(t, "UPDATE workspaces SET change_seq = 0 WHERE id = ?", ws.ID)
				// Put the counter back afterwards, as it was.
				defer db.ExecForTest(t, "UPDATE workspaces SET change_seq = (SELECT max(seq) FROM change_log WHERE workspace_id = ?) WHERE id = ?", ws.ID, ws.ID)
				_, err := db.UpsertContacts(ctx, ws.ID, []*crmsync.Contact{contactN("new", 0), contactN("c", 2)})
				return err
			},
		} {
			t.Run(name, func(t *testing.T) {
				before := db.DumpForTest(t)
				if err := write(); err == nil {
					t.Fatal("the batch was accepted")
				}
				if diff := cmp.Diff(before, db.DumpForTest(t)); diff != "" {
					t.Fatalf("the rejected batch changed the database (-before +after):\n%s", diff)
				}
			})
		}
	})
}
