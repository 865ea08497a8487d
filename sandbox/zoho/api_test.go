package zoho

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
)

func TestAPI_Authentication(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	org := e.base + "/us/api/crm/v8/org"
	tests := []struct {
		name, auth, code string
	}{
		{"no header", "", "AUTHENTICATION_FAILURE"},
		{"bearer scheme", "Bearer " + tok, "INVALID_TOKEN"},
		{"unknown token", "Zoho-oauthtoken 1000.nope.nope", "INVALID_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(http.MethodGet, org, tt.auth, nil)
			wantError(t, r, http.StatusUnauthorized, tt.code)
			if tt.code == "INVALID_TOKEN" {
				e.golden("error_invalid_token", r.body)
			}
		})
	}
	if r := e.do(http.MethodGet, org, "Zoho-oauthtoken "+tok, nil); r.status != http.StatusOK {
		t.Fatalf("valid token: %d %s", r.status, r.body)
	}
	t.Run("wrong datacenter", func(t *testing.T) {
		wantError(t, e.do(http.MethodGet, e.base+"/jp/api/crm/v8/org", "Zoho-oauthtoken "+tok, nil), http.StatusUnauthorized, "INVALID_TOKEN")
	})
	t.Run("expire all", func(t *testing.T) {
		e.crm.Env().OAuth.ExpireAll()
		wantError(t, e.do(http.MethodGet, org, "Zoho-oauthtoken "+tok, nil), http.StatusUnauthorized, "INVALID_TOKEN")
	})
	t.Run("revoke all", func(t *testing.T) {
		tok2 := e.token()
		e.crm.Env().OAuth.RevokeAll()
		wantError(t, e.do(http.MethodGet, org, "Zoho-oauthtoken "+tok2, nil), http.StatusUnauthorized, "INVALID_TOKEN")
	})
}

func TestAPI_ScopeMismatch(t *testing.T) {
	e := newEnv(t)
	tok := e.crm.Env().OAuth.Mint([]string{"ZohoCRM.modules.contacts.READ"}, e.crm.primaryUser().ID, map[string]string{"dc": "us"}).AccessToken
	r := e.api(http.MethodPost, "/Contacts/upsert", tok, map[string]any{"data": []any{map[string]any{"Last_Name": "X"}}})
	wantError(t, r, http.StatusUnauthorized, "OAUTH_SCOPE_MISMATCH")
	e.golden("error_scope_mismatch", r.body)
	wantError(t, e.api(http.MethodGet, "/users?type=ActiveUsers", tok, nil), http.StatusUnauthorized, "OAUTH_SCOPE_MISMATCH")
	// The read it was granted works (204: no such record).
	if r := e.api(http.MethodGet, "/Contacts/5725767001000000001", tok, nil); r.status != http.StatusNoContent {
		t.Fatalf("granted read: %d %s", r.status, r.body)
	}
	// ZohoCRM.modules.ALL covers every module.
	all := e.crm.Env().OAuth.Mint([]string{"ZohoCRM.modules.ALL"}, e.crm.primaryUser().ID, map[string]string{"dc": "us"}).AccessToken
	if r := e.api(http.MethodPost, "/Contacts/upsert", all, map[string]any{"data": []any{map[string]any{"Last_Name": "X"}}}); r.status != http.StatusOK {
		t.Fatalf("modules.ALL upsert: %d %s", r.status, r.body)
	}
}

