package salesforce

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
)

func TestRateLimit_DailyAPIRequests(t *testing.T) {
	s := mustStart(t, emu.Config{})
	env := s.crm.Env()
	if err := env.Limits.Set(WindowDailyAPIRequests, emu.Window{Max: 3, PeriodMS: (24 * time.Hour).Milliseconds(), Rolling: true}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		r := s.do("GET", data("/limits"), nil)
		wantStatus(t, r, http.StatusOK)
		if got, want := r.header.Get("Sforce-Limit-Info"), fmt.Sprintf("api-usage=%d/3", i); got != want {
			t.Errorf("call %d: Sforce-Limit-Info = %q, want %q", i, got, want)
		}
		if i == 3 {
			golden(t, "limits", nil, r)
			lim := decode[map[string]LimitValue](t, r)
			if lim[WindowDailyAPIRequests] != (LimitValue{Max: 3, Remaining: 0}) {
				t.Errorf("DailyApiRequests = %+v", lim[WindowDailyAPIRequests])
			}
		}
	}
	r := s.do("PATCH", data("/sobjects/Contact/Id/x"), map[string]any{"LastName": "Blocked"})
	wantStatus(t, r, http.StatusForbidden)
	golden(t, "error_request_limit_exceeded", nil, r)
	if r.header.Get("Retry-After") != "" {
		t.Error("Salesforce sends no Retry-After")
	}
	if env.Stats.Snapshot().Throttled != 1 {
		t.Errorf("throttled = %d", env.Stats.Snapshot().Throttled)
	}
	// The window rolls: after 24 hours the budget is back.
	env.Clock.Advance(24*time.Hour + time.Minute)
	s.token = env.OAuth.Mint([]string{"api"}, s.admin, nil).AccessToken // the old session timed out
	wantStatus(t, s.do("GET", data("/limits"), nil), http.StatusOK)

	// Disabled limits still count (the header stays truthful) but never deny.
	env.Limits.SetDisabled(true)
	for range 5 {
		wantStatus(t, s.do("GET", data("/limits"), nil), http.StatusOK)
	}
	// OAuth endpoints are not API calls.
	before := env.Limits.Peek(s.crm.OrgID(), WindowDailyAPIRequests).Usages[0].Used
	s.doToken("", "POST", "/services/oauth2/revoke", nil)
	if after := env.Limits.Peek(s.crm.OrgID(), WindowDailyAPIRequests).Usages[0].Used; after != before {
		t.Errorf("revoke counted as an API call: %d → %d", before, after)
	}
}

func TestFaults(t *testing.T) {
	s := mustStart(t, emu.Config{})
	env := s.crm.Env()
	t.Run("ServerError500", func(t *testing.T) {
		if err := env.Faults.Set(emu.FaultConfig{ErrorRate: 1, ErrorStatus: 500, Remaining: 1}); err != nil {
			t.Fatal(err)
		}
		r := s.do("GET", data("/limits"), nil)
		wantStatus(t, r, http.StatusInternalServerError)
		golden(t, "error_fault_500", nil, r)
		wantStatus(t, s.do("GET", data("/limits"), nil), http.StatusOK)
	})
	t.Run("ServiceUnavailable503", func(t *testing.T) {
		_ = env.Faults.Set(emu.FaultConfig{ErrorRate: 1, ErrorStatus: 503, Remaining: 1})
		r := s.do("GET", data("/limits"), nil)
		wantStatus(t, r, http.StatusServiceUnavailable)
		golden(t, "error_fault_503", nil, r)
	})
	t.Run("DropAfterCommit", func(t *testing.T) {
		s.createExtField(extField, true)
		_ = env.Faults.Set(emu.FaultConfig{DropAfterCommitRate: 1, PathContains: "/sobjects/Contact/", Remaining: 1})
		req, _ := http.NewRequest("PATCH", s.base+data("/sobjects/Contact/"+extField+"/DROP-1"), strings.NewReader(`{"LastName":"Dropped"}`))
		req.Header.Set("Authorization", "Bearer "+s.token)
		req.Header.Set("Content-Type", "application/json")
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
			t.Fatalf("got a response (%d), want a dropped connection", res.StatusCode)
		}
		if n := env.Store.Count(ObjectContact, extField, "DROP-1"); n != 1 {
			t.Fatalf("committed %d records, want 1", n)
		}
		// The client's retry updates the committed record instead of duplicating it.
		wantStatus(t, s.do("PATCH", data("/sobjects/Contact/"+extField+"/DROP-1"), map[string]any{"LastName": "Dropped"}), http.StatusOK)
		if n := env.Store.Count(ObjectContact, extField, "DROP-1"); n != 1 {
			t.Errorf("%d records after retry", n)
		}
	})
	t.Run("Latency", func(t *testing.T) {
		_ = env.Faults.Set(emu.FaultConfig{LatencyMS: 60, Remaining: 1})
		start := time.Now()
		wantStatus(t, s.do("GET", data("/limits"), nil), http.StatusOK)
		if el := time.Since(start); el < 60*time.Millisecond {
			t.Errorf("answered in %v, want ≥ 60ms", el)
		}
	})
}

