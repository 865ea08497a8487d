package hubspot

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// objectType is one CRM object type the emulator serves.
type objectType struct {
	name     string // path name: "contacts"
	typeID   string // object type id: "0-1"
	singular string // for messages: "contact"
	// created and modified are the read-only datetime properties HubSpot
	// derives from the record's timestamps.
	created, modified string
	// defaults are the properties GET returns when none are requested.
	defaults []string
	props    []propDef
}

// propDef is a built-in property.
type propDef struct {
	name, label, typ, fieldType, group string
	options                            []string
	readOnly, required                 bool
}

// option is one enumeration option.
type option struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	DisplayOrder int    `json:"displayOrder"`
	Hidden       bool   `json:"hidden"`
}

// maxStringLength is HubSpot's documented cap on a string property value.
const maxStringLength = 65536

// Call outcome GUIDs (crm-api-facts §2.4).
var callDispositions = []string{
	"9d9162e7-6cf3-4944-bf63-4dff82258764", // Busy
	"f240bbac-87c9-4f6e-bf70-924b57d47db7", // Connected
	"a4c4c377-d246-4b32-a13b-75a56a4cd0ff", // Left live message
	"b2cf5968-551e-4856-9783-52b3da59a7d0", // Left voicemail
	"73a0d17f-1163-4015-bdd5-ec830791da20", // No answer
	"17b47fee-58de-441e-a44c-c6300d46f273", // Wrong number
}

func engagementProps(group string, extra ...propDef) []propDef {
	base := []propDef{
		{name: "hs_timestamp", label: "Activity date", typ: "datetime", fieldType: "date", group: group, required: true},
		{name: "hubspot_owner_id", label: "Activity assigned to", typ: "enumeration", fieldType: "select", group: group},
		{name: "hs_createdate", label: "Create date", typ: "datetime", fieldType: "date", group: group, readOnly: true},
		{name: "hs_lastmodifieddate", label: "Last modified date", typ: "datetime", fieldType: "date", group: group, readOnly: true},
		{name: "hs_object_id", label: "Record ID", typ: "number", fieldType: "number", group: group, readOnly: true},
	}
	return append(base, extra...)
}

var engagementDefaults = []string{"hs_createdate", "hs_lastmodifieddate", "hs_object_id"}

