package zoho

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// BenchmarkUpsert_100kContacts measures a 100-record upsert (half updates,
// half inserts) against an org already holding 100,000 contacts: the
// duplicate check goes through the unique index, so the store size must not
// show in the time per call.
func BenchmarkUpsert_100kContacts(b *testing.B) {
	e := newEnv(b)
	tok := e.token()
	e.createExternalField(tok)
	e.crm.Env().Limits.SetDisabled(true)
	owner := e.crm.primaryUser()
	err := e.crm.Env().Store.Atomic(func(tx *emu.Tx) error {
		for i := range 100_000 {
			if _, err := tx.Create(ModuleContacts, map[string]any{
				"Last_Name": fmt.Sprintf("Seed %d", i), "SalesHive_External_ID": fmt.Sprintf("SH-%d", i),
				"Owner": map[string]any{"name": owner.Name, "id": owner.ID},
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for n := 0; b.Loop(); n++ {
		data := make([]any, 100)
		for i := range data {
			id := fmt.Sprintf("SH-%d", (n*50+i)%100_000)
			if i >= 50 {
				id = fmt.Sprintf("NEW-%d-%d", n, i)
			}
			data[i] = map[string]any{"Last_Name": "Bench", "SalesHive_External_ID": id}
		}
		r := e.api(http.MethodPost, "/Contacts/upsert", tok, map[string]any{"data": data, "duplicate_check_fields": []string{"SalesHive_External_ID"}})
		if r.status != http.StatusOK {
			b.Fatalf("upsert: %d %s", r.status, r.body)
		}
	}
}
