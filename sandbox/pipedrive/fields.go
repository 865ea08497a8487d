package pipedrive

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// Object names in the store (and in the control API): Pipedrive's own.
const (
	objPersons    = "persons"
	objActivities = "activities"
	objUsers      = "users"
)

// Extra keys of an emu.Field holding Pipedrive's field attributes.
const (
	extraID          = "id"
	extraOptions     = "options"
	extraDescription = "description"
	extraSearchable  = "searchable"
)

// personField is a person field definition as Pipedrive models it, read from
// the store's emu.Field (Name = key, Label = name, Type = field_type).
type personField struct {
	ID          int64
	Key         string
	Name        string
	FieldType   string
	Custom      bool
	Mandatory   bool
	Searchable  bool
	Description *string
	Options     []FieldOption
	OrderNr     int
	AddTime     time.Time
	UpdateTime  time.Time
}

func (f *personField) hasOption(id int64) bool {
	return slices.ContainsFunc(f.Options, func(o FieldOption) bool { return o.ID == id })
}

// searchableTypes are the custom-field types person search looks into
// (v2 spec, GET /persons/search "fields").
var searchableTypes = map[string]bool{
	"varchar": true, "text": true, "varchar_auto": true, "double": true,
	"monetary": true, "phone": true, "address": true,
}

// creatableTypes are the field_type values POST personFields accepts (v2 spec).
var creatableTypes = map[string]bool{
	"varchar": true, "text": true, "double": true, "phone": true, "date": true,
	"daterange": true, "time": true, "timerange": true, "set": true, "enum": true,
	"varchar_auto": true, "address": true, "monetary": true, "org": true,
	"people": true, "user": true,
}

// standardPersonFields are the built-in person fields the sandbox lists,
// with v1 keys and types as Pipedrive names them.
var standardPersonFields = []struct {
	key, name, typ string
	mandatory      bool
}{
	{"name", "Name", "varchar", true},
	{"first_name", "First name", "varchar", false},
	{"last_name", "Last name", "varchar", false},
	{"org_id", "Organization", "org", false},
	{"owner_id", "Owner", "user", false},
	{"email", "Email", "varchar", false},
	{"phone", "Phone", "phone", false},
	{"job_title", "Job title", "varchar", false},
	{"label_ids", "Labels", "set", false},
	{"visible_to", "Visible to", "visible_to", false},
	{"add_time", "Person created", "date", false},
	{"update_time", "Update time", "date", false},
}

// fieldFromEmu converts a stored definition.
func fieldFromEmu(f emu.Field, order int) personField {
	pf := personField{
		Key: f.Name, Name: f.Label, FieldType: f.Type, Custom: f.Custom,
		Mandatory: f.Required, OrderNr: order, AddTime: f.CreatedAt, UpdateTime: f.UpdatedAt,
	}
	pf.ID = int64(numberOf(f.Extra[extraID]))
	pf.Searchable, _ = f.Extra[extraSearchable].(bool)
	if d, ok := f.Extra[extraDescription].(string); ok {
		pf.Description = &d
	}
	if opts, ok := f.Extra[extraOptions].([]FieldOption); ok {
		pf.Options = slices.Clone(opts)
	}
	return pf
}

// numberOf reads a stored number (float64 as JSON decodes it, or an int).
func numberOf(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	case int:
		return float64(x)
	}
	return 0
}

// fieldSet is a snapshot of the person fields, by key.
type fieldSet struct {
	list  []personField
	byKey map[string]*personField
}

// personFields snapshots the current person field definitions.
func (c *CRM) personFields() *fieldSet {
	defs := c.env.Store.Fields(objPersons)
	fs := &fieldSet{list: make([]personField, 0, len(defs)), byKey: make(map[string]*personField, len(defs))}
	for i, d := range defs {
		if d.Archived {
			continue
		}
		fs.list = append(fs.list, fieldFromEmu(d, i+1))
	}
	for i := range fs.list {
		fs.byKey[fs.list[i].Key] = &fs.list[i]
	}
	// Fields made required through the control API show as mandatory.
	for _, req := range c.env.Store.RequiredFields(objPersons) {
		if f, ok := fs.byKey[req]; ok {
			f.Mandatory = true
		}
	}
	return fs
}

// custom returns the custom field with key.
func (fs *fieldSet) custom(key string) (*personField, bool) {
	f, ok := fs.byKey[key]
	if !ok || !f.Custom {
		return nil, false
	}
	return f, true
}

// fieldKey makes a custom field's 40-character hex key. It is derived from
// the company, the field id and the name, so a fresh sandbox hands out the
// same keys in the same order (stable golden files) while keys still look
// like Pipedrive's random hashes.
func fieldKey(companyID, fieldID int64, name string) string {
	sum := sha1.Sum([]byte(fmt.Sprintf("pipedrive-sandbox:%d:%d:%s", companyID, fieldID, name)))
	return hex.EncodeToString(sum[:])
}

