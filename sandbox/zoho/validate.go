package zoho

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// refChecker resolves the references a record may carry (owners, lookups).
type refChecker interface {
	// activeUser returns the active user with the given id.
	activeUser(id string) (UserRef, bool)
	// recordName returns the display name of a record of module, if it exists.
	recordName(module, id string) (string, bool)
}

// emailPattern approximates Zoho's email validation: one @, a dotted domain,
// no spaces. Zoho's exact regex is not published.
var emailPattern = regexp.MustCompile(`^[A-Za-z0-9._%+'\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$`)

// idPattern is the shape of a Zoho record/user id: a long decimal number.
var idPattern = regexp.MustCompile(`^[0-9]{1,19}$`)

// maxParticipants is the documented cap on Events.Participants.
const maxParticipants = 50

// jsonPath builds Zoho's json_path for a field of data[index].
func jsonPath(wrapper string, index int, apiName string) string {
	return fmt.Sprintf("$.%s[%d].%s", wrapper, index, apiName)
}

func errMandatory(path, apiName string) *Error {
	return newError("MANDATORY_NOT_FOUND", "required field not found", map[string]any{"api_name": apiName, "json_path": path})
}

func errInvalidType(path, apiName, expected string) *Error {
	return newError("INVALID_DATA", "invalid data", map[string]any{"api_name": apiName, "json_path": path, "expected_data_type": expected})
}

func errMaxLength(path, apiName string, max int) *Error {
	return newError("INVALID_DATA", "invalid data", map[string]any{"api_name": apiName, "json_path": path, "maximum_length": max})
}

func errInvalidID(path, apiName string) *Error {
	return newError("INVALID_DATA", "the id given seems to be invalid", map[string]any{"api_name": apiName, "json_path": path})
}

// recordInput is a decoded write: canonical api_name → normalized value; a
// nil value clears the field. Module-specific keys ($se_module) are kept.
type recordInput map[string]any

// parseRecord decodes one data[] item of a write to module m and checks
// every given value against its field type and length. Unknown and
// read-only keys are ignored, as Zoho ignores them.
func parseRecord(fields []fieldInfo, raw json.RawMessage, wrapper string, index int, refs refChecker) (recordInput, *Error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, newError("INVALID_DATA", "invalid data", map[string]any{"json_path": fmt.Sprintf("$.%s[%d]", wrapper, index), "expected_data_type": "jsonobject"})
	}
	in := recordInput{}
	for _, f := range fields {
		v, ok := lookupKey(obj, f.Name)
		if !ok || f.readOnly() {
			continue
		}
		path := jsonPath(wrapper, index, f.Name)
		if v == nil {
			in[f.Name] = nil
			continue
		}
		nv, err := checkValue(f, v, path, refs)
		if err != nil {
			return nil, err
		}
		in[f.Name] = nv
	}
	if v, ok := lookupKey(obj, "$se_module"); ok {
		s, isStr := v.(string)
		if !isStr {
			return nil, errInvalidType(jsonPath(wrapper, index, "$se_module"), "$se_module", "string")
		}
		in["$se_module"] = s
	}
	return in, nil
}

