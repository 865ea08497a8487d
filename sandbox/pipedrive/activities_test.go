package pipedrive

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

type activityEnvelope struct {
	Success bool     `json:"success"`
	Data    Activity `json:"data"`
}

func TestActivities_CallEmailMeeting(t *testing.T) {
	s := mustStart(t, Options{})
	ada := s.createPerson(t, map[string]any{"name": "Ada Lovelace"})
	call := map[string]any{
		"subject": "Call: discovery", "type": "call", "owner_id": 10002, "person_id": ada.ID,
		"due_date": "2025-06-10", "due_time": "14:05", "duration": "00:07", "done": true,
		"note": "<p>Discussed timeline and budget.</p>",
	}
	r := s.mustAPI(http.MethodPost, "/api/v2/activities", call, http.StatusOK) // v2: 200
	golden(t, "activity_create_call", call, r)
	var got activityEnvelope
	r.json(t, &got)
	a := got.Data
	if a.Type != "call" || a.OwnerID != 10002 || a.CreatorUserID != 10001 || *a.PersonID != ada.ID || !a.Done || a.MarkedAsDoneTime == nil {
		t.Fatalf("call %+v", a)
	}
	if len(a.Participants) != 1 || a.Participants[0] != (Participant{PersonID: ada.ID, Primary: true}) {
		t.Fatalf("participants %+v, want the person as primary", a.Participants)
	}

	email := map[string]any{"subject": "Re: pricing", "type": "email", "participants": []map[string]any{{"person_id": ada.ID, "primary": true}}, "done": true, "note": "<p>Hello</p>"}
	var e activityEnvelope
	s.mustAPI(http.MethodPost, "/api/v2/activities", email, http.StatusOK).json(t, &e)
	if e.Data.PersonID == nil || *e.Data.PersonID != ada.ID || e.Data.OwnerID != 10001 {
		t.Fatalf("email %+v: person_id follows the primary participant, owner the token user", e.Data)
	}

	meeting := map[string]any{
		"subject": "Demo", "type": "meeting", "person_id": ada.ID, "due_date": "2025-06-11", "due_time": "09:00", "duration": "01:00",
		"location": map[string]any{"value": "Zoom"}, "attendees": []map[string]any{{"email": "cto@client.example"}}, "busy": true,
	}
	r = s.mustAPI(http.MethodPost, "/api/v2/activities", meeting, http.StatusOK)
	golden(t, "activity_create_meeting", meeting, r)
	var m activityEnvelope
	r.json(t, &m)
	if m.Data.Location == nil || m.Data.Location.Value != "Zoom" || len(m.Data.Attendees) != 1 || !m.Data.Busy || m.Data.Done {
		t.Fatalf("meeting %+v", m.Data)
	}

	var fetched activityEnvelope
	r = s.mustAPI(http.MethodGet, fmt.Sprintf("/api/v2/activities/%d", m.Data.ID), nil, http.StatusOK)
	golden(t, "activity_get", nil, r)
	r.json(t, &fetched)
	if fetched.Data.Subject != "Demo" || fetched.Data.ID != m.Data.ID {
		t.Fatalf("get %+v", fetched.Data)
	}
	wantError(t, s.api(http.MethodGet, "/api/v2/activities/999", nil), http.StatusNotFound, "Activity not found")

	// The activities are linked to the person in the store.
	if links := s.crm.Env().Store.LinkedFrom(objPersons, fmt.Sprint(ada.ID)); len(links) != 3 {
		t.Fatalf("person has %d linked activities, want 3", len(links))
	}
}

