package zoho

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/saleshive/crmsync/sandbox/emu"
)

func jsonReader(t *testing.T, v any) io.Reader {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(raw)
}

func contactsBody(n int) map[string]any {
	data := make([]any, n)
	for i := range data {
		data[i] = map[string]any{"Last_Name": fmt.Sprintf("Person %d", i), "SalesHive_External_ID": fmt.Sprintf("SH-%d", i)}
	}
	return map[string]any{"data": data, "duplicate_check_fields": []string{"SalesHive_External_ID"}}
}

// dataItem returns data[i] of a record-write response.
func dataItem(t testing.TB, r response, i int) map[string]any {
	t.Helper()
	data, _ := r.json(t)["data"].([]any)
	if len(data) <= i {
		t.Fatalf("no data[%d] in %s", i, r.body)
	}
	return data[i].(map[string]any)
}

// createExternalField creates the SalesHive External ID field through the API.
func (e *env) createExternalField(tok string) response {
	e.t.Helper()
	r := e.do(http.MethodPost, e.base+"/us/api/crm/v8/settings/fields?module=Contacts", "Zoho-oauthtoken "+tok, map[string]any{
		"fields": []any{map[string]any{
			"field_label": "SalesHive External ID", "data_type": "text", "length": 255,
			"unique": map[string]any{"case_sensitive": false}, "external": map[string]any{"type": "org", "show": false},
		}},
	})
	if r.status != http.StatusCreated {
		e.t.Fatalf("create field: %d %s", r.status, r.body)
	}
	return r
}

