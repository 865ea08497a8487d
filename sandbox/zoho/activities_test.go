package zoho

import (
	"net/http"
	"strings"
	"testing"
)

// newContact upserts one contact and returns its id.
func (e *env) newContact(tok, last, email string) string {
	e.t.Helper()
	r := e.api(http.MethodPost, "/Contacts/upsert", tok, map[string]any{"data": []any{map[string]any{"Last_Name": last, "First_Name": "Ada", "Email": email}}})
	if r.status != http.StatusOK {
		e.t.Fatalf("contact: %d %s", r.status, r.body)
	}
	return dataItem(e.t, r, 0)["details"].(map[string]any)["id"].(string)
}

func TestCalls_CreateAndGet(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	contact := e.newContact(tok, "Lovelace", "ada@example.com")
	req := map[string]any{"data": []any{map[string]any{
		"Subject": "Discovery call", "Call_Type": "Outbound", "Outbound_Call_Status": "Completed",
		"Call_Start_Time": "2025-06-10T14:05:00+02:00", "Call_Duration": "07:30",
		"Who_Id": map[string]any{"id": contact}, "Description": "Discussed timeline and budget.",
	}}, "trigger": []string{}}
	e.golden("calls_create_request", mustJSON(t, req))
	r := e.api(http.MethodPost, "/Calls", tok, req)
	if r.status != http.StatusCreated {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	e.golden("calls_create", r.body)
	id := dataItem(t, r, 0)["details"].(map[string]any)["id"].(string)
	g := e.api(http.MethodGet, "/Calls/"+id, tok, nil)
	rec := dataItem(t, g, 0)
	if rec["Call_Duration_in_seconds"] != float64(450) || rec["Call_Start_Time"] != "2025-06-10T12:05:00+00:00" {
		t.Errorf("call = %v", rec)
	}
	if who := rec["Who_Id"].(map[string]any); who["id"] != contact || who["name"] != "Ada Lovelace" {
		t.Errorf("Who_Id = %v", who)
	}
	e.golden("calls_get", g.body)
	// The call is attached to the contact.
	links := e.crm.Env().Store.LinkedFrom(ModuleContacts, contact)
	if len(links) != 1 || links[0].Object != ModuleCalls || links[0].ID != id {
		t.Errorf("links = %v", links)
	}
}

func TestCalls_Errors(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	contact := e.newContact(tok, "Lovelace", "ada@example.com")
	base := func() map[string]any {
		return map[string]any{"Subject": "S", "Call_Type": "Inbound", "Call_Start_Time": "2025-06-10T14:05:00+00:00", "Call_Duration": "5:00", "Who_Id": map[string]any{"id": contact}}
	}
	with := func(k string, v any) map[string]any {
		m := base()
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name   string
		record map[string]any
		code   string
		field  string
	}{
		{"no subject", with("Subject", nil), "MANDATORY_NOT_FOUND", "Subject"},
		{"no call type", with("Call_Type", nil), "MANDATORY_NOT_FOUND", "Call_Type"},
		{"no start", with("Call_Start_Time", nil), "MANDATORY_NOT_FOUND", "Call_Start_Time"},
		{"no duration", with("Call_Duration", nil), "MANDATORY_NOT_FOUND", "Call_Duration"},
		{"zero duration", with("Call_Duration", "00:00"), "DEPENDENT_MISMATCH", "Call_Duration"},
		{"bad duration", with("Call_Duration", "five"), "INVALID_DATA", "Call_Duration"},
		{"bad call type", with("Call_Type", "Sideways"), "INVALID_DATA", "Call_Type"},
		{"bad start", with("Call_Start_Time", "10 June"), "INVALID_DATA", "Call_Start_Time"},
		{"unknown contact", with("Who_Id", map[string]any{"id": "5725767001999999999"}), "INVALID_DATA", "Who_Id"},
		{"what id without module", with("What_Id", map[string]any{"id": "5725767009000000001"}), "DEPENDENT_FIELD_MISSING", "$se_module"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.api(http.MethodPost, "/Calls", tok, map[string]any{"data": []any{tt.record}})
			item := dataItem(t, r, 0)
			if r.status != http.StatusBadRequest || item["code"] != tt.code || item["details"].(map[string]any)["api_name"] != tt.field {
				t.Fatalf("= %d %s", r.status, r.body)
			}
		})
	}
	// A scheduled outbound call needs no duration; a missed call may be zero.
	scheduled := with("Call_Duration", nil)
	scheduled["Call_Type"], scheduled["Outbound_Call_Status"] = "Outbound", "Scheduled"
	missed := with("Call_Duration", "0:00")
	missed["Call_Type"] = "Missed"
	related := with("What_Id", map[string]any{"id": "5725767009000000001"})
	related["$se_module"] = "Deals"
	r := e.api(http.MethodPost, "/Calls", tok, map[string]any{"data": []any{scheduled, missed, related}})
	if r.status != http.StatusCreated {
		t.Fatalf("scheduled/missed/related = %d %s", r.status, r.body)
	}
}