// objectTypes are the served object types (crm-api-facts §2.2, §2.4).
var objectTypes = []*objectType{
	{
		name: "contacts", typeID: "0-1", singular: "contact", created: "createdate", modified: "lastmodifieddate",
		defaults: []string{"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"},
		props: []propDef{
			{name: "email", label: "Email", typ: "string", fieldType: "text", group: "contactinformation"},
			{name: "firstname", label: "First Name", typ: "string", fieldType: "text", group: "contactinformation"},
			{name: "lastname", label: "Last Name", typ: "string", fieldType: "text", group: "contactinformation"},
			{name: "phone", label: "Phone Number", typ: "string", fieldType: "phonenumber", group: "contactinformation"},
			{name: "mobilephone", label: "Mobile Phone Number", typ: "string", fieldType: "phonenumber", group: "contactinformation"},
			{name: "company", label: "Company Name", typ: "string", fieldType: "text", group: "contactinformation"},
			{name: "jobtitle", label: "Job Title", typ: "string", fieldType: "text", group: "contactinformation"},
			{name: "website", label: "Website URL", typ: "string", fieldType: "text", group: "contactinformation"},
			{name: "address", label: "Street Address", typ: "string", fieldType: "text", group: "contactinformation"},
			{name: "city", label: "City", typ: "string", fieldType: "text", group: "contactinformation"},
			{name: "state", label: "State/Region", typ: "string", fieldType: "text", group: "contactinformation"},
			{name: "zip", label: "Postal Code", typ: "string", fieldType: "text", group: "contactinformation"},
			{name: "country", label: "Country/Region", typ: "string", fieldType: "text", group: "contactinformation"},
			{name: "hs_linkedin_url", label: "LinkedIn URL", typ: "string", fieldType: "text", group: "socialmediainformation"},
			{name: "lifecyclestage", label: "Lifecycle Stage", typ: "enumeration", fieldType: "radio", group: "contactinformation",
				options: []string{"subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer", "evangelist", "other"}},
			{name: "hs_lead_status", label: "Lead Status", typ: "enumeration", fieldType: "radio", group: "sales_properties",
				options: []string{"NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT", "CONNECTED", "BAD_TIMING"}},
			{name: "hubspot_owner_id", label: "Contact owner", typ: "enumeration", fieldType: "select", group: "sales_properties"},
			{name: "createdate", label: "Create Date", typ: "datetime", fieldType: "date", group: "contactinformation", readOnly: true},
			{name: "lastmodifieddate", label: "Last Modified Date", typ: "datetime", fieldType: "date", group: "contactinformation", readOnly: true},
			{name: "hs_object_id", label: "Record ID", typ: "number", fieldType: "number", group: "contactinformation", readOnly: true},
		},
	},
	{
		name: "calls", typeID: "0-48", singular: "call", created: "hs_createdate", modified: "hs_lastmodifieddate", defaults: engagementDefaults,
		props: engagementProps("callinformation",
			propDef{name: "hs_call_title", label: "Call Title", typ: "string", fieldType: "text", group: "callinformation"},
			propDef{name: "hs_call_body", label: "Call notes", typ: "string", fieldType: "html", group: "callinformation"},
			propDef{name: "hs_call_duration", label: "Call duration", typ: "number", fieldType: "number", group: "callinformation"},
			propDef{name: "hs_call_direction", label: "Call direction", typ: "enumeration", fieldType: "select", group: "callinformation", options: []string{"INBOUND", "OUTBOUND"}},
			propDef{name: "hs_call_status", label: "Call status", typ: "enumeration", fieldType: "select", group: "callinformation",
				options: []string{"BUSY", "CALLING_CRM_USER", "CANCELED", "COMPLETED", "CONNECTING", "FAILED", "IN_PROGRESS", "NO_ANSWER", "QUEUED", "RINGING"}},
			propDef{name: "hs_call_disposition", label: "Call outcome", typ: "enumeration", fieldType: "select", group: "callinformation", options: callDispositions},
			propDef{name: "hs_call_from_number", label: "From number", typ: "string", fieldType: "text", group: "callinformation"},
			propDef{name: "hs_call_to_number", label: "To number", typ: "string", fieldType: "text", group: "callinformation"},
			propDef{name: "hs_call_recording_url", label: "Recording URL", typ: "string", fieldType: "text", group: "callinformation"},
		),
	},
	{
		name: "emails", typeID: "0-49", singular: "email", created: "hs_createdate", modified: "hs_lastmodifieddate", defaults: engagementDefaults,
		props: engagementProps("emailinformation",
			propDef{name: "hs_email_direction", label: "Email direction", typ: "enumeration", fieldType: "select", group: "emailinformation", options: []string{"EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL"}},
			propDef{name: "hs_email_status", label: "Email send status", typ: "enumeration", fieldType: "select", group: "emailinformation", options: []string{"BOUNCED", "FAILED", "SCHEDULED", "SENDING", "SENT"}},
			propDef{name: "hs_email_subject", label: "Email subject", typ: "string", fieldType: "text", group: "emailinformation"},
			propDef{name: "hs_email_text", label: "Email body", typ: "string", fieldType: "textarea", group: "emailinformation"},
			propDef{name: "hs_email_html", label: "Email HTML body", typ: "string", fieldType: "html", group: "emailinformation"},
			propDef{name: "hs_email_headers", label: "Email headers", typ: "string", fieldType: "textarea", group: "emailinformation"},
		),
	},
	{
		name: "meetings", typeID: "0-47", singular: "meeting", created: "hs_createdate", modified: "hs_lastmodifieddate", defaults: engagementDefaults,
		props: engagementProps("meetinginformation",
			propDef{name: "hs_meeting_title", label: "Meeting name", typ: "string", fieldType: "text", group: "meetinginformation"},
			propDef{name: "hs_meeting_body", label: "Meeting description", typ: "string", fieldType: "html", group: "meetinginformation"},
			propDef{name: "hs_internal_meeting_notes", label: "Internal notes", typ: "string", fieldType: "html", group: "meetinginformation"},
			propDef{name: "hs_meeting_external_url", label: "External URL", typ: "string", fieldType: "text", group: "meetinginformation"},
			propDef{name: "hs_meeting_location", label: "Location", typ: "string", fieldType: "text", group: "meetinginformation"},
			propDef{name: "hs_meeting_start_time", label: "Start time", typ: "datetime", fieldType: "date", group: "meetinginformation"},
			propDef{name: "hs_meeting_end_time", label: "End time", typ: "datetime", fieldType: "date", group: "meetinginformation"},
			propDef{name: "hs_meeting_outcome", label: "Meeting outcome", typ: "enumeration", fieldType: "select", group: "meetinginformation",
				options: []string{"SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED"}},
		),
	},
	{
		name: "notes", typeID: "0-46", singular: "note", created: "hs_createdate", modified: "hs_lastmodifieddate", defaults: engagementDefaults,
		props: engagementProps("noteinformation",
			propDef{name: "hs_note_body", label: "Note body", typ: "string", fieldType: "html", group: "noteinformation"},
		),
	},
}