func TestContacts_Upsert(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	e.createExternalField(tok)
	owner := e.crm.Env().Config.Users[1]
	users, _ := e.crm.Env().Store.List(objectUsers, 0, 0)
	req := map[string]any{
		"data": []any{
			map[string]any{"Last_Name": "Lovelace", "First_Name": "Ada", "Email": "ada@example.com", "Title": "VP Engineering",
				"SalesHive_External_ID": "SH-1001", "Owner": map[string]any{"id": users[1].ID}},
			map[string]any{"Last_Name": "Turing", "First_Name": "Alan", "Email": "alan@example.com", "SalesHive_External_ID": "SH-1002"},
		},
		"duplicate_check_fields": []string{"SalesHive_External_ID"},
		"trigger":                []string{},
	}
	e.golden("upsert_contacts_request", mustJSON(t, req))
	r := e.api(http.MethodPost, "/Contacts/upsert", tok, req)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	e.golden("upsert_contacts_insert", r.body)
	first := dataItem(t, r, 0)
	id := first["details"].(map[string]any)["id"].(string)
	if first["action"] != "insert" || first["duplicate_field"] != nil {
		t.Fatalf("first = %v", first)
	}

	// Upserting the same external id (other case: the field is case-insensitive) updates.
	e.clock.Advance(60e9)
	r = e.api(http.MethodPost, "/Contacts/upsert", tok, map[string]any{
		"data":                   []any{map[string]any{"Last_Name": "Lovelace", "Title": "CTO", "SalesHive_External_ID": "sh-1001"}},
		"duplicate_check_fields": []string{"SalesHive_External_ID"},
	})
	item := dataItem(t, r, 0)
	if r.status != http.StatusOK || item["action"] != "update" || item["duplicate_field"] != "SalesHive_External_ID" || item["details"].(map[string]any)["id"] != id {
		t.Fatalf("update = %d %s", r.status, r.body)
	}
	e.golden("upsert_contacts_update", r.body)
	if n := e.crm.Env().Store.Count(ModuleContacts, "SalesHive_External_ID", "SH-1001"); n != 1 {
		t.Fatalf("%d records hold SH-1001", n)
	}

	// The record keeps its owner and merges the update.
	g := e.api(http.MethodGet, "/Contacts/"+id, tok, nil)
	if g.status != http.StatusOK {
		t.Fatalf("get: %d", g.status)
	}
	rec := dataItem(t, g, 0)
	if rec["Title"] != "CTO" || rec["First_Name"] != "Ada" || rec["Full_Name"] != "Ada Lovelace" {
		t.Errorf("record = %v", rec)
	}
	if o := rec["Owner"].(map[string]any); o["id"] != users[1].ID || o["email"] != owner.Email {
		t.Errorf("Owner = %v", o)
	}
	e.golden("get_contact", g.body)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestContacts_UpsertDefaultsOwnerToCaller(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	r := e.api(http.MethodPost, "/Contacts/upsert", tok, map[string]any{"data": []any{map[string]any{"Last_Name": "Solo", "Email": "solo@example.com"}}})
	id := dataItem(t, r, 0)["details"].(map[string]any)["id"].(string)
	rec, _ := e.crm.Env().Store.Get(ModuleContacts, id)
	if o := rec.Fields["Owner"].(map[string]any); o["id"] != e.crm.primaryUser().ID {
		t.Fatalf("Owner = %v", o)
	}
	// Without duplicate_check_fields Email decides (case-insensitively).
	r = e.api(http.MethodPost, "/Contacts/upsert", tok, map[string]any{"data": []any{map[string]any{"Last_Name": "Solo", "Email": "SOLO@example.com"}}})
	if item := dataItem(t, r, 0); item["action"] != "update" || item["duplicate_field"] != "Email" {
		t.Fatalf("email match = %s", r.body)
	}
}

func TestContacts_UpsertRecordErrors(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	e.createExternalField(tok)
	// Two existing contacts for the duplicate case.
	e.api(http.MethodPost, "/Contacts/upsert", tok, map[string]any{"data": []any{
		map[string]any{"Last_Name": "A", "Email": "a@example.com", "SalesHive_External_ID": "SH-A"},
		map[string]any{"Last_Name": "B", "Email": "b@example.com", "SalesHive_External_ID": "SH-B"},
	}})
	tests := []struct {
		name   string
		record map[string]any
		dup    []string
		code   string
		field  string
	}{
		{"missing last name", map[string]any{"First_Name": "No", "SalesHive_External_ID": "SH-1"}, nil, "MANDATORY_NOT_FOUND", "Last_Name"},
		{"empty last name", map[string]any{"Last_Name": "  ", "SalesHive_External_ID": "SH-1"}, nil, "MANDATORY_NOT_FOUND", "Last_Name"},
		{"invalid email", map[string]any{"Last_Name": "X", "Email": "not-an-email"}, nil, "INVALID_DATA", "Email"},
		{"too long", map[string]any{"Last_Name": strings.Repeat("x", 81)}, nil, "INVALID_DATA", "Last_Name"},
		{"wrong type", map[string]any{"Last_Name": "X", "Email_Opt_Out": "yes"}, nil, "INVALID_DATA", "Email_Opt_Out"},
		{"unknown owner", map[string]any{"Last_Name": "X", "Owner": map[string]any{"id": "5725767000000999999"}}, nil, "INVALID_DATA", "Owner"},
		{"inactive owner", map[string]any{"Last_Name": "X", "Owner": map[string]any{"id": "5725767000000411004"}}, nil, "INVALID_DATA", "Owner"},
		{"bad date", map[string]any{"Last_Name": "X", "Date_of_Birth": "12/01/1990"}, nil, "INVALID_DATA", "Date_of_Birth"},
		// Matches A by Email, then would take B's external id.
		{"duplicate", map[string]any{"Last_Name": "A", "Email": "a@example.com", "SalesHive_External_ID": "SH-B"}, []string{"Email"}, "DUPLICATE_DATA", "SalesHive_External_ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := map[string]any{"data": []any{map[string]any{"Last_Name": "Fine", "SalesHive_External_ID": "SH-OK-" + tt.name}, tt.record}}
			if tt.dup != nil {
				body["duplicate_check_fields"] = tt.dup
			}
			r := e.api(http.MethodPost, "/Contacts/upsert", tok, body)
			if r.status != http.StatusMultiStatus {
				t.Fatalf("status %d, want 207: %s", r.status, r.body)
			}
			if ok := dataItem(t, r, 0); ok["status"] != "success" {
				t.Errorf("good record = %v", ok)
			}
			bad := dataItem(t, r, 1)
			details, _ := bad["details"].(map[string]any)
			if bad["code"] != tt.code || bad["status"] != "error" || details["api_name"] != tt.field || details["json_path"] != "$.data[1]."+tt.field {
				t.Fatalf("item = %v", bad)
			}
			switch tt.code {
			case "DUPLICATE_DATA":
				e.golden("upsert_error_duplicate", r.body)
				dr := details["duplicate_record"].(map[string]any)
				if b, _ := e.crm.Env().Store.FindUnique(ModuleContacts, "SalesHive_External_ID", "SH-B"); dr["id"] != b.ID {
					t.Errorf("duplicate_record = %v, want id %s", dr, b.ID)
				}
			}
			if tt.name == "missing last name" {
				e.golden("upsert_error_mandatory", r.body)
			}
			if tt.name == "invalid email" {
				e.golden("upsert_error_invalid_email", r.body)
			}
		})
	}
}

