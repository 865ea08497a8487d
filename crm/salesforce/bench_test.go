package salesforce_test

import (
	"fmt"
	"testing"

	"github.com/saleshive/crmsync/crm"
	"github.com/saleshive/crmsync/crm/crmtest"
	"github.com/saleshive/crmsync/crm/salesforce"
	"github.com/saleshive/crmsync/sandbox"
	"github.com/saleshive/crmsync/sandbox/emu"
	sbsalesforce "github.com/saleshive/crmsync/sandbox/salesforce"
)

// BenchmarkUpsertContacts pushes contacts into the Salesforce sandbox with its default
// documented limit on (100,000 API requests per rolling 24 hours), through the connector's
// own limiter, one call after another as the sync job does. Batch200 sends 10,000 contacts
// in sObject Collections of 200; PerRecord sends 300 contacts one request each.
// Run with -benchtime=1x.
//
// Reported: records/s achieved, the sustained ceiling (records per request × the 24-hour
// allowance per second), the share of it, throttled requests and requests per op. The
// 24-hour window lets a client burst far above the sustained rate, which the limiter's
// burst (a tenth of the allowance) permits, so short runs exceed the ceiling.
//
// The Latency100ms cases add 100 ms to every sandbox answer, about a real
// Salesforce round trip, so batch and per-record pushes are compared at what
// a request really costs rather than at in-process speed.
func BenchmarkUpsertContacts(b *testing.B) {
	b.Run("Batch200", func(b *testing.B) { benchUpsert(b, 10_000, salesforce.MaxBatch, 0) })
	b.Run("PerRecord", func(b *testing.B) { benchUpsert(b, 300, 1, 0) })
	b.Run("Batch200Latency100ms", func(b *testing.B) { benchUpsert(b, 2_000, salesforce.MaxBatch, 100) })
	b.Run("PerRecordLatency100ms", func(b *testing.B) { benchUpsert(b, 50, 1, 100) })
}

func benchUpsert(b *testing.B, n, batch, latencyMS int) {
	e := mustConnect(b, sandbox.Config{})
	if latencyMS > 0 {
		if err := e.ctl.SetFaults(crmtest.Context(b), crmName, emu.FaultConfig{LatencyMS: latencyMS}); err != nil {
			b.Fatal(err)
		}
	}
	ins := make([]crm.ContactInput, n)
	for i := range ins {
		ins[i] = crm.ContactInput{ExternalID: fmt.Sprintf("shc-bench-%05d", i), Fields: map[string]string{
			"Email": fmt.Sprintf("bench%05d@example.com", i), "FirstName": "Bench", "LastName": fmt.Sprint("Contact ", i),
			"Title": "Analyst", "MailingCity": "London", "MailingCountry": "United Kingdom",
		}}
	}
	crmtest.BenchUpsert(b, e.ctl, crmName, sbsalesforce.WindowDailyAPIRequests, e.conn, e.account, ins, batch)
}
