package crmtest

import (
	"context"
	"testing"
	"time"

	"github.com/saleshive/crmsync/crm"
	"github.com/saleshive/crmsync/sandbox"
)

// DefaultAllowance returns the requests per second window allows under the
// sandbox's current rate limits for crmName, failing tb when the limits are
// off: a benchmark against them needs the documented defaults.
func DefaultAllowance(tb testing.TB, ctx context.Context, ctl *sandbox.Client, crmName, window string) float64 {
	tb.Helper()
	limits, err := ctl.RateLimits(ctx, crmName)
	if err != nil {
		tb.Fatal(err)
	}
	win := limits.Windows[window]
	if limits.Disabled || win.Max == 0 {
		tb.Fatalf("the sandbox's rate limit is off (%+v); the benchmark needs the default", limits)
	}
	return float64(win.Max) / win.Period().Seconds()
}

// Push upserts ins through conn in calls of batch contacts, one after
// another as the sync job does, failing tb on any call or record error.
// With keepIDs each input takes its result's CRM id, so a later push
// updates.
func Push(tb testing.TB, ctx context.Context, conn crm.Connector, a *crm.Account, ins []crm.ContactInput, batch int, keepIDs bool) {
	tb.Helper()
	n := len(ins)
	for s := 0; s < n; s += batch {
		res, err := conn.UpsertContacts(ctx, a, ins[s:min(s+batch, n)], "")
		if err != nil {
			tb.Fatalf("upsert at %d: %v", s, err)
		}
		for k, r := range res {
			if r.Err != nil {
				tb.Fatalf("record %s: %v", r.ExternalID, r.Err)
			}
			if keepIDs {
				ins[s+k].CRMID = r.CRMID
			}
		}
	}
}

// BenchUpsert pushes ins b.N times through conn in calls of batch contacts
// against crmName of the sandbox ctl controls, with the sandbox's default
// rate limits on and the connector's own limiter, and reports records/s,
// the ceiling (batch × the allowance of window per second), the share of
// it, the requests the sandbox throttled and requests per op.
func BenchUpsert(b *testing.B, ctl *sandbox.Client, crmName, window string, conn crm.Connector, a *crm.Account, ins []crm.ContactInput, batch int) {
	b.Helper()
	ctx := Context(b)
	allowed := DefaultAllowance(b, ctx, ctl, crmName, window)
	before, err := ctl.Stats(ctx, crmName)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		Push(b, ctx, conn, a, ins, batch, false)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	after, err := ctl.Stats(ctx, crmName)
	if err != nil {
		b.Fatal(err)
	}
	got := float64(len(ins)*b.N) / elapsed.Seconds()
	ceiling := float64(batch) * allowed
	b.ReportMetric(got, "records/s")
	b.ReportMetric(ceiling, "ceiling_records/s")
	b.ReportMetric(100*got/ceiling, "%_of_ceiling")
	b.ReportMetric(float64(after.Throttled-before.Throttled), "throttled")
	b.ReportMetric(float64(after.Requests-before.Requests)/float64(b.N), "requests/op")
}
