package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/store"
)

// syncFixture is a workspace with a connection, contacts and activities.
type syncFixture struct {
	ws, other *crmsync.Workspace
	conn      *crmsync.Connection
	contacts  []*crmsync.Contact
	acts      []*crmsync.Activity
}

func newSyncFixture(t *testing.T, db *store.DB) *syncFixture {
	t.Helper()
	ctx := context.Background()
	f := &syncFixture{ws: mustWorkspace(t, db), other: mustWorkspace(t, db)}
	var err error
	if f.conn, err = db.EnsureConnection(ctx, f.ws.ID, crmsync.ProviderHubSpot); err != nil {
		t.Fatal(err)
	}
	f.contacts = mustContacts(t, db, f.ws.ID, "c", 3)
	f.acts = []*crmsync.Activity{activityN("a", 0, "c-0"), activityN("a", 1, "c-1")}
	if _, err := db.UpsertActivities(ctx, f.ws.ID, f.acts); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *syncFixture) objects() []crmsync.SyncObject {
	var objs []crmsync.SyncObject
	// Activities first, to prove FindPendingItems puts contacts first.
	for _, a := range f.acts {
		objs = append(objs, crmsync.SyncObject{Type: crmsync.ObjectActivity, ID: a.ID, Kind: a.Kind})
	}
	for _, c := range f.contacts {
		objs = append(objs, crmsync.SyncObject{Type: crmsync.ObjectContact, ID: c.ID})
	}
	return objs
}

// enqueueMany queues n pending contact items for the fixture's connection
// (objects that need not exist: the ledger does not check).
func (f *syncFixture) enqueueMany(t *testing.T, db *store.DB, n int) {
	t.Helper()
	objs := make([]crmsync.SyncObject, n)
	for i := range objs {
		objs[i] = crmsync.SyncObject{Type: crmsync.ObjectContact, ID: int64(1000000 + i)}
	}
	if err := db.EnqueueItems(context.Background(), f.ws.ID, f.conn.ID, objs); err != nil {
		t.Fatal(err)
	}
}

func TestSyncService_EnqueueItems(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newSyncFixture(t, db)
		objs := f.objects()
		if err := db.EnqueueItems(ctx, f.ws.ID, f.conn.ID, append(objs, objs[0])); err != nil {
			t.Fatal(err)
		}
		t.Run("OK", func(t *testing.T) {
			items, err := db.FindPendingItems(ctx, f.ws.ID, f.conn.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range items {
				got = append(got, fmt.Sprintf("%s:%d:%s", it.ObjectType, it.ObjectID, it.State))
			}
			want := []string{
				fmt.Sprintf("contact:%d:pending", f.contacts[0].ID), fmt.Sprintf("contact:%d:pending", f.contacts[1].ID),
				fmt.Sprintf("contact:%d:pending", f.contacts[2].ID), fmt.Sprintf("activity:%d:pending", f.acts[0].ID),
				fmt.Sprintf("activity:%d:pending", f.acts[1].ID),
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("pending items (-want +got):\n%s", diff)
			}
			if items[3].Kind != crmsync.ActivityCall {
				t.Fatalf("activity item kind = %q", items[3].Kind)
			}
			limited, _ := db.FindPendingItems(ctx, f.ws.ID, f.conn.ID, 4)
			if len(limited) != 4 || limited[3].ObjectType != crmsync.ObjectActivity {
				t.Fatalf("limit 4 returned %d items", len(limited))
			}
			// Enqueueing again creates nothing new.
			if err := db.EnqueueItems(ctx, f.ws.ID, f.conn.ID, objs); err != nil {
				t.Fatal(err)
			}
			if n := db.QueryIntForTest(t, "SELECT count(*) FROM sync_items WHERE connection_id = ?", f.conn.ID); n != 5 {
				t.Fatalf("%d items after enqueueing twice, want 5", n)
			}
		})
		t.Run("ErrOtherWorkspace", func(t *testing.T) {
			wantCode(t, db.EnqueueItems(ctx, f.other.ID, f.conn.ID, objs), crmsync.ENOTFOUND)
			items, err := db.FindPendingItems(ctx, f.other.ID, f.conn.ID, 0)
			if err != nil || len(items) != 0 {
				t.Fatalf("other workspace sees %d pending items, %v", len(items), err)
			}
			items, err = db.FindSyncItems(ctx, f.other.ID, f.conn.ID, crmsync.ObjectContact, []int64{f.contacts[0].ID})
			if err != nil || len(items) != 0 {
				t.Fatalf("other workspace finds %d items, %v", len(items), err)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			wantCode(t, db.EnqueueItems(ctx, f.ws.ID, f.conn.ID, []crmsync.SyncObject{{Type: "deal", ID: 1}}), crmsync.EINVALID)
		})
	})
}

