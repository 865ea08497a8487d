package hubspot_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func assoc(contactID string, typeID int) []any {
	return []any{map[string]any{"to": map[string]any{"id": contactID},
		"types": []any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": typeID}}}}
}

func TestEngagements_CreateWithAssociation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	contact := f.createContact(map[string]any{"email": "ada@example.com", "firstname": "Ada"})
	tests := []struct {
		object string
		typeID int
		props  map[string]any
		back   string // association type name from the contact's side
	}{
		{"calls", 194, map[string]any{"hs_timestamp": "2025-06-10T14:05:00.000Z", "hs_call_title": "Discovery call", "hs_call_duration": "420000",
			"hs_call_direction": "OUTBOUND", "hs_call_status": "COMPLETED", "hs_call_disposition": "f240bbac-87c9-4f6e-bf70-924b57d47db7", "hubspot_owner_id": "41629779"}, "contact_to_call"},
		{"emails", 198, map[string]any{"hs_timestamp": "1749567600000", "hs_email_direction": "EMAIL", "hs_email_status": "SENT", "hs_email_subject": "Following up",
			"hs_email_text": "Hi Ada", "hs_email_headers": `{"from":{"email":"rep@saleshive.example"},"to":[{"email":"ada@example.com"}],"cc":[],"bcc":[]}`}, "contact_to_email"},
		{"meetings", 200, map[string]any{"hs_timestamp": "2025-06-12T15:00:00Z", "hs_meeting_title": "Product demo", "hs_meeting_start_time": "2025-06-12T15:00:00Z",
			"hs_meeting_end_time": "2025-06-12T15:30:00Z", "hs_meeting_outcome": "SCHEDULED"}, "contact_to_meeting_event"},
	}
	for _, tt := range tests {
		t.Run(tt.object, func(t *testing.T) {
			req := map[string]any{"properties": tt.props, "associations": assoc(contact, tt.typeID)}
			r := f.call(http.MethodPost, "/crm/v3/objects/"+tt.object, req)
			wantStatus(t, r, http.StatusCreated)
			golden(t, tt.object[:len(tt.object)-1]+"_create", req, r)
			var created object
			r.Decode(t, &created)

			var got object
			f.call(http.MethodGet, "/crm/v3/objects/"+tt.object+"/"+created.ID+"?associations=contacts", nil).Decode(t, &got)
			if refs := got.Associations["contacts"].Results; len(refs) != 1 || refs[0].ID != contact {
				t.Fatalf("associations = %+v", got.Associations)
			}
			var c object
			f.call(http.MethodGet, "/crm/v3/objects/contacts/"+contact+"?associations="+tt.object, nil).Decode(t, &c)
			if refs := c.Associations[tt.object].Results; len(refs) != 1 || refs[0].ID != created.ID || refs[0].Type != tt.back {
				t.Fatalf("contact associations = %+v", c.Associations)
			}
		})
	}
	t.Run("EpochTimestampNormalized", func(t *testing.T) {
		var list struct {
			Results []object `json:"results"`
		}
		f.call(http.MethodGet, "/crm/v3/objects/emails?properties=hs_timestamp", nil).Decode(t, &list)
		if got := list.Results[0].prop("hs_timestamp"); got != "2025-06-10T15:00:00Z" {
			t.Fatalf("hs_timestamp = %q", got)
		}
	})
}

func TestEngagements_Errors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	contact := f.createContact(map[string]any{"email": "ada@example.com"})
	t.Run("MissingTimestamp", func(t *testing.T) {
		e := wantError(t, f.call(http.MethodPost, "/crm/v3/objects/calls", map[string]any{"properties": map[string]any{"hs_call_title": "x"}}), http.StatusBadRequest, "VALIDATION_ERROR")
		if is := embeddedIssues(t, e.Message); is[0].Name != "hs_timestamp" || is[0].Error != "REQUIRED_PROPERTY" {
			t.Fatalf("issues = %+v", is)
		}
	})
	t.Run("BadTimestamp", func(t *testing.T) {
		e := wantError(t, f.call(http.MethodPost, "/crm/v3/objects/calls", map[string]any{"properties": map[string]any{"hs_timestamp": "yesterday"}}), http.StatusBadRequest, "VALIDATION_ERROR")
		if is := embeddedIssues(t, e.Message); is[0].Error != "INVALID_LONG" {
			t.Fatalf("issues = %+v", is)
		}
	})
	t.Run("WrongAssociationType", func(t *testing.T) {
		r := f.call(http.MethodPost, "/crm/v3/objects/calls", map[string]any{"properties": map[string]any{"hs_timestamp": "2025-01-01T00:00:00Z"}, "associations": assoc(contact, 198)})
		wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
	})
	t.Run("MissingContact", func(t *testing.T) {
		r := f.call(http.MethodPost, "/crm/v3/objects/calls", map[string]any{"properties": map[string]any{"hs_timestamp": "2025-01-01T00:00:00Z"}, "associations": assoc("424242", 194)})
		wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
	})
	if n := f.crm.Env().Store.Len("calls"); n != 0 {
		t.Fatalf("failed creates wrote %d calls", n)
	}
}

