package salesforce

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// customFieldTypes maps Metadata API field types to describe types and their default and
// maximum lengths (0: no length).
var customFieldTypes = map[string]struct {
	describe   string
	defLength  int
	maxLength  int
	externalOK bool
}{
	"Text":         {TypeString, 0, 255, true},
	"Email":        {TypeEmail, 80, 80, true},
	"Phone":        {TypePhone, 40, 40, false},
	"Url":          {TypeURL, 255, 255, false},
	"Checkbox":     {TypeBoolean, 0, 0, false},
	"Number":       {TypeDouble, 0, 0, true},
	"Date":         {TypeDate, 0, 0, false},
	"DateTime":     {TypeDateTime, 0, 0, false},
	"TextArea":     {TypeTextArea, 255, 255, false},
	"LongTextArea": {TypeTextArea, 32768, 131072, false},
}

// customFieldName matches a custom field API name: a letter, then letters, digits and
// single underscores, not ending in an underscore, then "__c".
var customFieldName = regexp.MustCompile(`^[A-Za-z](?:[A-Za-z0-9]|_(?:[A-Za-z0-9]))*__c$`)

// activityObjects are the objects an "Activity." custom field appears on.
var activityObjects = []string{ObjectTask, ObjectEvent}

// handleCustomFieldCreate serves POST /tooling/sobjects/CustomField: creates a custom field
// ("Contact.X__c", or "Activity.X__c" for Task and Event together) and answers 201
// {"id":"00N…","success":true,"errors":[],"warnings":[],"infos":[]} (warnings and infos
// UNCONFIRMED). External ID fields get a lookup index; Unique ones a unique index, so
// later writes of a value another record holds fail with DUPLICATE_VALUE. The sandbox
// grants field-level security itself: the field is usable at once (a real org needs a
// permission set grant first).
func (c *CRM) handleCustomFieldCreate(w http.ResponseWriter, r *http.Request, cl *call) {
	var req CustomFieldRequest
	if e := readBody(r, &req); e != nil {
		writeRESTError(w, e)
		return
	}
	entity, name, ok := strings.Cut(req.FullName, ".")
	if !ok || entity == "" {
		writeRESTError(w, errBadRequest(CodeRequiredFieldMissing, "Required fields are missing: [FullName]"))
		return
	}
	var objects []string
	switch strings.ToLower(entity) {
	case "contact":
		objects = []string{ObjectContact}
	case "activity":
		objects = activityObjects
	default:
		// Text UNCONFIRMED.
		writeRESTError(w, errBadRequest(CodeFieldIntegrity, "Cannot find entity: "+entity))
		return
	}
	if !customFieldName.MatchString(name) {
		writeRESTError(w, errBadRequest(CodeFieldIntegrity, "The Custom Field Name can only contain underscores and alphanumeric characters. It must be unique, begin with a letter, not include spaces, not end with an underscore, and not contain two consecutive underscores."))
		return
	}
	md := req.Metadata
	spec, known := customFieldTypes[md.Type]
	switch {
	case strings.TrimSpace(md.Label) == "":
		writeRESTError(w, errBadRequest(CodeRequiredFieldMissing, "Required fields are missing: [Label]"))
		return
	case !known:
		writeRESTError(w, errBadRequest(CodeFieldIntegrity, "Field type "+md.Type+" is not supported"))
		return
	case (md.ExternalID || md.Unique) && !spec.externalOK:
		writeRESTError(w, errBadRequest(CodeFieldIntegrity, "External ID and Unique are available only on Text, Number and Email fields"))
		return
	}
	length := md.Length
	if length == 0 {
		length = spec.defLength
	}
	if spec.maxLength > 0 && (length < 1 || length > spec.maxLength) {
		writeRESTError(w, errBadRequest(CodeFieldIntegrity, fmt.Sprintf("Length: must be between 1 and %d", spec.maxLength)))
		return
	}
	for _, obj := range objects {
		if o, _ := c.object(obj); o.Field(name) != nil {
			// Code UNCONFIRMED (facts: "e.g. DUPLICATE_DEVELOPER_NAME").
			writeRESTError(w, errBadRequest(CodeDuplicateDeveloperName, "There is already a field named "+name+" on "+entity+"."))
			return
		}
	}
	id := NewID(PrefixCustomField, uint64(len(c.customFieldRows())+1))
	for _, obj := range objects {
		f := emu.Field{
			Name: name, Label: md.Label, Type: spec.describe, Required: md.Required,
			Unique: md.Unique, CaseInsensitive: !md.CaseSensitive, MaxLength: length, Custom: true,
			Extra: map[string]any{
				"id": id, "entity": entity, "metadataType": md.Type, "externalId": md.ExternalID,
				"description": md.Description, "inlineHelpText": md.InlineHelpText,
			},
		}
		if err := c.env.Store.DefineField(obj, f); err != nil {
			if errors.Is(err, emu.ErrFieldExists) {
				writeRESTError(w, errBadRequest(CodeDuplicateDeveloperName, "There is already a field named "+name+" on "+entity+"."))
				return
			}
			writeRESTError(w, newRESTError(http.StatusInternalServerError, "UNKNOWN_EXCEPTION", err.Error(), nil))
			return
		}
		if md.ExternalID && !md.Unique {
			c.env.Store.AddIndex(obj, name, !md.CaseSensitive)
		}
	}
	writeJSON(w, http.StatusCreated, ToolingSaveResult{ID: id, Success: true, Errors: []ItemError{}, Warnings: []any{}, Infos: []any{}})
}