func TestDuplicateRule(t *testing.T) {
	s := mustStart(t, emu.Config{})
	wantStatus(t, s.do("POST", data("/sobjects/Contact"), map[string]any{"LastName": "Hopper", "Email": "grace@example.com"}), http.StatusCreated)
	s.crm.SetDuplicateRule(&DuplicateRule{AllowSave: true})
	body := map[string]any{"LastName": "Hopper", "Email": "GRACE@example.com"}
	r := s.do("POST", data("/sobjects/Contact"), body)
	wantStatus(t, r, http.StatusBadRequest)
	golden(t, "contact_error_duplicates_detected", body, r)
	if !strings.Contains(string(r.body), `"duplicateResut"`) {
		t.Error(`DUPLICATES_DETECTED lacks Salesforce's "duplicateResut" key`)
	}
	// Inside collections the item is the plain error shape.
	col := s.do("POST", data("/composite/sobjects"), map[string]any{"records": []any{
		map[string]any{"attributes": map[string]any{"type": "Contact"}, "LastName": "Hopper", "Email": "grace@example.com"}}})
	if res := decode[[]SaveResult](t, col); res[0].Success || res[0].Errors[0].StatusCode != CodeDuplicatesDetected || strings.Contains(string(col.body), "duplicateResut") {
		t.Errorf("collection item %s", col.body)
	}
	req, _ := http.NewRequest("POST", s.base+data("/sobjects/Contact"), strings.NewReader(`{"LastName":"Hopper","Email":"grace@example.com"}`))
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Sforce-Duplicate-Rule-Header", "allowSave=true")
	wantStatus(t, s.send(req), http.StatusCreated)

	s.crm.Env().Reset()
	if s.crm.duplicateRule() != nil {
		t.Error("reset kept the duplicate rule")
	}
}

func TestReset(t *testing.T) {
	s := mustStart(t, emu.Config{})
	s.createExtField(extField, true)
	wantStatus(t, s.do("POST", data("/sobjects/Contact"), map[string]any{"LastName": "Gone"}), http.StatusCreated)
	s.crm.Env().Reset()
	if s.crm.Env().Store.Len(ObjectContact) != 0 || s.crm.Env().Store.Len(ObjectUser) != 4 {
		t.Error("reset did not restore the seed")
	}
	tok := s.crm.Env().OAuth.Mint([]string{"api"}, s.admin, nil).AccessToken
	d := decode[DescribeResult](t, s.doToken(tok, "GET", data("/sobjects/Contact/describe"), nil))
	for _, f := range d.Fields {
		if f.Name == extField {
			t.Error("reset kept the custom field")
		}
	}
}

func TestConcurrentUpserts(t *testing.T) {
	s := mustStart(t, emu.Config{})
	s.createExtField(extField, true)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				var recs []any
				for j := range 4 {
					recs = append(recs, contactRecord(fmt.Sprintf("C-%d-%d", i, j), map[string]any{"LastName": fmt.Sprintf("G%d", g)}))
				}
				r := s.do("PATCH", data("/composite/sobjects/Contact/"+extField), map[string]any{"records": recs})
				for _, res := range decode[[]UpsertResult](t, r) {
					if !res.Success {
						t.Errorf("upsert failed: %+v", res)
					}
				}
			}
		}()
	}
	wg.Wait()
	if n := s.crm.Env().Store.Len(ObjectContact); n != 100 {
		t.Errorf("%d contacts, want 100 (one per external id)", n)
	}
}