func TestEngagements_BatchCreate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	contact := f.createContact(map[string]any{"email": "ada@example.com"})
	in := func(title, ts string, trace bool) map[string]any {
		m := map[string]any{"properties": map[string]any{"hs_timestamp": ts, "hs_call_title": title}, "associations": assoc(contact, 194)}
		if trace {
			m["objectWriteTraceId"] = title
		}
		return m
	}
	req := map[string]any{"inputs": []any{in("c1", "2025-01-01T00:00:00Z", false), in("c2", "2025-01-02T00:00:00Z", false)}}
	r := f.call(http.MethodPost, "/crm/v3/objects/calls/batch/create", req)
	wantStatus(t, r, http.StatusCreated)
	golden(t, "call_batch_create", req, r)
	if got := len(f.crm.Env().Store.LinkedFrom("contacts", contact)); got != 2 {
		t.Fatalf("contact has %d linked calls, want 2", got)
	}
	// One bad input without trace ids: nothing written.
	r = f.call(http.MethodPost, "/crm/v3/objects/calls/batch/create", map[string]any{"inputs": []any{in("c3", "2025-01-03T00:00:00Z", false), in("c4", "bad", false)}})
	wantStatus(t, r, http.StatusBadRequest)
	// With trace ids: 207, the good one written.
	r = f.call(http.MethodPost, "/crm/v3/objects/calls/batch/create", map[string]any{"inputs": []any{in("c5", "2025-01-05T00:00:00Z", true), in("c6", "bad", true)}})
	wantStatus(t, r, http.StatusMultiStatus)
	if n := f.crm.Env().Store.Len("calls"); n != 3 {
		t.Fatalf("calls = %d, want 3", n)
	}
}

func TestOwners(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.call(http.MethodGet, "/crm/v3/owners?limit=2", nil)
	wantStatus(t, r, http.StatusOK)
	golden(t, "owners_list", nil, r)
	var page struct {
		Results []struct {
			ID       string `json:"id"`
			Email    string `json:"email"`
			UserID   int    `json:"userId"`
			Archived bool   `json:"archived"`
		} `json:"results"`
		Paging struct {
			Next struct {
				After string `json:"after"`
			} `json:"next"`
		} `json:"paging"`
	}
	r.Decode(t, &page)
	if len(page.Results) != 2 || page.Results[0].ID != "41629779" || page.Paging.Next.After == "" {
		t.Fatalf("page 1 = %+v", page)
	}
	var rest struct {
		Results []struct {
			ID string `json:"id"`
		} `json:"results"`
	}
	f.call(http.MethodGet, "/crm/v3/owners?limit=2&after="+page.Paging.Next.After, nil).Decode(t, &rest)
	if len(rest.Results) != 1 {
		t.Fatalf("page 2 = %+v (3 active owners)", rest)
	}
	var archived struct {
		Results []struct {
			Email string `json:"email"`
		} `json:"results"`
	}
	f.call(http.MethodGet, "/crm/v3/owners?archived=true", nil).Decode(t, &archived)
	if len(archived.Results) != 1 || archived.Results[0].Email != "charles.babbage@acme.example" {
		t.Fatalf("archived owners = %+v", archived)
	}
	wantStatus(t, f.call(http.MethodGet, "/crm/v3/owners/41629780", nil), http.StatusOK)
	wantStatus(t, f.call(http.MethodGet, "/crm/v3/owners/9586504?idProperty=userId", nil), http.StatusOK)
}