func TestActivities_ListByPerson(t *testing.T) {
	s := mustStart(t, Options{})
	ada := s.createPerson(t, map[string]any{"name": "Ada"})
	bob := s.createPerson(t, map[string]any{"name": "Bob"})
	for i := range 5 {
		pid := ada.ID
		if i == 2 {
			pid = bob.ID
		}
		s.mustAPI(http.MethodPost, "/api/v2/activities", map[string]any{"type": "call", "person_id": pid, "done": i%2 == 0}, http.StatusOK)
	}
	type listEnv struct {
		Data           []Activity `json:"data"`
		AdditionalData CursorData `json:"additional_data"`
	}
	var page1, page2 listEnv
	r := s.mustAPI(http.MethodGet, fmt.Sprintf("/api/v2/activities?person_id=%d&limit=3", ada.ID), nil, http.StatusOK)
	golden(t, "activity_list_by_person", nil, r)
	r.json(t, &page1)
	if len(page1.Data) != 3 || page1.AdditionalData.NextCursor == nil {
		t.Fatalf("page 1 %+v", page1)
	}
	s.mustAPI(http.MethodGet, fmt.Sprintf("/api/v2/activities?person_id=%d&limit=3&cursor=%s", ada.ID, url.QueryEscape(*page1.AdditionalData.NextCursor)), nil, http.StatusOK).json(t, &page2)
	if len(page2.Data) != 1 || page2.AdditionalData.NextCursor != nil {
		t.Fatalf("page 2 %+v", page2)
	}
	for _, a := range append(page1.Data, page2.Data...) {
		if *a.PersonID != ada.ID {
			t.Fatalf("activity %d of person %d in ada's list", a.ID, *a.PersonID)
		}
	}
	var done listEnv
	s.mustAPI(http.MethodGet, "/api/v2/activities?done=true", nil, http.StatusOK).json(t, &done)
	if len(done.Data) != 3 {
		t.Fatalf("done=true gave %d activities, want 3", len(done.Data))
	}
}

func TestActivities_Validation(t *testing.T) {
	s := mustStart(t, Options{})
	ada := s.createPerson(t, map[string]any{"name": "Ada"})
	tests := []struct {
		name string
		body map[string]any
		msg  string
	}{
		{"UnknownType", map[string]any{"type": "fax", "person_id": ada.ID}, "type: must be an active activity type"},
		{"UnknownPerson", map[string]any{"type": "call", "person_id": 999}, "person_id: person 999 not found"},
		{"UnknownParticipant", map[string]any{"type": "call", "participants": []map[string]any{{"person_id": 998, "primary": true}}}, "participants"},
		{"UnknownOwner", map[string]any{"type": "call", "owner_id": 5}, "owner_id: user not found"},
		{"BadDate", map[string]any{"type": "call", "due_date": "10/06/2025"}, "due_date"},
		{"ImpossibleDate", map[string]any{"type": "call", "due_date": "2025-02-30"}, "due_date"},
		{"BadTime", map[string]any{"type": "call", "due_time": "2pm"}, "due_time"},
		{"BadDuration", map[string]any{"type": "call", "duration": "7 minutes"}, "duration"},
		{"DoneAsNumber", map[string]any{"type": "call", "done": 1}, "done: must be a boolean"},
		{"PersonIDAsString", map[string]any{"type": "call", "person_id": fmt.Sprint(ada.ID)}, "person_id: must be an integer"},
		{"UnknownKey", map[string]any{"type": "call", "user_id": 10001}, "user_id: is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, s.api(http.MethodPost, "/api/v2/activities", tt.body), http.StatusBadRequest, tt.msg)
		})
	}
	if n := s.crm.Env().Store.Len(objActivities); n != 0 {
		t.Fatalf("%d activities stored by rejected creates", n)
	}
}

func TestUsers(t *testing.T) {
	s := mustStart(t, Options{})
	r := s.mustAPI(http.MethodGet, "/v1/users", nil, http.StatusOK)
	golden(t, "users_list", nil, r)
	var list struct {
		Data []User `json:"data"`
	}
	r.json(t, &list)
	if len(list.Data) != 4 {
		t.Fatalf("%d users, want 3 active + 1 inactive", len(list.Data))
	}
	active := 0
	for _, u := range list.Data {
		if u.ActiveFlag {
			active++
		}
	}
	if active != 3 || !list.Data[0].IsYou || list.Data[1].IsYou || list.Data[3].ActiveFlag {
		t.Fatalf("users %+v", list.Data)
	}

	r = s.mustAPI(http.MethodGet, "/v1/users/me", nil, http.StatusOK)
	golden(t, "users_me", nil, r)
	var me struct {
		Data Me `json:"data"`
	}
	r.json(t, &me)
	if me.Data.ID != 10001 || me.Data.CompanyName != "Acme Demo (Pipedrive)" || me.Data.CompanyDomain != "acme-demo-pipedrive" || me.Data.CompanyID != DefaultCompanyID {
		t.Fatalf("me %+v", me.Data)
	}
	if r := s.mustAPI(http.MethodGet, "/api/v1/users/me", nil, http.StatusOK); r.status != http.StatusOK {
		t.Fatal("/api/v1 prefix")
	}
}

