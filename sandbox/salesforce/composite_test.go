package salesforce

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/saleshive/crmsync/sandbox/emu"
)

func contactRecord(ext string, fields map[string]any) map[string]any {
	r := map[string]any{"attributes": map[string]any{"type": "Contact"}, extField: ext}
	for k, v := range fields {
		r[k] = v
	}
	return r
}

func TestCollectionUpsert(t *testing.T) {
	s := mustStart(t, emu.Config{})
	s.createExtField(extField, true)
	path := data("/composite/sobjects/Contact/" + extField)
	wantStatus(t, s.do("PATCH", data("/sobjects/Contact/"+extField+"/SH-2"), map[string]any{"LastName": "Turing"}), http.StatusCreated)

	body := map[string]any{"allOrNone": false, "records": []any{
		contactRecord("SH-1", map[string]any{"LastName": "Lovelace", "Email": "ada@example.com", "OwnerId": s.admin}),
		contactRecord("SH-2", map[string]any{"FirstName": "Alan", "Title": "Mathematician"}),
		contactRecord("SH-3", map[string]any{"FirstName": "NoLastName"}),
		contactRecord("SH-4", map[string]any{"LastName": "Hopper", "Email": "grace@"}),
	}}
	r := s.do("PATCH", path, body)
	wantStatus(t, r, http.StatusOK)
	golden(t, "collection_upsert_mixed", body, r)
	res := decode[[]UpsertResult](t, r)
	if len(res) != 4 || !res[0].Success || !*res[0].Created || !res[1].Success || *res[1].Created ||
		res[2].Success || res[2].ID != "" || res[2].Errors[0].StatusCode != CodeRequiredFieldMissing ||
		res[3].Success || res[3].Errors[0].StatusCode != CodeInvalidEmailAddress {
		t.Fatalf("results %s", r.body)
	}
	if n := s.crm.Env().Store.Len(ObjectContact); n != 2 {
		t.Errorf("%d contacts, want 2", n)
	}

	t.Run("AllOrNoneRollsBack", func(t *testing.T) {
		body := map[string]any{"allOrNone": true, "records": []any{
			contactRecord("AON-1", map[string]any{"LastName": "Fine"}),
			contactRecord("AON-2", map[string]any{"FirstName": "Missing"}),
		}}
		r := s.do("PATCH", path, body)
		wantStatus(t, r, http.StatusOK)
		golden(t, "collection_upsert_all_or_none", body, r)
		res := decode[[]UpsertResult](t, r)
		if res[0].Success || res[0].Errors[0].StatusCode != CodeAllOrNoneRolledBack || res[1].Errors[0].StatusCode != CodeRequiredFieldMissing {
			t.Errorf("results %s", r.body)
		}
		if s.crm.Env().Store.Count(ObjectContact, extField, "AON-1") != 0 {
			t.Error("allOrNone kept AON-1")
		}
	})
	t.Run("DuplicateKeyInRequest", func(t *testing.T) {
		body := map[string]any{"records": []any{
			contactRecord("D-1", map[string]any{"LastName": "A"}),
			contactRecord("d-1", map[string]any{"LastName": "B"}),
			contactRecord("D-2", map[string]any{"LastName": "C"}),
		}}
		r := s.do("PATCH", path, body)
		golden(t, "collection_upsert_duplicate_key", body, r)
		res := decode[[]UpsertResult](t, r)
		if res[0].Success || res[1].Success || !res[2].Success || res[0].Errors[0].StatusCode != CodeDuplicateValue {
			t.Errorf("results %s", r.body)
		}
	})
	t.Run("MissingExternalID", func(t *testing.T) {
		r := s.do("PATCH", path, map[string]any{"records": []any{map[string]any{"attributes": map[string]any{"type": "Contact"}, "LastName": "X"}}})
		if res := decode[[]UpsertResult](t, r); res[0].Success || res[0].Errors[0].StatusCode != "MISSING_ARGUMENT" {
			t.Errorf("results %s", r.body)
		}
	})
	t.Run("MoreThan200", func(t *testing.T) {
		var recs []any
		for i := range 201 {
			recs = append(recs, contactRecord(fmt.Sprintf("BIG-%d", i), map[string]any{"LastName": "Big"}))
		}
		r := s.do("PATCH", path, map[string]any{"records": recs})
		wantStatus(t, r, http.StatusBadRequest)
		golden(t, "collection_upsert_over_200", nil, r)
		if s.crm.Env().Store.Count(ObjectContact, extField, "BIG-0") != 0 {
			t.Error("an over-size batch wrote records")
		}
	})
	t.Run("Exactly200", func(t *testing.T) {
		var recs []any
		for i := range 200 {
			recs = append(recs, contactRecord(fmt.Sprintf("FULL-%d", i), map[string]any{"LastName": "Full"}))
		}
		r := s.do("PATCH", path, map[string]any{"records": recs})
		wantStatus(t, r, http.StatusOK)
		for i, res := range decode[[]UpsertResult](t, r) {
			if !res.Success {
				t.Fatalf("record %d: %+v", i, res)
			}
		}
	})
	t.Run("UnknownFieldFailsWholeRequest", func(t *testing.T) {
		r := s.do("PATCH", path, map[string]any{"records": []any{contactRecord("UF-1", map[string]any{"LastName": "A", "Bogus__c": 1})}})
		wantStatus(t, r, http.StatusBadRequest)
	})
	t.Run("MissingType", func(t *testing.T) {
		r := s.do("PATCH", path, map[string]any{"records": []any{map[string]any{extField: "T-1", "LastName": "A"}}})
		wantStatus(t, r, http.StatusBadRequest)
	})
}