func TestEvents_CreateAndGet(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	contact := e.newContact(tok, "Lovelace", "ada@example.com")
	other := e.newContact(tok, "Byron", "byron@example.com")
	users, _ := e.crm.Env().Store.List(objectUsers, 0, 0)
	req := map[string]any{"data": []any{map[string]any{
		"Event_Title": "Product demo", "Start_DateTime": "2025-06-12T15:00:00+00:00", "End_DateTime": "2025-06-12T15:30:00+00:00",
		"All_day": false, "Who_Id": map[string]any{"id": contact}, "Venue": "Zoom", "Description": "Agenda",
		"Participants": []any{
			map[string]any{"type": "contact", "participant": contact},
			map[string]any{"type": "contact", "participant": other},
			map[string]any{"type": "user", "participant": users[0].ID},
			map[string]any{"type": "email", "participant": "guest@example.com"},
		},
		"Owner": map[string]any{"id": users[2].ID},
	}}}
	e.golden("events_create_request", mustJSON(t, req))
	r := e.api(http.MethodPost, "/Events", tok, req)
	if r.status != http.StatusCreated {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	e.golden("events_create", r.body)
	id := dataItem(t, r, 0)["details"].(map[string]any)["id"].(string)
	g := e.api(http.MethodGet, "/Events/"+id, tok, nil)
	rec := dataItem(t, g, 0)
	if ps := rec["Participants"].([]any); len(ps) != 4 || ps[0].(map[string]any)["name"] != "Ada Lovelace" {
		t.Errorf("Participants = %v", rec["Participants"])
	}
	e.golden("events_get", g.body)
	// Linked to the Who_Id contact and the other contact participant, once each.
	if l := e.crm.Env().Store.LinkedFrom(ModuleContacts, contact); len(l) != 1 {
		t.Errorf("contact links = %v", l)
	}
	if l := e.crm.Env().Store.LinkedFrom(ModuleContacts, other); len(l) != 1 {
		t.Errorf("participant links = %v", l)
	}
}

func TestEvents_Errors(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	many := make([]any, 51)
	for i := range many {
		many[i] = map[string]any{"type": "email", "participant": "p@example.com"}
	}
	tests := []struct {
		name   string
		record map[string]any
		code   string
	}{
		{"no title", map[string]any{"Start_DateTime": "2025-06-12T15:00:00+00:00", "End_DateTime": "2025-06-12T15:30:00+00:00"}, "MANDATORY_NOT_FOUND"},
		{"no end", map[string]any{"Event_Title": "T", "Start_DateTime": "2025-06-12T15:00:00+00:00"}, "MANDATORY_NOT_FOUND"},
		{"ends before start", map[string]any{"Event_Title": "T", "Start_DateTime": "2025-06-12T15:00:00+00:00", "End_DateTime": "2025-06-12T14:00:00+00:00"}, "INVALID_DATA"},
		{"too many participants", map[string]any{"Event_Title": "T", "Start_DateTime": "2025-06-12T15:00:00+00:00", "End_DateTime": "2025-06-12T16:00:00+00:00", "Participants": many}, "LIMIT_EXCEEDED"},
		{"unknown participant", map[string]any{"Event_Title": "T", "Start_DateTime": "2025-06-12T15:00:00+00:00", "End_DateTime": "2025-06-12T16:00:00+00:00",
			"Participants": []any{map[string]any{"type": "contact", "participant": "5725767001999999999"}}}, "INVALID_DATA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.api(http.MethodPost, "/Events", tok, map[string]any{"data": []any{tt.record}})
			if r.status != http.StatusBadRequest || dataItem(t, r, 0)["code"] != tt.code {
				t.Fatalf("= %d %s", r.status, r.body)
			}
		})
	}
	wantError(t, e.api(http.MethodPost, "/Events/upsert", tok, map[string]any{"data": []any{map[string]any{"Event_Title": "T"}}}), http.StatusBadRequest, "INVALID_MODULE")
}

