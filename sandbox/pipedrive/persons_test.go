package pipedrive

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// personEnvelope is a v2 single-person answer.
type personEnvelope struct {
	Success bool   `json:"success"`
	Data    Person `json:"data"`
}

// personsEnvelope is a v2 person list answer.
type personsEnvelope struct {
	Success        bool       `json:"success"`
	Data           []Person   `json:"data"`
	AdditionalData CursorData `json:"additional_data"`
}

// externalIDField creates the "SalesHive External ID" varchar field and returns its key.
func (s *sandbox) externalIDField(t *testing.T) string {
	t.Helper()
	r := s.mustAPI(http.MethodPost, "/api/v2/personFields", map[string]any{"field_name": "SalesHive External ID", "field_type": "varchar"}, http.StatusOK)
	var env struct {
		Data FieldV2 `json:"data"`
	}
	r.json(t, &env)
	return env.Data.FieldCode
}

// createPerson creates a person and returns it.
func (s *sandbox) createPerson(t *testing.T, body map[string]any) Person {
	t.Helper()
	var env personEnvelope
	s.mustAPI(http.MethodPost, "/api/v2/persons", body, http.StatusOK).json(t, &env)
	return env.Data
}

func TestPersons_CreateGetUpdate(t *testing.T) {
	s := mustStart(t, Options{})
	ext := s.externalIDField(t)
	if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(ext) {
		t.Fatalf("field_code %q is not a 40-hex hash", ext)
	}
	create := map[string]any{
		"name":          "Ada Lovelace",
		"owner_id":      10002,
		"emails":        []map[string]any{{"value": "ada@example.com", "label": "work"}, {"value": "ada@home.example", "primary": false, "label": "home"}},
		"phones":        []map[string]any{{"value": "+15550100", "primary": true, "label": "mobile"}},
		"visible_to":    3,
		"custom_fields": map[string]any{ext: "SH-1001"},
	}
	r := s.mustAPI(http.MethodPost, "/api/v2/persons", create, http.StatusOK) // v2 creates answer 200, not 201
	golden(t, "person_create", create, r)
	var created personEnvelope
	r.json(t, &created)
	p := created.Data
	if p.FirstName != "Ada" || p.LastName != "Lovelace" || p.OwnerID != 10002 || !p.Emails[0].Primary || p.CustomFields[ext] != "SH-1001" {
		t.Fatalf("created %+v", p)
	}

	var got personEnvelope
	r = s.mustAPI(http.MethodGet, fmt.Sprintf("/api/v2/persons/%d", p.ID), nil, http.StatusOK)
	golden(t, "person_get", nil, r)
	r.json(t, &got)
	if got.Data.Name != "Ada Lovelace" || got.Data.CustomFields[ext] != "SH-1001" {
		t.Fatalf("get %+v", got.Data)
	}

	patch := map[string]any{"name": "Ada King", "emails": []map[string]any{{"value": "ada@king.example"}}, "custom_fields": map[string]any{ext: nil}}
	r = s.mustAPI(http.MethodPatch, fmt.Sprintf("/api/v2/persons/%d", p.ID), patch, http.StatusOK)
	golden(t, "person_update", patch, r)
	var updated personEnvelope
	r.json(t, &updated)
	u := updated.Data
	if u.Name != "Ada King" || u.LastName != "King" || len(u.Emails) != 1 || !u.Emails[0].Primary || u.Emails[0].Label != "work" {
		t.Fatalf("updated %+v", u)
	}
	if v, ok := u.CustomFields[ext]; !ok || v != nil {
		t.Fatalf("custom field after null = %v (present %v), want null", v, ok)
	}
	// Owner and phones untouched by a PATCH that does not name them.
	if u.OwnerID != 10002 || len(u.Phones) != 1 {
		t.Fatalf("untouched keys changed: %+v", u)
	}
}

