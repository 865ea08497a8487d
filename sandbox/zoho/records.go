package zoho

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// maxRecordsPerCall is Zoho's cap on records per insert/upsert call.
const maxRecordsPerCall = 100

// statusFor picks the HTTP status of a per-record response: ok when every
// item succeeded, 400 when none did, 207 Multi-Status for a mix (seen on
// inserts: zoho/embeddedApp-js-sdk issue #14; UNCONFIRMED for upsert, where
// Zoho's OpenAPI declares only 200).
func statusFor(results []any, ok int) int {
	failed := 0
	for _, r := range results {
		if _, isErr := r.(*Error); isErr {
			failed++
		}
	}
	switch {
	case failed == 0:
		return ok
	case failed == len(results):
		return http.StatusBadRequest
	default:
		return http.StatusMultiStatus
	}
}

// decodeBody reads a JSON request body, answering Zoho's error when it is
// missing or not JSON. It reports false when it has answered.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := emu.DecodeJSON(r, v); err != nil {
		if strings.Contains(err.Error(), "empty") {
			writeError(w, http.StatusBadRequest, errParamMissing("body"))
		} else {
			writeError(w, http.StatusBadRequest, newError("INVALID_DATA", "invalid data", map[string]any{"expected_data_type": "jsonobject"}))
		}
		return false
	}
	return true
}

func errParamMissing(param string) *Error {
	return newError("REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", map[string]any{"param": param})
}

// writeMode is what a record write does.
type writeMode int

const (
	modeInsert writeMode = iota // POST /{module}
	modeUpsert                  // POST /{module}/upsert
	modeUpdate                  // PUT /{module} and PUT /{module}/{id}
)

// handleUpsert serves POST /crm/v8/{module}/upsert (Contacts).
func (c *CRM) handleUpsert(w http.ResponseWriter, r *http.Request, cl call) {
	c.handleWrite(w, r, cl, modeUpsert)
}

// handleInsert serves POST /crm/v8/{module} (Contacts, Calls, Events).
func (c *CRM) handleInsert(w http.ResponseWriter, r *http.Request, cl call) {
	c.handleWrite(w, r, cl, modeInsert)
}

// handleUpdate serves PUT /crm/v8/{module} (records carry their "id") and
// PUT /crm/v8/{module}/{id} (one record).
func (c *CRM) handleUpdate(w http.ResponseWriter, r *http.Request, cl call) {
	c.handleWrite(w, r, cl, modeUpdate)
}

func (c *CRM) handleWrite(w http.ResponseWriter, r *http.Request, cl call, mode writeMode) {
	allowed := []string{ModuleContacts, ModuleCalls, ModuleEvents}
	if mode == modeUpsert {
		// Upsert is not offered for activities (Zoho's supported-module list).
		allowed = []string{ModuleContacts}
	}
	module, err := moduleOf(r, allowed...)
	if err != nil {
		writeError(w, http.StatusBadRequest, errInvalidModule())
		return
	}
	var req RecordsRequest
	if !decodeBody(w, r, &req) {
		return
	}
	pathID := r.PathValue("id")
	switch {
	case len(req.Data) == 0:
		writeError(w, http.StatusBadRequest, errParamMissing("data"))
		return
	case len(req.Data) > maxRecordsPerCall:
		// Code and message from Zoho's OpenAPI enums; details UNCONFIRMED.
		writeError(w, http.StatusBadRequest, newError("LIMIT_EXCEEDED", "Record count exceeded", map[string]any{"limit": maxRecordsPerCall}))
		return
	case pathID != "" && len(req.Data) != 1:
		writeError(w, http.StatusBadRequest, newError("INVALID_DATA", "invalid data", map[string]any{"api_name": "data", "json_path": "$.data"}))
		return
	}
	fields := fieldsOf(c.env.Store, module)
	var dup []string
	if mode == modeUpsert {
		var derr *Error
		if dup, derr = duplicateCheckOrder(fields, req.DuplicateCheckFields); derr != nil {
			writeError(w, http.StatusBadRequest, derr)
			return
		}
	}
	required := requiredSet(c.env.Store, module)
	// Parse outside the transaction: lookups read the store.
	inputs := make([]recordInput, len(req.Data))
	targets := make([]string, len(req.Data))
	results := make([]any, len(req.Data))
	for i, raw := range req.Data {
		if mode == modeUpdate {
			targets[i] = pathID
			if targets[i] == "" {
				targets[i] = recordIDOf(raw)
			}
			if targets[i] == "" {
				results[i] = errMandatory(jsonPath("data", i, "id"), "id")
				continue
			}
		}
		in, perr := parseRecord(fields, raw, "data", i, c)
		if perr != nil {
			results[i] = perr
			continue
		}
		inputs[i] = in
	}
	_ = c.env.Store.Atomic(func(tx *emu.Tx) error {
		for i, in := range inputs {
			if in != nil {
				results[i] = c.writeOne(tx, module, fields, required, in, i, mode, dup, targets[i], cl)
			}
		}
		return nil
	})
	ok := http.StatusCreated
	if mode != modeInsert {
		ok = http.StatusOK
	}
	emu.WriteJSON(w, statusFor(results, ok), DataResponse{Data: results})
}

