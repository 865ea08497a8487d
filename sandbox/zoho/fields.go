package zoho

import (
	"strings"
	"unicode"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// Zoho-specific attributes of an emu.Field, kept in Field.Extra.
const (
	extraJSONType     = "json_type"        // string, boolean, integer, double, jsonobject, jsonarray
	extraFieldID      = "id"               // the field's Zoho id
	extraReadOnly     = "read_only"        // system-computed, ignored on write
	extraPickList     = "pick_list_values" // []string
	extraRestricted   = "restricted"       // picklist rejects values outside the list
	extraExternalType = "external_type"    // "org" or "user" for an external-ID field
	extraExternalShow = "external_show"    // external.show
)

// fieldInfo is an emu.Field read through Zoho's attributes. Type holds
// Zoho's data_type (text, textarea, email, phone, website, picklist, boolean,
// integer, double, datetime, date, ownerlookup, lookup, multiselectlookup);
// Required is Zoho's system_mandatory; MaxLength its length.
type fieldInfo struct{ emu.Field }

func (f fieldInfo) jsonType() string { s, _ := f.Extra[extraJSONType].(string); return s }
func (f fieldInfo) id() string       { s, _ := f.Extra[extraFieldID].(string); return s }
func (f fieldInfo) readOnly() bool   { b, _ := f.Extra[extraReadOnly].(bool); return b }
func (f fieldInfo) restricted() bool { b, _ := f.Extra[extraRestricted].(bool); return b }
func (f fieldInfo) pickList() []string {
	l, _ := f.Extra[extraPickList].([]string)
	return l
}
func (f fieldInfo) externalType() string { s, _ := f.Extra[extraExternalType].(string); return s }
func (f fieldInfo) externalShow() bool   { b, _ := f.Extra[extraExternalShow].(bool); return b }

// fieldsOf returns module's live (not archived) fields in definition order.
func fieldsOf(s *emu.Store, module string) []fieldInfo {
	all := s.Fields(module)
	out := make([]fieldInfo, 0, len(all))
	for _, f := range all {
		if !f.Archived {
			out = append(out, fieldInfo{f})
		}
	}
	return out
}

// findField resolves an api_name case-insensitively, as Zoho does.
func findField(fields []fieldInfo, name string) (fieldInfo, bool) {
	for _, f := range fields {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return fieldInfo{}, false
}

// requiredSet is the module's mandatory fields (lower-cased api_names):
// system_mandatory ones plus those the control API made layout-mandatory.
func requiredSet(s *emu.Store, module string) map[string]bool {
	set := map[string]bool{}
	for _, n := range s.RequiredFields(module) {
		set[strings.ToLower(n)] = true
	}
	return set
}

// uniqueFields returns the api_names of the user-defined unique fields in
// creation order.
func uniqueFields(fields []fieldInfo) []string {
	var out []string
	for _, f := range fields {
		if f.Unique {
			out = append(out, f.Name)
		}
	}
	return out
}

// apiNameFromLabel derives the api_name Zoho generates for a custom field:
// the label with spaces and punctuation turned into underscores
// ("SalesHive External ID" → "SalesHive_External_ID"). UNCONFIRMED beyond
// the common case; see crm-api-facts.md §4.3.
func apiNameFromLabel(label string) string {
	var b strings.Builder
	lastUnderscore := true
	for _, r := range strings.TrimSpace(label) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			lastUnderscore = false
			continue
		}
		if !lastUnderscore {
			b.WriteByte('_')
			lastUnderscore = true
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

// Builders for the standard layouts (Zoho's default lengths of a fresh org).
func typed(api, label, dataType, jsonType string, length int) emu.Field {
	return emu.Field{Name: api, Label: label, Type: dataType, MaxLength: length, Extra: map[string]any{extraJSONType: jsonType}}
}

func text(api, label string, length int) emu.Field {
	return typed(api, label, "text", "string", length)
}

func readOnly(f emu.Field) emu.Field { f.Extra[extraReadOnly] = true; return f }

func mandatoryField(f emu.Field) emu.Field { f.Required = true; return f }

func picklist(api, label string, values ...string) emu.Field {
	f := typed(api, label, "picklist", "string", 120)
	f.Extra[extraPickList] = values
	return f
}

func restrictedPicklist(api, label string, values ...string) emu.Field {
	f := picklist(api, label, values...)
	f.Extra[extraRestricted] = true
	return f
}

// contactsFields is the standard Contacts layout (subset a sync needs plus
// the common system fields).
func contactsFields() []emu.Field {
	return []emu.Field{
		typed("Owner", "Contact Owner", "ownerlookup", "jsonobject", 120),
		picklist("Lead_Source", "Lead Source", "-None-", "Advertisement", "Cold Call", "Employee Referral", "External Referral", "Online Store", "Partner", "Public Relations", "Sales Email Alias", "Seminar Partner", "Internal Seminar", "Trade Show", "Web Download", "Web Research", "Chat"),
		picklist("Salutation", "Salutation", "-None-", "Mr.", "Mrs.", "Ms.", "Dr.", "Prof."),
		text("First_Name", "First Name", 40),
		mandatoryField(text("Last_Name", "Last Name", 80)),
		readOnly(text("Full_Name", "Full Name", 200)),
		typed("Account_Name", "Account Name", "lookup", "jsonobject", 120),
		typed("Email", "Email", "email", "string", 100),
		typed("Secondary_Email", "Secondary Email", "email", "string", 100),
		text("Title", "Title", 100),
		text("Department", "Department", 100),
		typed("Phone", "Phone", "phone", "string", 30),
		typed("Other_Phone", "Other Phone", "phone", "string", 30),
		typed("Home_Phone", "Home Phone", "phone", "string", 30),
		typed("Mobile", "Mobile", "phone", "string", 30),
		typed("Fax", "Fax", "phone", "string", 30),
		text("Assistant", "Assistant", 100),
		typed("Asst_Phone", "Asst Phone", "phone", "string", 30),
		typed("Date_of_Birth", "Date of Birth", "date", "string", 20),
		typed("Email_Opt_Out", "Email Opt Out", "boolean", "boolean", 5),
		text("Skype_ID", "Skype ID", 50),
		text("Twitter", "Twitter", 50),
		typed("Reporting_To", "Reporting To", "lookup", "jsonobject", 120),
		text("Mailing_Street", "Mailing Street", 250),
		text("Mailing_City", "Mailing City", 100),
		text("Mailing_State", "Mailing State", 100),
		text("Mailing_Zip", "Mailing Zip", 30),
		text("Mailing_Country", "Mailing Country", 100),
		text("Other_Street", "Other Street", 250),
		text("Other_City", "Other City", 100),
		text("Other_State", "Other State", 100),
		text("Other_Zip", "Other Zip", 30),
		text("Other_Country", "Other Country", 100),
		typed("Description", "Description", "textarea", "string", 32000),
		readOnly(typed("Created_By", "Created By", "ownerlookup", "jsonobject", 120)),
		readOnly(typed("Modified_By", "Modified By", "ownerlookup", "jsonobject", 120)),
		readOnly(typed("Created_Time", "Created Time", "datetime", "string", 120)),
		readOnly(typed("Modified_Time", "Modified Time", "datetime", "string", 120)),
		readOnly(typed("Last_Activity_Time", "Last Activity Time", "datetime", "string", 120)),
	}
}

// callsFields is the standard Calls layout. System-mandatory: Subject,
// Call_Type, Call_Start_Time, Call_Duration (crm-api-facts.md §4.4).
func callsFields() []emu.Field {
	return []emu.Field{
		typed("Owner", "Call Owner", "ownerlookup", "jsonobject", 120),
		mandatoryField(text("Subject", "Subject", 255)),
		mandatoryField(restrictedPicklist("Call_Type", "Call Type", "Inbound", "Outbound", "Missed")),
		picklist("Outbound_Call_Status", "Outbound Call Status", "Scheduled", "Completed", "Cancelled", "Overdue"),
		mandatoryField(typed("Call_Start_Time", "Call Start Time", "datetime", "string", 120)),
		mandatoryField(text("Call_Duration", "Call Duration", 10)),
		readOnly(typed("Call_Duration_in_seconds", "Call Duration (in seconds)", "integer", "integer", 9)),
		picklist("Call_Purpose", "Call Purpose", "-None-", "Prospecting", "Administrative", "Negotiation", "Demo", "Project", "Desk"),
		picklist("Call_Result", "Call Result", "-None-", "Interested", "Not interested", "No response", "Busy", "Requested more info", "Requested call back", "Invalid number"),
		text("Call_Agenda", "Call Agenda", 2000),
		typed("Who_Id", "Contact Name", "lookup", "jsonobject", 120),
		typed("What_Id", "Related To", "lookup", "jsonobject", 120),
		typed("Description", "Description", "textarea", "string", 32000),
		typed("Billable", "Billable", "boolean", "boolean", 5),
		readOnly(typed("Created_By", "Created By", "ownerlookup", "jsonobject", 120)),
		readOnly(typed("Modified_By", "Modified By", "ownerlookup", "jsonobject", 120)),
		readOnly(typed("Created_Time", "Created Time", "datetime", "string", 120)),
		readOnly(typed("Modified_Time", "Modified Time", "datetime", "string", 120)),
	}
}

// eventsFields is the standard Meetings (Events) layout. System-mandatory:
// Event_Title, Start_DateTime, End_DateTime.
func eventsFields() []emu.Field {
	return []emu.Field{
		typed("Owner", "Host", "ownerlookup", "jsonobject", 120),
		mandatoryField(text("Event_Title", "Title", 255)),
		mandatoryField(typed("Start_DateTime", "From", "datetime", "string", 120)),
		mandatoryField(typed("End_DateTime", "To", "datetime", "string", 120)),
		typed("All_day", "All day", "boolean", "boolean", 5),
		text("Venue", "Location", 255),
		typed("Who_Id", "Contact Name", "lookup", "jsonobject", 120),
		typed("What_Id", "Related To", "lookup", "jsonobject", 120),
		typed("Participants", "Participants", "multiselectlookup", "jsonarray", 120),
		typed("Remind_At", "Reminder", "datetime", "string", 120),
		typed("Description", "Description", "textarea", "string", 32000),
		readOnly(typed("Created_By", "Created By", "ownerlookup", "jsonobject", 120)),
		readOnly(typed("Modified_By", "Modified By", "ownerlookup", "jsonobject", 120)),
		readOnly(typed("Created_Time", "Created Time", "datetime", "string", 120)),
		readOnly(typed("Modified_Time", "Modified Time", "datetime", "string", 120)),
	}
}
