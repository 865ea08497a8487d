package salesforce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Values is one stored sObject: canonical field name → value (string, bool, float64 or nil).
// Dates are stored as "2006-01-02" and datetimes in Salesforce's response form
// "2006-01-02T15:04:05.000+0000" (UTC), so stored values render and compare as strings.
type Values map[string]any

// sfDateTime is the datetime layout Salesforce writes in REST responses.
const sfDateTime = "2006-01-02T15:04:05.000-0700"

// formatDateTime renders t in Salesforce's response form, in UTC.
func formatDateTime(t time.Time) string { return t.UTC().Format(sfDateTime) }

// parseDateTime accepts the ISO 8601 forms Salesforce accepts on input.
func parseDateTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700",
		"2006-01-02T15:04:05.000Z0700", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// emailPattern approximates Salesforce's email check: a local part of the usual atom
// characters, one @, and a dotted domain with a top-level label of two or more letters.
var emailPattern = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'*+/=?^_` + "`" + `{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$`)

// jsonKind names a JSON token the way Salesforce's (Jackson) parser errors do.
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "VALUE_NULL"
	}
	switch raw[0] {
	case '{':
		return "START_OBJECT"
	case '[':
		return "START_ARRAY"
	case '"':
		return "VALUE_STRING"
	case 't':
		return "VALUE_TRUE"
	case 'f':
		return "VALUE_FALSE"
	case 'n':
		return "VALUE_NULL"
	}
	return "VALUE_NUMBER_INT"
}

// deserializeError is the JSON_PARSER_ERROR Salesforce returns for a value of the wrong type.
// Salesforce appends a "[line:L, column:C]" position; the sandbox omits it (approximation).
func deserializeError(soapType string, raw json.RawMessage) *restError {
	return errJSONParser(fmt.Sprintf("Cannot deserialize instance of %s from %s value %s or request may be missing a required field",
		soapType, jsonKind(raw), strings.Trim(string(bytes.TrimSpace(raw)), `"`)))
}

// decodeFields turns one JSON record body into canonical field values. Unknown fields and
// wrongly typed values fail the whole request, as Salesforce's deserializer does. The
// "attributes" key is skipped.
func decodeFields(o *Object, raw map[string]json.RawMessage) (Values, *restError) {
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic first error
	rec := Values{}
	for _, k := range keys {
		if k == "attributes" {
			continue
		}
		f := o.Field(k)
		if f == nil {
			return nil, errUnknownField(k, o.Name)
		}
		v, err := coerce(f, raw[k])
		if err != nil {
			return nil, err
		}
		rec[f.Name] = v
	}
	return rec, nil
}

// coerce converts one JSON value to the stored form of f's type.
func coerce(f *Field, raw json.RawMessage) (any, *restError) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, errJSONParser("Unexpected character in value of " + f.Name)
	}
	if v == nil {
		if f.Type == TypeBoolean {
			return false, nil
		}
		return nil, nil
	}
	switch f.Type {
	case TypeBoolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			if b, err := strconv.ParseBool(x); err == nil {
				return b, nil
			}
		}
		return nil, deserializeError("boolean", raw)
	case TypeInt, TypeDouble:
		var s string
		switch x := v.(type) {
		case json.Number:
			s = x.String()
		case string:
			s = x
		default:
			return nil, deserializeError(soapType(f), raw)
		}
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || (f.Type == TypeInt && n != math.Trunc(n)) {
			return nil, deserializeError(soapType(f), raw)
		}
		return n, nil
	case TypeDate:
		s, ok := v.(string)
		if !ok {
			return nil, deserializeError("date", raw)
		}
		if s == "" {
			return nil, nil
		}
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return nil, deserializeError("date", raw)
		}
		return s, nil
	case TypeDateTime:
		s, ok := v.(string)
		if !ok {
			return nil, deserializeError("datetime", raw)
		}
		if s == "" {
			return nil, nil
		}
		t, ok := parseDateTime(s)
		if !ok {
			return nil, deserializeError("datetime", raw)
		}
		return formatDateTime(t), nil
	default: // text, id and reference types
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case json.Number:
			s = x.String()
		case bool:
			s = strconv.FormatBool(x)
		default:
			return nil, deserializeError("string", raw)
		}
		if s == "" {
			// Salesforce stores an empty string as null.
			return nil, nil
		}
		return s, nil
	}
}