func TestRateLimit_TenSecondly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.crm.Env().Limits.Set("ten_secondly_rolling", emuWindow(3, 10_000))
	for i := 3; i > 0; i-- {
		r := f.call(http.MethodGet, "/crm/v3/objects/contacts", nil)
		wantStatus(t, r, http.StatusOK)
		if r.Header.Get("X-HubSpot-RateLimit-Max") != "3" || r.Header.Get("X-HubSpot-RateLimit-Remaining") != strconv.Itoa(i-1) ||
			r.Header.Get("X-HubSpot-RateLimit-Interval-Milliseconds") != "10000" {
			t.Fatalf("headers = %v", r.Header)
		}
		if r.Header.Get("X-HubSpot-RateLimit-Daily") != "" {
			t.Fatal("OAuth apps get no daily headers")
		}
	}
	r := f.call(http.MethodGet, "/crm/v3/objects/contacts", nil)
	wantStatus(t, r, http.StatusTooManyRequests)
	golden(t, "error_rate_limit", nil, r)
	var e errorBody
	r.Decode(t, &e)
	if e.ErrorType != "RATE_LIMIT" || e.PolicyName != "TEN_SECONDLY_ROLLING" || r.Header.Get("Retry-After") != "" {
		t.Fatalf("429 = %s", r.Body)
	}
	if got := f.crm.Env().Stats.Snapshot().Throttled; got != 1 {
		t.Fatalf("throttled = %d", got)
	}
	f.clock.Advance(10 * time.Second)
	wantStatus(t, f.call(http.MethodGet, "/crm/v3/objects/contacts", nil), http.StatusOK)

	t.Run("Daily", func(t *testing.T) {
		f.crm.Env().Limits.Set("daily", emuWindow(1, 86_400_000))
		f.clock.Advance(10 * time.Second)
		r := f.call(http.MethodGet, "/crm/v3/objects/contacts", nil)
		wantStatus(t, r, http.StatusOK)
		if r.Header.Get("X-HubSpot-RateLimit-Daily") != "1" || r.Header.Get("X-HubSpot-RateLimit-Daily-Remaining") != "0" {
			t.Fatalf("daily headers = %v", r.Header)
		}
		var e errorBody
		r = f.call(http.MethodGet, "/crm/v3/objects/contacts", nil)
		r.Decode(t, &e)
		if r.Status != http.StatusTooManyRequests || e.PolicyName != "DAILY" {
			t.Fatalf("daily 429 = %d %s", r.Status, r.Body)
		}
	})
}