// lookupObjectType resolves a path's objectType: the plural name or the
// object type id ("contacts" or "0-1").
func lookupObjectType(s string) (*objectType, bool) {
	for _, ot := range objectTypes {
		if s == ot.name || s == ot.typeID {
			return ot, true
		}
	}
	return nil, false
}

// builtins are the object's built-in properties as store fields.
func (ot *objectType) builtins() []emu.Field {
	out := make([]emu.Field, 0, len(ot.props))
	for i, p := range ot.props {
		f := emu.Field{
			Name: p.name, Label: p.label, Type: p.typ, Required: p.required,
			Extra: map[string]any{
				"fieldType": p.fieldType, "groupName": p.group, "hubspotDefined": true,
				"readOnlyValue": p.readOnly, "displayOrder": i, "options": makeOptions(p.options),
			},
		}
		if p.typ == "string" {
			f.MaxLength = maxStringLength
		}
		if ot.name == "contacts" && p.name == "email" {
			// HubSpot deduplicates contacts by email, case-insensitively.
			f.Unique, f.CaseInsensitive = true, true
		}
		out = append(out, f)
	}
	return out
}

func makeOptions(values []string) []option {
	opts := make([]option, 0, len(values))
	for i, v := range values {
		opts = append(opts, option{Label: v, Value: v, DisplayOrder: i})
	}
	return opts
}

// property is HubSpot's Property model.
type property struct {
	UpdatedAt            string       `json:"updatedAt"`
	CreatedAt            string       `json:"createdAt"`
	ArchivedAt           string       `json:"archivedAt,omitempty"`
	Name                 string       `json:"name"`
	Label                string       `json:"label"`
	Type                 string       `json:"type"`
	FieldType            string       `json:"fieldType"`
	Description          string       `json:"description"`
	GroupName            string       `json:"groupName"`
	Options              []option     `json:"options"`
	DisplayOrder         int          `json:"displayOrder"`
	Calculated           bool         `json:"calculated"`
	ExternalOptions      bool         `json:"externalOptions"`
	HasUniqueValue       bool         `json:"hasUniqueValue"`
	Hidden               bool         `json:"hidden"`
	HubspotDefined       bool         `json:"hubspotDefined,omitempty"`
	ModificationMetadata modification `json:"modificationMetadata"`
	FormField            bool         `json:"formField"`
	DataSensitivity      string       `json:"dataSensitivity"`
	Archived             bool         `json:"archived"`
	ReferencedObjectType string       `json:"referencedObjectType,omitempty"`
}