func TestActivities(t *testing.T) {
	s := mustStart(t, emu.Config{})
	contact := decode[SaveResult](t, s.do("POST", data("/sobjects/Contact"), map[string]any{"LastName": "Lovelace", "FirstName": "Ada"})).ID

	call := map[string]any{"Subject": "Call: discovery", "WhoId": contact, "OwnerId": s.admin, "TaskSubtype": "Call",
		"CallType": "Outbound", "CallDurationInSeconds": 420, "CallDisposition": "Connected - booked demo",
		"Status": "Completed", "ActivityDate": "2025-06-10", "Description": "Notes from the call"}
	r := s.do("POST", data("/sobjects/Task"), call)
	wantStatus(t, r, http.StatusCreated)
	golden(t, "task_create_call", call, r)
	taskID := decode[SaveResult](t, r).ID
	if !strings.HasPrefix(taskID, PrefixTask) {
		t.Fatalf("task id %s", taskID)
	}
	got := s.do("GET", data("/sobjects/Task/"+taskID), nil)
	golden(t, "task_get", nil, got)
	task := decode[map[string]any](t, got)
	if task["WhoId"] != contact || task["TaskSubtype"] != "Call" || task["IsClosed"] != true || task["CallDurationInSeconds"] != float64(420) || task["Priority"] != "Normal" {
		t.Errorf("task %v", task)
	}

	meeting := map[string]any{"Subject": "Meeting: product demo", "WhoId": contact, "StartDateTime": "2025-06-12T15:00:00.000Z",
		"EndDateTime": "2025-06-12T15:30:00.000Z", "Location": "Zoom", "OwnerId": s.admin}
	r = s.do("POST", data("/sobjects/Event"), meeting)
	wantStatus(t, r, http.StatusCreated)
	golden(t, "event_create", meeting, r)
	ev := decode[map[string]any](t, s.do("GET", data("/sobjects/Event/"+decode[SaveResult](t, r).ID), nil))
	if ev["DurationInMinutes"] != float64(30) || ev["StartDateTime"] != "2025-06-12T15:00:00.000+0000" || ev["ActivityDate"] != "2025-06-12" {
		t.Errorf("event %v", ev)
	}

	batch := map[string]any{"allOrNone": false, "records": []any{
		map[string]any{"attributes": map[string]any{"type": "Task"}, "Subject": "Email: Following up", "WhoId": contact, "TaskSubtype": "Email", "Status": "Completed"},
		map[string]any{"attributes": map[string]any{"type": "Event"}, "Subject": "No duration", "WhoId": contact, "StartDateTime": "2025-06-12T15:00:00Z"},
		map[string]any{"attributes": map[string]any{"type": "Task"}, "Subject": "Dangling", "WhoId": NewID(PrefixContact, 999)},
		map[string]any{"attributes": map[string]any{"type": "Task"}, "Subject": "Bad subtype", "TaskSubtype": "Fax"},
	}}
	r = s.do("POST", data("/composite/sobjects"), batch)
	wantStatus(t, r, http.StatusOK)
	golden(t, "collection_create_activities", batch, r)
	res := decode[[]SaveResult](t, r)
	if !res[0].Success || res[1].Success || res[1].Errors[0].StatusCode != CodeRequiredFieldMissing ||
		res[2].Errors[0].StatusCode != CodeInvalidCrossReference || res[3].Errors[0].StatusCode != CodeRestrictedPicklist {
		t.Errorf("results %s", r.body)
	}

	t.Run("TaskSubtypeIsCreateOnly", func(t *testing.T) {
		r := s.do("PATCH", data("/sobjects/Task/"+taskID), map[string]any{"TaskSubtype": "Email"})
		wantStatus(t, r, http.StatusBadRequest)
		if decode[[]APIError](t, r)[0].ErrorCode != CodeInvalidFieldForInsert {
			t.Errorf("body %s", r.body)
		}
	})
	t.Run("CollectionUpdate", func(t *testing.T) {
		body := map[string]any{"records": []any{
			map[string]any{"attributes": map[string]any{"type": "Task"}, "id": taskID, "Subject": "Call: renamed"},
			map[string]any{"attributes": map[string]any{"type": "Task"}, "Subject": "no id"},
		}}
		r := s.do("PATCH", data("/composite/sobjects"), body)
		res := decode[[]SaveResult](t, r)
		if !res[0].Success || res[1].Success {
			t.Errorf("results %s", r.body)
		}
		if rec, _ := s.crm.Env().Store.Get(ObjectTask, taskID); rec.Fields["Subject"] != "Call: renamed" {
			t.Errorf("subject %v", rec.Fields["Subject"])
		}
	})
	t.Run("CollectionRetrieve", func(t *testing.T) {
		r := s.do("GET", data("/composite/sobjects/Task?ids="+taskID+","+NewID(PrefixTask, 500)+"&fields=Id,Subject"), nil)
		wantStatus(t, r, http.StatusOK)
		if !strings.HasSuffix(strings.TrimSpace(string(r.body)), ",null]") || !strings.Contains(string(r.body), "Call: renamed") {
			t.Errorf("body %s", r.body)
		}
	})
	t.Run("TaskPage", func(t *testing.T) {
		page := s.doToken("", "GET", "/lightning/r/Task/"+taskID+"/view", nil)
		wantStatus(t, page, http.StatusOK)
		if !strings.Contains(string(page.body), "Call: renamed") || !strings.Contains(string(page.body), "Call Duration") {
			t.Errorf("task page %s", page.body)
		}
	})
	t.Run("LinkedToContact", func(t *testing.T) {
		links := s.crm.Env().Store.LinkedFrom(ObjectContact, contact)
		if len(links) != 3 { // call, meeting, email
			t.Errorf("links %v", links)
		}
		page := s.doToken("", "GET", "/lightning/r/Contact/"+contact+"/view", nil)
		wantStatus(t, page, http.StatusOK)
		for _, want := range []string{"Ada Lovelace", "Call: renamed", "Meeting: product demo", "Email: Following up", `id="record-title"`} {
			if !strings.Contains(string(page.body), want) {
				t.Errorf("record page lacks %q", want)
			}
		}
	})
}

func TestRecordPage(t *testing.T) {
	s := mustStart(t, emu.Config{})
	id := decode[SaveResult](t, s.do("POST", data("/sobjects/Contact"), map[string]any{"LastName": "Hopper", "Email": "grace@example.com"})).ID
	page := s.doToken("", "GET", "/lightning/r/Contact/"+id+"/view", nil)
	wantStatus(t, page, http.StatusOK)
	if !strings.Contains(string(page.body), "grace@example.com") {
		t.Errorf("page %s", page.body)
	}
	short := s.doToken("", "GET", "/"+id, nil)
	wantStatus(t, short, http.StatusFound)
	if loc := short.header.Get("Location"); loc != s.base+"/lightning/r/Contact/"+id+"/view" {
		t.Errorf("short link redirects to %s", loc)
	}
	wantStatus(t, s.doToken("", "GET", "/lightning/r/Contact/"+NewID(PrefixContact, 42)+"/view", nil), http.StatusNotFound)
}