func TestAssociateEmail(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	contact := e.newContact(tok, "Lovelace", "ada@example.com")
	email := map[string]any{
		"from":    map[string]any{"user_name": "SalesHive Rep", "email": "rep@saleshive.example"},
		"to":      []any{map[string]any{"user_name": "Ada Lovelace", "email": "ada@example.com"}},
		"subject": "Following up", "content": "<p>Hi Ada</p>", "mail_format": "html",
		"date_time": "2025-06-10T15:00:00+00:00", "sent": true, "original_message_id": "<sh-msg-000123@saleshive.example>",
	}
	req := map[string]any{"Emails": []any{email}}
	e.golden("associate_email_request", mustJSON(t, req))
	path := "/Contacts/" + contact + "/actions/associate_email"
	r := e.api(http.MethodPost, path, tok, req)
	if r.status != http.StatusCreated {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	e.golden("associate_email", r.body)
	if n := e.crm.Env().Store.Len(ObjectEmails); n != 1 {
		t.Fatalf("%d emails stored", n)
	}
	if l := e.crm.Env().Store.LinkedFrom(ModuleContacts, contact); len(l) != 1 || l[0].Object != ObjectEmails {
		t.Errorf("links = %v", l)
	}
	// The same original_message_id again is DUPLICATE_DATA.
	r = e.api(http.MethodPost, path, tok, req)
	items, _ := r.json(t)["Emails"].([]any)
	if r.status != http.StatusBadRequest || len(items) != 1 || items[0].(map[string]any)["code"] != "DUPLICATE_DATA" {
		t.Fatalf("repeat = %d %s", r.status, r.body)
	}
	e.golden("associate_email_duplicate", r.body)
	if n := e.crm.Env().Store.Len(ObjectEmails); n != 1 {
		t.Fatalf("%d emails stored after repeat", n)
	}
	// …but on another contact it is a new email.
	other := e.newContact(tok, "Byron", "byron@example.com")
	if r := e.api(http.MethodPost, "/Contacts/"+other+"/actions/associate_email", tok, req); r.status != http.StatusCreated {
		t.Fatalf("other contact: %d %s", r.status, r.body)
	}

	for _, key := range []string{"from", "to", "subject", "content", "date_time", "sent", "original_message_id"} {
		t.Run("missing "+key, func(t *testing.T) {
			m := map[string]any{}
			for k, v := range email {
				m[k] = v
			}
			delete(m, key)
			m["original_message_id"] = "<other-" + key + ">"
			if key == "original_message_id" {
				delete(m, key)
			}
			r := e.api(http.MethodPost, path, tok, map[string]any{"Emails": []any{m}})
			items, _ := r.json(t)["Emails"].([]any)
			item := items[0].(map[string]any)
			if r.status != http.StatusBadRequest || item["code"] != "MANDATORY_NOT_FOUND" || item["details"].(map[string]any)["api_name"] != key {
				t.Fatalf("= %d %s", r.status, r.body)
			}
		})
	}
	t.Run("bad address", func(t *testing.T) {
		m := map[string]any{}
		for k, v := range email {
			m[k] = v
		}
		m["to"], m["original_message_id"] = []any{map[string]any{"email": "nope"}}, "<bad>"
		r := e.api(http.MethodPost, path, tok, map[string]any{"Emails": []any{m}})
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), `"INVALID_DATA"`) {
			t.Fatalf("= %d %s", r.status, r.body)
		}
	})
	wantError(t, e.api(http.MethodPost, "/Contacts/5725767001999999999/actions/associate_email", tok, req), http.StatusBadRequest, "INVALID_DATA")
}

func TestAssociateEmail_Owner(t *testing.T) {
	e := newEnv(t)
	tok := e.token()
	contact := e.newContact(tok, "Lovelace", "ada@example.com")
	users, _ := e.crm.Env().Store.List(objectUsers, 0, 0)
	mail := func(omid string, owner any) map[string]any {
		m := map[string]any{
			"from":    map[string]any{"user_name": "Rep", "email": "rep@saleshive.example"},
			"to":      []any{map[string]any{"user_name": "Ada", "email": "ada@example.com"}},
			"subject": "Hi", "content": "Hello", "date_time": "2025-06-10T15:00:00+00:00", "sent": true, "original_message_id": omid,
		}
		if owner != nil {
			m["owner"] = owner
		}
		return map[string]any{"Emails": []any{m}}
	}
	path := "/Contacts/" + contact + "/actions/associate_email"
	// An administrator logs another user's email.
	if r := e.api(http.MethodPost, path, tok, mail("<o1>", map[string]any{"id": users[1].ID})); r.status != http.StatusCreated {
		t.Fatalf("admin with owner: %d %s", r.status, r.body)
	}
	recs := e.crm.Env().Store.FindAll(ObjectEmails, "original_message_id", "<o1>")
	if len(recs) != 1 || recs[0].Fields["owner"].(map[string]any)["id"] != users[1].ID {
		t.Fatalf("stored = %+v", recs)
	}
	r := e.api(http.MethodPost, path, tok, mail("<o2>", map[string]any{"id": "5725767000000999999"}))
	items, _ := r.json(t)["Emails"].([]any)
	if r.status != http.StatusBadRequest || items[0].(map[string]any)["message"] != "Provide a Proper owner id" {
		t.Fatalf("unknown owner: %d %s", r.status, r.body)
	}
	// A standard user may not.
	std := e.crm.Env().OAuth.Mint(splitScopes(testScopes), users[1].ID, map[string]string{"dc": "us"}).AccessToken
	r = e.api(http.MethodPost, path, std, mail("<o3>", map[string]any{"id": users[2].ID}))
	if r.status != http.StatusForbidden || !strings.Contains(string(r.body), "NO_PERMISSION") {
		t.Fatalf("standard user with owner: %d %s", r.status, r.body)
	}
	// Without owner it is the caller's email.
	if r := e.api(http.MethodPost, path, std, mail("<o4>", nil)); r.status != http.StatusCreated {
		t.Fatalf("standard user: %d %s", r.status, r.body)
	}
	recs = e.crm.Env().Store.FindAll(ObjectEmails, "original_message_id", "<o4>")
	if len(recs) != 1 || recs[0].Fields["owner"].(map[string]any)["id"] != users[1].ID {
		t.Fatalf("stored = %+v", recs)
	}
}