type modification struct {
	Archivable         bool `json:"archivable"`
	ReadOnlyDefinition bool `json:"readOnlyDefinition"`
	ReadOnlyValue      bool `json:"readOnlyValue"`
}

func extraString(f emu.Field, k string) string { s, _ := f.Extra[k].(string); return s }
func extraBool(f emu.Field, k string) bool     { b, _ := f.Extra[k].(bool); return b }

func propertyView(f emu.Field) property {
	opts, _ := f.Extra["options"].([]option)
	if opts == nil {
		opts = []option{}
	}
	order, ok := f.Extra["displayOrder"].(int)
	if !ok {
		order = -1
	}
	builtin := extraBool(f, "hubspotDefined")
	p := property{
		UpdatedAt:       apiTime(f.UpdatedAt),
		CreatedAt:       apiTime(f.CreatedAt),
		Name:            f.Name,
		Label:           f.Label,
		Type:            f.Type,
		FieldType:       extraString(f, "fieldType"),
		Description:     extraString(f, "description"),
		GroupName:       extraString(f, "groupName"),
		Options:         opts,
		DisplayOrder:    order,
		HasUniqueValue:  f.Unique,
		HubspotDefined:  builtin,
		FormField:       extraBool(f, "formField"),
		DataSensitivity: "non_sensitive",
		Archived:        f.Archived,
		ModificationMetadata: modification{
			Archivable:         !builtin,
			ReadOnlyDefinition: builtin,
			ReadOnlyValue:      extraBool(f, "readOnlyValue"),
		},
	}
	if f.Archived {
		p.ArchivedAt = apiTime(f.UpdatedAt)
	}
	if f.Name == "hubspot_owner_id" {
		p.ReferencedObjectType = "OWNER"
	}
	return p
}

// apiTime formats a timestamp as HubSpot's object APIs do: ISO-8601 UTC
// with milliseconds.
func apiTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// propertyTime formats a datetime property value like Java's
// Instant.toString at millisecond precision: no fraction when it is zero.
func propertyTime(t time.Time) string {
	t = t.UTC().Truncate(time.Millisecond)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}

