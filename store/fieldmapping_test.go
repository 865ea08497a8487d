package store_test

import (
	"context"
	"testing"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/store"
)

func TestFieldMappingService(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ws, other := mustWorkspace(t, db), mustWorkspace(t, db)
		c, err := db.EnsureConnection(ctx, ws.ID, crmsync.ProviderPipedrive)
		if err != nil {
			t.Fatal(err)
		}
		m1 := &crmsync.FieldMapping{ConnectionID: c.ID, SourceField: "title", CRMField: "job_title"}
		m2 := &crmsync.FieldMapping{ConnectionID: c.ID, FixedValue: "SalesHive", CRMField: "lead_source"}
		for _, m := range []*crmsync.FieldMapping{m1, m2} {
			if err := db.CreateFieldMapping(ctx, ws.ID, m); err != nil {
				t.Fatal(err)
			}
		}
		t.Run("OK", func(t *testing.T) {
			ms, err := db.FindFieldMappings(ctx, ws.ID, c.ID)
			if err != nil || len(ms) != 2 || *ms[0] != *m1 || *ms[1] != *m2 {
				t.Fatalf("FindFieldMappings = %v, %v", ms, err)
			}
			m2.FixedValue = "SalesHive Outbound"
			if err := db.UpdateFieldMapping(ctx, ws.ID, &crmsync.FieldMapping{ID: m2.ID, FixedValue: m2.FixedValue, CRMField: m2.CRMField}); err != nil {
				t.Fatal(err)
			}
			ms, _ = db.FindFieldMappings(ctx, ws.ID, c.ID)
			if ms[1].FixedValue != "SalesHive Outbound" || ms[1].ConnectionID != c.ID {
				t.Fatalf("update not stored: %+v", ms[1])
			}
			if err := db.DeleteFieldMapping(ctx, ws.ID, m1.ID); err != nil {
				t.Fatal(err)
			}
			ms, _ = db.FindFieldMappings(ctx, ws.ID, c.ID)
			if len(ms) != 1 || ms[0].ID != m2.ID {
				t.Fatalf("after delete: %v", ms)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			err := db.CreateFieldMapping(ctx, ws.ID, &crmsync.FieldMapping{ConnectionID: c.ID, SourceField: "email", CRMField: "lead_source"})
			wantCode(t, err, crmsync.EINVALID)
			if names := fieldNames(err); len(names) != 1 || names[0] != "crm_field" {
				t.Fatalf("fields = %v", names)
			}
			m3 := &crmsync.FieldMapping{ConnectionID: c.ID, SourceField: "email", CRMField: "email"}
			if err := db.CreateFieldMapping(ctx, ws.ID, m3); err != nil {
				t.Fatal(err)
			}
			m3.CRMField = "lead_source"
			wantCode(t, db.UpdateFieldMapping(ctx, ws.ID, m3), crmsync.EINVALID)
			wantCode(t, db.CreateFieldMapping(ctx, ws.ID, &crmsync.FieldMapping{ConnectionID: c.ID, CRMField: "x"}), crmsync.EINVALID)
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			wantCode(t, db.DeleteFieldMapping(ctx, ws.ID, 987654), crmsync.ENOTFOUND)
			wantCode(t, db.UpdateFieldMapping(ctx, ws.ID, &crmsync.FieldMapping{ID: 987654, FixedValue: "x", CRMField: "y"}), crmsync.ENOTFOUND)
		})
		t.Run("ErrOtherWorkspace", func(t *testing.T) {
			ms, err := db.FindFieldMappings(ctx, other.ID, c.ID)
			if err != nil || len(ms) != 0 {
				t.Fatalf("other workspace sees %d mappings, %v", len(ms), err)
			}
			wantCode(t, db.CreateFieldMapping(ctx, other.ID, &crmsync.FieldMapping{ConnectionID: c.ID, FixedValue: "x", CRMField: "z"}), crmsync.ENOTFOUND)
			wantCode(t, db.UpdateFieldMapping(ctx, other.ID, &crmsync.FieldMapping{ID: m2.ID, FixedValue: "x", CRMField: "z"}), crmsync.ENOTFOUND)
			wantCode(t, db.DeleteFieldMapping(ctx, other.ID, m2.ID), crmsync.ENOTFOUND)
		})
	})
}
