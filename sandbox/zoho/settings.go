package zoho

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// Custom-field rules (crm-api-facts.md §4.3): at most 5 fields per call and
// 300 custom fields per module (Enterprise edition).
const (
	maxFieldsPerCall       = 5
	maxCustomFieldsPerMod  = 300
	defaultTextFieldLength = 255
)

// customTypes are the data types the sandbox lets a custom field have, with
// their json_type, default length and maximum length.
var customTypes = map[string]struct {
	jsonType    string
	length, max int
	uniqueOK    bool
}{
	"text":     {"string", defaultTextFieldLength, 255, true},
	"textarea": {"string", 2000, 32000, false},
	"email":    {"string", 100, 100, true},
	"phone":    {"string", 30, 30, true},
	"website":  {"string", 255, 255, true},
	"picklist": {"string", 120, 120, false},
	"integer":  {"integer", 9, 16, true},
	"double":   {"double", 16, 16, false},
	"boolean":  {"boolean", 5, 5, false},
	"date":     {"string", 20, 20, false},
	"datetime": {"string", 120, 120, false},
}

// fieldJSON renders one field as GET /settings/fields does. required adds
// the fields the control API made mandatory; they are reported as
// system_mandatory so a field picker sees them (an approximation: Zoho
// reports layout-mandatory fields through the layouts API).
func fieldJSON(f fieldInfo, required map[string]bool) map[string]any {
	readOnly := f.readOnly()
	source := "default"
	if f.Custom {
		source = "crm"
	}
	out := map[string]any{
		"id":               f.id(),
		"api_name":         f.Name,
		"field_label":      f.Label,
		"display_label":    f.Label,
		"data_type":        f.Type,
		"json_type":        f.jsonType(),
		"length":           f.MaxLength,
		"system_mandatory": f.Required || required[strings.ToLower(f.Name)],
		"custom_field":     f.Custom,
		"read_only":        readOnly,
		"field_read_only":  readOnly,
		"visible":          true,
		"created_source":   source,
		"webhook":          true,
		"virtual_field":    false,
		"sortable":         true,
		"filterable":       true,
		"searchable":       true,
		"mass_update":      !readOnly,
		"operation_type":   map[string]bool{"web_update": !readOnly, "api_create": !readOnly, "web_create": !readOnly, "api_update": !readOnly},
		"view_type":        map[string]bool{"view": true, "edit": !readOnly, "quick_create": !readOnly, "create": !readOnly},
		"unique":           nil,
		"external":         nil,
		"lookup":           nil,
		"pick_list_values": []any{},
		"created_time":     nil,
		"modified_time":    nil,
		"decimal_place":    nil,
		"tooltip":          nil,
		"crypt":            nil,
	}
	if f.Unique {
		out["unique"] = map[string]any{"casesensitive": boolString(!f.CaseInsensitive)}
	}
	if t := f.externalType(); t != "" {
		out["external"] = map[string]any{"show": f.externalShow(), "type": t, "allow_multiple_config": false}
	}
	if f.Custom {
		out["created_time"] = formatTime(f.CreatedAt)
		out["modified_time"] = formatTime(f.UpdatedAt)
	}
	if target, ok := lookupTargets[f.Name]; ok {
		out["lookup"] = map[string]any{"module": map[string]any{"api_name": target, "id": moduleIDs[target]}}
	}
	values := []any{}
	for i, v := range f.pickList() {
		values = append(values, map[string]any{
			"display_value": v, "actual_value": v, "sequence_number": i + 1, "type": "used", "colour_code": nil,
			"id": f.id() + "_" + itoa(i+1),
		})
	}
	out["pick_list_values"] = values
	return out
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// fieldsModule resolves the required ?module= parameter.
func fieldsModule(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := r.URL.Query().Get("module")
	if name == "" {
		writeError(w, http.StatusBadRequest, newError("REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", map[string]any{"param_name": "module"}))
		return "", false
	}
	for _, m := range []string{ModuleContacts, ModuleCalls, ModuleEvents} {
		if strings.EqualFold(m, name) {
			return m, true
		}
	}
	writeError(w, http.StatusBadRequest, newError("INVALID_MODULE", "the module name given seems to be invalid", map[string]any{"param_name": "module"}))
	return "", false
}

// handleFieldsList serves GET /crm/v8/settings/fields?module=.
func (c *CRM) handleFieldsList(w http.ResponseWriter, r *http.Request, _ call) {
	module, ok := fieldsModule(w, r)
	if !ok {
		return
	}
	required := requiredSet(c.env.Store, module)
	out := []any{}
	for _, f := range fieldsOf(c.env.Store, module) {
		out = append(out, fieldJSON(f, required))
	}
	emu.WriteJSON(w, http.StatusOK, map[string]any{"fields": out})
}

// handleFieldGet serves GET /crm/v8/settings/fields/{field}?module= (by
// field id or api_name).
func (c *CRM) handleFieldGet(w http.ResponseWriter, r *http.Request, _ call) {
	module, ok := fieldsModule(w, r)
	if !ok {
		return
	}
	key := r.PathValue("field")
	for _, f := range fieldsOf(c.env.Store, module) {
		if f.id() == key || strings.EqualFold(f.Name, key) {
			emu.WriteJSON(w, http.StatusOK, map[string]any{"fields": []any{fieldJSON(f, requiredSet(c.env.Store, module))}})
			return
		}
	}
	writeError(w, http.StatusBadRequest, newError("INVALID_DATA", "the id given seems to be invalid", map[string]any{"resource_path_index": 3}))
}

// newFieldInput is one item of the POST /settings/fields body.
type newFieldInput struct {
	FieldLabel *string `json:"field_label"`
	DataType   *string `json:"data_type"`
	Length     *int    `json:"length"`
	Unique     *struct {
		CaseSensitive bool `json:"case_sensitive"`
	} `json:"unique"`
	External *struct {
		Type string `json:"type"`
		Show bool   `json:"show"`
	} `json:"external"`
	PickListValues []struct {
		DisplayValue string `json:"display_value"`
		ActualValue  string `json:"actual_value"`
	} `json:"pick_list_values"`
}

// handleFieldsCreate serves POST /crm/v8/settings/fields?module=: create
// custom fields (≤ 5 per call), optionally unique and/or external. A unique
// or external field's uniqueness is enforced on every later write.
func (c *CRM) handleFieldsCreate(w http.ResponseWriter, r *http.Request, _ call) {
	module, ok := fieldsModule(w, r)
	if !ok {
		return
	}
	var body struct {
		Fields []json.RawMessage `json:"fields"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	switch {
	case len(body.Fields) == 0:
		writeError(w, http.StatusBadRequest, errParamMissing("fields"))
		return
	case len(body.Fields) > maxFieldsPerCall:
		emu.WriteJSON(w, http.StatusBadRequest, map[string]any{"fields": []any{
			newError("LIMIT_EXCEEDED", "Max field limit exceeded", map[string]any{"limit": maxFieldsPerCall, "limit_due_to": []any{}}),
		}})
		return
	}
	results := make([]any, len(body.Fields))
	for i, raw := range body.Fields {
		results[i] = c.createField(module, raw, i)
	}
	emu.WriteJSON(w, statusFor(results, http.StatusCreated), map[string]any{"fields": results})
}

func (c *CRM) createField(module string, raw json.RawMessage, i int) any {
	path := func(key string) string { return jsonPath("fields", i, key) }
	var in newFieldInput
	if err := json.Unmarshal(raw, &in); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			key := strings.SplitN(te.Field, ".", 2)[0]
			return errInvalidType(path(key), key, te.Value)
		}
		return newError("INVALID_DATA", "invalid data", map[string]any{"json_path": "$.fields[" + itoa(i) + "]", "expected_data_type": "jsonobject"})
	}
	if in.FieldLabel == nil || strings.TrimSpace(*in.FieldLabel) == "" {
		return errMandatory(path("field_label"), "field_label")
	}
	if in.DataType == nil || *in.DataType == "" {
		return errMandatory(path("data_type"), "data_type")
	}
	typ, ok := customTypes[*in.DataType]
	if !ok {
		return newError("INVALID_DATA", "invalid data", map[string]any{"api_name": "data_type", "json_path": path("data_type")})
	}
	length := typ.length
	if in.Length != nil {
		if *in.Length < 1 || *in.Length > typ.max {
			return errMaxLength(path("length"), "length", typ.max)
		}
		length = *in.Length
	}
	label := strings.TrimSpace(*in.FieldLabel)
	apiName := apiNameFromLabel(label)
	if apiName == "" {
		return newError("INVALID_DATA", "invalid data", map[string]any{"api_name": "field_label", "json_path": path("field_label")})
	}
	f := emu.Field{
		Name: apiName, Label: label, Type: *in.DataType, MaxLength: length, Custom: true,
		Extra: map[string]any{extraJSONType: typ.jsonType},
	}
	if in.Unique != nil {
		if !typ.uniqueOK {
			return newError("NOT_ALLOWED", "unique is not allowed for this data type", map[string]any{"api_name": "unique", "json_path": path("unique")})
		}
		f.Unique, f.CaseInsensitive = true, !in.Unique.CaseSensitive
	}
	if in.External != nil {
		// External ID fields: text only, never in Calls (Zoho's create-field page).
		if *in.DataType != "text" || module == ModuleCalls {
			return newError("NOT_ALLOWED", "external is not allowed for this field", map[string]any{"api_name": "external", "json_path": path("external")})
		}
		if in.External.Type != "org" && in.External.Type != "user" {
			return errInvalidType(path("external.type"), "type", "picklist")
		}
		f.Extra[extraExternalType], f.Extra[extraExternalShow] = in.External.Type, in.External.Show
		if in.External.Type == "org" && !f.Unique {
			// An org-wide external id identifies one record.
			f.Unique, f.CaseInsensitive = true, false
		}
	}
	if *in.DataType == "picklist" {
		if len(in.PickListValues) == 0 {
			return errMandatory(path("pick_list_values"), "pick_list_values")
		}
		values := make([]string, 0, len(in.PickListValues))
		for _, v := range in.PickListValues {
			values = append(values, v.DisplayValue)
		}
		f.Extra[extraPickList] = values
	}
	fields := fieldsOf(c.env.Store, module)
	custom := 0
	for _, ex := range fields {
		if ex.Custom {
			custom++
		}
		if strings.EqualFold(ex.Label, label) || strings.EqualFold(ex.Name, apiName) {
			// Code for a duplicate label UNCONFIRMED (crm-api-facts.md §4.3).
			return newError("DUPLICATE_DATA", "duplicate data", map[string]any{"api_name": "field_label", "json_path": path("field_label")})
		}
	}
	if custom >= maxCustomFieldsPerMod {
		return newError("LIMIT_EXCEEDED", "Max field limit exceeded", map[string]any{"limit": maxCustomFieldsPerMod, "limit_due_to": []any{}})
	}
	id := c.nextFieldID()
	f.Extra[extraFieldID] = id
	if err := c.env.Store.DefineField(module, f); err != nil {
		if errors.Is(err, emu.ErrFieldExists) {
			return newError("DUPLICATE_DATA", "duplicate data", map[string]any{"api_name": "field_label", "json_path": path("field_label")})
		}
		return newError("INTERNAL_ERROR", "Internal server error occurred.", nil)
	}
	return FieldResult{Code: "SUCCESS", Details: map[string]string{"id": id}, Message: "field created", Status: "success"}
}
