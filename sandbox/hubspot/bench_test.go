package hubspot_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// BenchmarkBatchUpsert_100kContacts measures one 100-input batch upsert over
// HTTP against a portal already holding 100,000 contacts.
func BenchmarkBatchUpsert_100kContacts(b *testing.B) {
	f := newFixture(b)
	f.crm.Env().Limits.SetDisabled(true)
	_ = f.crm.Env().Store.DefineField("contacts", emu.Field{Name: "saleshive_external_id", Label: "SalesHive External ID", Type: "string", Unique: true, Custom: true})
	err := f.crm.Env().Store.Atomic(func(tx *emu.Tx) error {
		for i := range 100_000 {
			if _, err := tx.Create("contacts", map[string]any{"saleshive_external_id": fmt.Sprintf("SH-%d", i), "email": fmt.Sprintf("u%d@example.com", i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for n := range b.N {
		inputs := make([]any, 0, 100)
		for i := range 100 {
			id := (n*100 + i) % 120_000 // a sixth are new
			inputs = append(inputs, upsertInput(fmt.Sprintf("SH-%d", id), fmt.Sprintf("u%d@example.com", id), true))
		}
		if r := f.client.Do(http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", map[string]any{"inputs": inputs}); r.Status != http.StatusOK {
			b.Fatalf("status %d: %.300s", r.Status, r.Body)
		}
	}
}
