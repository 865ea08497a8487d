package zoho_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/saleshive/crmsync/crm"
	"github.com/saleshive/crmsync/crm/crmtest"
	"github.com/saleshive/crmsync/crm/zoho"
	"github.com/saleshive/crmsync/sandbox/emu"
	sbzoho "github.com/saleshive/crmsync/sandbox/zoho"
)

// BenchmarkUpsertContacts pushes contacts into the Zoho sandbox with its
// default documented limits on (60,000 API credits per rolling 24 hours
// and 20 calls in flight: an Enterprise org with 10 licenses), through the
// connector's own limiter, one call after another as the sync job does.
// Batch100 sends 10,000 new contacts 100 per insert; PerRecord 300 contacts
// one call each; Update100 re-pushes the 10,000 with their CRM ids (one
// update call per 100). The *100ms cases add 100 ms of latency to every
// call (the sandbox's latency fault), roughly a real datacenter's round
// trip, which is what bounds a sequential pusher well before the credits
// do. Run with -benchtime=1x.
//
// Reported: records/s, the daily ceiling (records per call × credits per
// second over 24 hours, 0.69/s: what a push sustained all day may average),
// the sandbox's throttled answers and calls per iteration. A run of a few
// hundred calls is far inside the limiter's burst (a tenth of the day's
// credits), so it measures the connector and the sandbox, not the limit.
func BenchmarkUpsertContacts(b *testing.B) {
	b.Run("Batch100", func(b *testing.B) { benchUpsert(b, 10_000, zoho.MaxBatch, false, 0) })
	b.Run("PerRecord", func(b *testing.B) { benchUpsert(b, 300, 1, false, 0) })
	b.Run("Update100", func(b *testing.B) { benchUpsert(b, 10_000, zoho.MaxBatch, true, 0) })
	b.Run("Batch100_100ms", func(b *testing.B) { benchUpsert(b, 2_000, zoho.MaxBatch, false, 100) })
	b.Run("PerRecord_100ms", func(b *testing.B) { benchUpsert(b, 50, 1, false, 100) })
}

func benchUpsert(b *testing.B, n, batch int, update bool, latencyMS int) {
	e := mustConnect(b, "us", "us")
	ctx := testContext(b)
	perSecond := crmtest.DefaultAllowance(b, ctx, e.ctl, crmName, sbzoho.WindowCredits)
	ins := make([]crm.ContactInput, n)
	for i := range ins {
		ins[i] = crm.ContactInput{ExternalID: fmt.Sprintf("shc-bench-%05d", i), Fields: map[string]string{
			"Email": fmt.Sprintf("bench%05d@example.com", i), "First_Name": "Bench", "Last_Name": fmt.Sprint("Contact ", i),
			"Title": "Analyst", "Mailing_City": "London", "Mailing_Country": "United Kingdom", "Phone": "+44 20 7946 0000",
		}}
	}
	push := func() { crmtest.Push(b, ctx, e.conn, e.account, ins, batch, true) }
	if update {
		push() // create them first; the timed pushes carry CRM ids
	}
	if latencyMS > 0 {
		if err := e.ctl.SetFaults(ctx, crmName, emu.FaultConfig{LatencyMS: latencyMS}); err != nil {
			b.Fatal(err)
		}
	}
	before, err := e.ctl.Stats(ctx, crmName)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if !update {
			for i := range ins {
				ins[i].CRMID = ""
			}
		}
		push()
	}
	elapsed := time.Since(start)
	b.StopTimer()
	after, err := e.ctl.Stats(ctx, crmName)
	if err != nil {
		b.Fatal(err)
	}
	got := float64(n*b.N) / elapsed.Seconds()
	b.ReportMetric(got, "records/s")
	b.ReportMetric(float64(batch)*perSecond, "daily_ceiling_records/s")
	b.ReportMetric(float64(after.Throttled-before.Throttled), "throttled")
	b.ReportMetric(float64(after.Requests-before.Requests)/float64(b.N), "requests/op")
}