func TestSearch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.createUniqueProperty()
	f.createContact(map[string]any{"email": "ada@example.com", "firstname": "Ada", "saleshive_external_id": "SH-1"})
	f.createContact(map[string]any{"email": "alan@example.com", "firstname": "Alan"})
	search := func(filters ...map[string]any) (int, []object) {
		var out struct {
			Total   int      `json:"total"`
			Results []object `json:"results"`
		}
		r := f.call(http.MethodPost, "/crm/v3/objects/contacts/search", map[string]any{"filterGroups": []any{map[string]any{"filters": filters}}, "properties": []string{"email"}})
		wantStatus(t, r, http.StatusOK)
		r.Decode(t, &out)
		return out.Total, out.Results
	}
	req := map[string]any{"filterGroups": []any{map[string]any{"filters": []any{map[string]any{"propertyName": "firstname", "operator": "EQ", "value": "alan"}}}}, "properties": []string{"email"}}
	golden(t, "contact_search", req, f.call(http.MethodPost, "/crm/v3/objects/contacts/search", req))
	if n, res := search(map[string]any{"propertyName": "email", "operator": "EQ", "value": "ADA@example.com"}); n != 1 || res[0].prop("email") != "ada@example.com" {
		t.Fatalf("EQ email = %d %+v", n, res)
	}
	if n, _ := search(map[string]any{"propertyName": "saleshive_external_id", "operator": "EQ", "value": "SH-1"}); n != 1 {
		t.Fatalf("EQ external id = %d", n)
	}
	if n, _ := search(map[string]any{"propertyName": "firstname", "operator": "CONTAINS_TOKEN", "value": "a*"}); n != 2 {
		t.Fatalf("CONTAINS_TOKEN = %d", n)
	}
	if n, _ := search(map[string]any{"propertyName": "saleshive_external_id", "operator": "NOT_HAS_PROPERTY"}); n != 1 {
		t.Fatalf("NOT_HAS_PROPERTY = %d", n)
	}
	f.crm.Env().Limits.Set("search_secondly", emuWindow(1, 1000))
	f.clock.Advance(time.Second)
	search(map[string]any{"propertyName": "email", "operator": "HAS_PROPERTY"})
	r := f.call(http.MethodPost, "/crm/v3/objects/contacts/search", map[string]any{})
	if r.Status != http.StatusTooManyRequests || !strings.Contains(string(r.Body), "You have reached your secondly limit.") || r.Header.Get("X-HubSpot-RateLimit-Max") != "" {
		t.Fatalf("search 429 = %d %s %v", r.Status, r.Body, r.Header)
	}
}

func TestRecordPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	contact := f.createContact(map[string]any{"email": "ada@example.com", "firstname": "Ada", "lastname": "Lovelace"})
	wantStatus(t, f.call(http.MethodPost, "/crm/v3/objects/calls", map[string]any{
		"properties": map[string]any{"hs_timestamp": "2025-06-10T14:05:00Z", "hs_call_title": "Discovery call"}, "associations": assoc(contact, 194)}), http.StatusCreated)
	r := f.callWith("", http.MethodGet, "/contacts/62515/record/0-1/"+contact, nil)
	wantStatus(t, r, http.StatusOK)
	for _, want := range []string{`<h1 id="record-title">Ada Lovelace</h1>`, "ada@example.com", "Discovery call", "Calls"} {
		if !strings.Contains(string(r.Body), want) {
			t.Fatalf("record page lacks %q:\n%s", want, r.Body)
		}
	}
	wantStatus(t, f.callWith("", http.MethodGet, "/contacts/62515/record/0-1/999999", nil), http.StatusNotFound)
	wantStatus(t, f.callWith("", http.MethodGet, "/contacts/1/record/0-1/"+contact, nil), http.StatusNotFound)
	legacy := f.callWith("", http.MethodGet, "/contacts/62515/contact/"+contact, nil)
	if legacy.Status != http.StatusMovedPermanently || !strings.HasSuffix(legacy.Header.Get("Location"), "/hubspot/contacts/62515/record/0-1/"+contact) {
		t.Fatalf("legacy = %d %v", legacy.Status, legacy.Header)
	}
}

func TestAccountDetails(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var d struct {
		PortalID int    `json:"portalId"`
		UIDomain string `json:"uiDomain"`
	}
	f.call(http.MethodGet, "/account-info/v3/details", nil).Decode(t, &d)
	if d.PortalID != 62515 || !strings.HasSuffix(d.UIDomain, "/hubspot") {
		t.Fatalf("details = %+v", d)
	}
}
