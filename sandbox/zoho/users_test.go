package zoho

import (
	"net/http"
	"strings"
	"testing"
)

func TestUsers(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	r := e.api(http.MethodGet, "/users?type=ActiveUsers&page=1&per_page=200", tok, nil)
	if r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	e.golden("users_active", r.body)
	m := r.json(t)
	if users := m["users"].([]any); len(users) != 3 {
		t.Fatalf("%d active users", len(users))
	}
	if info := m["info"].(map[string]any); info["count"] != float64(3) || info["more_records"] != false || info["per_page"] != float64(200) {
		t.Errorf("info = %v", info)
	}
	tests := []struct {
		query string
		count int
	}{
		{"type=AllUsers", 4},
		{"type=DeactiveUsers", 1},
		{"type=AdminUsers", 1},
		{"type=CurrentUser", 1},
		{"type=ActiveUsers&per_page=2", 2},
		{"type=ActiveUsers&per_page=2&page=2", 1},
	}
	for _, tt := range tests {
		r := e.api(http.MethodGet, "/users?"+tt.query, tok, nil)
		if got := len(r.json(t)["users"].([]any)); got != tt.count {
			t.Errorf("%s: %d users, want %d", tt.query, got, tt.count)
		}
	}
	cur := e.api(http.MethodGet, "/users?type=CurrentUser", tok, nil).json(t)["users"].([]any)[0].(map[string]any)
	if cur["id"] != e.crm.primaryUser().ID || cur["profile"].(map[string]any)["name"] != "Administrator" {
		t.Errorf("current user = %v", cur)
	}
	// Nothing matches: 204 with no body.
	if r := e.api(http.MethodGet, "/users?type=DeletedUsers", tok, nil); r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Errorf("deleted users = %d %q", r.status, r.body)
	}
	wantError(t, e.api(http.MethodGet, "/users?type=Everyone", tok, nil), http.StatusBadRequest, "INVALID_DATA")
	wantError(t, e.api(http.MethodGet, "/users?per_page=500", tok, nil), http.StatusBadRequest, "INVALID_DATA")
}

func TestOrg(t *testing.T) {
	e := newEnv(t)
	r := e.api(http.MethodGet, "/org", e.token(), nil)
	org := r.json(t)["org"].([]any)[0].(map[string]any)
	if org["company_name"] != "Acme Demo (Zoho CRM)" || org["domain_name"] != "org"+orgZGID {
		t.Fatalf("org = %v", org)
	}
	e.golden("org", r.body)
}

func TestRecordPage(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	contact := e.newContact(tok, "Lovelace", "ada@example.com")
	e.api(http.MethodPost, "/Calls", tok, map[string]any{"data": []any{map[string]any{
		"Subject": "Discovery call", "Call_Type": "Outbound", "Call_Start_Time": "2025-06-10T14:05:00+00:00", "Call_Duration": "07:00",
		"Who_Id": map[string]any{"id": contact},
	}}})
	page := e.do(http.MethodGet, RecordURL(e.base, "us", ModuleContacts, contact), "", nil)
	body := string(page.body)
	if page.status != http.StatusOK || !strings.Contains(body, `id="record-title">Ada Lovelace<`) || !strings.Contains(body, "Discovery call") || !strings.Contains(body, "ada@example.com") {
		t.Fatalf("page = %d %s", page.status, body)
	}
	for name, u := range map[string]string{
		"unknown record": RecordURL(e.base, "us", ModuleContacts, "5725767001999999999"),
		"other dc":       RecordURL(e.base, "eu", ModuleContacts, contact),
		"other org":      e.base + "/us/crm/org1/tab/Contacts/" + contact,
	} {
		if r := e.do(http.MethodGet, u, "", nil); r.status != http.StatusNotFound {
			t.Errorf("%s: %d", name, r.status)
		}
	}
}
