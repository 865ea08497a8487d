package salesforce

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/saleshive/crmsync/sandbox/emu"
)

func soql(q string) string { return data("/query?q=" + url.QueryEscape(q)) }

func TestQuery(t *testing.T) {
	s := mustStart(t, emu.Config{})
	s.createExtField(extField, true)
	var recs []any
	for i := range 450 {
		recs = append(recs, contactRecord(fmt.Sprintf("Q-%03d", i), map[string]any{"LastName": fmt.Sprintf("Person %03d", i), "Email": fmt.Sprintf("p%d@example.com", i)}))
	}
	for i := 0; i < len(recs); i += 200 {
		wantStatus(t, s.do("PATCH", data("/composite/sobjects/Contact/"+extField), map[string]any{"records": recs[i:min(i+200, len(recs))]}), http.StatusOK)
	}

	t.Run("ActiveUsers", func(t *testing.T) {
		r := s.do("GET", soql("SELECT Id, Name, Email, IsActive FROM User WHERE IsActive = true"), nil)
		wantStatus(t, r, http.StatusOK)
		golden(t, "query_users", nil, r)
		if res := decode[QueryResult](t, r); res.TotalSize != 3 || !res.Done {
			t.Errorf("users %s", r.body)
		}
	})
	t.Run("ByExternalIDs", func(t *testing.T) {
		r := s.do("GET", soql("SELECT Id, "+extField+" FROM Contact WHERE "+extField+" IN ('Q-001','q-002','Q-999')"), nil)
		wantStatus(t, r, http.StatusOK)
		golden(t, "query_by_external_ids", nil, r)
		if res := decode[QueryResult](t, r); res.TotalSize != 2 {
			t.Errorf("by ext ids %s", r.body)
		}
	})
	t.Run("Count", func(t *testing.T) {
		r := s.do("GET", soql("SELECT COUNT() FROM Contact WHERE LastName LIKE 'Person 1%'"), nil)
		if res := decode[QueryResult](t, r); res.TotalSize != 100 || len(res.Records) != 0 {
			t.Errorf("count %s", r.body)
		}
	})
	t.Run("OrderLimitOffset", func(t *testing.T) {
		r := s.do("GET", soql("SELECT LastName FROM Contact WHERE Email != null ORDER BY LastName DESC LIMIT 2 OFFSET 1"), nil)
		res := decode[QueryResult](t, r)
		if len(res.Records) != 2 || !strings.Contains(string(r.body), "Person 448") || !strings.Contains(string(r.body), "Person 447") {
			t.Errorf("ordered %s", r.body)
		}
	})
	t.Run("Pagination", func(t *testing.T) {
		req, _ := http.NewRequest("GET", s.base+soql("SELECT Id FROM Contact"), nil)
		req.Header.Set("Authorization", "Bearer "+s.token)
		req.Header.Set("Sforce-Query-Options", "batchSize=200")
		first := decode[QueryResult](t, s.send(req))
		if first.TotalSize != 450 || first.Done || len(first.Records) != 200 || !strings.HasPrefix(first.NextRecordsURL, "/services/data/v60.0/query/01g") {
			t.Fatalf("first batch: total %d done %v n %d next %q", first.TotalSize, first.Done, len(first.Records), first.NextRecordsURL)
		}
		seen := len(first.Records)
		next := first.NextRecordsURL
		for next != "" {
			r := s.do("GET", strings.TrimPrefix(next, ""), nil)
			wantStatus(t, r, http.StatusOK)
			page := decode[QueryResult](t, r)
			seen += len(page.Records)
			next = page.NextRecordsURL
		}
		if seen != 450 {
			t.Errorf("paged through %d records, want 450", seen)
		}
		wantStatus(t, s.do("GET", data("/query/01gbogus-200"), nil), http.StatusBadRequest)
	})
	t.Run("Errors", func(t *testing.T) {
		for _, tc := range []struct{ name, q string }{
			{"query_error_malformed", "SELECT Id FROM"},
			{"query_error_unknown_field", "SELECT Id, Shoe_Size__c FROM Contact"},
			{"query_error_unknown_type", "SELECT Id FROM Widget"},
		} {
			r := s.do("GET", soql(tc.q), nil)
			wantStatus(t, r, http.StatusBadRequest)
			golden(t, tc.name, nil, r)
		}
		wantStatus(t, s.do("GET", data("/query"), nil), http.StatusBadRequest)
		long := s.do("GET", soql("SELECT Id FROM Contact WHERE LastName IN ('"+strings.Repeat("x", 17000)+"')"), nil)
		wantStatus(t, long, http.StatusRequestURITooLong)
	})
}

