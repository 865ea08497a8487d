package hubspot_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

type object struct {
	ID           string             `json:"id"`
	Properties   map[string]*string `json:"properties"`
	CreatedAt    string             `json:"createdAt"`
	UpdatedAt    string             `json:"updatedAt"`
	Archived     bool               `json:"archived"`
	New          *bool              `json:"new"`
	TraceID      string             `json:"objectWriteTraceId"`
	Associations map[string]struct {
		Results []struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		} `json:"results"`
	} `json:"associations"`
}

func (o object) prop(name string) string {
	if p := o.Properties[name]; p != nil {
		return *p
	}
	return "<null>"
}

type batch struct {
	Status    string   `json:"status"`
	Results   []object `json:"results"`
	NumErrors int      `json:"numErrors"`
	Errors    []struct {
		Status   string              `json:"status"`
		Category string              `json:"category"`
		Message  string              `json:"message"`
		Context  map[string][]string `json:"context"`
	} `json:"errors"`
}

func TestContacts_CreateGetUpdate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	req := map[string]any{"properties": map[string]any{"email": "Ada@Example.com", "firstname": "Ada", "lastname": "Lovelace", "hubspot_owner_id": "41629779"}}
	r := f.call(http.MethodPost, "/crm/v3/objects/contacts", req)
	wantStatus(t, r, http.StatusCreated)
	golden(t, "contact_create", req, r)
	var created object
	r.Decode(t, &created)
	if created.prop("email") != "ada@example.com" || created.prop("hs_object_id") != created.ID {
		t.Fatalf("created = %+v", created.Properties)
	}

	r = f.call(http.MethodGet, "/crm/v3/objects/contacts/"+created.ID, nil)
	wantStatus(t, r, http.StatusOK)
	golden(t, "contact_get", nil, r)
	var got object
	r.Decode(t, &got)
	// Without ?properties the defaults come back, hubspot_owner_id not among them.
	if _, ok := got.Properties["hubspot_owner_id"]; ok || got.prop("firstname") != "Ada" {
		t.Fatalf("default properties = %v", got.Properties)
	}
	r = f.call(http.MethodGet, "/crm/v3/objects/contacts/"+created.ID+"?properties=jobtitle,hubspot_owner_id", nil)
	r.Decode(t, &got)
	if got.prop("jobtitle") != "<null>" || got.prop("hubspot_owner_id") != "41629779" {
		t.Fatalf("requested properties = %v", got.Properties)
	}

	f.clock.Advance(1500)
	r = f.call(http.MethodPatch, "/crm/v3/objects/contacts/"+created.ID, map[string]any{"properties": map[string]any{"jobtitle": "Countess", "lastname": ""}})
	wantStatus(t, r, http.StatusOK)
	var updated object
	r.Decode(t, &updated)
	if updated.prop("jobtitle") != "Countess" || updated.prop("lastname") != "<null>" || updated.CreatedAt != created.CreatedAt {
		t.Fatalf("updated = %+v", updated)
	}

	t.Run("ByEmail", func(t *testing.T) {
		r := f.call(http.MethodGet, "/crm/v3/objects/contacts/ADA@example.com?idProperty=email", nil)
		wantStatus(t, r, http.StatusOK)
	})
	t.Run("NotFound", func(t *testing.T) {
		e := wantError(t, f.call(http.MethodGet, "/crm/v3/objects/contacts/abc", nil), http.StatusNotFound, "OBJECT_NOT_FOUND")
		if e.Message != "Object not found.  objectId are usually numeric." || e.Context["id"][0] != "abc" {
			t.Fatalf("404 = %+v", e)
		}
		wantStatus(t, f.call(http.MethodPatch, "/crm/v3/objects/contacts/99999", map[string]any{"properties": map[string]any{}}), http.StatusNotFound)
	})
	t.Run("DuplicateEmail", func(t *testing.T) {
		r := f.call(http.MethodPost, "/crm/v3/objects/contacts", map[string]any{"properties": map[string]any{"email": "ada@EXAMPLE.com"}})
		e := wantError(t, r, http.StatusConflict, "CONFLICT")
		if e.Message != "Contact already exists. Existing ID: "+created.ID {
			t.Fatalf("409 message = %q", e.Message)
		}
	})
	t.Run("List", func(t *testing.T) {
		f.createContact(map[string]any{"email": "b@example.com"})
		var page struct {
			Results []object `json:"results"`
			Paging  struct {
				Next struct {
					After string `json:"after"`
				} `json:"next"`
			} `json:"paging"`
		}
		f.call(http.MethodGet, "/crm/v3/objects/contacts?limit=1", nil).Decode(t, &page)
		if len(page.Results) != 1 || page.Paging.Next.After != "1" {
			t.Fatalf("page = %+v", page)
		}
	})
}

