package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/store"
)

func TestChangeLog_FindChanges(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ws, other := mustWorkspace(t, db), mustWorkspace(t, db)
		cs := mustContacts(t, db, ws.ID, "c", 3)
		a := activityN("a", 0, "c-1")
		a.Kind = crmsync.ActivityEmail
		if _, err := db.UpsertActivities(ctx, ws.ID, []*crmsync.Activity{a}); err != nil {
			t.Fatal(err)
		}
		mustContacts(t, db, ws.ID, "c", 1) // updates c-0: a new change

		t.Run("OK", func(t *testing.T) {
			changes, err := db.FindChanges(ctx, ws.ID, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			type ch struct {
				Seq  int64
				Type crmsync.ObjectType
				ID   int64
				Kind crmsync.ActivityKind
			}
			want := []ch{
				{1, crmsync.ObjectContact, cs[0].ID, ""}, {2, crmsync.ObjectContact, cs[1].ID, ""}, {3, crmsync.ObjectContact, cs[2].ID, ""},
				{4, crmsync.ObjectActivity, a.ID, crmsync.ActivityEmail}, {5, crmsync.ObjectContact, cs[0].ID, ""},
			}
			if len(changes) != len(want) {
				t.Fatalf("got %d changes, want %d: %+v", len(changes), len(want), changes)
			}
			for i, c := range changes {
				if got := (ch{c.Seq, c.ObjectType, c.ObjectID, c.Kind}); got != want[i] || c.ChangedAt.IsZero() {
					t.Errorf("change %d = %+v, want %+v", i, c, want[i])
				}
			}
			after, err := db.FindChanges(ctx, ws.ID, 3, 1)
			if err != nil || len(after) != 1 || after[0].Seq != 4 {
				t.Fatalf("FindChanges(after 3, limit 1) = %+v, %v", after, err)
			}
			if seq, err := db.LatestChangeSeq(ctx, ws.ID); err != nil || seq != 5 {
				t.Fatalf("LatestChangeSeq = %d, %v; want 5", seq, err)
			}
		})
		t.Run("ErrOtherWorkspace", func(t *testing.T) {
			changes, err := db.FindChanges(ctx, other.ID, 0, 0)
			if err != nil || len(changes) != 0 {
				t.Fatalf("other workspace sees %d changes, %v", len(changes), err)
			}
			if seq, err := db.LatestChangeSeq(ctx, other.ID); err != nil || seq != 0 {
				t.Fatalf("other workspace LatestChangeSeq = %d, %v", seq, err)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := db.LatestChangeSeq(ctx, 987654)
			wantCode(t, err, crmsync.ENOTFOUND)
		})
	})
}

// TestChangeLog_ConcurrentWriters has several goroutines upsert into one
// workspace while a reader follows the log with a cursor, the way the sync
// engine does. Every seq must be seen exactly once and in order: a seq
// that became visible after a higher one would be skipped forever.
func TestChangeLog_ConcurrentWriters(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ws := mustWorkspace(t, db)
		mustContacts(t, db, ws.ID, "base", 1) // activities need a contact
		const writers, batches, batchSize = 6, 15, 20
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		done := make(chan struct{})
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for b := range batches {
					var err error
					if b%3 == 2 {
						as := make([]*crmsync.Activity, batchSize)
						for i := range as {
							as[i] = activityN(fmt.Sprintf("w%d-b%d", w, b), i, "base-0")
						}
						_, err = db.UpsertActivities(ctx, ws.ID, as)
					} else {
						cs := make([]*crmsync.Contact, batchSize)
						for i := range cs {
							// Half the writers overwrite each other's contacts.
							cs[i] = contactN(fmt.Sprintf("w%d-b%d", w%3, b), i)
						}
						_, err = db.UpsertContacts(ctx, ws.ID, cs)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		go func() { wg.Wait(); close(done) }()

		var cursor int64 = 1 // the base contact
		seen := 0
		read := func() {
			for {
				changes, err := db.FindChanges(ctx, ws.ID, cursor, 1000)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range changes {
					if c.Seq != cursor+1 {
						t.Fatalf("after seq %d the reader saw seq %d: a gap it would never revisit", cursor, c.Seq)
					}
					cursor = c.Seq
					seen++
				}
				if len(changes) < 1000 {
					return
				}
			}
		}
	loop:
		for {
			select {
			case err := <-errs:
				t.Fatal(err)
			case <-done:
				break loop
			default:
				read()
				time.Sleep(time.Millisecond)
			}
		}
		select {
		case err := <-errs:
			t.Fatal(err)
		default:
		}
		read()
		if want := writers * batches * batchSize; seen != want {
			t.Fatalf("reader saw %d changes, want %d", seen, want)
		}
		if latest, _ := db.LatestChangeSeq(ctx, ws.ID); latest != cursor {
			t.Fatalf("LatestChangeSeq = %d, reader ended at %d", latest, cursor)
		}
	})
}
