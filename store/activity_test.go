package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/store"
)

func TestActivityService_UpsertActivities(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t.Run("OK", func(t *testing.T) {
			ws := mustWorkspace(t, db)
			cs := mustContacts(t, db, ws.ID, "c", 2)
			ends := time.Date(2026, 7, 2, 16, 0, 0, 0, time.UTC)
			meeting := &crmsync.Activity{SourceID: "m-1", ContactSourceID: "c-1", Kind: crmsync.ActivityMeeting, Subject: "Demo",
				OccurredAt: time.Date(2026, 7, 2, 15, 0, 0, 0, time.UTC), EndsAt: &ends, Attendees: []string{"a@example.com", "b@example.com"}}
			as := []*crmsync.Activity{activityN("a", 0, "c-0"), activityN("a", 1, "c-0"), meeting}
			res, err := db.UpsertActivities(ctx, ws.ID, as)
			if err != nil {
				t.Fatal(err)
			}
			if res != (crmsync.UpsertResult{Created: 3}) {
				t.Fatalf("result = %+v", res)
			}
			if as[0].ContactID != cs[0].ID || meeting.ContactID != cs[1].ID {
				t.Fatalf("contacts not resolved: %d %d, want %d %d", as[0].ContactID, meeting.ContactID, cs[0].ID, cs[1].ID)
			}
			for _, a := range as {
				got, err := db.FindActivityByID(ctx, ws.ID, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(a, got); diff != "" {
					t.Fatalf("stored activity differs (-upserted +found):\n%s", diff)
				}
			}
			// Move a call to another contact: an update, same id.
			moved := activityN("a", 1, "c-1")
			res, err = db.UpsertActivities(ctx, ws.ID, []*crmsync.Activity{moved})
			if err != nil || res != (crmsync.UpsertResult{Updated: 1}) || moved.ID != as[1].ID || moved.ContactID != cs[1].ID {
				t.Fatalf("update = %+v, %v, activity %+v", res, err, moved)
			}
		})

		t.Run("ErrInvalid", func(t *testing.T) {
			ws := mustWorkspace(t, db)
			mustContacts(t, db, ws.ID, "c", 1)
			bad := activityN("a", 1, "c-0")
			bad.Kind = "fax"
			_, err := db.UpsertActivities(ctx, ws.ID, []*crmsync.Activity{activityN("a", 0, "c-0"), bad})
			wantCode(t, err, crmsync.EINVALID)
			if diff := cmp.Diff([]string{"activities[1].kind"}, fieldNames(err)); diff != "" {
				t.Fatalf("fields (-want +got):\n%s", diff)
			}
		})

		t.Run("ErrUnknownContact", func(t *testing.T) {
			ws := mustWorkspace(t, db)
			mustContacts(t, db, ws.ID, "c", 1)
			before := db.DumpForTest(t)
			_, err := db.UpsertActivities(ctx, ws.ID, []*crmsync.Activity{
				activityN("a", 0, "c-0"), activityN("a", 1, "ghost"), activityN("a", 2, "c-0"), activityN("a", 3, "ghost-2"),
			})
			wantCode(t, err, crmsync.EUNPROCESSABLE)
			want := []string{"activities[1].contact_source_id", "activities[3].contact_source_id"}
			if diff := cmp.Diff(want, fieldNames(err)); diff != "" {
				t.Fatalf("fields (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, db.DumpForTest(t)); diff != "" {
				t.Fatalf("rejected batch changed the database:\n%s", diff)
			}
		})

		t.Run("ErrOtherWorkspace", func(t *testing.T) {
			a, b := mustWorkspace(t, db), mustWorkspace(t, db)
			mustContacts(t, db, a.ID, "c", 1)
			_, err := db.UpsertActivities(ctx, b.ID, []*crmsync.Activity{activityN("a", 0, "c-0")})
			wantCode(t, err, crmsync.EUNPROCESSABLE)
		})
	})
}

func TestActivityService_FindActivities(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ws, other := mustWorkspace(t, db), mustWorkspace(t, db)
		cs := mustContacts(t, db, ws.ID, "c", 2)
		as := []*crmsync.Activity{activityN("a", 0, "c-0"), activityN("a", 1, "c-1"), activityN("a", 2, "c-0")}
		if _, err := db.UpsertActivities(ctx, ws.ID, as); err != nil {
			t.Fatal(err)
		}
		t.Run("OK", func(t *testing.T) {
			all, err := db.FindActivities(ctx, ws.ID, crmsync.ActivityFilter{})
			if err != nil || len(all) != 3 {
				t.Fatalf("FindActivities = %d, %v", len(all), err)
			}
			ofC0, err := db.FindActivities(ctx, ws.ID, crmsync.ActivityFilter{ContactID: cs[0].ID})
			if err != nil || len(ofC0) != 2 || ofC0[0].ID != as[0].ID || ofC0[1].ID != as[2].ID {
				t.Fatalf("FindActivities(contact 0) = %v, %v", ofC0, err)
			}
			page, err := db.FindActivities(ctx, ws.ID, crmsync.ActivityFilter{AfterID: as[0].ID, Limit: 1})
			if err != nil || len(page) != 1 || page[0].ID != as[1].ID {
				t.Fatalf("page = %v, %v", page, err)
			}
			byIDs, err := db.FindActivitiesByIDs(ctx, ws.ID, []int64{as[2].ID, as[0].ID})
			if err != nil || len(byIDs) != 2 || byIDs[0].ContactSourceID != "c-0" {
				t.Fatalf("FindActivitiesByIDs = %v, %v", byIDs, err)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := db.FindActivityByID(ctx, ws.ID, 987654)
			wantCode(t, err, crmsync.ENOTFOUND)
		})
		t.Run("ErrOtherWorkspace", func(t *testing.T) {
			_, err := db.FindActivityByID(ctx, other.ID, as[0].ID)
			wantCode(t, err, crmsync.ENOTFOUND)
			list, err := db.FindActivities(ctx, other.ID, crmsync.ActivityFilter{})
			if err != nil || len(list) != 0 {
				t.Fatalf("other workspace lists %d activities, %v", len(list), err)
			}
			list, err = db.FindActivities(ctx, other.ID, crmsync.ActivityFilter{ContactID: cs[0].ID})
			if err != nil || len(list) != 0 {
				t.Fatalf("other workspace lists %d activities of a foreign contact, %v", len(list), err)
			}
			byIDs, err := db.FindActivitiesByIDs(ctx, other.ID, []int64{as[0].ID})
			if err != nil || len(byIDs) != 0 {
				t.Fatalf("other workspace finds %d activities by id, %v", len(byIDs), err)
			}
		})
	})
}