func TestContacts_UpsertRequestErrors(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	r := e.api(http.MethodPost, "/Contacts/upsert", tok, contactsBody(101))
	wantError(t, r, http.StatusBadRequest, "LIMIT_EXCEEDED")
	e.golden("upsert_error_limit", r.body)
	if n := e.crm.Env().Store.Len(ModuleContacts); n != 0 {
		t.Fatalf("%d contacts written by a rejected call", n)
	}
	wantError(t, e.api(http.MethodPost, "/Contacts/upsert", tok, map[string]any{"data": []any{}}), http.StatusBadRequest, "REQUIRED_PARAM_MISSING")
	wantError(t, e.api(http.MethodPost, "/Contacts/upsert", tok, "{not json"), http.StatusBadRequest, "INVALID_DATA")
	// Only unique fields (and Email) may be duplicate-check fields.
	wantError(t, e.api(http.MethodPost, "/Contacts/upsert", tok, map[string]any{
		"data": []any{map[string]any{"Last_Name": "X"}}, "duplicate_check_fields": []string{"Title"},
	}), http.StatusBadRequest, "INVALID_DATA")
	// All records failing is a 400 with per-record errors.
	r = e.api(http.MethodPost, "/Contacts/upsert", tok, map[string]any{"data": []any{map[string]any{"First_Name": "NoLast"}}})
	if r.status != http.StatusBadRequest || dataItem(t, r, 0)["code"] != "MANDATORY_NOT_FOUND" {
		t.Fatalf("all failed = %d %s", r.status, r.body)
	}
	// 100 records is fine.
	if r := e.api(http.MethodPost, "/Contacts/upsert", tok, map[string]any{"data": contactsBody(100)["data"]}); r.status != http.StatusOK {
		t.Fatalf("100 records: %d %s", r.status, r.body)
	}
}

func TestContacts_RequiredFieldFromControlAPI(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	e.crm.Env().Store.SetRequired(ModuleContacts, "Phone", true)
	r := e.api(http.MethodPost, "/Contacts/upsert", tok, map[string]any{"data": []any{map[string]any{"Last_Name": "X"}}})
	if item := dataItem(t, r, 0); item["code"] != "MANDATORY_NOT_FOUND" || item["details"].(map[string]any)["api_name"] != "Phone" {
		t.Fatalf("= %s", r.body)
	}
	// The field list shows it as mandatory.
	f := e.api(http.MethodGet, "/settings/fields?module=Contacts", tok, nil)
	for _, x := range f.json(t)["fields"].([]any) {
		if m := x.(map[string]any); m["api_name"] == "Phone" && m["system_mandatory"] != true {
			t.Errorf("Phone not shown mandatory: %v", m)
		}
	}
	e.crm.Env().Store.SetRequired(ModuleContacts, "Phone", false)
	if r := e.api(http.MethodPost, "/Contacts/upsert", tok, map[string]any{"data": []any{map[string]any{"Last_Name": "X"}}}); r.status != http.StatusOK {
		t.Fatalf("after lifting: %d %s", r.status, r.body)
	}
}

func TestContacts_Insert(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	e.createExternalField(tok)
	r := e.api(http.MethodPost, "/Contacts", tok, map[string]any{"data": []any{map[string]any{"Last_Name": "One", "SalesHive_External_ID": "SH-9"}}})
	if r.status != http.StatusCreated || dataItem(t, r, 0)["message"] != "record added" {
		t.Fatalf("insert = %d %s", r.status, r.body)
	}
	if _, has := dataItem(t, r, 0)["action"]; has {
		t.Errorf("insert result carries action: %s", r.body)
	}
	// Uniqueness is enforced on insert.
	r = e.api(http.MethodPost, "/Contacts", tok, map[string]any{"data": []any{map[string]any{"Last_Name": "Two", "SalesHive_External_ID": "SH-9"}}})
	if r.status != http.StatusBadRequest || dataItem(t, r, 0)["code"] != "DUPLICATE_DATA" {
		t.Fatalf("duplicate insert = %d %s", r.status, r.body)
	}
}

func TestContacts_Get(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	if r := e.api(http.MethodGet, "/Contacts/5725767001999999999", tok, nil); r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("unknown id = %d %q", r.status, r.body)
	}
	wantError(t, e.api(http.MethodGet, "/Contacts/abc", tok, nil), http.StatusBadRequest, "INVALID_DATA")
	id := e.newContact(tok, "Lovelace", "ada@example.com")
	r := e.api(http.MethodGet, "/Contacts/"+id+"?fields=Email,full_name", tok, nil)
	rec := dataItem(t, r, 0)
	if len(rec) != 3 || rec["Email"] != "ada@example.com" || rec["Full_Name"] != "Ada Lovelace" || rec["id"] != id {
		t.Fatalf("fields filter = %s", r.body)
	}
}

