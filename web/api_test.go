package web_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/web"
)

// batchResponse decodes both batch responses.
type batchResponse struct {
	Created  int `json:"created"`
	Updated  int `json:"updated"`
	Contacts []struct {
		ID       int64  `json:"id"`
		SourceID string `json:"source_id"`
	} `json:"contacts"`
	Activities []struct {
		ID       int64  `json:"id"`
		SourceID string `json:"source_id"`
	} `json:"activities"`
}

type contactsPage struct {
	Contacts    []crmsync.Contact `json:"contacts"`
	NextAfterID *int64            `json:"next_after_id"`
}

type activitiesPage struct {
	Activities  []crmsync.Activity `json:"activities"`
	NextAfterID *int64             `json:"next_after_id"`
}

// contactJSON returns a valid contact body with source id src.
func contactJSON(src string) map[string]any {
	return map[string]any{
		"source_id": src, "first_name": "Ada", "last_name": "Lovelace " + src,
		"email": src + "@example.com", "title": "Engineer", "company": "Analytical Engines",
		"custom_fields": map[string]string{"industry": "computing"},
	}
}

func contactsBatch(cs ...map[string]any) map[string]any { return map[string]any{"contacts": cs} }

func activityJSON(src, contactSrc, kind string) map[string]any {
	a := map[string]any{
		"source_id": src, "contact_source_id": contactSrc, "kind": kind,
		"subject": "Intro " + kind, "body": "Notes", "direction": "outbound",
		"occurred_at": "2026-07-02T15:04:05Z",
	}
	switch kind {
	case "call":
		a["duration_seconds"] = 90
		a["outcome"] = "connected"
	case "meeting":
		a["ends_at"] = "2026-07-02T16:00:00Z"
		a["attendees"] = []string{"ada@example.com", "sam@saleshive.example"}
	}
	return a
}

func TestAPI_ContactsBatchUpsert(t *testing.T) {
	eachBackend(t, func(t *testing.T, db backend) {
		a := newTestAPI(t, db)
		tok := a.tokens[0]

		batch := contactsBatch(contactJSON("c-1"), contactJSON("c-2"), contactJSON("c-3"))
		resp := a.do("POST", "/api/v1/contacts/batch", tok, batch)
		if resp.Status != http.StatusOK {
			t.Fatalf("first post: status %d: %s", resp.Status, resp.Body)
		}
		var first batchResponse
		resp.decode(t, &first)
		if first.Created != 3 || first.Updated != 0 || len(first.Contacts) != 3 {
			t.Fatalf("first post: got %+v, want 3 created in 3 refs", first)
		}
		for i, ref := range first.Contacts {
			if want := fmt.Sprintf("c-%d", i+1); ref.SourceID != want || ref.ID <= 0 {
				t.Errorf("ref %d = %+v, want source_id %s and an id", i, ref, want)
			}
		}

		// Re-posting the same source_ids updates in place: same ids.
		for _, c := range batch["contacts"].([]map[string]any) {
			c["title"] = "Chief Engineer"
		}
		resp = a.do("POST", "/api/v1/contacts/batch", tok, batch)
		var second batchResponse
		resp.decode(t, &second)
		if second.Created != 0 || second.Updated != 3 {
			t.Fatalf("re-post: got created %d updated %d, want 0 and 3", second.Created, second.Updated)
		}
		if diff := cmp.Diff(first.Contacts, second.Contacts); diff != "" {
			t.Errorf("re-post changed ids (-first +second):\n%s", diff)
		}
		resp = a.do("GET", "/api/v1/contacts/"+strconv.FormatInt(first.Contacts[1].ID, 10), tok, nil)
		var got crmsync.Contact
		resp.decode(t, &got)
		want := crmsync.Contact{ID: first.Contacts[1].ID, SourceID: "c-2", FirstName: "Ada", LastName: "Lovelace c-2",
			Email: "c-2@example.com", Title: "Chief Engineer", Company: "Analytical Engines",
			CustomFields: map[string]string{"industry": "computing"}}
		if diff := cmp.Diff(want, got, ignoreTimes); diff != "" {
			t.Errorf("GET after re-post (-want +got):\n%s", diff)
		}
		if got.CreatedAt.IsZero() || got.UpdatedAt.Before(got.CreatedAt) {
			t.Errorf("times: created %v updated %v", got.CreatedAt, got.UpdatedAt)
		}
		if n, err := db.CountContacts(context.Background(), a.ws[0]); err != nil || n != 3 {
			t.Errorf("CountContacts = %d, %v; want 3", n, err)
		}

		t.Run("ErrOtherWorkspace", func(t *testing.T) {
			resp := a.do("GET", "/api/v1/contacts", a.tokens[1], nil)
			var page contactsPage
			resp.decode(t, &page)
			if resp.Status != http.StatusOK || len(page.Contacts) != 0 {
				t.Errorf("other workspace lists %d contacts (status %d), want none", len(page.Contacts), resp.Status)
			}
			resp = a.do("GET", "/api/v1/contacts/"+strconv.FormatInt(first.Contacts[0].ID, 10), a.tokens[1], nil)
			if resp.Status != http.StatusNotFound || resp.apiError(t).Error.Code != crmsync.ENOTFOUND {
				t.Errorf("other workspace's contact: status %d %s, want 404 not_found", resp.Status, resp.Body)
			}
			// The same source_id in another workspace is another contact.
			resp = a.do("POST", "/api/v1/contacts/batch", a.tokens[1], contactsBatch(contactJSON("c-1")))
			var other batchResponse
			resp.decode(t, &other)
			if other.Created != 1 || other.Contacts[0].ID == first.Contacts[0].ID {
				t.Errorf("same source_id in workspace 2: %+v, want a new contact", other)
			}
		})
	})
}

