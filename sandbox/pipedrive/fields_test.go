package pipedrive

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
)

var hashKey = regexp.MustCompile(`^[0-9a-f]{40}$`)

func TestPersonFields_V2(t *testing.T) {
	s := mustStart(t, Options{})
	body := map[string]any{"field_name": "SalesHive External ID", "field_type": "varchar", "description": "Set by SalesHive sync"}
	r := s.mustAPI(http.MethodPost, "/api/v2/personFields", body, http.StatusOK)
	golden(t, "personfield_create_v2", body, r)
	var created struct {
		Success bool    `json:"success"`
		Data    FieldV2 `json:"data"`
	}
	r.json(t, &created)
	if !created.Success || !hashKey.MatchString(created.Data.FieldCode) || !created.Data.IsCustomField || created.Data.FieldType != "varchar" {
		t.Fatalf("created %+v", created.Data)
	}
	// Pipedrive allows duplicate field names: a second create is a second field.
	var dup struct {
		Data FieldV2 `json:"data"`
	}
	s.mustAPI(http.MethodPost, "/api/v2/personFields", body, http.StatusOK).json(t, &dup)
	if dup.Data.FieldCode == created.Data.FieldCode {
		t.Fatal("duplicate name got the same key")
	}

	r = s.mustAPI(http.MethodGet, "/api/v2/personFields", nil, http.StatusOK)
	var list struct {
		Data           []FieldV2  `json:"data"`
		AdditionalData CursorData `json:"additional_data"`
	}
	r.json(t, &list)
	if len(list.Data) != len(standardPersonFields)+2 || list.AdditionalData.NextCursor != nil {
		t.Fatalf("list has %d fields (cursor %v)", len(list.Data), list.AdditionalData.NextCursor)
	}
	if list.Data[0].FieldCode != "name" || list.Data[0].IsCustomField || !list.Data[0].RequiredFields.Enabled {
		t.Fatalf("first field %+v, want the mandatory standard name field", list.Data[0])
	}
	last := list.Data[len(list.Data)-1]
	if last.FieldCode != dup.Data.FieldCode || last.FieldName != "SalesHive External ID" {
		t.Fatalf("last field %+v", last)
	}

	// Paging by cursor.
	var page1, page2 struct {
		Data           []FieldV2  `json:"data"`
		AdditionalData CursorData `json:"additional_data"`
	}
	r = s.mustAPI(http.MethodGet, "/api/v2/personFields?limit=10", nil, http.StatusOK)
	golden(t, "personfield_list_v2_page1", nil, r)
	r.json(t, &page1)
	if len(page1.Data) != 10 || page1.AdditionalData.NextCursor == nil {
		t.Fatalf("page 1: %d fields", len(page1.Data))
	}
	s.mustAPI(http.MethodGet, "/api/v2/personFields?limit=10&cursor="+url.QueryEscape(*page1.AdditionalData.NextCursor), nil, http.StatusOK).json(t, &page2)
	if len(page2.Data) != len(list.Data)-10 || page2.AdditionalData.NextCursor != nil {
		t.Fatalf("page 2: %d fields", len(page2.Data))
	}
}

func TestPersonFields_V2Validation(t *testing.T) {
	s := mustStart(t, Options{})
	tests := []struct {
		name string
		body map[string]any
		msg  string
	}{
		{"NoName", map[string]any{"field_type": "varchar"}, "field_name: is required"},
		{"NoType", map[string]any{"field_name": "X"}, "field_type: is required"},
		{"BadType", map[string]any{"field_name": "X", "field_type": "json"}, "field_type"},
		{"EnumWithoutOptions", map[string]any{"field_name": "X", "field_type": "enum"}, "options"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, s.api(http.MethodPost, "/api/v2/personFields", tt.body), http.StatusBadRequest, tt.msg)
		})
	}
}

func TestPersonFields_EnumValues(t *testing.T) {
	s := mustStart(t, Options{})
	var f struct {
		Data FieldV2 `json:"data"`
	}
	s.mustAPI(http.MethodPost, "/api/v2/personFields", map[string]any{"field_name": "Tier", "field_type": "enum", "options": []map[string]string{{"label": "Gold"}, {"label": "Silver"}}}, http.StatusOK).json(t, &f)
	if len(f.Data.Options) != 2 {
		t.Fatalf("options %+v", f.Data.Options)
	}
	gold := f.Data.Options[0].ID
	p := s.createPerson(t, map[string]any{"name": "A", "custom_fields": map[string]any{f.Data.FieldCode: gold}})
	if v, _ := p.CustomFields[f.Data.FieldCode].(float64); int64(v) != gold {
		t.Fatalf("enum value %v, want %d", p.CustomFields[f.Data.FieldCode], gold)
	}
	wantError(t, s.api(http.MethodPost, "/api/v2/persons", map[string]any{"name": "B", "custom_fields": map[string]any{f.Data.FieldCode: 1}}), http.StatusBadRequest, "option 1 does not exist")
}

func TestPersonFields_V1(t *testing.T) {
	s := mustStart(t, Options{})
	body := map[string]any{"name": "SalesHive External ID", "field_type": "varchar"}
	r := s.mustAPI(http.MethodPost, "/v1/personFields", body, http.StatusOK)
	golden(t, "personfield_create_v1", body, r)
	var created struct {
		Success bool    `json:"success"`
		Data    FieldV1 `json:"data"`
	}
	r.json(t, &created)
	if !hashKey.MatchString(created.Data.Key) || created.Data.ID == 0 || created.Data.Name != "SalesHive External ID" {
		t.Fatalf("created %+v", created.Data)
	}
	// The v1 key is the same key v2 uses in custom_fields.
	p := s.createPerson(t, map[string]any{"name": "A", "custom_fields": map[string]any{created.Data.Key: "SH-1"}})
	if p.CustomFields[created.Data.Key] != "SH-1" {
		t.Fatalf("custom_fields %+v", p.CustomFields)
	}

	r = s.mustAPI(http.MethodGet, "/v1/personFields?start=0&limit=5", nil, http.StatusOK)
	golden(t, "personfield_list_v1", nil, r)
	var list struct {
		Data           []FieldV1  `json:"data"`
		AdditionalData V1ListData `json:"additional_data"`
	}
	r.json(t, &list)
	if len(list.Data) != 5 || !list.AdditionalData.Pagination.MoreItemsInCollection {
		t.Fatalf("v1 page %+v", list.AdditionalData)
	}
	var all struct {
		Data []FieldV1 `json:"data"`
	}
	s.mustAPI(http.MethodGet, "/api/v1/personFields", nil, http.StatusOK).json(t, &all)
	if got := all.Data[len(all.Data)-1].Key; got != created.Data.Key {
		t.Fatalf("last v1 field %q, want %q", got, created.Data.Key)
	}
	wantError(t, s.api(http.MethodPost, "/v1/personFields", map[string]any{"field_type": "varchar"}), http.StatusBadRequest, "Name must be given.")
}