func TestContacts_ConcurrentUpsertsOneRecord(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	e.createExternalField(tok)
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.api(http.MethodPost, "/Contacts/upsert", tok, map[string]any{
				"data":                   []any{map[string]any{"Last_Name": fmt.Sprintf("Racer %d", i), "SalesHive_External_ID": "SH-RACE"}},
				"duplicate_check_fields": []string{"SalesHive_External_ID"},
			})
			if r.status != http.StatusOK {
				t.Errorf("upsert %d: %d %s", i, r.status, r.body)
			}
		}()
	}
	wg.Wait()
	if n := e.crm.Env().Store.Count(ModuleContacts, "SalesHive_External_ID", "SH-RACE"); n != 1 {
		t.Fatalf("%d records for one external id", n)
	}
}

var _ = emu.Link{}

func TestRecords_Update(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	a := e.newContact(tok, "Lovelace", "ada@example.com")
	b := e.newContact(tok, "Byron", "byron@example.com")
	e.clock.Advance(60e9)
	req := map[string]any{"data": []any{
		map[string]any{"id": a, "Title": "Countess"},
		map[string]any{"id": b, "Last_Name": ""},
		map[string]any{"id": "5725767001999999999", "Title": "Nobody"},
		map[string]any{"Title": "No id"},
	}, "trigger": []string{}}
	r := e.api(http.MethodPut, "/Contacts", tok, req)
	if r.status != http.StatusMultiStatus {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	e.golden("update_contacts", r.body)
	if item := dataItem(t, r, 0); item["message"] != "record updated" || item["details"].(map[string]any)["id"] != a {
		t.Errorf("update = %v", item)
	}
	for i, want := range map[int]string{1: "MANDATORY_NOT_FOUND", 2: "INVALID_DATA", 3: "MANDATORY_NOT_FOUND"} {
		if item := dataItem(t, r, i); item["code"] != want {
			t.Errorf("data[%d] = %v, want %s", i, item, want)
		}
	}
	rec, _ := e.crm.Env().Store.Get(ModuleContacts, a)
	if rec.String("Title") != "Countess" || rec.String("Last_Name") != "Lovelace" || !rec.UpdatedAt.After(rec.CreatedAt) {
		t.Errorf("record = %+v", rec)
	}
	// PUT /{module}/{id} updates one record; the owner may change on update.
	users, _ := e.crm.Env().Store.List(objectUsers, 0, 0)
	one := e.api(http.MethodPut, "/Contacts/"+b, tok, map[string]any{"data": []any{map[string]any{"Title": "Poet", "Owner": map[string]any{"id": users[2].ID}}}})
	if one.status != http.StatusOK {
		t.Fatalf("single update: %d %s", one.status, one.body)
	}
	rec, _ = e.crm.Env().Store.Get(ModuleContacts, b)
	if rec.String("Title") != "Poet" || rec.Fields["Owner"].(map[string]any)["id"] != users[2].ID {
		t.Errorf("record = %+v", rec.Fields)
	}
	// A call's fields are rechecked against the merged record.
	call := e.api(http.MethodPost, "/Calls", tok, map[string]any{"data": []any{map[string]any{
		"Subject": "S", "Call_Type": "Outbound", "Call_Start_Time": "2025-06-10T14:05:00+00:00", "Call_Duration": "2:00", "Who_Id": map[string]any{"id": a},
	}}})
	callID := dataItem(t, call, 0)["details"].(map[string]any)["id"].(string)
	u := e.api(http.MethodPut, "/Calls", tok, map[string]any{"data": []any{map[string]any{"id": callID, "Call_Duration": "3:30"}}})
	if u.status != http.StatusOK {
		t.Fatalf("call update: %d %s", u.status, u.body)
	}
	crec, _ := e.crm.Env().Store.Get(ModuleCalls, callID)
	if crec.Fields["Call_Duration_in_seconds"] != float64(210) || crec.String("Subject") != "S" {
		t.Errorf("call = %v", crec.Fields)
	}
	u = e.api(http.MethodPut, "/Calls/"+callID, tok, map[string]any{"data": []any{map[string]any{"Call_Duration": "0:00"}}})
	if u.status != http.StatusBadRequest || dataItem(t, u, 0)["code"] != "DEPENDENT_MISMATCH" {
		t.Fatalf("zero duration update = %d %s", u.status, u.body)
	}
}