var ignoreTimes = cmp.FilterPath(func(p cmp.Path) bool {
	switch p.Last().String() {
	case ".CreatedAt", ".UpdatedAt":
		return true
	}
	return false
}, cmp.Ignore())

func TestAPI_ContactUpsert(t *testing.T) {
	eachBackend(t, func(t *testing.T, db backend) {
		a := newTestAPI(t, db)
		resp := a.do("POST", "/api/v1/contacts", a.tokens[0], contactJSON("single-1"))
		if resp.Status != http.StatusCreated {
			t.Fatalf("create: status %d: %s", resp.Status, resp.Body)
		}
		var created crmsync.Contact
		resp.decode(t, &created)
		if created.ID <= 0 || created.SourceID != "single-1" || created.Email != "single-1@example.com" {
			t.Fatalf("create returned %+v", created)
		}
		body := contactJSON("single-1")
		body["phone"] = "+1 555 0100"
		resp = a.do("POST", "/api/v1/contacts", a.tokens[0], body)
		var updated crmsync.Contact
		resp.decode(t, &updated)
		if resp.Status != http.StatusOK || updated.ID != created.ID || updated.Phone != "+1 555 0100" {
			t.Errorf("update: status %d, %+v; want 200, id %d, new phone", resp.Status, updated, created.ID)
		}
	})
}

func TestAPI_ContactsList(t *testing.T) {
	eachBackend(t, func(t *testing.T, db backend) {
		a := newTestAPI(t, db)
		var batch []map[string]any
		for i := range 5 {
			batch = append(batch, contactJSON(fmt.Sprintf("l-%d", i)))
		}
		if resp := a.do("POST", "/api/v1/contacts/batch", a.tokens[0], contactsBatch(batch...)); resp.Status != http.StatusOK {
			t.Fatalf("post: %d %s", resp.Status, resp.Body)
		}
		var seen []string
		path := "/api/v1/contacts?limit=2"
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("paging does not end")
			}
			var page contactsPage
			a.do("GET", path, a.tokens[0], nil).decode(t, &page)
			for _, c := range page.Contacts {
				seen = append(seen, c.SourceID)
			}
			if page.NextAfterID == nil {
				break
			}
			path = fmt.Sprintf("/api/v1/contacts?limit=2&after_id=%d", *page.NextAfterID)
		}
		if diff := cmp.Diff([]string{"l-0", "l-1", "l-2", "l-3", "l-4"}, seen); diff != "" {
			t.Errorf("paged listing (-want +got):\n%s", diff)
		}
	})
}

