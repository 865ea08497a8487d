package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/saleshive/crmsync"
)

// apiCall sends an API request as workspace name ("" for no token) through
// a client that validates every response against the OpenAPI document.
func (e *pagesEnv) apiCall(name, method, path string, body any) *response {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if name != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[name])
	}
	client := &http.Client{Transport: &validatingTransport{t: e.t, router: openAPIRouter(e.t), base: http.DefaultTransport}}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// apiRoutes are the connection API's routes with a body that succeeds for
// a connected HubSpot of workspace A.
var apiRoutes = []struct {
	method, path string
	body         any
}{
	{"GET", "/api/v1/connections", nil},
	{"GET", "/api/v1/connections/hubspot", nil},
	{"POST", "/api/v1/connections/hubspot/connect", map[string]string{}},
	{"POST", "/api/v1/oauth/callback", map[string]any{"params": map[string]string{"state": "x"}}},
	{"POST", "/api/v1/connections/hubspot/import", nil},
	{"POST", "/api/v1/connections/hubspot/skip", nil},
	{"POST", "/api/v1/connections/hubspot/resync", nil},
	{"POST", "/api/v1/connections/hubspot/cancel-import", nil},
	{"PUT", "/api/v1/connections/hubspot/toggles", crmsync.DefaultSyncToggles},
	{"GET", "/api/v1/connections/hubspot/users", nil},
	{"PUT", "/api/v1/connections/hubspot/owner", map[string]string{"owner_id": ""}},
	{"POST", "/api/v1/connections/hubspot/test-contact", nil},
	{"POST", "/api/v1/connections/hubspot/retry", nil},
	{"POST", "/api/v1/connections/hubspot/disconnect", nil},
	{"POST", "/api/v1/connections/hubspot/dismiss-guide", nil},
	{"GET", "/api/v1/connections/hubspot/health", nil},
	{"GET", "/api/v1/connections/hubspot/events", nil},
	{"GET", "/api/v1/connections/hubspot/fields", nil},
	{"GET", "/api/v1/connections/hubspot/field-mappings", nil},
	{"POST", "/api/v1/connections/hubspot/field-mappings", map[string]string{"crm_field": "zip", "fixed_value": "x"}},
	{"POST", "/api/v1/connections/hubspot/field-mappings/reviewed", nil},
	{"PUT", "/api/v1/connections/hubspot/field-mappings/1", map[string]string{"crm_field": "zip", "fixed_value": "x"}},
	{"DELETE", "/api/v1/connections/hubspot/field-mappings/1", nil},
}

// TestConnectionAPI_Unauthorized checks that every connection API route
// needs a token (401) and that an unknown CRM is 404.
func TestConnectionAPI_Unauthorized(t *testing.T) {
	e := newPagesEnv(t)
	for _, rt := range apiRoutes {
		if r := e.apiCall("", rt.method, rt.path, rt.body); r.Status != http.StatusUnauthorized {
			t.Errorf("%s %s without a token: %d, want 401", rt.method, rt.path, r.Status)
		}
		if !strings.Contains(rt.path, "/hubspot") {
			continue
		}
		if r := e.apiCall("A", rt.method, strings.Replace(rt.path, "/hubspot", "/nocrm", 1), rt.body); r.Status != http.StatusNotFound {
			t.Errorf("%s %s for an unknown CRM: %d, want 404", rt.method, rt.path, r.Status)
		}
	}
}

