package pipedrive

import (
	"fmt"
	"net/http"
	"testing"
)

// BenchmarkLargeStore measures the calls a connector makes against a store
// of 100,000 persons: exact external-id search (index), get by id, and a
// listing page deep into the cursor. None of them may scan the store.
func BenchmarkLargeStore(b *testing.B) {
	s := mustStart(b, Options{BurstLimit: 1 << 30, SearchLimit: 1 << 30, DailyTokens: 1 << 30})
	f, err := s.crm.createPersonField(newFieldInput{name: "SalesHive External ID", typ: "varchar"})
	if err != nil {
		b.Fatal(err)
	}
	const n = 100_000
	for i := range n {
		if _, err := s.crm.Env().Store.Create(objPersons, map[string]any{
			"name": fmt.Sprintf("Person %d", i), "owner_id": float64(10001), "visible_to": float64(3),
			"emails": []any{}, "phones": []any{}, f.Key: fmt.Sprintf("SH-%d", i),
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("SearchExact", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			r := s.api(http.MethodGet, fmt.Sprintf("/api/v2/persons/search?term=SH-%d&fields=custom_fields&exact_match=true", i%n), nil)
			if r.status != http.StatusOK {
				b.Fatalf("search: %d", r.status)
			}
		}
	})
	b.Run("Get", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if r := s.api(http.MethodGet, fmt.Sprintf("/api/v2/persons/%d", i%n+1), nil); r.status != http.StatusOK {
				b.Fatalf("get: %d", r.status)
			}
		}
	})
	b.Run("ListLastPage", func(b *testing.B) {
		cursor := encodeCursor(n - 500)
		for b.Loop() {
			if r := s.api(http.MethodGet, "/api/v2/persons?limit=500&cursor="+cursor, nil); r.status != http.StatusOK {
				b.Fatalf("list: %d", r.status)
			}
		}
	})
}