func TestAPI_Activities(t *testing.T) {
	eachBackend(t, func(t *testing.T, db backend) {
		a := newTestAPI(t, db)
		tok := a.tokens[0]
		var contacts batchResponse
		a.do("POST", "/api/v1/contacts/batch", tok, contactsBatch(contactJSON("c-1"), contactJSON("c-2"))).decode(t, &contacts)

		batch := map[string]any{"activities": []map[string]any{
			activityJSON("a-1", "c-1", "email"), activityJSON("a-2", "c-1", "call"), activityJSON("a-3", "c-2", "meeting"),
		}}
		resp := a.do("POST", "/api/v1/activities/batch", tok, batch)
		if resp.Status != http.StatusOK {
			t.Fatalf("post activities: %d %s", resp.Status, resp.Body)
		}
		var first batchResponse
		resp.decode(t, &first)
		if first.Created != 3 || len(first.Activities) != 3 {
			t.Fatalf("post activities: %+v", first)
		}

		var meeting crmsync.Activity
		a.do("GET", "/api/v1/activities/"+strconv.FormatInt(first.Activities[2].ID, 10), tok, nil).decode(t, &meeting)
		if meeting.ContactID != contacts.Contacts[1].ID || meeting.Kind != crmsync.ActivityMeeting ||
			meeting.EndsAt == nil || len(meeting.Attendees) != 2 || meeting.OccurredAt.Hour() != 15 {
			t.Errorf("meeting = %+v", meeting)
		}

		var page activitiesPage
		a.do("GET", fmt.Sprintf("/api/v1/activities?contact_id=%d", contacts.Contacts[0].ID), tok, nil).decode(t, &page)
		var kinds []crmsync.ActivityKind
		for _, act := range page.Activities {
			kinds = append(kinds, act.Kind)
		}
		if diff := cmp.Diff([]crmsync.ActivityKind{"email", "call"}, kinds); diff != "" {
			t.Errorf("activities of c-1 (-want +got):\n%s", diff)
		}

		// Idempotent re-post: same ids, updated fields.
		batch["activities"].([]map[string]any)[1]["outcome"] = "voicemail"
		var second batchResponse
		a.do("POST", "/api/v1/activities/batch", tok, batch).decode(t, &second)
		if second.Updated != 3 || second.Created != 0 || !cmp.Equal(first.Activities, second.Activities) {
			t.Errorf("re-post: %+v, want 3 updated with ids %+v", second, first.Activities)
		}
		var call crmsync.Activity
		a.do("GET", "/api/v1/activities/"+strconv.FormatInt(first.Activities[1].ID, 10), tok, nil).decode(t, &call)
		if call.Outcome != "voicemail" {
			t.Errorf("call outcome = %q, want voicemail", call.Outcome)
		}

		// Single upsert.
		resp = a.do("POST", "/api/v1/activities", tok, activityJSON("a-4", "c-2", "email"))
		if resp.Status != http.StatusCreated {
			t.Errorf("single activity: %d %s", resp.Status, resp.Body)
		}

		t.Run("ErrOtherWorkspace", func(t *testing.T) {
			resp := a.do("GET", "/api/v1/activities/"+strconv.FormatInt(first.Activities[0].ID, 10), a.tokens[1], nil)
			if resp.Status != http.StatusNotFound {
				t.Errorf("other workspace's activity: %d, want 404", resp.Status)
			}
			var page activitiesPage
			a.do("GET", "/api/v1/activities", a.tokens[1], nil).decode(t, &page)
			if len(page.Activities) != 0 {
				t.Errorf("other workspace lists %d activities", len(page.Activities))
			}
		})
	})
}

