package store_test

import (
	"context"
	"testing"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/store"
)

func TestSyncLedger_CountAndSkipPendingItems(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newSyncFixture(t, db)
		if err := db.EnqueueItems(ctx, f.ws.ID, f.conn.ID, f.objects()); err != nil {
			t.Fatal(err)
		}
		count := func(typ crmsync.ObjectType) int {
			t.Helper()
			n, err := db.CountPendingItems(ctx, f.ws.ID, f.conn.ID, typ)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if c, a := count(crmsync.ObjectContact), count(crmsync.ObjectActivity); c != 3 || a != 2 {
			t.Fatalf("pending contacts, activities = %d, %d; want 3, 2", c, a)
		}
		t.Run("Skip", func(t *testing.T) {
			n, err := db.SkipPendingItems(ctx, f.ws.ID, f.conn.ID, crmsync.ObjectContact, "import cancelled")
			if err != nil || n != 3 {
				t.Fatalf("SkipPendingItems = %d, %v; want 3", n, err)
			}
			if c, a := count(crmsync.ObjectContact), count(crmsync.ObjectActivity); c != 0 || a != 2 {
				t.Fatalf("after skip: pending contacts, activities = %d, %d; want 0, 2", c, a)
			}
			items, err := db.FindSyncItems(ctx, f.ws.ID, f.conn.ID, crmsync.ObjectContact,
				[]int64{f.contacts[0].ID, f.contacts[1].ID, f.contacts[2].ID})
			if err != nil || len(items) != 3 {
				t.Fatalf("FindSyncItems = %v, %v", items, err)
			}
			for _, it := range items {
				if it.State != crmsync.SyncSkipped || it.Reason != "import cancelled" {
					t.Fatalf("skipped item = %+v", it)
				}
			}
			if n, err := db.SkipPendingItems(ctx, f.ws.ID, f.conn.ID, crmsync.ObjectContact, "again"); err != nil || n != 0 {
				t.Fatalf("second SkipPendingItems = %d, %v; want 0", n, err)
			}
			// Cancelled-import skips are not retried.
			if n, err := db.RetryFailed(ctx, f.ws.ID, f.conn.ID); err != nil || n != 0 {
				t.Fatalf("RetryFailed = %d, %v; want 0", n, err)
			}
		})
		t.Run("ErrOtherWorkspace", func(t *testing.T) {
			_, err := db.CountPendingItems(ctx, f.other.ID, f.conn.ID, crmsync.ObjectActivity)
			wantCode(t, err, crmsync.ENOTFOUND)
			_, err = db.SkipPendingItems(ctx, f.other.ID, f.conn.ID, crmsync.ObjectActivity, "hijack")
			wantCode(t, err, crmsync.ENOTFOUND)
			if a := count(crmsync.ObjectActivity); a != 2 {
				t.Fatalf("another workspace skipped items: %d pending activities, want 2", a)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			_, err := db.CountPendingItems(ctx, f.ws.ID, f.conn.ID, "deal")
			wantCode(t, err, crmsync.EINVALID)
			_, err = db.SkipPendingItems(ctx, f.ws.ID, f.conn.ID, "deal", "x")
			wantCode(t, err, crmsync.EINVALID)
		})
	})
}

func TestSyncService_RetryFailed(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newSyncFixture(t, db)
		if err := db.EnqueueItems(ctx, f.ws.ID, f.conn.ID, f.objects()); err != nil {
			t.Fatal(err)
		}
		items, _ := db.FindPendingItems(ctx, f.ws.ID, f.conn.ID, 0)
		c0, c1, a0, a1 := items[0], items[1], items[3], items[4]
		if err := db.RecordResults(ctx, f.ws.ID, f.conn.ID, []crmsync.ItemResult{
			{ItemID: c0.ID, State: crmsync.SyncFailed, Problem: crmsync.ProblemRequiredFieldMissing, CRMMessage: "Property company is required"},
			{ItemID: c1.ID, State: crmsync.SyncSynced, CRMID: "hs-1"},
			{ItemID: a0.ID, State: crmsync.SyncSkipped, Reason: crmsync.ReasonContactNotSynced},
			{ItemID: a1.ID, State: crmsync.SyncSkipped, Reason: "calls are turned off"},
		}, nil); err != nil {
			t.Fatal(err)
		}
		if n, err := db.RetryFailed(ctx, f.other.ID, f.conn.ID); err != nil || n != 0 {
			t.Fatalf("RetryFailed from another workspace = %d, %v; want 0", n, err)
		}
		n, err := db.RetryFailed(ctx, f.ws.ID, f.conn.ID)
		if err != nil || n != 2 {
			t.Fatalf("RetryFailed = %d, %v; want 2 (the failed contact and the contact-not-synced activity)", n, err)
		}
		byID := map[int64]*crmsync.SyncItem{}
		for _, typ := range []crmsync.ObjectType{crmsync.ObjectContact, crmsync.ObjectActivity} {
			got, err := db.FindSyncItems(ctx, f.ws.ID, f.conn.ID, typ, []int64{c0.ObjectID, c1.ObjectID, a0.ObjectID, a1.ObjectID})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range got {
				byID[it.ID] = it
			}
		}
		if it := byID[c0.ID]; it.State != crmsync.SyncPending || it.Problem != "" || it.CRMMessage != "" || it.Attempts != 1 {
			t.Fatalf("retried contact = %+v", it)
		}
		if it := byID[a0.ID]; it.State != crmsync.SyncPending || it.Reason != "" {
			t.Fatalf("retried activity = %+v", it)
		}
		if it := byID[c1.ID]; it.State != crmsync.SyncSynced || it.CRMID != "hs-1" {
			t.Fatalf("synced contact changed: %+v", it)
		}
		if it := byID[a1.ID]; it.State != crmsync.SyncSkipped || it.Reason != "calls are turned off" {
			t.Fatalf("activity skipped for another reason changed: %+v", it)
		}
		if n, err := db.RetryFailed(ctx, f.ws.ID, f.conn.ID); err != nil || n != 0 {
			t.Fatalf("second RetryFailed = %d, %v; want 0", n, err)
		}
	})
}

// TestSyncLedger_RefreshLedgerStatistics gives PostgreSQL's planner the
// ledger's size (ANALYZE) and leaves SQLite without statistics tables.
func TestSyncLedger_RefreshLedgerStatistics(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newSyncFixture(t, db)
		f.enqueueMany(t, db, 2000)
		if err := db.RefreshLedgerStatistics(ctx); err != nil {
			t.Fatal(err)
		}
		switch db.Dialect() {
		case "postgres":
			if n := db.QueryIntForTest(t, "SELECT reltuples::bigint FROM pg_class WHERE relname = 'sync_items'"); n != 2000 {
				t.Errorf("planner believes sync_items has %d rows, want 2000", n)
			}
		case "sqlite":
			if n := db.QueryIntForTest(t, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'sqlite_stat%'"); n != 0 {
				t.Errorf("%d statistics tables on SQLite, want none", n)
			}
		}
	})
}