// recordIDOf reads the "id" of an update record ("" when absent).
func recordIDOf(raw json.RawMessage) string {
	var rec struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(raw, &rec) != nil || len(rec.ID) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(rec.ID, &s) == nil {
		return s
	}
	return strings.Trim(string(rec.ID), `"`)
}

// duplicateCheckOrder is the order upsert matches existing records in:
// the given fields (each must be the system duplicate-check field Email or a
// unique field), then the unique fields not given. With none given: Email,
// then every unique field. (Zoho's upsert page, "How does the duplicate
// check work?")
func duplicateCheckOrder(fields []fieldInfo, given []string) ([]string, *Error) {
	uniques := uniqueFields(fields)
	if len(given) == 0 {
		return append([]string{"Email"}, uniques...), nil
	}
	var out []string
	seen := map[string]bool{}
	for i, g := range given {
		f, ok := findField(fields, g)
		if !ok || !(f.Unique || f.Name == "Email") {
			return nil, newError("INVALID_DATA", "invalid data", map[string]any{"api_name": g, "json_path": "$.duplicate_check_fields[" + itoa(i) + "]"})
		}
		if !seen[f.Name] {
			seen[f.Name] = true
			out = append(out, f.Name)
		}
	}
	for _, u := range uniques {
		if !seen[u] {
			out = append(out, u)
		}
	}
	return out, nil
}

// writeOne inserts or (upsert) updates one record inside the batch
// transaction and returns its result item.
func (c *CRM) writeOne(tx *emu.Tx, module string, fields []fieldInfo, required map[string]bool, in recordInput, i int, mode writeMode, dup []string, target string, cl call) any {
	var existing emu.Record
	matched, found := "", false
	if mode == modeUpdate {
		rec, ok := tx.Get(module, target)
		if !ok {
			return newError("INVALID_DATA", "the id given seems to be invalid", map[string]any{"api_name": "id", "json_path": jsonPath("data", i, "id"), "id": target})
		}
		existing, found = rec, true
	}
	if mode == modeUpsert {
		for _, f := range dup {
			if v, ok := in[f]; ok && !emu.IsBlank(v) {
				if rec, ok := tx.FindUnique(module, f, v); ok {
					existing, matched, found = rec, f, true
					break
				}
			}
		}
	}
	if e := checkMandatory(fields, required, in, "data", i, !found); e != nil {
		return e
	}
	merged := map[string]any{}
	for k, v := range existing.Fields {
		merged[k] = v
	}
	for k, v := range in {
		merged[k] = v
	}
	switch module {
	case ModuleCalls:
		if e := checkCall(in, merged, "data", i); e != nil {
			return e
		}
		if e := checkWhatID(in, "data", i); e != nil {
			return e
		}
	case ModuleEvents:
		if e := checkEvent(merged, "data", i); e != nil {
			return e
		}
		if e := checkWhatID(in, "data", i); e != nil {
			return e
		}
	}
	values := map[string]any(in)
	by := map[string]any{"name": cl.user.Name, "id": cl.user.ID}
	values["Modified_By"] = by
	if module == ModuleContacts {
		first, _ := merged["First_Name"].(string)
		last, _ := merged["Last_Name"].(string)
		values["Full_Name"] = strings.TrimSpace(first + " " + last)
	}
	if owner, given := values["Owner"]; given && owner == nil {
		delete(values, "Owner") // a record always has an owner
	}
	var rec emu.Record
	var err error
	if found {
		rec, err = tx.Patch(module, existing.ID, values)
	} else {
		values["Created_By"] = by
		if _, ok := values["Owner"]; !ok {
			values["Owner"] = map[string]any{"name": cl.user.Name, "id": cl.user.ID, "email": cl.user.Email}
		}
		rec, err = tx.Create(module, values)
	}
	if err != nil {
		var ue *emu.UniqueError
		if errors.As(err, &ue) {
			return duplicateError(tx, module, ue, i)
		}
		return newError("INTERNAL_ERROR", "Internal server error occurred.", nil)
	}
	if !found {
		linkActivity(tx, module, rec)
	}
	details := recordDetails(rec)
	switch {
	case mode == modeInsert:
		return InsertResult{Code: "SUCCESS", Details: details, Message: "record added", Status: "success"}
	case mode == modeUpdate:
		return InsertResult{Code: "SUCCESS", Details: details, Message: "record updated", Status: "success"}
	case found:
		return UpsertResult{Code: "SUCCESS", DuplicateField: &matched, Action: "update", Details: details, Message: "record updated", Status: "success"}
	default:
		return UpsertResult{Code: "SUCCESS", Action: "insert", Details: details, Message: "record added", Status: "success"}
	}
}