func TestAPI_URLErrors(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	r := e.api(http.MethodGet, "/Nowhere/1/2/3", tok, nil)
	wantError(t, r, http.StatusNotFound, "INVALID_URL_PATTERN")
	e.golden("error_invalid_url_pattern", r.body)
	wantError(t, e.api(http.MethodDelete, "/org", tok, nil), http.StatusBadRequest, "INVALID_REQUEST_METHOD")
	wantError(t, e.do(http.MethodGet, e.base+"/us/api/crm/v99/org", "Zoho-oauthtoken "+tok, nil), http.StatusNotFound, "INVALID_URL_PATTERN")
	wantError(t, e.do(http.MethodGet, e.base+"/xx/api/crm/v8/org", "Zoho-oauthtoken "+tok, nil), http.StatusNotFound, "INVALID_URL_PATTERN")
	all := e.crm.Env().OAuth.Mint([]string{"ZohoCRM.modules.ALL"}, e.crm.primaryUser().ID, map[string]string{"dc": "us"}).AccessToken
	wantError(t, e.api(http.MethodPost, "/Widgets", all, map[string]any{"data": []any{map[string]any{"Last_Name": "X"}}}), http.StatusBadRequest, "INVALID_MODULE")
	// Older API versions share the surface.
	if r := e.do(http.MethodGet, e.base+"/us/api/crm/v2.1/org", "Zoho-oauthtoken "+tok, nil); r.status != http.StatusOK {
		t.Fatalf("v2.1: %d", r.status)
	}
}