// nextFieldID is the v1 numeric id for a new field.
func (c *CRM) nextFieldID() int64 {
	var maxID int64
	for _, f := range c.personFields().list {
		maxID = max(maxID, f.ID)
	}
	return maxID + 1
}

// seedFields defines the standard person fields.
func (c *CRM) seedFields(e *emu.Env) {
	for i, sf := range standardPersonFields {
		_ = e.Store.DefineField(objPersons, emu.Field{
			Name: sf.key, Label: sf.name, Type: sf.typ, Required: sf.mandatory,
			Extra: map[string]any{extraID: float64(9000 + i + 1), extraSearchable: sf.key == "name" || sf.key == "email" || sf.key == "phone"},
		})
	}
	// Exact person search by name is served from an index.
	e.Store.AddIndex(objPersons, "name", true)
}

// newFieldInput is a parsed field-creation body (v1 or v2).
type newFieldInput struct {
	name, typ   string
	description *string
	options     []string
}

// createPersonField defines a custom person field and returns it. Pipedrive
// allows duplicate field names, so a second field with the same name is a
// second field with a new key.
func (c *CRM) createPersonField(in newFieldInput) (personField, error) {
	if in.name == "" {
		return personField{}, fieldError("field_name", "is required")
	}
	if !creatableTypes[in.typ] {
		return personField{}, fieldError("field_type", "must be one of the documented field types")
	}
	var opts []FieldOption
	if in.typ == "enum" || in.typ == "set" {
		if len(in.options) == 0 {
			return personField{}, fieldError("options", "are required for enum and set fields")
		}
	}
	c.fieldMu.Lock()
	defer c.fieldMu.Unlock()
	id := c.nextFieldID()
	if in.typ == "enum" || in.typ == "set" {
		for i, label := range in.options {
			opts = append(opts, FieldOption{ID: id*1000 + int64(i) + 1, Label: label})
		}
	}
	key := fieldKey(c.companyID, id, in.name)
	extra := map[string]any{extraID: float64(id), extraSearchable: searchableTypes[in.typ]}
	if in.description != nil {
		extra[extraDescription] = *in.description
	}
	if opts != nil {
		extra[extraOptions] = opts
	}
	def := emu.Field{Name: key, Label: in.name, Type: in.typ, Custom: true, Extra: extra}
	if in.typ == "varchar" {
		def.MaxLength = varcharMax
	}
	if err := c.env.Store.DefineField(objPersons, def); err != nil {
		return personField{}, fmt.Errorf("pipedrive: define person field %q: %w", in.name, err)
	}
	if searchableTypes[in.typ] {
		// exact_match search is case-insensitive, so the index folds case.
		c.env.Store.AddIndex(objPersons, key, true)
	}
	stored, _ := c.env.Store.Field(objPersons, key)
	return fieldFromEmu(stored, len(c.env.Store.Fields(objPersons))), nil
}

// v2Field renders a field in the v2 shape.
func v2Field(f personField) FieldV2 {
	out := FieldV2{
		FieldName: f.Name, FieldCode: f.Key, Description: f.Description, FieldType: f.FieldType,
		Options: f.Options, IsCustomField: f.Custom,
		UIVisibility:    &UIVisibility{AddVisibleFlag: true, DetailsVisibleFlag: true},
		ImportantFields: &ImportantFlag{Enabled: false, StageIDs: []int64{}},
		RequiredFields:  &RequiredFlag{Enabled: f.Mandatory},
	}
	return out
}

// v1Field renders a field in the v1 shape.
func v1Field(f personField) FieldV1 {
	upd := v1Time(f.UpdateTime)
	return FieldV1{
		ID: f.ID, Key: f.Key, Name: f.Name, OrderNr: f.OrderNr, FieldType: f.FieldType,
		AddTime: v1Time(f.AddTime), UpdateTime: &upd,
		ActiveFlag: true, EditFlag: f.Custom, IndexVisibleFlag: true, DetailsVisibleFlag: true,
		AddVisibleFlag: true, BulkEditAllowed: true, SearchableFlag: f.Searchable,
		FilteringAllowed: true, SortableFlag: true, MandatoryFlag: f.Mandatory, Options: f.Options,
	}
}

// v1Time formats a time as Pipedrive v1 does: "2019-02-04 13:58:03" (UTC).
func v1Time(t time.Time) string { return t.UTC().Format(time.DateTime) }

