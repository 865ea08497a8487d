package hubspot_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// TestContacts_ConcurrentUpsertsMakeNoDuplicates sends overlapping batch
// upserts from many clients at once: every external id ends up on exactly
// one contact.
func TestContacts_ConcurrentUpsertsMakeNoDuplicates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.createUniqueProperty()
	f.crm.Env().Limits.SetDisabled(true)
	const clients, ids = 8, 30
	var wg sync.WaitGroup
	errs := make(chan string, clients)
	for c := range clients {
		wg.Go(func() {
			var inputs []any
			for i := range ids {
				id := (i + c*7) % ids
				inputs = append(inputs, upsertInput(fmt.Sprintf("SH-%d", id), fmt.Sprintf("c%d@example.com", id), false))
			}
			r := f.call(http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", map[string]any{"inputs": inputs})
			if r.Status != http.StatusOK {
				errs <- fmt.Sprintf("client %d: %d %s", c, r.Status, r.Body)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := f.crm.Env().Store.Len("contacts"); n != ids {
		t.Fatalf("contacts = %d, want %d", n, ids)
	}
	for i := range ids {
		if n := f.crm.Env().Store.Count("contacts", "saleshive_external_id", fmt.Sprintf("SH-%d", i)); n != 1 {
			t.Fatalf("SH-%d on %d contacts", i, n)
		}
	}
}