func TestPersons_FirstAndLastName(t *testing.T) {
	s := mustStart(t, Options{})
	p := s.createPerson(t, map[string]any{"first_name": "Grace", "last_name": "Hopper"})
	if p.Name != "Grace Hopper" {
		t.Fatalf("name = %q", p.Name)
	}
	if p.OwnerID != 10001 {
		t.Fatalf("owner defaults to the token's user: got %d", p.OwnerID)
	}
}

func TestPersons_DuplicateExternalIDIsAccepted(t *testing.T) {
	// Pipedrive has no unique custom fields: the same external id twice is two persons.
	s := mustStart(t, Options{})
	ext := s.externalIDField(t)
	a := s.createPerson(t, map[string]any{"name": "One", "custom_fields": map[string]any{ext: "SH-7"}})
	b := s.createPerson(t, map[string]any{"name": "Two", "custom_fields": map[string]any{ext: "SH-7"}})
	if a.ID == b.ID {
		t.Fatal("same id")
	}
	if n := s.crm.Env().Store.Count(objPersons, ext, "SH-7"); n != 2 {
		t.Fatalf("count = %d, want 2", n)
	}
}

func TestPersons_InvalidEmailIsAccepted(t *testing.T) {
	s := mustStart(t, Options{})
	p := s.createPerson(t, map[string]any{"name": "No Mail", "emails": []map[string]any{{"value": "not-an-email"}}})
	if p.Emails[0].Value != "not-an-email" {
		t.Fatalf("emails %+v", p.Emails)
	}
}

func TestPersons_Validation(t *testing.T) {
	s := mustStart(t, Options{})
	ext := s.externalIDField(t)
	tests := []struct {
		name string
		body any
		msg  string
	}{
		{"MissingName", map[string]any{"emails": []map[string]any{{"value": "a@b.example"}}}, msgNameMissing},
		{"EmptyName", map[string]any{"name": "  "}, msgNameMissing},
		{"FirstNameOnly", map[string]any{"first_name": "Ada"}, msgNameMissing},
		{"NameNotString", map[string]any{"name": 42}, "name: must be a string"},
		{"OwnerAsString", map[string]any{"name": "A", "owner_id": "10001"}, "owner_id: must be an integer"},
		{"UnknownOwner", map[string]any{"name": "A", "owner_id": 999}, "owner_id: user not found"},
		{"BadVisibleTo", map[string]any{"name": "A", "visible_to": 2}, "visible_to"},
		{"EmailWithoutValue", map[string]any{"name": "A", "emails": []map[string]any{{"label": "work"}}}, "emails[0].value: is required"},
		{"PrimaryAsNumber", map[string]any{"name": "A", "emails": []map[string]any{{"value": "a@b.example", "primary": 1}}}, "must be a boolean"},
		{"UnknownCustomField", map[string]any{"name": "A", "custom_fields": map[string]any{"0123456789abcdef0123456789abcdef01234567": "x"}}, "is not a valid custom field key"},
		{"VarcharTooLong", map[string]any{"name": "A", "custom_fields": map[string]any{ext: strings.Repeat("x", 256)}}, "at most 255"},
		{"VarcharNotString", map[string]any{"name": "A", "custom_fields": map[string]any{ext: 12}}, "must be a string"},
		{"UnknownKey", map[string]any{"name": "A", "favourite_colour": "blue"}, "favourite_colour: is not allowed"},
		{"NotAnObject", "[1,2]", "must be a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.api(http.MethodPost, "/api/v2/persons", tt.body)
			e := wantError(t, r, http.StatusBadRequest, tt.msg)
			if e.Code != codeValidation {
				t.Errorf("code = %q, want %q", e.Code, codeValidation)
			}
			if tt.name == "MissingName" {
				golden(t, "person_create_missing_name", tt.body, r)
			}
		})
	}
	if n := s.crm.Env().Store.Len(objPersons); n != 0 {
		t.Fatalf("%d persons stored by rejected creates", n)
	}
}

