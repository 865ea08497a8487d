package hubspot_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/saleshive/crmsync/crm"
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
	ctx := testContext(b)
	limits, err := e.ctl.RateLimits(ctx, crmName)
	if err != nil {
		b.Fatal(err)
	}
	win := limits.Windows[sbhubspot.WindowTenSecondly]
	if limits.Disabled || win.Max == 0 {
		b.Fatalf("the sandbox's rate limit is off (%+v); the benchmark needs the default", limits)
	}
	allowed := float64(win.Max) / win.Period().Seconds()
	ins := make([]crm.ContactInput, n)
	for i := range ins {
		ins[i] = crm.ContactInput{ExternalID: fmt.Sprintf("shc-bench-%05d", i), Fields: map[string]string{
			"email": fmt.Sprintf("bench%05d@example.com", i), "firstname": "Bench", "lastname": fmt.Sprint("Contact ", i),
			"jobtitle": "Analyst", "company": "Engines Ltd", "city": "London", "country": "United Kingdom",
		}}
	}
	before, err := e.ctl.Stats(ctx, crmName)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		for s := 0; s < n; s += batch {
			res, err := e.conn.UpsertContacts(ctx, e.account, ins[s:min(s+batch, n)], "")
			if err != nil {
				b.Fatalf("upsert at %d: %v", s, err)
			}
			for _, r := range res {
				if r.Err != nil {
					b.Fatalf("record %s: %v", r.ExternalID, r.Err)
				}
			}
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	after, err := e.ctl.Stats(ctx, crmName)
	if err != nil {
		b.Fatal(err)
	}
	got := float64(n*b.N) / elapsed.Seconds()
	ceiling := float64(batch) * allowed
	b.ReportMetric(got, "records/s")
	b.ReportMetric(ceiling, "ceiling_records/s")
	b.ReportMetric(100*got/ceiling, "%_of_ceiling")
	b.ReportMetric(float64(after.Throttled-before.Throttled), "throttled")
	b.ReportMetric(float64(after.Requests-before.Requests)/float64(b.N), "requests/op")
}
