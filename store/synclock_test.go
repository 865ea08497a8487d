package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/store"
)

func TestSyncLocks(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 7, 2, 12, 0, 0, 0, time.UTC)}
	forEachDBWith(t, func() store.Options { return store.Options{Now: clock.Now, PasswordIterations: 1000} }, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ws := mustWorkspace(t, db)
		conn, err := db.EnsureConnection(ctx, ws.ID, crmsync.ProviderHubSpot)
		if err != nil {
			t.Fatal(err)
		}
		lease := func() time.Time { return clock.Now().Add(time.Minute) }

		t.Run("OK", func(t *testing.T) {
			if ok, err := db.AcquireSyncLock(ctx, ws.ID, conn.ID, "a", lease()); err != nil || !ok {
				t.Fatalf("first acquire = %v, %v", ok, err)
			}
			if ok, _ := db.AcquireSyncLock(ctx, ws.ID, conn.ID, "b", lease()); ok {
				t.Fatal("b acquired a lock a holds")
			}
			if ok, _ := db.AcquireSyncLock(ctx, ws.ID, conn.ID, "a", lease()); !ok {
				t.Fatal("a could not renew its own lock")
			}
			if ok, err := db.ReleaseSyncLock(ctx, ws.ID, conn.ID, "a"); err != nil || !ok {
				t.Fatalf("release = %v, %v", ok, err)
			}
			if held, _ := db.RequestSync(ctx, ws.ID, conn.ID); held {
				t.Fatal("RequestSync reported a holder after release")
			}
			if ok, _ := db.AcquireSyncLock(ctx, ws.ID, conn.ID, "b", lease()); !ok {
				t.Fatal("b could not acquire a released lock")
			}
			db.ReleaseSyncLock(ctx, ws.ID, conn.ID, "b")
		})
		t.Run("RequestWhileHeld", func(t *testing.T) {
			db.AcquireSyncLock(ctx, ws.ID, conn.ID, "a", lease())
			if held, err := db.RequestSync(ctx, ws.ID, conn.ID); err != nil || !held {
				t.Fatalf("RequestSync while held = %v, %v", held, err)
			}
			// The holder must run again: release keeps the lock once.
			if ok, _ := db.ReleaseSyncLock(ctx, ws.ID, conn.ID, "a"); ok {
				t.Fatal("released despite a pending request")
			}
			if ok, _ := db.AcquireSyncLock(ctx, ws.ID, conn.ID, "b", lease()); ok {
				t.Fatal("b acquired while a runs again")
			}
			if ok, _ := db.ReleaseSyncLock(ctx, ws.ID, conn.ID, "a"); !ok {
				t.Fatal("second release failed")
			}
		})
		t.Run("Expired", func(t *testing.T) {
			db.AcquireSyncLock(ctx, ws.ID, conn.ID, "dead", lease())
			clock.Advance(2 * time.Minute)
			if held, _ := db.RequestSync(ctx, ws.ID, conn.ID); held {
				t.Fatal("an expired lock counts as held")
			}
			if ok, _ := db.AcquireSyncLock(ctx, ws.ID, conn.ID, "b", lease()); !ok {
				t.Fatal("b could not take an expired lock")
			}
			// The old holder comes back: its release must not steal b's run.
			if ok, _ := db.ReleaseSyncLock(ctx, ws.ID, conn.ID, "dead"); !ok {
				t.Fatal("a stale holder was told to run again")
			}
			if ok, _ := db.AcquireSyncLock(ctx, ws.ID, conn.ID, "c", lease()); ok {
				t.Fatal("the stale release freed b's lock")
			}
			db.ReleaseSyncLock(ctx, ws.ID, conn.ID, "b")
		})
		t.Run("Race", func(t *testing.T) {
			var winners atomic.Int32
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if ok, err := db.AcquireSyncLock(ctx, ws.ID, conn.ID, string(rune('k'+i)), lease()); err == nil && ok {
						winners.Add(1)
					}
				}()
			}
			wg.Wait()
			if n := winners.Load(); n != 1 {
				t.Fatalf("%d owners acquired the lock at once, want 1", n)
			}
		})
		t.Run("ErrOtherWorkspace", func(t *testing.T) {
			other := mustWorkspace(t, db)
			if _, err := db.AcquireSyncLock(ctx, other.ID, conn.ID, "x", lease()); crmsync.ErrorCode(err) != crmsync.ENOTFOUND {
				t.Fatalf("acquire from another workspace = %v, want not found", err)
			}
			if held, _ := db.RequestSync(ctx, other.ID, conn.ID); held {
				t.Fatal("another workspace's request reached the lock")
			}
		})
	})
}