// TestConnectionAPI walks the page's actions through the API.
func TestConnectionAPI(t *testing.T) {
	e := newPagesEnv(t)
	addContacts(t, e, "A", 2)

	r := e.apiCall("A", "POST", "/api/v1/connections/zoho/connect", map[string]string{"datacenter": "xx"})
	if r.Status != http.StatusUnprocessableEntity || r.apiError(t).fieldNames()[0] != "datacenter" {
		t.Fatalf("bad datacenter: %d %s", r.Status, r.Body)
	}
	r = e.apiCall("A", "POST", "/api/v1/connections/hubspot/connect", nil)
	var connect struct {
		AuthorizeURL string `json:"authorize_url"`
	}
	r.decode(t, &connect)
	state := mustQuery(t, connect.AuthorizeURL, "state")
	if r := e.apiCall("B", "POST", "/api/v1/oauth/callback", map[string]any{"params": map[string]string{"state": state, "code": "c"}}); r.Status != http.StatusForbidden {
		t.Errorf("callback from another workspace: %d, want 403", r.Status)
	}
	r = e.apiCall("A", "POST", "/api/v1/oauth/callback", map[string]any{"params": map[string]string{"state": state, "code": "c"}})
	var conn crmsync.Connection
	r.decode(t, &conn)
	if r.Status != http.StatusOK || conn.Status != crmsync.StatusConnected {
		t.Fatalf("callback: %d %s", r.Status, r.Body)
	}

	r = e.apiCall("A", "GET", "/api/v1/connections/hubspot", nil)
	var detail struct {
		Connection crmsync.Connection `json:"connection"`
		SetupGuide struct {
			Steps []struct {
				Title         string
				Done, Current bool
			} `json:"steps"`
		} `json:"setup_guide"`
	}
	r.decode(t, &detail)
	if len(detail.SetupGuide.Steps) != 4 || !detail.SetupGuide.Steps[0].Done || !detail.SetupGuide.Steps[1].Current {
		t.Errorf("setup guide: %+v", detail.SetupGuide)
	}

	r = e.apiCall("A", "POST", "/api/v1/connections/hubspot/import", nil)
	r.decode(t, &conn)
	if conn.Import.State != crmsync.ImportRunning || conn.Import.Total != 2 {
		t.Errorf("import: %+v", conn.Import)
	}
	if r := e.apiCall("A", "POST", "/api/v1/connections/hubspot/resync", nil); r.Status != http.StatusConflict {
		t.Errorf("resync during import: %d, want 409", r.Status)
	}
	e.apiCall("A", "POST", "/api/v1/connections/hubspot/cancel-import", nil)

	r = e.apiCall("A", "PUT", "/api/v1/connections/hubspot/toggles", crmsync.SyncToggles{Contacts: true, Emails: true, Meetings: true})
	r.decode(t, &conn)
	if conn.Toggles.Calls {
		t.Error("calls still on")
	}
	if r := e.apiCall("A", "PUT", "/api/v1/connections/hubspot/toggles", map[string]any{"calls": "no"}); r.Status != http.StatusBadRequest {
		t.Errorf("malformed toggles: %d, want 400", r.Status)
	}

	r = e.apiCall("A", "GET", "/api/v1/connections/hubspot/users", nil)
	mustContain(t, "users", string(r.Body), `"supported":true`, "Avery Owner")
	if r := e.apiCall("A", "PUT", "/api/v1/connections/hubspot/owner", map[string]string{"owner_id": "nobody"}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad owner: %d", r.Status)
	}
	r = e.apiCall("A", "PUT", "/api/v1/connections/hubspot/owner", map[string]string{"owner_id": "u1"})
	r.decode(t, &conn)
	if conn.OwnerName != "Avery Owner" {
		t.Errorf("owner: %q", conn.OwnerName)
	}

	r = e.apiCall("A", "POST", "/api/v1/connections/hubspot/test-contact", nil)
	var tc crmsync.TestContactResult
	r.decode(t, &tc)
	if tc.CRMID != "9001" || tc.URL == "" || tc.Duration <= 0 {
		t.Errorf("test contact: %+v", tc)
	}
	r = e.apiCall("A", "GET", "/api/v1/connections/hubspot/events?limit=1", nil)
	if r.Status != http.StatusOK {
		t.Errorf("events: %d", r.Status)
	}
	if r := e.apiCall("A", "GET", "/api/v1/connections/hubspot/events?limit=0", nil); r.Status != http.StatusBadRequest {
		t.Errorf("events limit=0: %d", r.Status)
	}
	mustContain(t, "health", string(e.apiCall("A", "GET", "/api/v1/connections/hubspot/health", nil).Body), `"hourly":[`)
	mustContain(t, "retry", string(e.apiCall("A", "POST", "/api/v1/connections/hubspot/retry", nil).Body), `"requeued":0`)
	mustContain(t, "fields", string(e.apiCall("A", "GET", "/api/v1/connections/hubspot/fields", nil).Body), `"name":"hs_lead_source"`)

	// Field mappings: the same checks as the page.
	r = e.apiCall("A", "POST", "/api/v1/connections/hubspot/field-mappings", map[string]string{"crm_field": "saleshive_external_id", "source_field": "email"})
	if r.Status != http.StatusUnprocessableEntity || r.apiError(t).fieldNames()[0] != "crm_field" {
		t.Errorf("mapping into the external id: %d %s", r.Status, r.Body)
	}
	r = e.apiCall("A", "POST", "/api/v1/connections/hubspot/field-mappings", map[string]string{"crm_field": "hs_lead_source", "fixed_value": "SalesHive"})
	var m crmsync.FieldMapping
	r.decode(t, &m)
	if r.Status != http.StatusCreated || m.FixedValue != "SalesHive" {
		t.Fatalf("create mapping: %d %s", r.Status, r.Body)
	}
	id := itoa(m.ID)
	if r := e.apiCall("A", "POST", "/api/v1/connections/hubspot/field-mappings", map[string]string{"crm_field": "hs_lead_source", "source_field": "company"}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("second mapping into one field: %d", r.Status)
	}
	r = e.apiCall("A", "PUT", "/api/v1/connections/hubspot/field-mappings/"+id, map[string]string{"crm_field": "hs_lead_source", "source_field": "company"})
	m = crmsync.FieldMapping{}
	r.decode(t, &m)
	if m.SourceField != "company" || m.FixedValue != "" {
		t.Errorf("update mapping: %+v", m)
	}
	if r := e.apiCall("B", "DELETE", "/api/v1/connections/hubspot/field-mappings/"+id, nil); r.Status != http.StatusNotFound {
		t.Errorf("deleting A's mapping as B: %d, want 404", r.Status)
	}
	if r := e.apiCall("A", "DELETE", "/api/v1/connections/hubspot/field-mappings/"+id, nil); r.Status != http.StatusNoContent {
		t.Errorf("delete mapping: %d", r.Status)
	}
	if r := e.apiCall("A", "POST", "/api/v1/connections/hubspot/field-mappings/reviewed", nil); r.Status != http.StatusNoContent || !e.conn("A", crmsync.ProviderHubSpot).FieldMappingViewed {
		t.Errorf("reviewed: %d", r.Status)
	}
	if r := e.apiCall("A", "POST", "/api/v1/connections/hubspot/dismiss-guide", nil); r.Status != http.StatusNoContent || !e.conn("A", crmsync.ProviderHubSpot).GuideDismissed {
		t.Errorf("dismiss guide: %d", r.Status)
	}
	r = e.apiCall("A", "POST", "/api/v1/connections/hubspot/disconnect", nil)
	r.decode(t, &conn)
	if conn.Status != crmsync.StatusNotConnected {
		t.Errorf("disconnect: %s", conn.Status)
	}
	// B sees none of A's connection.
	mustNotContain(t, "B's connections", string(e.apiCall("B", "GET", "/api/v1/connections", nil).Body), "Acme Demo")
}
