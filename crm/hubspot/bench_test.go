package hubspot_test

import (
	"fmt"
	"testing"

	"github.com/saleshive/crmsync/crm"
	"github.com/saleshive/crmsync/crm/crmtest"
	"github.com/saleshive/crmsync/crm/hubspot"
	"github.com/saleshive/crmsync/sandbox"
	sbhubspot "github.com/saleshive/crmsync/sandbox/hubspot"
)

// BenchmarkUpsertContacts pushes contacts into the HubSpot sandbox with its
// default documented rate limit on (110 requests per rolling 10 seconds, a
// public OAuth app), through the connector's own limiter, one call after
// another as the sync job does. Batch100 sends 10,000 contacts in batches
// of 100; PerRecord sends 300 contacts one request each, for comparison.
// Run with -benchtime=1x: one iteration takes 10 to 30 seconds.
//
// Reported: records/s achieved, the ceiling (records per request ×
// allowed requests per second), the share of the ceiling, and how many
// requests the sandbox throttled.
func BenchmarkUpsertContacts(b *testing.B) {
	b.Run("Batch100", func(b *testing.B) { benchUpsert(b, 10_000, hubspot.MaxBatch) })
	b.Run("PerRecord", func(b *testing.B) { benchUpsert(b, 300, 1) })
}

func benchUpsert(b *testing.B, n, batch int) {
	e := mustConnect(b, sandbox.Config{})
	ins := make([]crm.ContactInput, n)
	for i := range ins {
		ins[i] = crm.ContactInput{ExternalID: fmt.Sprintf("shc-bench-%05d", i), Fields: map[string]string{
			"email": fmt.Sprintf("bench%05d@example.com", i), "firstname": "Bench", "lastname": fmt.Sprint("Contact ", i),
			"jobtitle": "Analyst", "company": "Engines Ltd", "city": "London", "country": "United Kingdom",
		}}
	}
	crmtest.BenchUpsert(b, e.ctl, crmName, sbhubspot.WindowTenSecondly, e.conn, e.account, ins, batch)
}