// TestSyncService_FindPendingItemsLimit reads a sync step of up to 10,000
// items at once, and no more.
func TestSyncService_FindPendingItemsLimit(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newSyncFixture(t, db)
		f.enqueueMany(t, db, 10001)
		for _, tt := range []struct{ limit, want int }{{0, 100}, {2500, 2500}, {10000, 10000}, {50000, 10000}} {
			items, err := db.FindPendingItems(ctx, f.ws.ID, f.conn.ID, tt.limit)
			if err != nil || len(items) != tt.want {
				t.Errorf("FindPendingItems(limit %d) = %d items, %v; want %d", tt.limit, len(items), err, tt.want)
			}
		}
	})
}

func TestSyncService_RecordResults(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newSyncFixture(t, db)
		if err := db.EnqueueItems(ctx, f.ws.ID, f.conn.ID, f.objects()); err != nil {
			t.Fatal(err)
		}
		items, _ := db.FindPendingItems(ctx, f.ws.ID, f.conn.ID, 0)
		c0, c1, c2, a0 := items[0], items[1], items[2], items[3]

		t.Run("OK", func(t *testing.T) {
			results := []crmsync.ItemResult{
				{ItemID: c0.ID, State: crmsync.SyncSynced, CRMID: "hs-100"},
				{ItemID: c1.ID, State: crmsync.SyncFailed, Problem: crmsync.ProblemRequiredFieldMissing, CRMMessage: "Property company is required"},
				{ItemID: a0.ID, State: crmsync.SyncSkipped, Reason: "contact not synced"},
			}
			events := []*crmsync.SyncEvent{
				{ObjectType: crmsync.ObjectContact, Type: "contact", ObjectID: c0.ObjectID, Outcome: crmsync.OutcomeSuccess, CRMID: "hs-100", DurationMS: 12},
				{ObjectType: crmsync.ObjectContact, Type: "contact", ObjectID: c1.ObjectID, Outcome: crmsync.OutcomeFailed, Problem: crmsync.ProblemRequiredFieldMissing, Message: "Property company is required"},
				{ObjectType: crmsync.ObjectActivity, Type: "call", ObjectID: a0.ObjectID, Outcome: crmsync.OutcomeSkipped, Message: "contact not synced"},
			}
			if err := db.RecordResults(ctx, f.ws.ID, f.conn.ID, results, events); err != nil {
				t.Fatal(err)
			}
			got, err := db.FindSyncItems(ctx, f.ws.ID, f.conn.ID, crmsync.ObjectContact, []int64{c0.ObjectID, c1.ObjectID, c2.ObjectID})
			if err != nil || len(got) != 3 {
				t.Fatalf("FindSyncItems = %v, %v", got, err)
			}
			if got[0].State != crmsync.SyncSynced || got[0].CRMID != "hs-100" || got[0].Attempts != 1 || got[0].SyncedAt == nil {
				t.Fatalf("synced item = %+v", got[0])
			}
			if got[1].State != crmsync.SyncFailed || got[1].Problem != crmsync.ProblemRequiredFieldMissing || got[1].CRMMessage == "" {
				t.Fatalf("failed item = %+v", got[1])
			}
			if got[2].State != crmsync.SyncPending || got[2].Attempts != 0 {
				t.Fatalf("untouched item = %+v", got[2])
			}
			for _, e := range events {
				if e.ID == 0 || e.ConnectionID != f.conn.ID || e.At.IsZero() {
					t.Fatalf("event not filled in: %+v", e)
				}
			}
			if !(events[0].ID < events[1].ID && events[1].ID < events[2].ID) {
				t.Fatalf("event ids not ascending: %d %d %d", events[0].ID, events[1].ID, events[2].ID)
			}

			// A later failure keeps the CRM id of the earlier success.
			if err := db.RecordResults(ctx, f.ws.ID, f.conn.ID, []crmsync.ItemResult{{ItemID: c0.ID, State: crmsync.SyncFailed, Problem: crmsync.ProblemRateLimited}}, nil); err != nil {
				t.Fatal(err)
			}
			again, _ := db.FindSyncItems(ctx, f.ws.ID, f.conn.ID, crmsync.ObjectContact, []int64{c0.ObjectID})
			if again[0].CRMID != "hs-100" || again[0].Attempts != 2 {
				t.Fatalf("after a later failure: %+v", again[0])
			}

			// Re-enqueueing a synced or failed object makes it pending again,
			// keeping its CRM id so the next push updates the same record.
			if err := db.EnqueueItems(ctx, f.ws.ID, f.conn.ID, []crmsync.SyncObject{{Type: crmsync.ObjectContact, ID: c0.ObjectID}}); err != nil {
				t.Fatal(err)
			}
			again, _ = db.FindSyncItems(ctx, f.ws.ID, f.conn.ID, crmsync.ObjectContact, []int64{c0.ObjectID})
			if again[0].State != crmsync.SyncPending || again[0].CRMID != "hs-100" || again[0].Problem != "" || again[0].ID != c0.ID {
				t.Fatalf("re-enqueued item = %+v", again[0])
			}
		})

		t.Run("RetryFailed", func(t *testing.T) {
			// c1 failed; a0 was skipped because its contact was not synced.
			n, err := db.RetryFailed(ctx, f.ws.ID, f.conn.ID)
			if err != nil || n != 2 {
				t.Fatalf("RetryFailed = %d, %v; want 2", n, err)
			}
			got, _ := db.FindSyncItems(ctx, f.ws.ID, f.conn.ID, crmsync.ObjectContact, []int64{c1.ObjectID})
			if got[0].State != crmsync.SyncPending || got[0].Problem != "" {
				t.Fatalf("retried item = %+v", got[0])
			}
		})

		t.Run("ErrOtherWorkspace", func(t *testing.T) {
			before := db.DumpForTest(t)
			err := db.RecordResults(ctx, f.other.ID, f.conn.ID, []crmsync.ItemResult{{ItemID: c2.ID, State: crmsync.SyncSynced}}, nil)
			wantCode(t, err, crmsync.ENOTFOUND)
			if n, err := db.RetryFailed(ctx, f.other.ID, f.conn.ID); err != nil || n != 0 {
				t.Fatalf("other workspace RetryFailed = %d, %v", n, err)
			}
			// An item of another connection inside an otherwise valid batch
			// rejects the whole batch.
			otherConn, err := db.EnsureConnection(ctx, f.ws.ID, crmsync.ProviderZoho)
			if err != nil {
				t.Fatal(err)
			}
			err = db.RecordResults(ctx, f.ws.ID, otherConn.ID, []crmsync.ItemResult{{ItemID: c2.ID, State: crmsync.SyncSynced}}, nil)
			wantCode(t, err, crmsync.ENOTFOUND)
			db.ExecForTest(t, "DELETE FROM connections WHERE id = ?", otherConn.ID)
			if diff := cmp.Diff(before, db.DumpForTest(t)); diff != "" {
				t.Fatalf("rejected results changed the database:\n%s", diff)
			}
		})
	})
}