// soapType is describe's soapType for f.
func soapType(f *Field) string {
	switch f.Type {
	case TypeID, TypeReference:
		return "tns:ID"
	case TypeBoolean:
		return "xsd:boolean"
	case TypeDateTime:
		return "xsd:dateTime"
	case TypeDate:
		return "xsd:date"
	case TypeInt:
		return "xsd:int"
	case TypeDouble:
		return "xsd:double"
	}
	return "xsd:string"
}

// checkWritable rejects fields the operation may not set (INVALID_FIELD_FOR_INSERT_UPDATE).
func checkWritable(o *Object, rec Values, create bool) *APIError {
	var bad []string
	for _, f := range o.fields {
		if _, ok := rec[f.Name]; !ok {
			continue
		}
		if (create && !f.Createable) || (!create && !f.Updateable) {
			bad = append(bad, f.Name)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fieldError(CodeInvalidFieldForInsert,
		"Unable to create/update fields: "+strings.Join(bad, ", ")+". Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
		bad...)
}

// checkValues runs the per-field checks Salesforce applies to the values being written:
// reference id shape, length, email format and restricted picklists, in describe order.
func checkValues(o *Object, rec Values) *APIError {
	for _, f := range o.fields {
		v, ok := rec[f.Name].(string)
		if !ok {
			continue
		}
		switch {
		case f.Type == TypeReference:
			prefixes := make([]string, 0, len(f.ReferenceTo))
			for _, to := range f.ReferenceTo {
				prefixes = append(prefixes, keyPrefixOf(to))
			}
			// A value that is not an id at all is MALFORMED_ID; an id of another object is
			// FIELD_INTEGRITY_EXCEPTION (both with Salesforce's "id value of incorrect type"
			// text; the code split is UNCONFIRMED).
			if _, ok := NormalizeID(v); !ok {
				return fieldError(CodeMalformedID, f.Label+": id value of incorrect type: "+v, f.Name)
			}
			full, ok := checkIDPrefix(v, prefixes...)
			if !ok {
				return fieldError(CodeFieldIntegrity, f.Label+": id value of incorrect type: "+v, f.Name)
			}
			rec[f.Name] = full
		case f.isText() && f.Length > 0 && utf8.RuneCountInString(v) > f.Length:
			return fieldError(CodeStringTooLong,
				fmt.Sprintf("%s: data value too large: %s (max length=%d)", f.Label, v, f.Length), f.Name)
		case f.Type == TypeEmail && !emailPattern.MatchString(v):
			return fieldError(CodeInvalidEmailAddress, f.Label+": invalid email address: "+v, f.Name)
		case f.Restricted && !slices.Contains(f.Picklist, v):
			return fieldError(CodeRestrictedPicklist, f.Label+": bad value for restricted picklist field: "+v, f.Name)
		}
	}
	return nil
}

// checkRequired reports the required fields that are empty in the merged record, with
// Salesforce's message "Required fields are missing: [A, B]". extra names fields the
// control API made required.
func checkRequired(o *Object, merged Values, extra []string) *APIError {
	var missing []string
	for _, f := range o.fields {
		if !f.required() && !slices.ContainsFunc(extra, func(n string) bool { return strings.EqualFold(n, f.Name) }) {
			continue
		}
		if v, ok := merged[f.Name]; !ok || v == nil || v == "" {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fieldError(CodeRequiredFieldMissing, "Required fields are missing: ["+strings.Join(missing, ", ")+"]", missing...)
}

// keyPrefixOf maps a referenced object name to its key prefix.
func keyPrefixOf(object string) string {
	switch object {
	case "Contact":
		return PrefixContact
	case "Lead":
		return PrefixLead
	case "User":
		return PrefixUser
	case "Account":
		return PrefixAccount
	case "Profile":
		return PrefixProfile
	case "PermissionSet":
		return PrefixPermSet
	case "FieldPermissions":
		return PrefixFieldPerms
	case "Task":
		return PrefixTask
	case "Event":
		return PrefixEvent
	}
	return ""
}