// linkActivity links a new call or meeting to its contact (Who_Id) and to
// every contact participant, so the contact's page lists it.
func linkActivity(tx *emu.Tx, module string, rec emu.Record) {
	seen := map[string]bool{}
	link := func(id, typ string) {
		if id != "" && !seen[id] {
			seen[id] = true
			_ = tx.Link(module, rec.ID, emu.Link{Object: ModuleContacts, ID: id, Type: typ})
		}
	}
	if who, ok := rec.Fields["Who_Id"].(map[string]any); ok {
		id, _ := who["id"].(string)
		link(id, "Who_Id")
	}
	if ps, ok := rec.Fields["Participants"].([]any); ok {
		for _, p := range ps {
			if m, ok := p.(map[string]any); ok && m["type"] == "contact" {
				id, _ := m["participant"].(string)
				link(id, "Participants")
			}
		}
	}
}

// duplicateError is Zoho's DUPLICATE_DATA item naming the record that
// already holds the value (details nesting CONFIRMED: crm-api-facts.md §4.6).
func duplicateError(tx *emu.Tx, module string, ue *emu.UniqueError, i int) *Error {
	dupRec := map[string]any{"id": ue.ExistingID, "module": map[string]any{"api_name": module, "id": moduleIDs[module]}}
	if ex, ok := tx.Get(module, ue.ExistingID); ok {
		if o, ok := ex.Fields["Owner"].(map[string]any); ok {
			dupRec["Owner"] = map[string]any{"name": o["name"], "id": o["id"]}
		}
	}
	return newError("DUPLICATE_DATA", "duplicate data", map[string]any{
		"api_name": ue.Field, "json_path": jsonPath("data", i, ue.Field),
		"duplicate_record": dupRec, "more_records": false,
	})
}

// userRefOf reads a stored {"name","id"} user.
func userRefOf(v any) UserRef {
	m, _ := v.(map[string]any)
	name, _ := m["name"].(string)
	id, _ := m["id"].(string)
	return UserRef{Name: name, ID: id}
}

func recordDetails(rec emu.Record) RecordDetails {
	return RecordDetails{
		ModifiedTime: formatTime(rec.UpdatedAt), ModifiedBy: userRefOf(rec.Fields["Modified_By"]),
		CreatedTime: formatTime(rec.CreatedAt), ID: rec.ID, CreatedBy: userRefOf(rec.Fields["Created_By"]),
	}
}

// recordJSON renders a stored record as GET /{module}/{id} does: every
// field of the layout (null when empty) plus the system fields.
func recordJSON(module string, rec emu.Record, fields []fieldInfo) map[string]any {
	out := map[string]any{}
	for _, f := range fields {
		out[f.Name] = nil
	}
	for k, v := range rec.Fields {
		if _, internal := internalFields[k]; !internal {
			out[k] = v
		}
	}
	out["id"] = rec.ID
	out["Created_Time"] = formatTime(rec.CreatedAt)
	out["Modified_Time"] = formatTime(rec.UpdatedAt)
	out["Created_By"] = userRefOf(rec.Fields["Created_By"])
	out["Modified_By"] = userRefOf(rec.Fields["Modified_By"])
	return out
}

// internalFields are stored keys that are not Zoho fields.
var internalFields = map[string]struct{}{"dedupe_key": {}}