func TestRateLimits_Credits(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	if err := e.crm.Env().Limits.Set(WindowCredits, emu.Window{Max: 4, PeriodMS: (24 * time.Hour).Milliseconds(), Rolling: true}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 4; i++ {
		r := e.api(http.MethodGet, "/org", tok, nil)
		if r.status != http.StatusOK {
			t.Fatalf("call %d: %d", i, r.status)
		}
		// The header shows once more than half the credits are used.
		got := r.header.Get("X-API-CREDITS-REMAINING")
		want := map[int]string{1: "", 2: "", 3: "1", 4: "0"}[i]
		if got != want {
			t.Errorf("call %d: X-API-CREDITS-REMAINING = %q, want %q", i, got, want)
		}
	}
	r := e.api(http.MethodGet, "/org", tok, nil)
	wantError(t, r, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
	e.golden("error_too_many_requests", r.body)
	if got := e.crm.Env().Stats.Snapshot().Throttled; got != 1 {
		t.Errorf("throttled = %d", got)
	}
	// Rolling 24 hours: the credits come back a day later.
	e.clock.Advance(24 * time.Hour)
	tok = e.token()
	if r := e.api(http.MethodGet, "/org", tok, nil); r.status != http.StatusOK {
		t.Fatalf("after 24h: %d", r.status)
	}
	// Disabled limits never deny.
	e.crm.Env().Limits.SetDisabled(true)
	for range 6 {
		if r := e.api(http.MethodGet, "/org", tok, nil); r.status != http.StatusOK {
			t.Fatalf("disabled: %d", r.status)
		}
	}
}

func TestRateLimits_Concurrency(t *testing.T) {
	e := newEnv(t)
	lim := e.crm.Env().Limits
	if err := lim.Set(WindowConcurrency, emu.Window{Max: 2, PeriodMS: 1000}); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/us/api/crm/v8/org", nil)
	rel1, err1 := e.crm.admit(httptest.NewRecorder(), req)
	rel2, err2 := e.crm.admit(httptest.NewRecorder(), req)
	if err1 != nil || err2 != nil {
		t.Fatalf("two in flight: %v %v", err1, err2)
	}
	if _, err := e.crm.admit(httptest.NewRecorder(), req); err == nil || err.Code != "TOO_MANY_REQUESTS" {
		t.Fatalf("third in flight = %v, want TOO_MANY_REQUESTS", err)
	}
	rel1()
	rel3, err := e.crm.admit(httptest.NewRecorder(), req)
	if err != nil {
		t.Fatalf("after a release: %v", err)
	}
	rel2()
	rel3()
	if e.crm.inflight.Load() != 0 {
		t.Errorf("inflight = %d after all releases", e.crm.inflight.Load())
	}
}

func TestRateLimits_SubConcurrency(t *testing.T) {
	e := newEnv(t)
	if err := e.crm.Env().Limits.Set(WindowSubConcurrency, emu.Window{Max: 1, PeriodMS: 1000}); err != nil {
		t.Fatal(err)
	}
	big := contactsBody(11)
	heavyReq := func() *http.Request {
		return httptest.NewRequest(http.MethodPost, "/us/api/crm/v8/Contacts/upsert", jsonReader(t, big))
	}
	rel, err := e.crm.admit(httptest.NewRecorder(), heavyReq())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.crm.admit(httptest.NewRecorder(), heavyReq()); err == nil {
		t.Fatal("second write of 11 records admitted past sub-concurrency 1")
	}
	// A small write is not heavy.
	small := httptest.NewRequest(http.MethodPost, "/us/api/crm/v8/Contacts/upsert", jsonReader(t, contactsBody(10)))
	relSmall, err := e.crm.admit(httptest.NewRecorder(), small)
	if err != nil {
		t.Fatalf("10-record write: %v", err)
	}
	relSmall()
	rel()
}

func TestFaults(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	f := e.crm.Env().Faults
	t.Run("error", func(t *testing.T) {
		if err := f.Set(emu.FaultConfig{ErrorRate: 1, ErrorStatus: 500, Remaining: 1}); err != nil {
			t.Fatal(err)
		}
		r := e.api(http.MethodGet, "/org", tok, nil)
		wantError(t, r, http.StatusInternalServerError, "INTERNAL_ERROR")
		e.golden("error_internal", r.body)
		if r := e.api(http.MethodGet, "/org", tok, nil); r.status != http.StatusOK {
			t.Fatalf("after remaining ran out: %d", r.status)
		}
	})
	t.Run("drop after commit", func(t *testing.T) {
		if err := f.Set(emu.FaultConfig{DropAfterCommitRate: 1, PathContains: "/upsert", Remaining: 1}); err != nil {
			t.Fatal(err)
		}
		body := map[string]any{"data": []any{map[string]any{"Last_Name": "Dropped", "Email": "dropped@example.com"}}}
		req, _ := http.NewRequest(http.MethodPost, e.base+"/us/api/crm/v8/Contacts/upsert", jsonReader(t, body))
		req.Header.Set("Authorization", "Zoho-oauthtoken "+tok)
		if resp, err := e.client.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("dropped request answered %d", resp.StatusCode)
		}
		if n := e.crm.Env().Store.Count(ModuleContacts, "Email", "dropped@example.com"); n != 1 {
			t.Fatalf("write did not commit: %d records", n)
		}
		// The retry updates the committed record instead of duplicating it.
		r := e.api(http.MethodPost, "/Contacts/upsert", tok, body)
		if item := dataItem(t, r, 0); item["action"] != "update" {
			t.Fatalf("retry = %s", r.body)
		}
	})
	t.Run("latency", func(t *testing.T) {
		if err := f.Set(emu.FaultConfig{LatencyMS: 60, Remaining: 1}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if r := e.api(http.MethodGet, "/org", tok, nil); r.status != http.StatusOK {
			t.Fatalf("status %d", r.status)
		}
		if d := time.Since(start); d < 60*time.Millisecond {
			t.Fatalf("answered after %v, want >= 60ms", d)
		}
	})
}

func TestAPI_MintedTokenBelongsToOrgDatacenter(t *testing.T) {
	e := newEnv(t)
	if err := e.crm.SetDatacenter("au"); err != nil {
		t.Fatal(err)
	}
	// The control API mints without extra data or scopes: the org's
	// datacenter and the default scopes apply.
	tok := e.crm.Env().OAuth.Mint(e.crm.Env().DefaultScopes, "", nil).AccessToken
	if r := e.do(http.MethodGet, e.base+"/au/api/crm/v8/users?type=ActiveUsers", "Zoho-oauthtoken "+tok, nil); r.status != http.StatusOK {
		t.Fatalf("au: %d %s", r.status, r.body)
	}
	wantError(t, e.do(http.MethodGet, e.base+"/us/api/crm/v8/org", "Zoho-oauthtoken "+tok, nil), http.StatusUnauthorized, "INVALID_TOKEN")
	if err := e.crm.SetDatacenter("xx"); err == nil {
		t.Error("SetDatacenter accepted an unknown datacenter")
	}
}