// v2Time formats a time as v2 does: RFC 3339 in UTC, whole seconds.
func v2Time(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// handlePersonFieldsV2 serves GET /api/v2/personFields (cursor pagination).
func (c *CRM) handlePersonFieldsV2(w http.ResponseWriter, r *http.Request) {
	fs := c.personFields()
	page, err := parsePage(r)
	if err != nil {
		writeValidation(w, err)
		return
	}
	// Fields page by position: the cursor's id is the number of fields served.
	start := min(int(page.after), len(fs.list))
	end := min(start+page.limit, len(fs.list))
	out := make([]FieldV2, 0, end-start)
	for _, f := range fs.list[start:end] {
		out = append(out, v2Field(f))
	}
	writeData(w, http.StatusOK, out, CursorData{NextCursor: nextCursor(end, len(fs.list), int64(end))})
}

// handlePersonFieldCreateV2 serves POST /api/v2/personFields.
func (c *CRM) handlePersonFieldCreateV2(w http.ResponseWriter, r *http.Request) {
	m, err := readObject(r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	var in newFieldInput
	for k, raw := range m {
		switch k {
		case "field_name":
			in.name, err = decodeString(k, raw)
		case "field_type":
			in.typ, err = decodeString(k, raw)
		case "description":
			in.description, err = decodeOptionalString(k, raw)
		case "options":
			in.options, err = decodeOptionLabels(raw)
		case "ui_visibility", "important_fields", "required_fields":
			// Web-UI presentation settings: accepted, not modelled.
		default:
			err = fieldError(k, "is not allowed")
		}
		if err != nil {
			writeValidation(w, err)
			return
		}
	}
	if _, ok := m["field_type"]; !ok {
		writeValidation(w, fieldError("field_type", "is required"))
		return
	}
	f, err := c.createPersonField(in)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	writeData(w, http.StatusOK, v2Field(f), nil)
}

// handlePersonFieldsV1 serves GET /v1/personFields (start/limit pagination).
func (c *CRM) handlePersonFieldsV1(w http.ResponseWriter, r *http.Request) {
	fs := c.personFields()
	start, limit := 0, 100
	q := r.URL.Query()
	if s := q.Get("start"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "start must be a non-negative integer")
			return
		}
		start = n
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "limit must be a positive integer")
			return
		}
		limit = min(n, 500)
	}
	start = min(start, len(fs.list))
	end := min(start+limit, len(fs.list))
	out := make([]FieldV1, 0, end-start)
	for _, f := range fs.list[start:end] {
		out = append(out, v1Field(f))
	}
	pg := Pagination{Start: start, Limit: limit, MoreItemsInCollection: end < len(fs.list)}
	if pg.MoreItemsInCollection {
		pg.NextStart = &end
	}
	writeData(w, http.StatusOK, out, V1ListData{Pagination: pg})
}

// handlePersonFieldCreateV1 serves POST /v1/personFields (v1 accepts JSON or a form).
func (c *CRM) handlePersonFieldCreateV1(w http.ResponseWriter, r *http.Request) {
	var in newFieldInput
	if isForm(r) {
		if err := r.ParseForm(); err != nil {
			writeError(w, http.StatusBadRequest, "Invalid form body")
			return
		}
		in.name, in.typ = r.PostForm.Get("name"), r.PostForm.Get("field_type")
		in.options = r.PostForm["options"]
	} else {
		m, err := readObject(r)
		if err != nil {
			writeBodyError(w, err)
			return
		}
		for k, raw := range m {
			switch k {
			case "name":
				in.name, err = decodeString(k, raw)
			case "field_type":
				in.typ, err = decodeString(k, raw)
			case "options":
				in.options, err = decodeOptionLabels(raw)
			}
			if err != nil {
				writeError(w, http.StatusBadRequest, err.Error())
				return
			}
		}
	}
	if in.name == "" {
		// v1 wording, like "Name must be given." on persons. UNCONFIRMED for fields.
		writeError(w, http.StatusBadRequest, "Name must be given.")
		return
	}
	f, err := c.createPersonField(in)
	var ve *validationError
	switch {
	case errors.As(err, &ve):
		writeError(w, http.StatusBadRequest, ve.msg)
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, msgInternal)
		return
	}
	writeData(w, http.StatusOK, v1Field(f), nil)
}

// decodeOptionLabels reads options as [{"label": …}] (or plain strings, as v1 forms send).
func decodeOptionLabels(raw json.RawMessage) ([]string, error) {
	var objs []struct {
		Label string `json:"label"`
	}
	if json.Unmarshal(raw, &objs) == nil {
		out := make([]string, 0, len(objs))
		for _, o := range objs {
			if o.Label == "" {
				return nil, fieldError("options", "every option needs a label")
			}
			out = append(out, o.Label)
		}
		return out, nil
	}
	var labels []string
	if json.Unmarshal(raw, &labels) == nil {
		return labels, nil
	}
	return nil, fieldError("options", `must be an array of {"label": string}`)
}