func TestContacts_Validation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name  string
		props map[string]any
		code  string
		msg   string
	}{
		{"InvalidEmail", map[string]any{"email": "alan@@example"}, "INVALID_EMAIL", "Email address alan@@example is invalid"},
		{"UnknownProperty", map[string]any{"favourite_color": "blue"}, "PROPERTY_DOESNT_EXIST", `Property "favourite_color" does not exist`},
		{"BadOption", map[string]any{"lifecyclestage": "friend"}, "INVALID_OPTION", ""},
		{"BadOwner", map[string]any{"hubspot_owner_id": "123"}, "INVALID_OWNER_ID", ""},
		{"ReadOnly", map[string]any{"hs_object_id": "5"}, "READ_ONLY_VALUE", ""},
		{"TooLong", map[string]any{"jobtitle": strings.Repeat("x", 65537)}, "INVALID_STRING_LENGTH", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := map[string]any{"properties": tt.props}
			r := f.call(http.MethodPost, "/crm/v3/objects/contacts", req)
			e := wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
			issues := embeddedIssues(t, e.Message)
			if len(issues) != 1 || issues[0].Error != tt.code || issues[0].IsValid {
				t.Fatalf("error = %s", r.Body)
			}
			if tt.msg != "" && issues[0].Message != tt.msg {
				t.Fatalf("message = %q, want %q", issues[0].Message, tt.msg)
			}
			if (tt.code == "PROPERTY_DOESNT_EXIST") != (len(e.Errors) == 1) {
				t.Fatalf("errors[] = %+v: only PROPERTY_DOESNT_EXIST carries one", e.Errors)
			}
			if tt.name == "InvalidEmail" || tt.name == "UnknownProperty" {
				golden(t, "contact_create_"+strings.ToLower(tt.name), req, r)
			}
		})
	}
	t.Run("RequiredByControl", func(t *testing.T) {
		f.crm.Env().Store.SetRequired("contacts", "lastname", true)
		defer f.crm.Env().Store.SetRequired("contacts", "lastname", false)
		e := wantError(t, f.call(http.MethodPost, "/crm/v3/objects/contacts", map[string]any{"properties": map[string]any{"firstname": "A"}}), http.StatusBadRequest, "VALIDATION_ERROR")
		if is := embeddedIssues(t, e.Message); is[0].Error != "REQUIRED_PROPERTY" || is[0].Name != "lastname" {
			t.Fatalf("issues = %+v", is)
		}
	})
	if n := f.crm.Env().Store.Len("contacts"); n != 0 {
		t.Fatalf("invalid creates wrote %d contacts", n)
	}
}

func upsertInput(ext, email string, trace bool) map[string]any {
	in := map[string]any{"idProperty": "saleshive_external_id", "id": ext, "properties": map[string]any{"email": email, "firstname": "F" + ext}}
	if trace {
		in["objectWriteTraceId"] = strings.ToLower(ext)
	}
	return in
}

