package pipedrive

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/saleshive/crmsync/crm"
)

// BenchmarkUpsertContacts2000 pushes 2,000 new contacts in batches of
// MaxBatch into a sandbox with Pipedrive's default (Growth, OAuth) limits,
// through the connector's own limiter, and reports records/s. The ceiling
// is one record per request × 80 requests/s (160 per 2 s); a search before
// each write would cap the push at the search limit, 5 requests/s.
func BenchmarkUpsertContacts2000(b *testing.B) {
	const n = 2000
	b.StopTimer()
	for range b.N {
		h := mustConnect(b)
		ins := make([]crm.ContactInput, n)
		for i := range ins {
			ins[i] = crm.ContactInput{ExternalID: fmt.Sprintf("shc-%d", i), Fields: map[string]string{"first_name": "Bench", "last_name": strconv.Itoa(i), "email": fmt.Sprintf("b%d@example.com", i)}}
		}
		before := h.sb.Env().Stats.Snapshot()
		b.StartTimer()
		for start := 0; start < n; start += MaxBatch {
			res, err := h.conn.UpsertContacts(context.Background(), h.account, ins[start:min(start+MaxBatch, n)], "")
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range res {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
		}
		b.StopTimer()
		after := h.sb.Env().Stats.Snapshot()
		h.srv.Close()
		b.ReportMetric(float64(after.Throttled-before.Throttled), "throttled")
		b.ReportMetric(float64(after.Requests-before.Requests), "requests")
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}