// TestAPI_Errors sends every kind of bad request and checks the status, the
// error code, the fields named, and that the workspace is exactly as it was.
func TestAPI_Errors(t *testing.T) {
	bigString := strings.Repeat("x", web.DefaultMaxBatchBytes+1)
	var tooMany []map[string]any
	for i := range web.MaxBatchSize + 1 {
		tooMany = append(tooMany, contactJSON("m-"+strconv.Itoa(i)))
	}
	badEmail := func(src string) map[string]any { c := contactJSON(src); c["email"] = "not-an-email"; return c }
	withField := func(m map[string]any, k string, v any) map[string]any { m[k] = v; return m }

	const (
		tokNone  = -1
		tokWrong = -2
	)
	tests := []struct {
		name       string
		method     string
		path       string
		token      int // index into tokens, or tokNone / tokWrong
		rawAuth    string
		body       any
		wantStatus int
		wantCode   string
		wantFields []string // nil: don't care
		wantInMsg  string
	}{
		{name: "MalformedJSONBatch", method: "POST", path: "/api/v1/contacts/batch",
			body: `{"contacts":[{"source_id":"a",}]}`, wantStatus: 400, wantCode: "bad_request", wantInMsg: "not valid JSON"},
		{name: "MalformedJSONSingle", method: "POST", path: "/api/v1/contacts",
			body: `{"source_id":`, wantStatus: 400, wantCode: "bad_request"},
		{name: "EmptyBody", method: "POST", path: "/api/v1/contacts/batch",
			body: ``, wantStatus: 400, wantCode: "bad_request", wantInMsg: "empty"},
		{name: "EmptyBodySingle", method: "POST", path: "/api/v1/activities",
			body: ``, wantStatus: 400, wantCode: "bad_request", wantInMsg: "empty"},
		{name: "BodyIsArraySingle", method: "POST", path: "/api/v1/contacts",
			body: `[{"source_id":"a"}]`, wantStatus: 400, wantCode: "bad_request", wantInMsg: "JSON object"},
		{name: "DuplicateJSONName", method: "POST", path: "/api/v1/contacts",
			body: `{"source_id":"a","email":"a@example.com","email":"b@example.com"}`, wantStatus: 400, wantCode: "bad_request"},
		{name: "BodyIsArray", method: "POST", path: "/api/v1/contacts/batch",
			body: `[{"source_id":"a"}]`, wantStatus: 400, wantCode: "bad_request"},
		{name: "TrailingData", method: "POST", path: "/api/v1/contacts",
			body: `{"source_id":"a","email":"a@example.com"} {}`, wantStatus: 400, wantCode: "bad_request"},
		{name: "UnknownFieldInRecord", method: "POST", path: "/api/v1/contacts/batch",
			body:       contactsBatch(contactJSON("u-0"), withField(contactJSON("u-1"), "nickname", "Ada")),
			wantStatus: 400, wantCode: "bad_request", wantFields: []string{"contacts[1].nickname"}},
		{name: "UnknownTopLevelField", method: "POST", path: "/api/v1/contacts/batch",
			body:       map[string]any{"contacts": []any{contactJSON("u-0")}, "dry_run": true},
			wantStatus: 400, wantCode: "bad_request", wantFields: []string{"dry_run"}},
		{name: "ServerFieldNotAccepted", method: "POST", path: "/api/v1/contacts",
			body:       withField(contactJSON("u-0"), "id", 5),
			wantStatus: 400, wantCode: "bad_request", wantFields: []string{"id"}},
		{name: "WrongTypeString", method: "POST", path: "/api/v1/contacts/batch",
			body:       contactsBatch(withField(contactJSON("w-0"), "first_name", 5)),
			wantStatus: 400, wantCode: "bad_request", wantFields: []string{"contacts[0].first_name"}},
		{name: "WrongTypeArray", method: "POST", path: "/api/v1/contacts/batch",
			body:       map[string]any{"contacts": contactJSON("w-0")},
			wantStatus: 400, wantCode: "bad_request", wantFields: []string{"contacts"}},
		{name: "WrongTypeRecord", method: "POST", path: "/api/v1/contacts/batch",
			body:       `{"contacts":[5]}`,
			wantStatus: 400, wantCode: "bad_request", wantFields: []string{"contacts[0]"}},
		{name: "WrongTypeInteger", method: "POST", path: "/api/v1/activities/batch",
			body:       map[string]any{"activities": []any{withField(activityJSON("a-0", "existing-1", "call"), "duration_seconds", "90")}},
			wantStatus: 400, wantCode: "bad_request", wantFields: []string{"activities[0].duration_seconds"}},
		{name: "OversizeBatch", method: "POST", path: "/api/v1/contacts/batch",
			body:       contactsBatch(withField(contactJSON("big"), "title", bigString)),
			wantStatus: 413, wantCode: crmsync.ETOOLARGE},
		{name: "OversizeSingle", method: "POST", path: "/api/v1/contacts",
			body:       withField(contactJSON("big"), "title", bigString[:web.DefaultMaxSingleBytes+1]),
			wantStatus: 413, wantCode: crmsync.ETOOLARGE},
		{name: "InvalidEmails", method: "POST", path: "/api/v1/contacts/batch",
			body:       contactsBatch(contactJSON("e-0"), badEmail("e-1"), contactJSON("e-2"), badEmail("e-3")),
			wantStatus: 422, wantCode: crmsync.EINVALID, wantFields: []string{"contacts[1].email", "contacts[3].email"}},
		{name: "InvalidEmailSingle", method: "POST", path: "/api/v1/contacts",
			body:       badEmail("e-1"),
			wantStatus: 422, wantCode: crmsync.EINVALID, wantFields: []string{"email"}},
		{name: "ValidUpdateWithInvalidRecord", method: "POST", path: "/api/v1/contacts/batch",
			body:       contactsBatch(withField(contactJSON("existing-1"), "title", "Changed"), badEmail("e-1")),
			wantStatus: 422, wantCode: crmsync.EINVALID, wantFields: []string{"contacts[1].email"}},
		{name: "MissingSourceIDAndName", method: "POST", path: "/api/v1/contacts/batch",
			body:       contactsBatch(map[string]any{"phone": "555"}),
			wantStatus: 422, wantCode: crmsync.EINVALID, wantFields: []string{"contacts[0].source_id", "contacts[0].last_name"}},
		{name: "DuplicateSourceIDInBatch", method: "POST", path: "/api/v1/contacts/batch",
			body:       contactsBatch(contactJSON("d-1"), contactJSON("d-2"), contactJSON("d-1")),
			wantStatus: 422, wantCode: crmsync.EINVALID, wantFields: []string{"contacts[2].source_id"}, wantInMsg: "contacts[0]"},
		{name: "EmptyBatch", method: "POST", path: "/api/v1/contacts/batch",
			body: `{"contacts":[]}`, wantStatus: 422, wantCode: crmsync.EINVALID, wantFields: []string{"contacts"}},
		{name: "MissingBatchKey", method: "POST", path: "/api/v1/contacts/batch",
			body: `{}`, wantStatus: 422, wantCode: crmsync.EINVALID, wantFields: []string{"contacts"}},
		{name: "TooManyRecords", method: "POST", path: "/api/v1/contacts/batch",
			body: contactsBatch(tooMany...), wantStatus: 422, wantCode: crmsync.EINVALID, wantFields: []string{"contacts"}},
		{name: "ActivityUnknownContact", method: "POST", path: "/api/v1/activities/batch",
			body:       map[string]any{"activities": []any{activityJSON("a-0", "existing-1", "email"), activityJSON("a-1", "nobody", "call")}},
			wantStatus: 422, wantCode: crmsync.EUNPROCESSABLE, wantFields: []string{"activities[1].contact_source_id"}},
		{name: "ActivityUnknownContactSingle", method: "POST", path: "/api/v1/activities",
			body:       activityJSON("a-1", "nobody", "call"),
			wantStatus: 422, wantCode: crmsync.EUNPROCESSABLE, wantFields: []string{"contact_source_id"}},
		{name: "ActivityOtherWorkspacesContact", method: "POST", path: "/api/v1/activities",
			body:       activityJSON("a-1", "other-1", "call"),
			wantStatus: 422, wantCode: crmsync.EUNPROCESSABLE, wantFields: []string{"contact_source_id"}},
		{name: "ActivityBadTime", method: "POST", path: "/api/v1/activities/batch",
			body: map[string]any{"activities": []any{
				activityJSON("a-0", "existing-1", "email"),
				withField(activityJSON("a-1", "existing-1", "email"), "occurred_at", "yesterday")}},
			wantStatus: 400, wantCode: "bad_request", wantFields: []string{"activities[1].occurred_at"}, wantInMsg: "RFC 3339"},
		{name: "ActivityInvalidKindAndAttendee", method: "POST", path: "/api/v1/activities/batch",
			body: map[string]any{"activities": []any{
				withField(activityJSON("a-0", "existing-1", "email"), "kind", "sms"),
				activityJSON("a-1", "existing-1", "call"),
				withField(activityJSON("a-2", "existing-1", "meeting"), "attendees", []string{"ok@example.com", "nope"})}},
			wantStatus: 422, wantCode: crmsync.EINVALID, wantFields: []string{"activities[0].kind", "activities[2].attendees[1]"}},
		{name: "MissingToken", method: "GET", path: "/api/v1/contacts", token: tokNone,
			wantStatus: 401, wantCode: crmsync.EUNAUTHORIZED},
		{name: "WrongToken", method: "POST", path: "/api/v1/contacts/batch", token: tokWrong,
			body: contactsBatch(contactJSON("t-1")), wantStatus: 401, wantCode: crmsync.EUNAUTHORIZED},
		{name: "BasicAuth", method: "GET", path: "/api/v1/contacts", token: tokNone, rawAuth: "Basic YWRhOnNlY3JldA==",
			wantStatus: 401, wantCode: crmsync.EUNAUTHORIZED},
		{name: "OtherWorkspacesContact", method: "GET", path: "/api/v1/contacts/{other_id}",
			wantStatus: 404, wantCode: crmsync.ENOTFOUND},
		{name: "UnknownContactID", method: "GET", path: "/api/v1/contacts/999999999",
			wantStatus: 404, wantCode: crmsync.ENOTFOUND},
		{name: "NonNumericContactID", method: "GET", path: "/api/v1/contacts/ada",
			wantStatus: 404, wantCode: crmsync.ENOTFOUND},
		{name: "UnknownActivityID", method: "GET", path: "/api/v1/activities/999999999",
			wantStatus: 404, wantCode: crmsync.ENOTFOUND},
		{name: "BadLimit", method: "GET", path: "/api/v1/contacts?limit=0",
			wantStatus: 400, wantCode: "bad_request", wantFields: []string{"limit"}},
		{name: "BadAfterID", method: "GET", path: "/api/v1/activities?after_id=x",
			wantStatus: 400, wantCode: "bad_request", wantFields: []string{"after_id"}},
	}

	eachBackend(t, func(t *testing.T, db backend) {
		a := newTestAPI(t, db)
		if resp := a.do("POST", "/api/v1/contacts", a.tokens[0], contactJSON("existing-1")); resp.Status != http.StatusCreated {
			t.Fatalf("seed: %d %s", resp.Status, resp.Body)
		}
		var other crmsync.Contact
		a.do("POST", "/api/v1/contacts", a.tokens[1], contactJSON("other-1")).decode(t, &other)

		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := [2]snapshot{a.snapshot(a.ws[0]), a.snapshot(a.ws[1])}
				token := ""
				switch tt.token {
				case tokNone:
				case tokWrong:
					token = "csk_wrong_" + strings.Repeat("0", 40)
				default:
					token = a.tokens[tt.token]
				}
				path := strings.ReplaceAll(tt.path, "{other_id}", strconv.FormatInt(other.ID, 10))
				var resp *response
				if tt.rawAuth != "" {
					resp = a.doRawAuth(tt.method, path, tt.rawAuth)
				} else {
					resp = a.do(tt.method, path, token, tt.body)
				}
				if resp.Status != tt.wantStatus {
					t.Fatalf("status %d, want %d; body %.400s", resp.Status, tt.wantStatus, resp.Body)
				}
				e := resp.apiError(t)
				if e.Error.Code != tt.wantCode || e.Error.Message == "" {
					t.Errorf("error code %q message %q, want code %q and a message", e.Error.Code, e.Error.Message, tt.wantCode)
				}
				if tt.wantFields != nil {
					if diff := cmp.Diff(tt.wantFields, e.fieldNames()); diff != "" {
						t.Errorf("fields (-want +got):\n%s\nbody: %s", diff, resp.Body)
					}
				}
				if tt.wantInMsg != "" && !strings.Contains(string(resp.Body), tt.wantInMsg) {
					t.Errorf("body %s does not mention %q", resp.Body, tt.wantInMsg)
				}
				if resp.Status == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("401 without a Bearer WWW-Authenticate header: %q", resp.Header.Get("WWW-Authenticate"))
				}
				after := [2]snapshot{a.snapshot(a.ws[0]), a.snapshot(a.ws[1])}
				if diff := cmp.Diff(before, after); diff != "" {
					t.Errorf("a rejected request changed the database (-before +after):\n%s", diff)
				}
			})
		}

		t.Run("TokensNeverLogged", func(t *testing.T) {
			logs := a.logs.String()
			if !strings.Contains(logs, `"status":401`) || !strings.Contains(logs, `"workspace_id"`) {
				t.Fatalf("access log lacks the expected lines:\n%.1000s", logs)
			}
			for _, secret := range []string{a.tokens[0], a.tokens[1], "csk_wrong_", "YWRhOnNlY3JldA"} {
				if strings.Contains(logs, secret) {
					t.Errorf("logs contain a token %q", secret)
				}
			}
		})
	})
}