func TestPersons_RequiredFieldFromControlAPI(t *testing.T) {
	s := mustStart(t, Options{})
	ext := s.externalIDField(t)
	s.crm.Env().Store.SetRequired(objPersons, ext, true)
	wantError(t, s.api(http.MethodPost, "/api/v2/persons", map[string]any{"name": "A"}), http.StatusBadRequest, ext+": is required")
	s.createPerson(t, map[string]any{"name": "A", "custom_fields": map[string]any{ext: "SH-1"}})
	s.crm.Env().Store.SetRequired(objPersons, "email", true)
	wantError(t, s.api(http.MethodPost, "/api/v2/persons", map[string]any{"name": "B", "custom_fields": map[string]any{ext: "SH-2"}}), http.StatusBadRequest, "email: is required")
}

func TestPersons_NotFound(t *testing.T) {
	s := mustStart(t, Options{})
	wantError(t, s.api(http.MethodGet, "/api/v2/persons/41", nil), http.StatusNotFound, "Person not found")
	wantError(t, s.api(http.MethodPatch, "/api/v2/persons/41", map[string]any{"name": "X"}), http.StatusNotFound, "Person not found")
	wantError(t, s.api(http.MethodGet, "/api/v2/persons/abc", nil), http.StatusBadRequest, "id")
}

func TestPersons_ListCursorPaging(t *testing.T) {
	s := mustStart(t, Options{})
	for i := range 7 {
		owner := 10001
		if i%2 == 1 {
			owner = 10003
		}
		s.createPerson(t, map[string]any{"name": fmt.Sprintf("Person %d", i+1), "owner_id": owner})
	}
	var ids []int64
	cursor := ""
	pages := 0
	for {
		path := "/api/v2/persons?limit=3"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		var env personsEnvelope
		r := s.mustAPI(http.MethodGet, path, nil, http.StatusOK)
		if pages == 0 {
			golden(t, "person_list_page1", nil, r)
		}
		r.json(t, &env)
		pages++
		for _, p := range env.Data {
			ids = append(ids, p.ID)
		}
		if env.AdditionalData.NextCursor == nil {
			break
		}
		cursor = *env.AdditionalData.NextCursor
	}
	if pages != 3 || fmt.Sprint(ids) != "[1 2 3 4 5 6 7]" {
		t.Fatalf("pages %d ids %v", pages, ids)
	}

	var owned personsEnvelope
	s.mustAPI(http.MethodGet, "/api/v2/persons?owner_id=10003&limit=2", nil, http.StatusOK).json(t, &owned)
	if len(owned.Data) != 2 || owned.Data[0].ID != 2 || owned.Data[1].ID != 4 || owned.AdditionalData.NextCursor == nil {
		t.Fatalf("owner page %+v", owned)
	}
	var rest personsEnvelope
	s.mustAPI(http.MethodGet, "/api/v2/persons?owner_id=10003&limit=2&cursor="+url.QueryEscape(*owned.AdditionalData.NextCursor), nil, http.StatusOK).json(t, &rest)
	if len(rest.Data) != 1 || rest.Data[0].ID != 6 || rest.AdditionalData.NextCursor != nil {
		t.Fatalf("owner page 2 %+v", rest)
	}

	var byIDs personsEnvelope
	s.mustAPI(http.MethodGet, "/api/v2/persons?ids=5,2,99", nil, http.StatusOK).json(t, &byIDs)
	if len(byIDs.Data) != 2 || byIDs.Data[0].ID != 2 || byIDs.Data[1].ID != 5 {
		t.Fatalf("ids filter %+v", byIDs.Data)
	}

	wantError(t, s.api(http.MethodGet, "/api/v2/persons?limit=501", nil), http.StatusBadRequest, "limit")
	wantError(t, s.api(http.MethodGet, "/api/v2/persons?cursor=!!", nil), http.StatusBadRequest, "cursor")
}