func TestContacts_BatchUpsert(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.createUniqueProperty()
	req := map[string]any{"inputs": []any{upsertInput("SH-1", "one@example.com", false), upsertInput("SH-2", "two@example.com", false)}}
	r := f.call(http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", req)
	wantStatus(t, r, http.StatusOK)
	golden(t, "contact_batch_upsert", req, r)
	var b batch
	r.Decode(t, &b)
	if b.Status != "COMPLETE" || len(b.Results) != 2 || !*b.Results[0].New || !*b.Results[1].New {
		t.Fatalf("first upsert = %s", r.Body)
	}

	t.Run("SecondTimeUpdates", func(t *testing.T) {
		req := map[string]any{"inputs": []any{upsertInput("SH-1", "one@example.com", false), upsertInput("SH-3", "three@example.com", false)}}
		var b batch
		f.call(http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", req).Decode(t, &b)
		news := map[string]bool{}
		for _, res := range b.Results {
			news[res.prop("saleshive_external_id")] = *res.New
		}
		if news["SH-1"] || !news["SH-3"] || f.crm.Env().Store.Count("contacts", "saleshive_external_id", "SH-1") != 1 {
			t.Fatalf("new flags = %v", news)
		}
	})
	t.Run("OneBadInputFailsWholeBatch", func(t *testing.T) {
		before := f.crm.Env().Store.Len("contacts")
		req := map[string]any{"inputs": []any{upsertInput("SH-10", "ten@example.com", false), upsertInput("SH-11", "alan@@example", false)}}
		r := f.call(http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", req)
		wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
		golden(t, "contact_batch_upsert_400", req, r)
		if f.crm.Env().Store.Len("contacts") != before {
			t.Fatal("a failed batch wrote records")
		}
	})
	t.Run("TraceIDsGiveMultiStatus", func(t *testing.T) {
		req := map[string]any{"inputs": []any{upsertInput("SH-20", "twenty@example.com", true), upsertInput("SH-21", "alan@@example", true)}}
		r := f.call(http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", req)
		wantStatus(t, r, http.StatusMultiStatus)
		golden(t, "contact_batch_upsert_207", req, r)
		var b batch
		r.Decode(t, &b)
		if len(b.Results) != 1 || b.Results[0].TraceID != "sh-20" || b.NumErrors != 1 || b.Errors[0].Context["objectWriteTraceId"][0] != "sh-21" {
			t.Fatalf("207 = %s", r.Body)
		}
		if f.crm.Env().Store.Count("contacts", "saleshive_external_id", "SH-20") != 1 {
			t.Fatal("the good input of a 207 was not written")
		}
	})
	t.Run("EmailOfAnotherContact", func(t *testing.T) {
		req := map[string]any{"inputs": []any{upsertInput("SH-30", "one@example.com", false)}}
		e := wantError(t, f.call(http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", req), http.StatusConflict, "CONFLICT")
		if !strings.Contains(e.Message, "Existing ID:") {
			t.Fatalf("message = %q", e.Message)
		}
	})
	t.Run("DuplicateIDs", func(t *testing.T) {
		req := map[string]any{"inputs": []any{upsertInput("SH-40", "a40@example.com", true), upsertInput("SH-40", "b40@example.com", true)}}
		r := f.call(http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", req)
		e := wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
		if e.Message != "Duplicate IDs found in batch input: [SH-40]. IDs must be unique" || e.Context["ids"][0] != "SH-40" {
			t.Fatalf("duplicate ids = %s", r.Body)
		}
	})
	t.Run("TooMany", func(t *testing.T) {
		var inputs []any
		for i := range 101 {
			inputs = append(inputs, upsertInput(fmt.Sprintf("SH-M%d", i), fmt.Sprintf("m%d@example.com", i), false))
		}
		wantError(t, f.call(http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", map[string]any{"inputs": inputs}), http.StatusBadRequest, "VALIDATION_ERROR")
	})
	t.Run("NonUniqueIDProperty", func(t *testing.T) {
		req := map[string]any{"inputs": []any{map[string]any{"idProperty": "firstname", "id": "Ada", "properties": map[string]any{}}}}
		e := wantError(t, f.call(http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", req), http.StatusBadRequest, "VALIDATION_ERROR")
		if e.Message != "Unable to perform update/upsert by non-unique 0-1 property firstname" {
			t.Fatalf("message = %q", e.Message)
		}
	})
	t.Run("ByEmail", func(t *testing.T) {
		req := map[string]any{"inputs": []any{map[string]any{"idProperty": "email", "id": "TWO@example.com", "properties": map[string]any{"jobtitle": "CTO"}}}}
		var b batch
		f.call(http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", req).Decode(t, &b)
		if len(b.Results) != 1 || *b.Results[0].New || b.Results[0].prop("jobtitle") != "CTO" {
			t.Fatalf("upsert by email = %+v", b)
		}
	})
	t.Run("ResultsNotInInputOrder", func(t *testing.T) {
		req := map[string]any{"inputs": []any{upsertInput("SH-50", "a50@example.com", false), upsertInput("SH-51", "a51@example.com", false)}}
		var b batch
		f.call(http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", req).Decode(t, &b)
		if b.Results[0].prop("saleshive_external_id") != "SH-51" {
			t.Fatalf("results kept input order: %+v", b.Results)
		}
	})
}

func TestProperties(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	req := map[string]any{"name": "saleshive_external_id", "label": "SalesHive External ID", "type": "string",
		"fieldType": "text", "groupName": "contactinformation", "hasUniqueValue": true, "description": "Set by SalesHive sync"}
	r := f.call(http.MethodPost, "/crm/v3/properties/contacts", req)
	wantStatus(t, r, http.StatusCreated)
	golden(t, "property_create", req, r)

	r = f.call(http.MethodPost, "/crm/v3/properties/contacts", req)
	e := wantError(t, r, http.StatusConflict, "OBJECT_ALREADY_EXISTS")
	if e.SubCategory != "Properties.PROPERTY_WITH_NAME_EXISTS" || e.Message != "A property named 'saleshive_external_id' already exists." {
		t.Fatalf("409 = %s", r.Body)
	}
	golden(t, "property_create_409", req, r)

	var list struct {
		Results []struct {
			Name           string `json:"name"`
			HasUniqueValue bool   `json:"hasUniqueValue"`
		} `json:"results"`
	}
	f.call(http.MethodGet, "/crm/v3/properties/contacts", nil).Decode(t, &list)
	i := slices.IndexFunc(list.Results, func(p struct {
		Name           string `json:"name"`
		HasUniqueValue bool   `json:"hasUniqueValue"`
	}) bool {
		return p.Name == "saleshive_external_id"
	})
	if i < 0 || !list.Results[i].HasUniqueValue || len(list.Results) < 10 {
		t.Fatalf("property list = %+v", list.Results)
	}

	t.Run("UniquenessEnforced", func(t *testing.T) {
		f.createContact(map[string]any{"saleshive_external_id": "X-1"})
		r := f.call(http.MethodPost, "/crm/v3/objects/contacts", map[string]any{"properties": map[string]any{"saleshive_external_id": "X-1"}})
		wantError(t, r, http.StatusConflict, "CONFLICT")
	})
	t.Run("MissingAttributes", func(t *testing.T) {
		e := wantError(t, f.call(http.MethodPost, "/crm/v3/properties/contacts", map[string]any{"name": "x_y"}), http.StatusBadRequest, "VALIDATION_ERROR")
		if !strings.Contains(e.Message, "[label, type, fieldType, groupName]") {
			t.Fatalf("message = %q", e.Message)
		}
	})
	t.Run("ArchivedNameIsRestored", func(t *testing.T) {
		p := map[string]any{"name": "old_prop", "label": "Old", "type": "string", "fieldType": "text", "groupName": "contactinformation"}
		wantStatus(t, f.call(http.MethodPost, "/crm/v3/properties/contacts", p), http.StatusCreated)
		var before struct {
			CreatedAt string `json:"createdAt"`
		}
		f.call(http.MethodGet, "/crm/v3/properties/contacts/old_prop", nil).Decode(t, &before)
		wantStatus(t, f.call(http.MethodDelete, "/crm/v3/properties/contacts/old_prop", nil), http.StatusNoContent)
		wantStatus(t, f.call(http.MethodGet, "/crm/v3/properties/contacts/old_prop", nil), http.StatusNotFound)
		f.clock.Advance(60_000_000_000)
		r := f.call(http.MethodPost, "/crm/v3/properties/contacts", p)
		wantStatus(t, r, http.StatusCreated)
		var after struct {
			CreatedAt string `json:"createdAt"`
			Archived  bool   `json:"archived"`
		}
		r.Decode(t, &after)
		if after.CreatedAt != before.CreatedAt || after.Archived {
			t.Fatalf("restored = %s, created before %s", r.Body, before.CreatedAt)
		}
	})
}