// doRawAuth sends a request with a verbatim Authorization header.
func (a *testAPI) doRawAuth(method, path, auth string) *response {
	a.t.Helper()
	req, err := http.NewRequest(method, a.srv.URL+path, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	resp, err := a.client.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r response
	r.Status, r.Header = resp.StatusCode, resp.Header
	r.Body, err = io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return &r
}

// TestAPI_StoreFailure isolates the handler from the store with a fake
// that fails: the client gets a generic 500, the log gets the cause.
func TestAPI_StoreFailure(t *testing.T) {
	a := newTestAPI(t, newFailingStore(errDiskFull))
	resp := a.do("POST", "/api/v1/contacts/batch", a.tokens[0], contactsBatch(contactJSON("f-1")))
	if resp.Status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500: %s", resp.Status, resp.Body)
	}
	if e := resp.apiError(t); e.Error.Code != crmsync.EINTERNAL || strings.Contains(string(resp.Body), "secret-path") {
		t.Errorf("500 body leaks or has the wrong code: %s", resp.Body)
	}
	if !strings.Contains(a.logs.String(), "secret-path") {
		t.Errorf("the cause is not logged: %s", a.logs.String())
	}
}

func TestServer_Health(t *testing.T) {
	var down atomic.Bool
	srv := httptest.NewServer(web.NewServer(web.Config{ReadyFunc: func(context.Context) error {
		if down.Load() {
			return errors.New("database is down")
		}
		return nil
	}}))
	defer srv.Close()
	get := func(path string) int {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get("/healthz"); got != 200 {
		t.Errorf("/healthz = %d", got)
	}
	if got := get("/readyz"); got != 200 {
		t.Errorf("/readyz ready = %d", got)
	}
	down.Store(true)
	if got := get("/readyz"); got != 503 {
		t.Errorf("/readyz not ready = %d, want 503", got)
	}
	if got := get("/healthz"); got != 200 {
		t.Errorf("/healthz while not ready = %d, want 200 (liveness)", got)
	}
}

// TestAPI_ConcurrentBatches posts batches from several clients at once
// (pooled decode buffers, the store's single SQLite writer) and checks that
// every contact arrived exactly once.
func TestAPI_ConcurrentBatches(t *testing.T) {
	eachBackend(t, func(t *testing.T, db backend) {
		a := newTestAPI(t, db)
		const clients, batches, size = 4, 3, 50
		var wg sync.WaitGroup
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for b := range batches {
					var cs []map[string]any
					for i := range size {
						cs = append(cs, contactJSON(fmt.Sprintf("cc-%d-%d-%d", c, b, i)))
					}
					resp, err := a.tryDo("POST", "/api/v1/contacts/batch", a.tokens[c%2], contactsBatch(cs...))
					if err != nil {
						t.Errorf("client %d batch %d: %v", c, b, err)
					} else if resp.Status != http.StatusOK {
						t.Errorf("client %d batch %d: %d %s", c, b, resp.Status, resp.Body)
					}
				}
			}()
		}
		wg.Wait()
		for ws := range 2 {
			n, err := db.CountContacts(context.Background(), a.ws[ws])
			if want := clients / 2 * batches * size; err != nil || n != want {
				t.Errorf("workspace %d: %d contacts (%v), want %d", ws, n, err, want)
			}
		}
	})
}