// lookupKey finds key in obj, case-insensitively (Zoho field names are
// matched without regard to case).
func lookupKey(obj map[string]any, key string) (any, bool) {
	if v, ok := obj[key]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// checkValue validates and normalizes one non-null value.
func checkValue(f fieldInfo, v any, path string, refs refChecker) (any, *Error) {
	switch f.Type {
	case "text", "textarea", "phone", "website", "picklist":
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case json.Number:
			// Zoho stores a number sent to a text field as its text.
			s = x.String()
		default:
			return nil, errInvalidType(path, f.Name, f.Type)
		}
		if f.MaxLength > 0 && utf8.RuneCountInString(s) > f.MaxLength {
			return nil, errMaxLength(path, f.Name, f.MaxLength)
		}
		if f.restricted() && !contains(f.pickList(), s) {
			return nil, errInvalidType(path, f.Name, "picklist")
		}
		return s, nil
	case "email":
		s, ok := v.(string)
		if !ok {
			return nil, errInvalidType(path, f.Name, "email")
		}
		if s == "" {
			return nil, nil
		}
		if f.MaxLength > 0 && utf8.RuneCountInString(s) > f.MaxLength {
			return nil, errMaxLength(path, f.Name, f.MaxLength)
		}
		if !emailPattern.MatchString(s) {
			return nil, errInvalidType(path, f.Name, "email")
		}
		return s, nil
	case "boolean":
		b, ok := v.(bool)
		if !ok {
			return nil, errInvalidType(path, f.Name, "boolean")
		}
		return b, nil
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return nil, errInvalidType(path, f.Name, "integer")
		}
		i, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil {
			return nil, errInvalidType(path, f.Name, "integer")
		}
		// The store keeps JSON numbers as float64.
		return float64(i), nil
	case "double":
		n, ok := v.(json.Number)
		if !ok {
			return nil, errInvalidType(path, f.Name, "double")
		}
		d, err := n.Float64()
		if err != nil {
			return nil, errInvalidType(path, f.Name, "double")
		}
		return d, nil
	case "datetime":
		s, ok := v.(string)
		if !ok {
			return nil, errInvalidType(path, f.Name, "datetime")
		}
		t, err := parseDateTime(s)
		if err != nil {
			return nil, errInvalidType(path, f.Name, "datetime")
		}
		return formatTime(t), nil
	case "date":
		s, ok := v.(string)
		if !ok {
			return nil, errInvalidType(path, f.Name, "date")
		}
		if _, err := time.Parse("2006-01-02", s); err != nil {
			return nil, errInvalidType(path, f.Name, "date")
		}
		return s, nil
	case "ownerlookup":
		id, ok := refID(v)
		if !ok {
			return nil, errInvalidType(path, f.Name, "jsonobject")
		}
		u, ok := refs.activeUser(id)
		if !ok {
			return nil, errInvalidID(path, f.Name)
		}
		return map[string]any{"name": u.Name, "id": u.ID, "email": u.Email}, nil
	case "lookup":
		return checkLookup(f, v, path, refs)
	case "multiselectlookup":
		return checkParticipants(f, v, path, refs)
	}
	return v, nil
}

// lookupTargets names the module a lookup field points at, where the sandbox
// stores that module. Lookups to modules it does not emulate (Accounts,
// Deals) are accepted as given.
var lookupTargets = map[string]string{
	"Who_Id":       "Contacts",
	"Reporting_To": "Contacts",
}

func checkLookup(f fieldInfo, v any, path string, refs refChecker) (any, *Error) {
	target, known := lookupTargets[f.Name]
	if obj, ok := v.(map[string]any); ok && !known {
		if name, isStr := obj["name"].(string); isStr && obj["id"] == nil {
			return map[string]any{"name": name, "id": nil}, nil
		}
	}
	id, ok := refID(v)
	if !ok {
		return nil, errInvalidType(path, f.Name, "jsonobject")
	}
	if !idPattern.MatchString(id) {
		return nil, errInvalidID(path, f.Name)
	}
	if !known {
		return map[string]any{"name": nil, "id": id}, nil
	}
	name, ok := refs.recordName(target, id)
	if !ok {
		return nil, errInvalidID(path, f.Name)
	}
	return map[string]any{"name": name, "id": id}, nil
}

// checkParticipants validates Events.Participants: ≤ 50 items of
// {type: contact|lead|user|email, participant}.
func checkParticipants(f fieldInfo, v any, path string, refs refChecker) (any, *Error) {
	list, ok := v.([]any)
	if !ok {
		return nil, errInvalidType(path, f.Name, "jsonarray")
	}
	if len(list) > maxParticipants {
		return nil, newError("LIMIT_EXCEEDED", "Participants limit exceeded", map[string]any{"api_name": f.Name, "json_path": path, "limit": maxParticipants})
	}
	out := make([]any, 0, len(list))
	for i, item := range list {
		ipath := fmt.Sprintf("%s[%d]", path, i)
		obj, ok := item.(map[string]any)
		if !ok {
			return nil, errInvalidType(ipath, f.Name, "jsonobject")
		}
		typ, _ := obj["type"].(string)
		who, _ := obj["participant"].(string)
		if typ == "" {
			return nil, errMandatory(ipath+".type", "type")
		}
		if who == "" {
			return nil, errMandatory(ipath+".participant", "participant")
		}
		p := map[string]any{"type": typ, "participant": who, "invited": false, "status": "not_known"}
		switch typ {
		case "contact":
			name, ok := refs.recordName("Contacts", who)
			if !ok {
				return nil, errInvalidID(ipath+".participant", "participant")
			}
			p["name"] = name
		case "user":
			u, ok := refs.activeUser(who)
			if !ok {
				return nil, errInvalidID(ipath+".participant", "participant")
			}
			p["name"], p["Email"] = u.Name, u.Email
		case "email":
			if !emailPattern.MatchString(who) {
				return nil, errInvalidType(ipath+".participant", "participant", "email")
			}
			p["Email"] = who
		case "lead":
			// Leads are not emulated; accept a well-formed id.
			if !idPattern.MatchString(who) {
				return nil, errInvalidID(ipath+".participant", "participant")
			}
		default:
			return nil, errInvalidType(ipath+".type", "type", "picklist")
		}
		out = append(out, p)
	}
	return out, nil
}