// customToField turns a stored custom field definition into describe metadata.
func customToField(f emu.Field) *Field {
	ext, _ := f.Extra["externalId"].(bool)
	desc, _ := f.Extra["description"].(string)
	out := &Field{
		Name: f.Name, Label: f.Label, Type: f.Type, Length: f.MaxLength,
		Nillable: !f.Required, Createable: true, Updateable: true,
		ExternalID: ext, Unique: f.Unique, CaseSensitive: !f.CaseInsensitive && (ext || f.Unique),
		Custom: true, IDLookup: ext || f.Unique, Description: desc,
	}
	if f.Type == TypeBoolean {
		out.Nillable, out.DefaultedOnCreate, out.DefaultValue = false, true, "false"
	}
	return out
}

// customFieldObject is the Tooling API's CustomField object as the sandbox queries it.
var customFieldObject = newObject("CustomField", "Custom Field", "Custom Fields", PrefixCustomField, false,
	readOnly(text("DeveloperName", "Developer Name", 40)),
	readOnly(text("TableEnumOrId", "Table Enum or ID", 40)),
	readOnly(text("FullName", "Full Name", 255)),
	readOnly(text("NamespacePrefix", "Namespace Prefix", 15)),
)

// customFieldRows lists the org's custom fields as CustomField rows (one per field; an
// Activity field appears once although Task and Event both carry it).
func (c *CRM) customFieldRows() []emu.Record {
	var rows []emu.Record
	seen := map[string]bool{}
	for _, obj := range []string{ObjectContact, ObjectTask, ObjectEvent} {
		for _, f := range c.env.Store.Fields(obj) {
			id, _ := f.Extra["id"].(string)
			if !f.Custom || id == "" || seen[id] {
				continue
			}
			seen[id] = true
			entity, _ := f.Extra["entity"].(string)
			rows = append(rows, emu.Record{ID: id, Object: "CustomField", CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt,
				Fields: map[string]any{
					"DeveloperName": strings.TrimSuffix(f.Name, "__c"),
					"TableEnumOrId": entity,
					"FullName":      entity + "." + f.Name,
				}})
		}
	}
	return rows
}

// handleCustomFieldGet serves GET /tooling/sobjects/CustomField/{id}.
func (c *CRM) handleCustomFieldGet(w http.ResponseWriter, r *http.Request, cl *call) {
	id, _ := NormalizeID(r.PathValue("id"))
	for _, row := range c.customFieldRows() {
		if row.ID != id {
			continue
		}
		entity, _ := row.Fields["TableEnumOrId"].(string)
		obj := ObjectContact
		if entity == "Activity" {
			obj = ObjectTask
		}
		f, _ := c.env.Store.Field(obj, row.Fields["DeveloperName"].(string)+"__c")
		mdType, _ := f.Extra["metadataType"].(string)
		ext, _ := f.Extra["externalId"].(bool)
		desc, _ := f.Extra["description"].(string)
		writeJSON(w, http.StatusOK, map[string]any{
			"attributes":    Attributes{Type: "CustomField", URL: cl.dataPath("tooling", "sobjects", "CustomField", id)},
			"Id":            id,
			"DeveloperName": row.Fields["DeveloperName"],
			"TableEnumOrId": entity,
			"FullName":      row.Fields["FullName"],
			"Metadata": CustomFieldMetadata{Label: f.Label, Type: mdType, Length: f.MaxLength, ExternalID: ext,
				Unique: f.Unique, CaseSensitive: !f.CaseInsensitive, Required: f.Required, Description: desc},
		})
		return
	}
	writeRESTError(w, errNotFound())
}