func TestPersons_Search(t *testing.T) {
	s := mustStart(t, Options{})
	ext := s.externalIDField(t)
	r := s.mustAPI(http.MethodPost, "/api/v2/personFields", map[string]any{"field_name": "Nickname", "field_type": "varchar"}, http.StatusOK)
	var nick struct {
		Data FieldV2 `json:"data"`
	}
	r.json(t, &nick)
	ada := s.createPerson(t, map[string]any{"name": "Ada Lovelace", "emails": []map[string]any{{"value": "ada@example.com"}}, "custom_fields": map[string]any{ext: "SH-1001"}})
	s.createPerson(t, map[string]any{"name": "Grace Hopper", "custom_fields": map[string]any{ext: "SH-10010"}})
	// Another searchable custom field holding the same text also matches: custom_fields carries values only.
	other := s.createPerson(t, map[string]any{"name": "Alan Turing", "custom_fields": map[string]any{nick.Data.FieldCode: "sh-1001"}})

	type searchEnv struct {
		Success bool `json:"success"`
		Data    struct {
			Items []SearchItem `json:"items"`
		} `json:"data"`
		AdditionalData CursorData `json:"additional_data"`
	}
	r = s.mustAPI(http.MethodGet, "/api/v2/persons/search?term=SH-1001&fields=custom_fields&exact_match=true&limit=2", nil, http.StatusOK)
	golden(t, "person_search_exact", nil, r)
	var env searchEnv
	r.json(t, &env)
	if len(env.Data.Items) != 2 || env.Data.Items[0].Item.ID != ada.ID || env.Data.Items[1].Item.ID != other.ID {
		t.Fatalf("exact search items %+v", env.Data.Items)
	}
	if got := env.Data.Items[0].Item.CustomFields; len(got) != 1 || got[0] != "SH-1001" {
		t.Fatalf("custom_fields = %v, want [SH-1001]", got)
	}
	if env.Data.Items[0].Item.Emails[0] != "ada@example.com" {
		t.Fatalf("emails %v", env.Data.Items[0].Item.Emails)
	}

	// Partial search finds SH-10010 too; paging by cursor.
	var partial searchEnv
	s.mustAPI(http.MethodGet, "/api/v2/persons/search?term=sh-100&fields=custom_fields&limit=2", nil, http.StatusOK).json(t, &partial)
	if len(partial.Data.Items) != 2 || partial.AdditionalData.NextCursor == nil {
		t.Fatalf("partial page 1 %+v", partial)
	}
	var partial2 searchEnv
	s.mustAPI(http.MethodGet, "/api/v2/persons/search?term=sh-100&fields=custom_fields&limit=2&cursor="+url.QueryEscape(*partial.AdditionalData.NextCursor), nil, http.StatusOK).json(t, &partial2)
	if len(partial2.Data.Items) != 1 || partial2.AdditionalData.NextCursor != nil {
		t.Fatalf("partial page 2 %+v", partial2)
	}

	var byEmail searchEnv
	s.mustAPI(http.MethodGet, "/api/v2/persons/search?term=ADA@example.com&fields=email&exact_match=true", nil, http.StatusOK).json(t, &byEmail)
	if len(byEmail.Data.Items) != 1 || byEmail.Data.Items[0].Item.ID != ada.ID {
		t.Fatalf("email search %+v", byEmail.Data.Items)
	}
	var none searchEnv
	s.mustAPI(http.MethodGet, "/api/v2/persons/search?term=SH-9&fields=custom_fields&exact_match=true", nil, http.StatusOK).json(t, &none)
	if len(none.Data.Items) != 0 {
		t.Fatalf("no-hit search %+v", none.Data.Items)
	}

	wantError(t, s.api(http.MethodGet, "/api/v2/persons/search?term=S", nil), http.StatusBadRequest, "term")
	wantError(t, s.api(http.MethodGet, "/api/v2/persons/search?term=SH&exact_match=1", nil), http.StatusBadRequest, "exact_match")
	wantError(t, s.api(http.MethodGet, "/api/v2/persons/search?term=SH&fields=title", nil), http.StatusBadRequest, "fields")
	if r := s.api(http.MethodGet, "/api/v2/persons/search?term=S&exact_match=true", nil); r.status != http.StatusOK {
		t.Fatalf("one-character exact term: %d", r.status)
	}
}