// refID extracts a record id from a lookup value: {"id":"…"} or a bare id.
func refID(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, x != ""
	case json.Number:
		return x.String(), true
	case map[string]any:
		switch id := x["id"].(type) {
		case string:
			return id, id != ""
		case json.Number:
			return id.String(), true
		}
	}
	return "", false
}

// parseDateTime accepts Zoho's ISO-8601 date-time with an offset (and "Z").
func parseDateTime(s string) (time.Time, error) {
	if t, err := time.Parse(timeLayout, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

// parseCallDuration turns Call_Duration ("mm:ss" or "hh:mm:ss", as the Zoho
// UI shows it) into seconds. The documented "HH:mm" wording conflicts with
// Zoho's own samples, so the minutes:seconds reading is UNCONFIRMED
// (crm-api-facts.md §4.4).
func parseCallDuration(s string) (int, bool) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return 0, false
		}
		if i > 0 && n > 59 {
			return 0, false
		}
		nums[i] = n
	}
	if len(nums) == 2 {
		return nums[0]*60 + nums[1], true
	}
	return nums[0]*3600 + nums[1]*60 + nums[2], true
}

// checkMandatory reports the first mandatory field missing from a write. On
// insert every mandatory field must be given; on update a given mandatory
// field must not be emptied.
func checkMandatory(fields []fieldInfo, required map[string]bool, in recordInput, wrapper string, index int, insert bool) *Error {
	for _, f := range fields {
		if !required[strings.ToLower(f.Name)] {
			continue
		}
		if f.Name == "Call_Duration" {
			continue // checked with the call's type in checkCall
		}
		v, given := in[f.Name]
		if (insert && !given) || (given && emu.IsBlank(v)) {
			return errMandatory(jsonPath(wrapper, index, f.Name), f.Name)
		}
	}
	return nil
}

// checkCall applies the Calls rules that span fields: Call_Duration is
// mandatory unless the call is a scheduled outbound call, must parse, and
// must not be zero for Inbound/Outbound (DEPENDENT_MISMATCH "Call Duration
// can not be zero"). It sets Call_Duration_in_seconds.
func checkCall(in recordInput, merged map[string]any, wrapper string, index int) *Error {
	path := jsonPath(wrapper, index, "Call_Duration")
	d, _ := merged["Call_Duration"].(string)
	scheduled := merged["Outbound_Call_Status"] == "Scheduled"
	if d == "" {
		if scheduled {
			return nil
		}
		return errMandatory(path, "Call_Duration")
	}
	secs, ok := parseCallDuration(d)
	if !ok {
		return errInvalidType(path, "Call_Duration", "text")
	}
	if secs == 0 && (merged["Call_Type"] == "Inbound" || merged["Call_Type"] == "Outbound") && !scheduled {
		return newError("DEPENDENT_MISMATCH", "Call Duration can not be zero", map[string]any{"api_name": "Call_Duration", "json_path": path})
	}
	in["Call_Duration_in_seconds"] = float64(secs)
	return nil
}

// checkEvent applies the Events rule that the meeting ends after it starts.
func checkEvent(merged map[string]any, wrapper string, index int) *Error {
	start, _ := merged["Start_DateTime"].(string)
	end, _ := merged["End_DateTime"].(string)
	if start == "" || end == "" {
		return nil
	}
	ts, err1 := parseDateTime(start)
	te, err2 := parseDateTime(end)
	if err1 == nil && err2 == nil && te.Before(ts) {
		return newError("INVALID_DATA", "invalid data", map[string]any{"api_name": "End_DateTime", "json_path": jsonPath(wrapper, index, "End_DateTime"), "expected_data_type": "datetime"})
	}
	return nil
}

// checkWhatID enforces that What_Id comes with $se_module, the module of the
// related record.
func checkWhatID(in recordInput, wrapper string, index int) *Error {
	if v, ok := in["What_Id"]; ok && v != nil {
		if s, _ := in["$se_module"].(string); s == "" {
			return newError("DEPENDENT_FIELD_MISSING", "Dependent Fields missing", map[string]any{"api_name": "$se_module", "json_path": jsonPath(wrapper, index, "$se_module")})
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
