package pipedrive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Validation the v2 endpoints do. The v2 migration guide says v2 validates
// input "significantly stricter" than v1: booleans accept only true/false,
// numbers are never coerced from strings. The exact v2 messages are
// UNCONFIRMED; the sandbox writes "Validation failed: <field>: <reason>".
//
// Deliberately NOT validated, because Pipedrive does not:
//   - email format: persons accept any string as an email value (the v2 spec
//     says marketing_status stays unset "if the person does not have a valid
//     email address", so invalid addresses are stored);
//   - uniqueness of custom-field values: Pipedrive has no unique fields, so two
//     persons may carry the same external id; the sandbox never answers a
//     duplicate error (count them through the control API instead).

// maxBodyBytes caps a request body; Pipedrive's real cap is unknown (UNCONFIRMED).
const maxBodyBytes = 1 << 20

// varcharMax is the documented length limit of a varchar custom field.
const varcharMax = 255

// textMax caps the person name and large-text fields (UNCONFIRMED).
const textMax = 65535

var (
	dateRE     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	hhmmRE     = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d$`)
	durationRE = regexp.MustCompile(`^\d{2,}:[0-5]\d$`)
)

// readObject reads the JSON object body of r as raw members.
func readObject(r *http.Request) (map[string]json.RawMessage, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(body) > maxBodyBytes {
		return nil, invalid("Validation failed: request body is too large")
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return map[string]json.RawMessage{}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return nil, invalid("Validation failed: request body must be a JSON object")
	}
	return m, nil
}

// fieldError is a validation error about one key.
func fieldError(key, reason string) error {
	return invalid("Validation failed: " + key + ": " + reason)
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// decodeString decodes a JSON string (null is rejected).
func decodeString(key string, raw json.RawMessage) (string, error) {
	var s string
	if isNull(raw) || json.Unmarshal(raw, &s) != nil {
		return "", fieldError(key, "must be a string")
	}
	return s, nil
}

// decodeInt decodes a JSON integer; strings and fractions are rejected as v2 does.
func decodeInt(key string, raw json.RawMessage) (int64, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return 0, fieldError(key, "must be an integer")
	}
	// A json.Number target would accept "13" (a string); v2 does not coerce.
	f, ok := v.(json.Number)
	if !ok {
		return 0, fieldError(key, "must be an integer")
	}
	n, err := f.Int64()
	if err != nil {
		return 0, fieldError(key, "must be an integer")
	}
	return n, nil
}

// decodeOptionalInt decodes an integer or null.
func decodeOptionalInt(key string, raw json.RawMessage) (*int64, error) {
	if isNull(raw) {
		return nil, nil
	}
	n, err := decodeInt(key, raw)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// decodeBool decodes true or false; 0/1 are rejected as v2 does.
func decodeBool(key string, raw json.RawMessage) (bool, error) {
	var b bool
	if isNull(raw) || json.Unmarshal(raw, &b) != nil {
		return false, fieldError(key, "must be a boolean")
	}
	return b, nil
}

// decodeOptionalString decodes a string or null.
func decodeOptionalString(key string, raw json.RawMessage) (*string, error) {
	if isNull(raw) {
		return nil, nil
	}
	s, err := decodeString(key, raw)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// decodeContactItems decodes emails/phones: objects with a required value and
// optional primary and label. Label defaults to "work"; if none is primary
// the first one becomes primary (v2 migration guide).
func decodeContactItems(key string, raw json.RawMessage) ([]ContactItem, error) {
	if isNull(raw) {
		return []ContactItem{}, nil
	}
	var items []map[string]json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil, fieldError(key, "must be an array of objects")
	}
	out := make([]ContactItem, 0, len(items))
	primary := -1
	for i, it := range items {
		var c ContactItem
		v, ok := it["value"]
		if !ok {
			return nil, fieldError(fmt.Sprintf("%s[%d].value", key, i), "is required")
		}
		s, err := decodeString(fmt.Sprintf("%s[%d].value", key, i), v)
		if err != nil {
			return nil, err
		}
		c.Value = s
		c.Label = "work"
		for k, v := range it {
			switch k {
			case "value":
			case "primary":
				b, err := decodeBool(fmt.Sprintf("%s[%d].primary", key, i), v)
				if err != nil {
					return nil, err
				}
				if b && primary < 0 {
					primary = i
				}
			case "label":
				l, err := decodeString(fmt.Sprintf("%s[%d].label", key, i), v)
				if err != nil {
					return nil, err
				}
				if l != "" {
					c.Label = l
				}
			default:
				return nil, fieldError(fmt.Sprintf("%s[%d]", key, i), "unknown property "+k)
			}
		}
		out = append(out, c)
	}
	if len(out) > 0 {
		if primary < 0 {
			primary = 0
		}
		out[primary].Primary = true
	}
	return out, nil
}

// personPatch is a parsed v2 person body; nil members were absent.
type personPatch struct {
	name, firstName, lastName *string
	ownerID                   *int64
	orgID                     **int64
	emails, phones            *[]ContactItem
	visibleTo                 *int
	labelIDs                  *[]int64
	jobTitle                  **string
	customFields              map[string]any
}

// personKeysIgnored are documented v2 person keys the sandbox accepts and does
// not store (contact-sync fields and marketing status).
var personKeysIgnored = map[string]bool{
	"add_time": true, "postal_address": true, "notes": true, "im": true,
	"birthday": true, "marketing_status": true,
}

// parsePerson validates a v2 person body against the known fields. It does
// not check references (owner, custom-field keys); the handler does that.
func parsePerson(m map[string]json.RawMessage, fields *fieldSet) (personPatch, error) {
	var p personPatch
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic first error
	for _, k := range keys {
		raw := m[k]
		switch k {
		case "name", "first_name", "last_name":
			s, err := decodeString(k, raw)
			if err != nil {
				return p, err
			}
			if utf8.RuneCountInString(s) > textMax {
				return p, fieldError(k, "is too long")
			}
			s = strings.TrimSpace(s)
			switch k {
			case "name":
				p.name = &s
			case "first_name":
				p.firstName = &s
			default:
				p.lastName = &s
			}
		case "owner_id":
			n, err := decodeInt(k, raw)
			if err != nil {
				return p, err
			}
			p.ownerID = &n
		case "job_title":
			s, err := decodeOptionalString(k, raw)
			if err != nil {
				return p, err
			}
			if s != nil && utf8.RuneCountInString(*s) > varcharMax {
				return p, fieldError(k, fmt.Sprintf("must be at most %d characters", varcharMax))
			}
			p.jobTitle = &s
		case "org_id":
			n, err := decodeOptionalInt(k, raw)
			if err != nil {
				return p, err
			}
			p.orgID = &n
		case "emails", "phones":
			items, err := decodeContactItems(k, raw)
			if err != nil {
				return p, err
			}
			if k == "emails" {
				p.emails = &items
			} else {
				p.phones = &items
			}
		case "visible_to":
			n, err := decodeInt(k, raw)
			if err != nil {
				return p, err
			}
			switch n {
			case 1, 3, 5, 7:
			default:
				return p, fieldError(k, "must be one of 1, 3, 5, 7")
			}
			v := int(n)
			p.visibleTo = &v
		case "label_ids":
			var ids []int64
			if isNull(raw) {
				ids = []int64{}
			} else if json.Unmarshal(raw, &ids) != nil {
				return p, fieldError(k, "must be an array of integers")
			}
			p.labelIDs = &ids
		case "custom_fields":
			cf, err := parseCustomFields(raw, fields)
			if err != nil {
				return p, err
			}
			p.customFields = cf
		default:
			if !personKeysIgnored[k] {
				return p, fieldError(k, "is not allowed")
			}
		}
	}
	return p, nil
}

// parseCustomFields checks every key is an existing person custom field and
// every value fits the field's type. null clears a value.
func parseCustomFields(raw json.RawMessage, fields *fieldSet) (map[string]any, error) {
	var m map[string]json.RawMessage
	if isNull(raw) || json.Unmarshal(raw, &m) != nil || m == nil {
		return nil, fieldError("custom_fields", "must be an object")
	}
	out := make(map[string]any, len(m))
	for key, v := range m {
		f, ok := fields.custom(key)
		if !ok {
			return nil, fieldError("custom_fields."+key, "is not a valid custom field key")
		}
		val, err := customValue(f, v)
		if err != nil {
			return nil, err
		}
		out[key] = val
	}
	return out, nil
}

// customValue decodes one custom-field value by the field's type.
func customValue(f *personField, raw json.RawMessage) (any, error) {
	key := "custom_fields." + f.Key
	if isNull(raw) {
		return nil, nil
	}
	switch f.FieldType {
	case "varchar", "varchar_auto", "text", "phone":
		s, err := decodeString(key, raw)
		if err != nil {
			return nil, err
		}
		if f.FieldType == "varchar" && utf8.RuneCountInString(s) > varcharMax {
			return nil, fieldError(key, fmt.Sprintf("must be at most %d characters", varcharMax))
		}
		if utf8.RuneCountInString(s) > textMax {
			return nil, fieldError(key, "is too long")
		}
		return s, nil
	case "double":
		var x float64
		if json.Unmarshal(raw, &x) != nil || math.IsNaN(x) {
			return nil, fieldError(key, "must be a number")
		}
		return x, nil
	case "int", "user", "org", "people":
		return decodeInt(key, raw)
	case "monetary":
		// v2 writes monetary values as {"value": n, "currency": "EUR"}.
		var mv struct {
			Value    *float64 `json:"value"`
			Currency string   `json:"currency"`
		}
		if json.Unmarshal(raw, &mv) != nil || mv.Value == nil {
			return nil, fieldError(key, `must be an object {"value": number, "currency": string}`)
		}
		return map[string]any{"value": *mv.Value, "currency": mv.Currency}, nil
	case "date":
		s, err := decodeString(key, raw)
		if err != nil {
			return nil, err
		}
		if _, err := time.Parse(time.DateOnly, s); err != nil || !dateRE.MatchString(s) {
			return nil, fieldError(key, "must be a date YYYY-MM-DD")
		}
		return s, nil
	case "enum":
		id, err := decodeInt(key, raw)
		if err != nil {
			return nil, err
		}
		if !f.hasOption(id) {
			return nil, fieldError(key, fmt.Sprintf("option %d does not exist", id))
		}
		return id, nil
	case "set":
		var ids []int64
		if json.Unmarshal(raw, &ids) != nil || len(ids) == 0 {
			// The spec: sending [] for a set field "will result in a validation error".
			return nil, fieldError(key, "must be a non-empty array of option ids")
		}
		for _, id := range ids {
			if !f.hasOption(id) {
				return nil, fieldError(key, fmt.Sprintf("option %d does not exist", id))
			}
		}
		return ids, nil
	default:
		var v any
		if json.Unmarshal(raw, &v) != nil {
			return nil, fieldError(key, "is not valid JSON")
		}
		return v, nil
	}
}

// activityPatch is a parsed v2 activity body; nil members were absent.
type activityPatch struct {
	subject, typ            *string
	ownerID                 *int64
	dealID, personID, orgID **int64
	projectID, priority     **int64
	leadID                  **string
	dueDate, dueTime        **string
	duration                **string
	busy, done              *bool
	location                **Location
	participants            *[]Participant
	attendees               *[]Attendee
	publicDescription, note **string
}

// parseActivity validates a v2 activity body (no key is required there).
func parseActivity(m map[string]json.RawMessage) (activityPatch, error) {
	var a activityPatch
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	optInt := func(k string, raw json.RawMessage, dst ***int64) error {
		n, err := decodeOptionalInt(k, raw)
		if err != nil {
			return err
		}
		*dst = &n
		return nil
	}
	optStr := func(k string, raw json.RawMessage, dst ***string, re *regexp.Regexp, want string) error {
		s, err := decodeOptionalString(k, raw)
		if err != nil {
			return err
		}
		if s != nil && re != nil && !re.MatchString(*s) {
			return fieldError(k, "must be in the format "+want)
		}
		*dst = &s
		return nil
	}
	for _, k := range keys {
		raw := m[k]
		var err error
		switch k {
		case "subject", "type":
			var s string
			s, err = decodeString(k, raw)
			if err == nil {
				if k == "subject" {
					a.subject = &s
				} else {
					a.typ = &s
				}
			}
		case "owner_id":
			var n int64
			n, err = decodeInt(k, raw)
			a.ownerID = &n
		case "deal_id":
			err = optInt(k, raw, &a.dealID)
		case "person_id":
			err = optInt(k, raw, &a.personID)
		case "org_id":
			err = optInt(k, raw, &a.orgID)
		case "project_id":
			err = optInt(k, raw, &a.projectID)
		case "priority":
			err = optInt(k, raw, &a.priority)
		case "lead_id":
			err = optStr(k, raw, &a.leadID, nil, "")
		case "due_date":
			err = optStr(k, raw, &a.dueDate, dateRE, "YYYY-MM-DD")
			if err == nil && *a.dueDate != nil {
				if _, perr := time.Parse(time.DateOnly, **a.dueDate); perr != nil {
					err = fieldError(k, "must be a valid date")
				}
			}
		case "due_time":
			err = optStr(k, raw, &a.dueTime, hhmmRE, "HH:MM")
		case "duration":
			err = optStr(k, raw, &a.duration, durationRE, "HH:MM")
		case "busy", "done":
			var b bool
			b, err = decodeBool(k, raw)
			if k == "busy" {
				a.busy = &b
			} else {
				a.done = &b
			}
		case "location":
			var loc *Location
			if !isNull(raw) {
				loc = &Location{}
				if json.Unmarshal(raw, loc) != nil {
					err = fieldError(k, "must be an object")
				}
			}
			a.location = &loc
		case "participants":
			var ps []Participant
			if !isNull(raw) && json.Unmarshal(raw, &ps) != nil {
				err = fieldError(k, "must be an array of {person_id, primary}")
			}
			for _, p := range ps {
				if p.PersonID <= 0 {
					err = fieldError(k, "person_id must be a positive integer")
				}
			}
			if ps == nil {
				ps = []Participant{}
			}
			a.participants = &ps
		case "attendees":
			var as []Attendee
			if !isNull(raw) && json.Unmarshal(raw, &as) != nil {
				err = fieldError(k, "must be an array of attendee objects")
			}
			if as == nil {
				as = []Attendee{}
			}
			a.attendees = &as
		case "public_description":
			err = optStr(k, raw, &a.publicDescription, nil, "")
		case "note":
			err = optStr(k, raw, &a.note, nil, "")
		default:
			err = fieldError(k, "is not allowed")
		}
		if err != nil {
			return a, err
		}
	}
	return a, nil
}