func TestParseSOQL(t *testing.T) {
	rec := func(f map[string]any) func(string) any { return func(k string) any { return f[k] } }
	row := rec(map[string]any{"Name": "Grace Hopper", "IsActive": true, "Email": nil, "N": float64(3), "D": "2025-06-10"})
	tests := []struct {
		where string
		want  bool
	}{
		{"IsActive = true", true},
		{"IsActive = false", false},
		{"Name = 'grace hopper'", true},
		{"Name LIKE 'Grace%'", true},
		{"Name LIKE '_race H%'", true},
		{"Name NOT LIKE 'G%'", false},
		{"Email = null", true},
		{"Email != null", false},
		{"N > 2 AND N <= 3", true},
		{"N IN (1, 2)", false},
		{"N NOT IN (1, 2)", true},
		{"(N = 1 OR Name = 'Grace Hopper') AND NOT IsActive = false", true},
		{"D = 2025-06-10", true},
		{"Name = 'O\\'Brien'", false},
	}
	for _, tt := range tests {
		t.Run(tt.where, func(t *testing.T) {
			q, e := parseSOQL("SELECT Id FROM User WHERE " + tt.where)
			if e != nil {
				t.Fatalf("parse: %v", e)
			}
			if got := q.where.eval(row); got != tt.want {
				t.Errorf("eval = %v, want %v", got, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "SELECT", "SELECT Id", "SELECT Id FROM User WHERE", "SELECT Id FROM User LIMIT x", "SELECT Id FROM User WHERE Name = 'open", "SELECT Id FROM User extra"} {
		if _, e := parseSOQL(bad); e == nil || e.errs[0].ErrorCode != CodeMalformedQuery {
			t.Errorf("parseSOQL(%q) = %v, want MALFORMED_QUERY", bad, e)
		}
	}
	q, _ := parseSOQL("select Id from Contact where X__c in ('a','b') and Name = 'x' order by Name desc nulls last limit 5 offset 2")
	if f, vals, ok := indexHint(q.where); !ok || f != "X__c" || len(vals) != 2 || q.limit != 5 || q.offset != 2 || !q.desc || !q.nullsLast {
		t.Errorf("parsed %+v hint %s %v", q, f, vals)
	}
}

func TestIDs(t *testing.T) {
	// The suffix algorithm against a documented pair.
	if got, ok := NormalizeID("001A0000006Vm9r"); !ok || got != "001A0000006Vm9rIAC" {
		t.Errorf("NormalizeID = %q, %v", got, ok)
	}
	if _, ok := NormalizeID("001A0000006Vm9rAAA"); ok {
		t.Error("accepted an 18-character id with a wrong suffix")
	}
	for _, bad := range []string{"", "003", "003-bad-id-value", "0038d0000000001AA"} {
		if _, ok := NormalizeID(bad); ok {
			t.Errorf("NormalizeID(%q) ok", bad)
		}
	}
	id := NewID(PrefixContact, 123456789)
	if len(id) != 18 || id[:3] != "003" {
		t.Errorf("NewID = %q", id)
	}
	if full, ok := NormalizeID(id[:15]); !ok || full != id {
		t.Errorf("15 → 18: %q", full)
	}
	if NewID(PrefixContact, 61) == NewID(PrefixContact, 62) {
		t.Error("ids collide")
	}
}

func TestQueryOrganization(t *testing.T) {
	s := mustStart(t, emu.Config{AccountName: "Initech"})
	r := s.do("GET", soql("SELECT Id, Name FROM Organization"), nil)
	wantStatus(t, r, http.StatusOK)
	golden(t, "query_organization", nil, r)
	res := decode[QueryResult](t, r)
	if res.TotalSize != 1 || !strings.Contains(string(r.body), `"Name":"Initech"`) || !strings.Contains(string(r.body), s.crm.OrgID()) {
		t.Errorf("organization %s", r.body)
	}
}
