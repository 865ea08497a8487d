package hubspot_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestAssociationsV4(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	contact := f.createContact(map[string]any{"email": "ada@example.com"})
	r := f.call(http.MethodPost, "/crm/v3/objects/calls", map[string]any{"properties": map[string]any{"hs_timestamp": "2025-01-01T00:00:00Z"}})
	var call object
	r.Decode(t, &call)

	r = f.call(http.MethodPut, "/crm/v4/objects/calls/"+call.ID+"/associations/default/contacts/"+contact, nil)
	wantStatus(t, r, http.StatusOK)
	golden(t, "association_default", nil, r)
	// Again: idempotent, still one link.
	wantStatus(t, f.call(http.MethodPut, "/crm/v4/objects/contacts/"+contact+"/associations/calls/"+call.ID, []any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 193}}), http.StatusCreated)
	if n := len(f.crm.Env().Store.LinkedFrom("contacts", contact)); n != 1 {
		t.Fatalf("links = %d, want 1", n)
	}
	r = f.call(http.MethodGet, "/crm/v4/objects/contacts/"+contact+"/associations/calls", nil)
	golden(t, "association_list", nil, r)
	var list struct {
		Results []struct {
			ToObjectID       int64 `json:"toObjectId"`
			AssociationTypes []struct {
				TypeID int `json:"typeId"`
			} `json:"associationTypes"`
		} `json:"results"`
	}
	f.call(http.MethodGet, "/crm/v4/objects/contacts/"+contact+"/associations/calls", nil).Decode(t, &list)
	if len(list.Results) != 1 || list.Results[0].AssociationTypes[0].TypeID != 193 {
		t.Fatalf("list = %+v", list)
	}
	wantStatus(t, f.call(http.MethodPut, "/crm/v4/objects/calls/"+call.ID+"/associations/contacts/"+contact, []any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 198}}), http.StatusBadRequest)
	wantStatus(t, f.call(http.MethodPut, "/crm/v4/objects/calls/"+call.ID+"/associations/default/contacts/999999", nil), http.StatusNotFound)
}

func TestContacts_BatchUpdateAndRead(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.createContact(map[string]any{"email": "a@example.com"})
	b := f.createContact(map[string]any{"email": "b@example.com"})
	r := f.call(http.MethodPost, "/crm/v3/objects/contacts/batch/update", map[string]any{"inputs": []any{
		map[string]any{"id": a, "properties": map[string]any{"jobtitle": "CEO"}},
		map[string]any{"id": "b@example.com", "idProperty": "email", "properties": map[string]any{"jobtitle": "CTO"}},
	}})
	wantStatus(t, r, http.StatusOK)
	wantStatus(t, f.call(http.MethodPost, "/crm/v3/objects/contacts/batch/update", map[string]any{"inputs": []any{map[string]any{"id": "424242", "properties": map[string]any{}}}}), http.StatusNotFound)

	req := map[string]any{"inputs": []any{map[string]any{"id": a}, map[string]any{"id": b}, map[string]any{"id": "777"}}, "properties": []string{"jobtitle"}}
	r = f.call(http.MethodPost, "/crm/v3/objects/contacts/batch/read", req)
	wantStatus(t, r, http.StatusMultiStatus)
	golden(t, "contact_batch_read_207", req, r)
	var out batch
	r.Decode(t, &out)
	if len(out.Results) != 2 || out.Results[0].prop("jobtitle") != "CEO" || out.Results[1].prop("jobtitle") != "CTO" || out.Errors[0].Context["ids"][0] != "777" {
		t.Fatalf("batch read = %s", r.Body)
	}
}

func TestOwners_SDKPathWithSlash(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// HubSpot's SDKs call /crm/v3/owners/ with a trailing slash.
	r := f.call(http.MethodGet, "/crm/v3/owners/?limit=100", nil)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "grace.hopper@acme.example") {
		t.Fatalf("owners/ = %d %s", r.Status, r.Body)
	}
}
