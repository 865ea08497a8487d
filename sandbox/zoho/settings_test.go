package zoho

import (
	"net/http"
	"testing"
)

func TestFields_List(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	r := e.api(http.MethodGet, "/settings/fields?module=Contacts", tok, nil)
	if r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	fields := r.json(t)["fields"].([]any)
	byName := map[string]map[string]any{}
	for _, f := range fields {
		m := f.(map[string]any)
		byName[m["api_name"].(string)] = m
	}
	if ln := byName["Last_Name"]; ln["system_mandatory"] != true || ln["length"] != float64(80) || ln["data_type"] != "text" {
		t.Errorf("Last_Name = %v", ln)
	}
	if em := byName["Email"]; em["data_type"] != "email" || em["system_mandatory"] != false {
		t.Errorf("Email = %v", em)
	}
	if ro := byName["Created_Time"]; ro["read_only"] != true {
		t.Errorf("Created_Time = %v", ro)
	}
	e.golden("fields_contacts", r.body)
	wantError(t, e.api(http.MethodGet, "/settings/fields", tok, nil), http.StatusBadRequest, "REQUIRED_PARAM_MISSING")
	wantError(t, e.api(http.MethodGet, "/settings/fields?module=Widgets", tok, nil), http.StatusBadRequest, "INVALID_MODULE")
	if r := e.api(http.MethodGet, "/settings/fields?module=calls", tok, nil); r.status != http.StatusOK {
		t.Errorf("module names are case-insensitive: %d", r.status)
	}
}

func TestFields_CreateExternalID(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	req := map[string]any{"fields": []any{map[string]any{
		"field_label": "SalesHive External ID", "data_type": "text", "length": 255,
		"unique": map[string]any{"case_sensitive": false}, "external": map[string]any{"type": "org", "show": false},
	}}}
	e.golden("fields_create_request", mustJSON(t, req))
	r := e.api(http.MethodPost, "/settings/fields?module=Contacts", tok, req)
	if r.status != http.StatusCreated {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	e.golden("fields_create", r.body)
	id := r.json(t)["fields"].([]any)[0].(map[string]any)["details"].(map[string]any)["id"].(string)

	// The response has only the id; the field list (or the field by id) gives the api_name.
	g := e.api(http.MethodGet, "/settings/fields/"+id+"?module=Contacts", tok, nil)
	f := g.json(t)["fields"].([]any)[0].(map[string]any)
	if f["api_name"] != "SalesHive_External_ID" || f["custom_field"] != true || f["unique"] == nil || f["external"] == nil {
		t.Fatalf("field = %v", f)
	}
	e.golden("fields_get_external", g.body)

	// Uniqueness is enforced from now on (case-insensitively).
	if r := e.api(http.MethodPost, "/Contacts", tok, map[string]any{"data": []any{map[string]any{"Last_Name": "A", "SalesHive_External_ID": "SH-1"}}}); r.status != http.StatusCreated {
		t.Fatalf("first: %d %s", r.status, r.body)
	}
	r = e.api(http.MethodPost, "/Contacts", tok, map[string]any{"data": []any{map[string]any{"Last_Name": "B", "SalesHive_External_ID": "sh-1"}}})
	if r.status != http.StatusBadRequest || dataItem(t, r, 0)["code"] != "DUPLICATE_DATA" {
		t.Fatalf("duplicate = %d %s", r.status, r.body)
	}
	// Creating it again is a duplicate.
	r = e.api(http.MethodPost, "/settings/fields?module=Contacts", tok, req)
	if item := r.json(t)["fields"].([]any)[0].(map[string]any); r.status != http.StatusBadRequest || item["code"] != "DUPLICATE_DATA" {
		t.Fatalf("again = %d %s", r.status, r.body)
	}
}

func TestFields_CreateErrors(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	tests := []struct {
		name, module string
		field        map[string]any
		code         string
	}{
		{"no label", "Contacts", map[string]any{"data_type": "text"}, "MANDATORY_NOT_FOUND"},
		{"no type", "Contacts", map[string]any{"field_label": "X"}, "MANDATORY_NOT_FOUND"},
		{"bad type", "Contacts", map[string]any{"field_label": "X", "data_type": "hologram"}, "INVALID_DATA"},
		{"too long", "Contacts", map[string]any{"field_label": "X", "data_type": "text", "length": 300}, "INVALID_DATA"},
		{"external not text", "Contacts", map[string]any{"field_label": "X", "data_type": "integer", "external": map[string]any{"type": "org"}}, "NOT_ALLOWED"},
		{"external in calls", "Calls", map[string]any{"field_label": "X", "data_type": "text", "external": map[string]any{"type": "org"}}, "NOT_ALLOWED"},
		{"external type", "Contacts", map[string]any{"field_label": "X", "data_type": "text", "external": map[string]any{"type": "team"}}, "INVALID_DATA"},
		{"duplicate standard label", "Contacts", map[string]any{"field_label": "Email", "data_type": "text"}, "DUPLICATE_DATA"},
		{"picklist without values", "Contacts", map[string]any{"field_label": "Tier", "data_type": "picklist"}, "MANDATORY_NOT_FOUND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.api(http.MethodPost, "/settings/fields?module="+tt.module, tok, map[string]any{"fields": []any{tt.field}})
			items, _ := r.json(t)["fields"].([]any)
			if r.status != http.StatusBadRequest || len(items) != 1 || items[0].(map[string]any)["code"] != tt.code {
				t.Fatalf("= %d %s", r.status, r.body)
			}
		})
	}
	six := make([]any, 6)
	for i := range six {
		six[i] = map[string]any{"field_label": "F" + itoa(i), "data_type": "text"}
	}
	r := e.api(http.MethodPost, "/settings/fields?module=Contacts", tok, map[string]any{"fields": six})
	if items, _ := r.json(t)["fields"].([]any); r.status != http.StatusBadRequest || items[0].(map[string]any)["code"] != "LIMIT_EXCEEDED" {
		t.Fatalf("six fields = %d %s", r.status, r.body)
	}
	if n := len(fieldsOf(e.crm.Env().Store, ModuleContacts)); n != len(contactsFields()) {
		t.Fatalf("%d fields after rejected calls", n)
	}
}

func TestAPINameFromLabel(t *testing.T) {
	for label, want := range map[string]string{
		"SalesHive External ID": "SalesHive_External_ID",
		"  Lead score (v2) ":    "Lead_score_v2",
		"A--B":                  "A_B",
	} {
		if got := apiNameFromLabel(label); got != want {
			t.Errorf("apiNameFromLabel(%q) = %q, want %q", label, got, want)
		}
	}
}