func TestRecordPage(t *testing.T) {
	s := mustStart(t, Options{})
	ext := s.externalIDField(t)
	ada := s.createPerson(t, map[string]any{"name": "Ada Lovelace", "emails": []map[string]any{{"value": "ada@example.com"}}, "owner_id": 10003, "custom_fields": map[string]any{ext: "SH-1001"}})
	s.mustAPI(http.MethodPost, "/api/v2/activities", map[string]any{"subject": "Discovery call", "type": "call", "person_id": ada.ID}, http.StatusOK)

	res, err := s.srv.Client().Get(PersonURL(s.base, ada.ID))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("record page: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{`id="record-title">Ada Lovelace<`, "ada@example.com", "Ada Lovelace", "SalesHive External ID", "SH-1001", "Discovery call"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("record page lacks %q", want)
		}
	}
	res, err = s.srv.Client().Get(PersonURL(s.base, 999))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("missing person page: %d, want 404", res.StatusCode)
	}
}

func TestUnknownPath(t *testing.T) {
	s := mustStart(t, Options{})
	wantError(t, s.api(http.MethodGet, "/api/v2/deals", nil), http.StatusNotFound, msgRouteNotFound)
}

func TestActivities_Update(t *testing.T) {
	s := mustStart(t, Options{})
	ada := s.createPerson(t, map[string]any{"name": "Ada"})
	bob := s.createPerson(t, map[string]any{"name": "Bob"})
	var created activityEnvelope
	s.mustAPI(http.MethodPost, "/api/v2/activities", map[string]any{"subject": "Call", "type": "call", "person_id": ada.ID, "due_time": "10:00", "done": true, "owner_id": 10002}, http.StatusOK).json(t, &created)

	patch := map[string]any{"subject": "Call (updated)", "due_time": nil, "note": "<p>More</p>"}
	r := s.mustAPI(http.MethodPatch, fmt.Sprintf("/api/v2/activities/%d", created.Data.ID), patch, http.StatusOK)
	golden(t, "activity_update", patch, r)
	var upd activityEnvelope
	r.json(t, &upd)
	a := upd.Data
	if a.Subject != "Call (updated)" || a.DueTime != nil || a.Note == nil || *a.Note != "<p>More</p>" {
		t.Fatalf("updated %+v", a)
	}
	// Untouched: type, owner, person, done and when it was marked done.
	if a.Type != "call" || a.OwnerID != 10002 || *a.PersonID != ada.ID || !a.Done || *a.MarkedAsDoneTime != *created.Data.MarkedAsDoneTime || a.CreatorUserID != 10001 {
		t.Fatalf("untouched keys changed: %+v", a)
	}
	if n := s.crm.Env().Store.Len(objActivities); n != 1 {
		t.Fatalf("%d activities after an update, want 1", n)
	}
	// Moving the activity to another person links it there.
	var moved activityEnvelope
	s.mustAPI(http.MethodPatch, fmt.Sprintf("/api/v2/activities/%d", a.ID), map[string]any{"person_id": bob.ID, "participants": []map[string]any{{"person_id": bob.ID, "primary": true}}}, http.StatusOK).json(t, &moved)
	if *moved.Data.PersonID != bob.ID || len(s.crm.Env().Store.LinkedFrom(objPersons, fmt.Sprint(bob.ID))) != 1 {
		t.Fatalf("moved %+v", moved.Data)
	}
	wantError(t, s.api(http.MethodPatch, "/api/v2/activities/999", map[string]any{"subject": "x"}), http.StatusNotFound, "Activity not found")
	wantError(t, s.api(http.MethodPatch, fmt.Sprintf("/api/v2/activities/%d", a.ID), map[string]any{"type": "fax"}), http.StatusBadRequest, "type")
}

func TestPersons_JobTitle(t *testing.T) {
	s := mustStart(t, Options{})
	p := s.createPerson(t, map[string]any{"name": "Ada", "job_title": "Analyst"})
	if p.JobTitle == nil || *p.JobTitle != "Analyst" {
		t.Fatalf("job_title %v", p.JobTitle)
	}
	var upd personEnvelope
	s.mustAPI(http.MethodPatch, fmt.Sprintf("/api/v2/persons/%d", p.ID), map[string]any{"job_title": nil}, http.StatusOK).json(t, &upd)
	if upd.Data.JobTitle != nil {
		t.Fatalf("job_title after null = %q", *upd.Data.JobTitle)
	}
}