func TestSyncService_FindSyncEvents(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newSyncFixture(t, db)
		base := time.Date(2026, 7, 2, 0, 0, 0, 0, time.UTC)
		var events []*crmsync.SyncEvent
		for i := range 60 {
			events = append(events, &crmsync.SyncEvent{ConnectionID: f.conn.ID, At: base.Add(time.Duration(i) * time.Minute),
				ObjectType: crmsync.ObjectContact, Type: "test contact", Outcome: crmsync.OutcomeSuccess, CRMID: fmt.Sprint(i)})
		}
		if err := db.AppendSyncEvents(ctx, f.ws.ID, events); err != nil {
			t.Fatal(err)
		}
		t.Run("OK", func(t *testing.T) {
			got, err := db.FindSyncEvents(ctx, f.ws.ID, f.conn.ID, crmsync.SyncEventFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 50 || got[0].CRMID != "59" || got[49].CRMID != "10" {
				t.Fatalf("default page: %d events from %s to %s", len(got), got[0].CRMID, got[len(got)-1].CRMID)
			}
			if !got[0].At.Equal(events[59].At) || got[0].Type != "test contact" {
				t.Fatalf("newest event = %+v", got[0])
			}
			older, err := db.FindSyncEvents(ctx, f.ws.ID, f.conn.ID, crmsync.SyncEventFilter{BeforeID: got[49].ID, Limit: 100})
			if err != nil || len(older) != 10 || older[0].CRMID != "9" {
				t.Fatalf("older page = %d events, %v", len(older), err)
			}
			since, err := db.FindSyncEvents(ctx, f.ws.ID, f.conn.ID, crmsync.SyncEventFilter{Since: base.Add(55 * time.Minute)})
			if err != nil || len(since) != 5 {
				t.Fatalf("since = %d events, %v", len(since), err)
			}
		})
		t.Run("ErrOtherWorkspace", func(t *testing.T) {
			got, err := db.FindSyncEvents(ctx, f.other.ID, f.conn.ID, crmsync.SyncEventFilter{})
			if err != nil || len(got) != 0 {
				t.Fatalf("other workspace sees %d events, %v", len(got), err)
			}
			err = db.AppendSyncEvents(ctx, f.other.ID, []*crmsync.SyncEvent{{ConnectionID: f.conn.ID, Outcome: crmsync.OutcomeSuccess}})
			wantCode(t, err, crmsync.ENOTFOUND)
		})
		t.Run("Prune", func(t *testing.T) {
			n, err := db.PruneSyncEvents(ctx, base.Add(30*time.Minute))
			if err != nil || n != 30 {
				t.Fatalf("PruneSyncEvents = %d, %v; want 30", n, err)
			}
			left, _ := db.FindSyncEvents(ctx, f.ws.ID, f.conn.ID, crmsync.SyncEventFilter{Limit: 1000})
			if len(left) != 30 || left[29].CRMID != "30" {
				t.Fatalf("%d events left, oldest %s", len(left), left[len(left)-1].CRMID)
			}
		})
	})
}

