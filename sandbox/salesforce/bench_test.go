package salesforce

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// BenchmarkCollectionUpsert100k measures one 200-record sObject Collections upsert into an
// org that already holds 100,000 contacts: the external-id lookups go through the unique
// index, so the cost per call does not grow with the org.
func BenchmarkCollectionUpsert100k(b *testing.B) {
	t := &testing.T{}
	s := mustStart(t, emu.Config{RateLimitsDisabled: true})
	s.t = t
	s.createExtField(extField, true)
	const preload = 100_000
	for i := 0; i < preload; i += 200 {
		var recs []any
		for j := i; j < i+200; j++ {
			recs = append(recs, contactRecord(fmt.Sprintf("PRE-%d", j), map[string]any{"LastName": "Preloaded"}))
		}
		if r := s.do("PATCH", data("/composite/sobjects/Contact/"+extField), map[string]any{"records": recs}); r.status != http.StatusOK {
			b.Fatalf("preload: %d %s", r.status, r.body)
		}
	}
	b.ResetTimer()
	for n := 0; b.Loop(); n++ {
		var recs []any
		for j := range 200 {
			// Half updates of preloaded contacts, half creates.
			ext := fmt.Sprintf("PRE-%d", (n*200+j)%preload)
			if j%2 == 1 {
				ext = fmt.Sprintf("NEW-%d-%d", n, j)
			}
			recs = append(recs, contactRecord(ext, map[string]any{"LastName": "Bench", "Email": "bench@example.com"}))
		}
		if r := s.do("PATCH", data("/composite/sobjects/Contact/"+extField), map[string]any{"records": recs}); r.status != http.StatusOK {
			b.Fatalf("upsert: %d %s", r.status, r.body)
		}
	}
}
