package store_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/store"
)

func TestContactService_UpsertContacts(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t.Run("OK", func(t *testing.T) {
			ws := mustWorkspace(t, db)
			cs := []*crmsync.Contact{contactN("c", 0), contactN("c", 1), contactN("c", 2)}
			res, err := db.UpsertContacts(ctx, ws.ID, cs)
			if err != nil {
				t.Fatal(err)
			}
			if res != (crmsync.UpsertResult{Created: 3}) {
				t.Fatalf("result = %+v, want 3 created", res)
			}
			for _, c := range cs {
				if c.ID == 0 || c.WorkspaceID != ws.ID || c.CreatedAt.IsZero() || c.UpdatedAt.IsZero() {
					t.Fatalf("contact not filled in: %+v", c)
				}
				got, err := db.FindContactByID(ctx, ws.ID, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(c, got); diff != "" {
					t.Fatalf("stored contact differs (-upserted +found):\n%s", diff)
				}
			}

			// Update two, create one; ids and creation times stay.
			firstID, firstCreated := cs[0].ID, cs[0].CreatedAt
			upd := contactN("c", 0)
			upd.Email, upd.CustomFields = "new@example.com", nil
			batch := []*crmsync.Contact{upd, contactN("c", 1), contactN("c", 9)}
			res, err = db.UpsertContacts(ctx, ws.ID, batch)
			if err != nil {
				t.Fatal(err)
			}
			if res != (crmsync.UpsertResult{Created: 1, Updated: 2}) {
				t.Fatalf("result = %+v, want 1 created 2 updated", res)
			}
			if upd.ID != firstID || !upd.CreatedAt.Equal(firstCreated) {
				t.Fatalf("update changed id/created_at: %d %v, want %d %v", upd.ID, upd.CreatedAt, firstID, firstCreated)
			}
			got, err := db.FindContactBySourceID(ctx, ws.ID, "c-0")
			if err != nil {
				t.Fatal(err)
			}
			if got.Email != "new@example.com" || got.CustomFields != nil {
				t.Fatalf("update not stored: %+v", got)
			}
			if n, err := db.CountContacts(ctx, ws.ID); err != nil || n != 4 {
				t.Fatalf("CountContacts = %d, %v; want 4", n, err)
			}
		})

		t.Run("Empty", func(t *testing.T) {
			ws := mustWorkspace(t, db)
			res, err := db.UpsertContacts(ctx, ws.ID, nil)
			if err != nil || res != (crmsync.UpsertResult{}) {
				t.Fatalf("empty upsert = %+v, %v", res, err)
			}
		})

		t.Run("ErrInvalid", func(t *testing.T) {
			ws := mustWorkspace(t, db)
			bad1, bad3 := contactN("c", 1), contactN("c", 3)
			bad1.Email = "not-an-email"
			bad3.SourceID = ""
			dup := contactN("c", 0)
			_, err := db.UpsertContacts(ctx, ws.ID, []*crmsync.Contact{contactN("c", 0), bad1, contactN("c", 2), bad3, dup, nil})
			wantCode(t, err, crmsync.EINVALID)
			want := []string{"contacts[1].email", "contacts[3].source_id", "contacts[4].source_id", "contacts[5]"}
			if diff := cmp.Diff(want, fieldNames(err)); diff != "" {
				t.Fatalf("fields (-want +got):\n%s", diff)
			}
			if n, _ := db.CountContacts(ctx, ws.ID); n != 0 {
				t.Fatalf("%d contacts written by a rejected batch", n)
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := db.UpsertContacts(ctx, 999999, []*crmsync.Contact{contactN("c", 0)})
			wantCode(t, err, crmsync.ENOTFOUND)
		})

		t.Run("ErrOtherWorkspace", func(t *testing.T) {
			a, b := mustWorkspace(t, db), mustWorkspace(t, db)
			ca := mustContacts(t, db, a.ID, "same", 1)[0]
			cb := contactN("same", 0)
			cb.FirstName = "Grace"
			res, err := db.UpsertContacts(ctx, b.ID, []*crmsync.Contact{cb})
			if err != nil {
				t.Fatal(err)
			}
			if res.Created != 1 || cb.ID == ca.ID {
				t.Fatalf("same source id in another workspace did not create its own contact: %+v, ids %d %d", res, ca.ID, cb.ID)
			}
			got, err := db.FindContactByID(ctx, a.ID, ca.ID)
			if err != nil || got.FirstName != "Ada" {
				t.Fatalf("workspace A's contact changed: %+v, %v", got, err)
			}
		})
	})
}

func TestContactService_FindContacts(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ws, other := mustWorkspace(t, db), mustWorkspace(t, db)
		cs := mustContacts(t, db, ws.ID, "p", 5)

		t.Run("OK", func(t *testing.T) {
			page1, err := db.FindContacts(ctx, ws.ID, crmsync.ContactFilter{Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			page2, err := db.FindContacts(ctx, ws.ID, crmsync.ContactFilter{AfterID: page1[len(page1)-1].ID, Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, c := range append(page1, page2...) {
				got = append(got, c.ID)
			}
			var want []int64
			for _, c := range cs {
				want = append(want, c.ID)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("paged ids (-want +got):\n%s", diff)
			}
			byIDs, err := db.FindContactsByIDs(ctx, ws.ID, []int64{cs[3].ID, cs[1].ID, 987654})
			if err != nil || len(byIDs) != 2 {
				t.Fatalf("FindContactsByIDs = %d contacts, %v; want 2", len(byIDs), err)
			}
			ids1, err := db.FindContactIDs(ctx, ws.ID, crmsync.ContactFilter{Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			ids2, err := db.FindContactIDs(ctx, ws.ID, crmsync.ContactFilter{AfterID: ids1[len(ids1)-1], Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, append(ids1, ids2...)); diff != "" {
				t.Fatalf("paged FindContactIDs (-want +got):\n%s", diff)
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := db.FindContactByID(ctx, ws.ID, 987654)
			wantCode(t, err, crmsync.ENOTFOUND)
			_, err = db.FindContactBySourceID(ctx, ws.ID, "nope")
			wantCode(t, err, crmsync.ENOTFOUND)
		})

		t.Run("ErrOtherWorkspace", func(t *testing.T) {
			_, err := db.FindContactByID(ctx, other.ID, cs[0].ID)
			wantCode(t, err, crmsync.ENOTFOUND)
			_, err = db.FindContactBySourceID(ctx, other.ID, cs[0].SourceID)
			wantCode(t, err, crmsync.ENOTFOUND)
			list, err := db.FindContacts(ctx, other.ID, crmsync.ContactFilter{})
			if err != nil || len(list) != 0 {
				t.Fatalf("other workspace lists %d contacts, %v", len(list), err)
			}
			byIDs, err := db.FindContactsByIDs(ctx, other.ID, []int64{cs[0].ID, cs[1].ID})
			if err != nil || len(byIDs) != 0 {
				t.Fatalf("other workspace finds %d contacts by id, %v", len(byIDs), err)
			}
			ids, err := db.FindContactIDs(ctx, other.ID, crmsync.ContactFilter{})
			if err != nil || len(ids) != 0 {
				t.Fatalf("other workspace lists %d contact ids, %v", len(ids), err)
			}
			if n, err := db.CountContacts(ctx, other.ID); err != nil || n != 0 {
				t.Fatalf("other workspace counts %d contacts, %v", n, err)
			}
		})
	})
}