func TestSyncService_Health(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newSyncFixture(t, db)
		now := time.Date(2026, 7, 2, 12, 30, 0, 0, time.UTC)
		ev := func(ago time.Duration, o crmsync.Outcome) *crmsync.SyncEvent {
			return &crmsync.SyncEvent{ConnectionID: f.conn.ID, At: now.Add(-ago), ObjectType: crmsync.ObjectContact, Type: "contact", Outcome: o}
		}
		events := []*crmsync.SyncEvent{
			ev(25*time.Hour, crmsync.OutcomeSuccess), // outside the window
			ev(23*time.Hour+30*time.Minute, crmsync.OutcomeSuccess),
			ev(90*time.Minute, crmsync.OutcomeSkipped),
			ev(10*time.Minute, crmsync.OutcomeSuccess),
			ev(5*time.Minute, crmsync.OutcomeFailed),
			ev(0, crmsync.OutcomeSuccess),
		}
		if err := db.AppendSyncEvents(ctx, f.ws.ID, events); err != nil {
			t.Fatal(err)
		}
		if err := db.EnqueueItems(ctx, f.ws.ID, f.conn.ID, f.objects()); err != nil {
			t.Fatal(err)
		}
		items, _ := db.FindPendingItems(ctx, f.ws.ID, f.conn.ID, 0)
		// Two required-field failures, one invalid value; two items stay pending.
		err := db.RecordResults(ctx, f.ws.ID, f.conn.ID, []crmsync.ItemResult{
			{ItemID: items[0].ID, State: crmsync.SyncFailed, Problem: crmsync.ProblemRequiredFieldMissing, CRMMessage: "company is required"},
			{ItemID: items[1].ID, State: crmsync.SyncFailed, Problem: crmsync.ProblemRequiredFieldMissing, CRMMessage: "company is required"},
			{ItemID: items[2].ID, State: crmsync.SyncFailed, Problem: crmsync.ProblemInvalidValue, CRMMessage: "bad email"},
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("OK", func(t *testing.T) {
			// The item updates happened at the real time; ask as of then.
			h, err := db.Health(ctx, f.ws.ID, f.conn.ID, now)
			if err != nil {
				t.Fatal(err)
			}
			if h.Synced != 3 || h.Waiting != 1+2 {
				t.Fatalf("synced %d waiting %d, want 3 and 3", h.Synced, h.Waiting)
			}
			if len(h.Hourly) != 24 || !h.Hourly[0].Hour.Equal(now.Add(-24*time.Hour)) {
				t.Fatalf("hourly buckets: %d, first %v", len(h.Hourly), h.Hourly[0].Hour)
			}
			if h.Hourly[0].Success != 1 || h.Hourly[22].Skipped != 1 || h.Hourly[23].Success != 2 || h.Hourly[23].Failed != 1 {
				t.Fatalf("hourly = %+v", h.Hourly)
			}
			// Failed items were updated at wall-clock time, outside this
			// fixed window unless "now" is the wall clock.
			live, err := db.Health(ctx, f.ws.ID, f.conn.ID, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			want := []crmsync.ProblemCount{
				{Problem: crmsync.ProblemRequiredFieldMissing, Count: 2, CRMMessage: "company is required"},
				{Problem: crmsync.ProblemInvalidValue, Count: 1, CRMMessage: "bad email"},
			}
			if live.Failed != 3 {
				t.Fatalf("failed = %d, want 3", live.Failed)
			}
			if diff := cmp.Diff(want, live.Problems); diff != "" {
				t.Fatalf("problems (-want +got):\n%s", diff)
			}
		})
		t.Run("ErrOtherWorkspace", func(t *testing.T) {
			h, err := db.Health(ctx, f.other.ID, f.conn.ID, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if h.Synced != 0 || h.Waiting != 0 || h.Failed != 0 || len(h.Problems) != 0 {
				t.Fatalf("other workspace sees health %+v", h)
			}
		})
	})
}

// TestSyncService_QueryPlans checks that the ledger's hot reads (the last
// 50 events, the 24-hour health, pruning, the change log) and the pages of
// contacts and activities by id (import, resync, the API) are answered from
// an index, never a scan of the table, and need no sort, so they stay fast
// with millions of rows.
func TestSyncService_QueryPlans(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		for name, plan := range db.QueryPlansForTest(t) {
			switch db.Dialect() {
			case "sqlite":
				if !strings.Contains(plan, "USING") || strings.Contains(plan, "SCAN sync_events") ||
					strings.Contains(plan, "SCAN sync_items") || strings.Contains(plan, "SCAN change_log") ||
					strings.Contains(plan, "SCAN contacts") || strings.Contains(plan, "SCAN a ") {
					t.Errorf("%s is not answered from an index:\n%s", name, plan)
				}
				if strings.Contains(plan, "TEMP B-TREE FOR ORDER BY") {
					t.Errorf("%s sorts:\n%s", name, plan)
				}
			case "postgres":
				if strings.Contains(plan, "Seq Scan") {
					t.Errorf("%s is not answered from an index:\n%s", name, plan)
				}
				if (name == "recent events" || name == "changes since" || strings.HasSuffix(name, "page")) && strings.Contains(plan, "Sort") {
					t.Errorf("%s sorts:\n%s", name, plan)
				}
			}
		}
	})
}

// TestSyncService_RecordResultsPlanStaleStatistics checks PostgreSQL's plan
// for storing results while the ledger has outgrown its statistics: an
// import grows a connection's items by thousands a second, faster than
// autovacuum analyzes, and a plan that scanned the connection's items once
// per result took seconds per batch of 100 (seen in the import benchmark).
func TestSyncService_RecordResultsPlanStaleStatistics(t *testing.T) {
	db := MustOpenDB(t, "postgres")
	ctx := context.Background()
	f := newSyncFixture(t, db)
	if err := db.EnqueueItems(ctx, f.ws.ID, f.conn.ID, f.objects()); err != nil {
		t.Fatal(err)
	}
	f.enqueueMany(t, db, 20000)
	items, err := db.FindPendingItems(ctx, f.ws.ID, f.conn.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	// Either each result by primary key, or one pass over the items
	// hashed against the results; never the connection's items per result.
	plan := db.SyncItemsUpdatePlanForTest(t, f.ws.ID, f.conn.ID, ids)
	if strings.Contains(plan, "sync_items_object") || strings.Contains(plan, "Join Filter") {
		t.Errorf("storing 100 results scans the connection's items:\n%s", plan)
	}
}