// parseDateTime reads ISO-8601 (a date alone is midnight UTC) or epoch milliseconds.
func parseDateTime(s string) (time.Time, bool) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// emailPattern is the shape HubSpot accepts: local@domain.tld, no spaces,
// exactly one @.
var emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$`)

// fieldMemo looks an object type's property definitions up once per
// request: a batch of 100 inputs names the same few properties 100 times,
// and each store lookup copies the definition.
type fieldMemo struct {
	st     *emu.Store
	object string
	seen   map[string]fieldHit
}

type fieldHit struct {
	f  emu.Field
	ok bool
}

func newFieldMemo(st *emu.Store, ot *objectType) *fieldMemo {
	return &fieldMemo{st: st, object: ot.name, seen: map[string]fieldHit{}}
}

// get returns the property's definition, as Store.Field does.
func (m *fieldMemo) get(name string) (emu.Field, bool) {
	h, cached := m.seen[name]
	if !cached {
		h.f, h.ok = m.st.Field(m.object, name)
		m.seen[name] = h
	}
	return h.f, h.ok
}

// checkValues validates and normalizes one input's properties. It returns
// the values to store (strings; nil clears a property) and every problem
// found, as HubSpot reports all invalid properties of an input at once.
// create adds the required-property check. fields is the request's memo
// of ot's property definitions.
func (c *CRM) checkValues(fields *fieldMemo, ot *objectType, raw map[string]any, create bool) (map[string]any, []propertyIssue) {
	st := c.env.Store
	out := make(map[string]any, len(raw))
	var issues []propertyIssue
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		v := raw[name]
		if v == nil {
			continue
		}
		f, ok := fields.get(name)
		if !ok || f.Archived {
			issues = append(issues, propertyIssue{name, codeUnknownProperty, fmt.Sprintf("Property %q does not exist", name)})
			continue
		}
		text, ok := valueText(v)
		if !ok {
			issues = append(issues, propertyIssue{name, codeNotString, fmt.Sprintf("Property %q must be a string, number or boolean", name)})
			continue
		}
		if extraBool(f, "readOnlyValue") {
			issues = append(issues, propertyIssue{name, codeReadOnly, fmt.Sprintf("%q is a read only property; its value cannot be set.", name)})
			continue
		}
		if text == "" {
			out[name] = nil // an empty string clears the value
			continue
		}
		norm, issue := c.checkValue(ot, f, text)
		if issue != nil {
			issues = append(issues, *issue)
			continue
		}
		out[name] = norm
	}
	if create {
		for _, name := range st.RequiredFields(ot.name) {
			if s, _ := out[name].(string); s == "" {
				issues = append(issues, propertyIssue{name, codeRequired, fmt.Sprintf("Property %q is required", name)})
			}
		}
	}
	return out, issues
}

func (c *CRM) checkValue(ot *objectType, f emu.Field, text string) (string, *propertyIssue) {
	bad := func(code, msg string) (string, *propertyIssue) {
		return "", &propertyIssue{Name: f.Name, Code: code, Message: msg}
	}
	switch {
	case f.Name == "hubspot_owner_id":
		if _, ok := c.env.Store.Get("owners", text); !ok {
			return bad(codeInvalidOwner, fmt.Sprintf("%s is not a valid owner id", text))
		}
		return text, nil
	case ot.name == "contacts" && f.Name == "email":
		email := strings.ToLower(strings.TrimSpace(text))
		if !emailPattern.MatchString(email) {
			return bad(codeInvalidEmail, fmt.Sprintf("Email address %s is invalid", text))
		}
		return email, nil
	}
	switch f.Type {
	case "number":
		if _, err := strconv.ParseFloat(strings.TrimSpace(text), 64); err != nil {
			return bad(codeInvalidNumber, fmt.Sprintf("%s was not a valid number.", text))
		}
		return strings.TrimSpace(text), nil
	case "datetime":
		t, ok := parseDateTime(strings.TrimSpace(text))
		if !ok {
			return bad(codeInvalidLong, fmt.Sprintf("%s was not a valid long.", text))
		}
		return propertyTime(t), nil
	case "date":
		t, ok := parseDateTime(strings.TrimSpace(text))
		if !ok {
			return bad(codeInvalidLong, fmt.Sprintf("%s was not a valid long.", text))
		}
		return t.Format("2006-01-02"), nil
	case "bool":
		switch strings.ToLower(text) {
		case "true", "false":
			return strings.ToLower(text), nil
		}
		return bad(codeInvalidBool, fmt.Sprintf("%s was not a valid boolean.", text))
	case "enumeration":
		opts, _ := f.Extra["options"].([]option)
		values := make([]string, 0, len(opts))
		for _, o := range opts {
			values = append(values, o.Value)
		}
		for _, part := range strings.Split(text, ";") { // multi-select values are ;-separated
			if !slices.Contains(values, part) {
				return bad(codeInvalidOption, fmt.Sprintf("%s was not one of the allowed options: [%s]", part, strings.Join(values, ", ")))
			}
		}
		return text, nil
	}
	if max := f.MaxLength; max > 0 && len([]rune(text)) > max {
		return bad(codeTooLong, fmt.Sprintf("Property %q value is %d characters long; the limit is %d.", f.Name, len([]rune(text)), max))
	}
	return text, nil
}

// valueText reads a JSON property value as HubSpot does: strings as they
// are, numbers and booleans as their text.
func valueText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// Property handlers.

func (c *CRM) propertyObjectType(w http.ResponseWriter, r *http.Request) (*objectType, bool) {
	ot, ok := lookupObjectType(r.PathValue("objectType"))
	if !ok {
		writeError(w, http.StatusBadRequest, apiError{Message: fmt.Sprintf("Unable to infer object type from: %s", r.PathValue("objectType")), Category: "VALIDATION_ERROR"})
	}
	return ot, ok
}

func (c *CRM) handlePropertyList(w http.ResponseWriter, r *http.Request, _ emu.Token) {
	ot, ok := c.propertyObjectType(w, r)
	if !ok {
		return
	}
	archived := r.URL.Query().Get("archived") == "true"
	results := []property{}
	for _, f := range c.env.Store.Fields(ot.name) {
		if f.Archived == archived {
			results = append(results, propertyView(f))
		}
	}
	emu.WriteJSON(w, http.StatusOK, map[string]any{"results": results})
}

func (c *CRM) handlePropertyShow(w http.ResponseWriter, r *http.Request, _ emu.Token) {
	ot, ok := c.propertyObjectType(w, r)
	if !ok {
		return
	}
	name := r.PathValue("propertyName")
	f, found := c.env.Store.Field(ot.name, name)
	if !found || f.Archived != (r.URL.Query().Get("archived") == "true") {
		writeError(w, http.StatusNotFound, apiError{Message: fmt.Sprintf("Unable to find property %s on object type %s", name, ot.typeID), Category: "OBJECT_NOT_FOUND"})
		return
	}
	emu.WriteJSON(w, http.StatusOK, propertyView(f))
}

// propertyCreate is the body of POST /crm/v3/properties/{objectType}.
type propertyCreate struct {
	Name           string   `json:"name"`
	Label          string   `json:"label"`
	Type           string   `json:"type"`
	FieldType      string   `json:"fieldType"`
	GroupName      string   `json:"groupName"`
	Description    string   `json:"description"`
	HasUniqueValue bool     `json:"hasUniqueValue"`
	Hidden         bool     `json:"hidden"`
	FormField      bool     `json:"formField"`
	DisplayOrder   *int     `json:"displayOrder"`
	Options        []option `json:"options"`
}

var (
	propertyTypes      = []string{"string", "number", "date", "datetime", "enumeration", "bool"}
	propertyFieldTypes = []string{"text", "textarea", "number", "date", "file", "select", "radio", "checkbox", "booleancheckbox", "calculation_equation", "html", "phonenumber"}
	propertyNameRE     = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// maxUniqueProperties is the per-object cap on hasUniqueValue properties.
const maxUniqueProperties = 10

func (c *CRM) handlePropertyCreate(w http.ResponseWriter, r *http.Request, _ emu.Token) {
	ot, ok := c.propertyObjectType(w, r)
	if !ok {
		return
	}
	var in propertyCreate
	if err := emu.DecodeJSON(r, &in); err != nil {
		writeHTTPError(w, invalidInput(err.Error()))
		return
	}
	if e := c.validatePropertyCreate(ot, in); e != nil {
		writeHTTPError(w, e)
		return
	}
	st := c.env.Store
	if old, exists := st.Field(ot.name, in.Name); exists {
		if !old.Archived {
			// Recorded live response (crm-api-facts §2.3): 409, property unchanged.
			writeError(w, http.StatusConflict, apiError{
				Message:     fmt.Sprintf("A property named '%s' already exists.", in.Name),
				Category:    "OBJECT_ALREADY_EXISTS",
				SubCategory: "Properties.PROPERTY_WITH_NAME_EXISTS",
			})
			return
		}
		// POSTing an archived property's name restores it (201), keeping
		// its old createdAt (crm-api-facts §2.3).
		f, err := st.UpdateField(ot.name, in.Name, func(f *emu.Field) {
			applyPropertyCreate(f, in)
			f.Archived = false
		})
		if err != nil {
			writeError(w, http.StatusInternalServerError, apiError{Message: err.Error()})
			return
		}
		emu.WriteJSON(w, http.StatusCreated, propertyView(f))
		return
	}
	f := emu.Field{Name: in.Name, Custom: true, Extra: map[string]any{}}
	applyPropertyCreate(&f, in)
	if err := st.DefineField(ot.name, f); err != nil {
		if errors.Is(err, emu.ErrFieldExists) { // lost a race with another create
			writeError(w, http.StatusConflict, apiError{Message: fmt.Sprintf("A property named '%s' already exists.", in.Name), Category: "OBJECT_ALREADY_EXISTS", SubCategory: "Properties.PROPERTY_WITH_NAME_EXISTS"})
			return
		}
		writeError(w, http.StatusInternalServerError, apiError{Message: err.Error()})
		return
	}
	f, _ = st.Field(ot.name, in.Name)
	emu.WriteJSON(w, http.StatusCreated, propertyView(f))
}

func applyPropertyCreate(f *emu.Field, in propertyCreate) {
	f.Label, f.Type = in.Label, in.Type
	f.Unique = in.HasUniqueValue
	if in.Type == "string" {
		f.MaxLength = maxStringLength
	}
	order := -1
	if in.DisplayOrder != nil {
		order = *in.DisplayOrder
	}
	if f.Extra == nil {
		f.Extra = map[string]any{}
	}
	f.Extra["fieldType"] = in.FieldType
	f.Extra["groupName"] = in.GroupName
	f.Extra["description"] = in.Description
	f.Extra["formField"] = in.FormField
	f.Extra["displayOrder"] = order
	f.Extra["options"] = append([]option{}, in.Options...)
}

// validatePropertyCreate checks a new property. The "some of required
// attributes are not set" wording is HubSpot's (its input classes are
// Immutables builders); the other messages are UNCONFIRMED.
func (c *CRM) validatePropertyCreate(ot *objectType, in propertyCreate) *httpError {
	var missing []string
	for _, kv := range [][2]string{{"name", in.Name}, {"label", in.Label}, {"type", in.Type}, {"fieldType", in.FieldType}, {"groupName", in.GroupName}} {
		if kv[1] == "" {
			missing = append(missing, kv[0])
		}
	}
	if len(missing) > 0 {
		return invalidInput(fmt.Sprintf("Cannot build PropertyCreate, some of required attributes are not set [%s]", strings.Join(missing, ", ")))
	}
	if !propertyNameRE.MatchString(in.Name) {
		return newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("Property name %q is invalid: use lowercase letters, digits and underscores, starting with a letter.", in.Name))
	}
	if !slices.Contains(propertyTypes, in.Type) {
		return invalidInput(fmt.Sprintf("%s is not a valid property type; expected one of %v", in.Type, propertyTypes))
	}
	if !slices.Contains(propertyFieldTypes, in.FieldType) {
		return invalidInput(fmt.Sprintf("%s is not a valid field type; expected one of %v", in.FieldType, propertyFieldTypes))
	}
	if in.Type == "enumeration" && len(in.Options) == 0 {
		return newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR", "Enumeration properties must have at least one option.")
	}
	if in.HasUniqueValue {
		n := 0
		for _, f := range c.env.Store.Fields(ot.name) {
			if f.Unique && !f.Archived && f.Name != "email" {
				n++
			}
		}
		if n >= maxUniqueProperties {
			return newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("Cannot create more than %d properties with unique values on object type %s.", maxUniqueProperties, ot.typeID))
		}
	}
	return nil
}

func (c *CRM) handlePropertyArchive(w http.ResponseWriter, r *http.Request, _ emu.Token) {
	ot, ok := c.propertyObjectType(w, r)
	if !ok {
		return
	}
	name := r.PathValue("propertyName")
	f, found := c.env.Store.Field(ot.name, name)
	if !found || f.Archived {
		writeError(w, http.StatusNotFound, apiError{Message: fmt.Sprintf("Unable to find property %s on object type %s", name, ot.typeID), Category: "OBJECT_NOT_FOUND"})
		return
	}
	if extraBool(f, "hubspotDefined") {
		writeError(w, http.StatusBadRequest, apiError{Message: fmt.Sprintf("Property %s is a HubSpot defined property and cannot be archived.", name), Category: "VALIDATION_ERROR"})
		return
	}
	if _, err := c.env.Store.UpdateField(ot.name, name, func(f *emu.Field) { f.Archived = true }); err != nil {
		writeError(w, http.StatusInternalServerError, apiError{Message: err.Error()})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