// handleRecordGet serves GET /crm/v8/{module}/{id}[?fields=A,B]. A well-formed id with
// no record answers 204 No Content (UNCONFIRMED; Zoho answers 204 for
// empty reads), a malformed id 400 INVALID_DATA.
func (c *CRM) handleRecordGet(w http.ResponseWriter, r *http.Request, _ call) {
	module, err := moduleOf(r, ModuleContacts, ModuleCalls, ModuleEvents)
	if err != nil {
		writeError(w, http.StatusBadRequest, errInvalidModule())
		return
	}
	id := r.PathValue("id")
	if !idPattern.MatchString(id) {
		writeError(w, http.StatusBadRequest, newError("INVALID_DATA", "the id given seems to be invalid", map[string]any{"id": id}))
		return
	}
	rec, ok := c.env.Store.Get(module, id)
	if !ok {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	out := recordJSON(module, rec, fieldsOf(c.env.Store, module))
	if list := r.URL.Query().Get("fields"); list != "" {
		// ?fields=A,B returns only those fields (and id).
		keep := map[string]any{"id": out["id"]}
		for _, name := range strings.Split(list, ",") {
			for k, v := range out {
				if strings.EqualFold(k, strings.TrimSpace(name)) {
					keep[k] = v
				}
			}
		}
		out = keep
	}
	emu.WriteJSON(w, http.StatusOK, DataResponse{Data: []any{out}})
}

// emailInput is one item of the associate_email body.
type emailInput struct {
	From              *EmailAddress        `json:"from"`
	To                []EmailAddress       `json:"to"`
	CC                []EmailAddress       `json:"cc"`
	BCC               []EmailAddress       `json:"bcc"`
	Subject           *string              `json:"subject"`
	Content           *string              `json:"content"`
	MailFormat        string               `json:"mail_format"`
	DateTime          *string              `json:"date_time"`
	Sent              *bool                `json:"sent"`
	OriginalMessageID *string              `json:"original_message_id"`
	Owner             *struct{ ID string } `json:"owner"`
	Attachments       []json.RawMessage    `json:"attachments"`
}

// maxEmailSubject is the subject's maxLength in Zoho's OpenAPI.
const maxEmailSubject = 250

// handleAssociateEmail serves POST /crm/v8/Contacts/{id}/actions/associate_email:
// log an email on a contact. original_message_id is unique per record, so a
// repeat is DUPLICATE_DATA, a natural idempotency key.
func (c *CRM) handleAssociateEmail(w http.ResponseWriter, r *http.Request, cl call) {
	module, err := moduleOf(r, ModuleContacts)
	if err != nil {
		writeError(w, http.StatusBadRequest, newError("INVALID_MODULE", "permission denied to access the api", nil))
		return
	}
	recordID := r.PathValue("id")
	contact, ok := c.env.Store.Get(module, recordID)
	if !ok {
		writeError(w, http.StatusBadRequest, newError("INVALID_DATA", "the id given seems to be invalid", map[string]any{"api_name": "id"}))
		return
	}
	var body struct {
		Emails []json.RawMessage `json:"Emails"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if len(body.Emails) == 0 {
		writeError(w, http.StatusBadRequest, errParamMissing("Emails"))
		return
	}
	admin := c.isAdmin(cl.user.ID)
	results := make([]any, len(body.Emails))
	// Validate (which reads users) outside the transaction: the store's
	// lock is not reentrant.
	prepared := make([]map[string]any, len(body.Emails))
	for i, raw := range body.Emails {
		fields, perr := c.prepareEmail(module, contact, raw, i, admin, cl)
		if perr != nil {
			results[i] = perr
			continue
		}
		prepared[i] = fields
	}
	_ = c.env.Store.Atomic(func(tx *emu.Tx) error {
		for i, fields := range prepared {
			if fields != nil {
				results[i] = associateOne(tx, module, contact.ID, fields, i)
			}
		}
		return nil
	})
	status := statusFor(results, http.StatusCreated)
	for _, res := range results {
		if e, ok := res.(*Error); ok && e.Code == "NO_PERMISSION" && status == http.StatusBadRequest {
			status = http.StatusForbidden
		}
	}
	emu.WriteJSON(w, status, map[string]any{"Emails": results})
}

func (c *CRM) isAdmin(userID string) bool {
	rec, ok := c.env.Store.Get(objectUsers, userID)
	return ok && rec.String("profile_name") == "Administrator"
}

// prepareEmail validates one Emails[] item and returns the record to store.
func (c *CRM) prepareEmail(module string, contact emu.Record, raw json.RawMessage, i int, admin bool, cl call) (map[string]any, *Error) {
	path := func(key string) string { return jsonPath("Emails", i, key) }
	var in emailInput
	if err := json.Unmarshal(raw, &in); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			key := strings.SplitN(te.Field, ".", 2)[0]
			return nil, errInvalidType(path(key), key, te.Value)
		}
		return nil, newError("INVALID_DATA", "invalid data", map[string]any{"json_path": "$.Emails[" + itoa(i) + "]", "expected_data_type": "jsonobject"})
	}
	switch {
	case in.From == nil:
		return nil, errMandatory(path("from"), "from")
	case len(in.To) == 0:
		return nil, errMandatory(path("to"), "to")
	case in.Subject == nil || *in.Subject == "":
		return nil, errMandatory(path("subject"), "subject")
	case in.Content == nil:
		return nil, errMandatory(path("content"), "content")
	case in.DateTime == nil:
		return nil, errMandatory(path("date_time"), "date_time")
	case in.Sent == nil:
		return nil, errMandatory(path("sent"), "sent")
	case in.OriginalMessageID == nil || *in.OriginalMessageID == "":
		return nil, errMandatory(path("original_message_id"), "original_message_id")
	}
	if !emailPattern.MatchString(in.From.Email) {
		return nil, errInvalidType(path("from"), "from", "email")
	}
	for _, list := range []struct {
		key   string
		addrs []EmailAddress
	}{{"to", in.To}, {"cc", in.CC}, {"bcc", in.BCC}} {
		for _, a := range list.addrs {
			if !emailPattern.MatchString(a.Email) {
				return nil, errInvalidType(path(list.key), list.key, "email")
			}
		}
	}
	if len([]rune(*in.Subject)) > maxEmailSubject {
		return nil, errMaxLength(path("subject"), "subject", maxEmailSubject)
	}
	when, err := parseDateTime(*in.DateTime)
	if err != nil {
		return nil, errInvalidType(path("date_time"), "date_time", "datetime")
	}
	format := in.MailFormat
	if format == "" {
		format = "html"
	}
	if format != "html" && format != "text" {
		return nil, errInvalidType(path("mail_format"), "mail_format", "picklist")
	}
	owner := map[string]any{"name": cl.user.Name, "id": cl.user.ID}
	if in.Owner != nil {
		// Associating another user's mail is for administrators only.
		if !admin {
			return nil, newError("NO_PERMISSION", "Only Admin Role/Profile Users will have permission", map[string]any{"permissions": []string{"Crm_Implied_Modify_Email"}})
		}
		u, ok := c.activeUser(in.Owner.ID)
		if !ok {
			return nil, newError("INVALID_DATA", "Provide a Proper owner id", map[string]any{"api_name": "owner", "json_path": path("owner")})
		}
		owner = map[string]any{"name": u.Name, "id": u.ID}
	}
	sum := sha256.Sum256([]byte(contact.ID + "|" + *in.OriginalMessageID))
	// Zoho message ids are 64 hex digits; deriving it from the dedupe key
	// keeps it stable.
	messageID := hex.EncodeToString(sum[:])
	fields := map[string]any{
		"message_id": messageID, "record_module": module, "record_id": contact.ID,
		"original_message_id": *in.OriginalMessageID, "dedupe_key": contact.ID + "|" + *in.OriginalMessageID,
		"from": addressValue(*in.From), "to": addressList(in.To), "cc": addressList(in.CC), "bcc": addressList(in.BCC),
		"subject": *in.Subject, "content": *in.Content, "mail_format": format,
		"date_time": formatTime(when), "sent": *in.Sent, "owner": owner,
	}
	return fields, nil
}

// associateOne stores one prepared email on the record, inside the batch
// transaction. original_message_id repeats on the record are DUPLICATE_DATA.
func associateOne(tx *emu.Tx, module, recordID string, fields map[string]any, i int) any {
	messageID, _ := fields["message_id"].(string)
	if _, err := tx.Insert(ObjectEmails, messageID, fields); err != nil {
		var ue *emu.UniqueError
		if errors.As(err, &ue) || errors.Is(err, emu.ErrRecordExists) {
			return newError("DUPLICATE_DATA", "duplicate data", map[string]any{"api_name": "original_message_id", "json_path": jsonPath("Emails", i, "original_message_id")})
		}
		return newError("INTERNAL_ERROR", "Internal server error occurred.", nil)
	}
	_ = tx.Link(ObjectEmails, messageID, emu.Link{Object: module, ID: recordID, Type: "email"})
	return FieldResult{Code: "SUCCESS", Details: map[string]string{"message_id": messageID}, Message: "Your mail has been added successfully", Status: "success"}
}

func addressValue(a EmailAddress) map[string]any {
	return map[string]any{"user_name": a.UserName, "email": a.Email}
}

func addressList(list []EmailAddress) []any {
	out := make([]any, 0, len(list))
	for _, a := range list {
		out = append(out, addressValue(a))
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }
