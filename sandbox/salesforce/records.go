package salesforce

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// DuplicateRule is an active duplicate rule on Contact: a create whose Email matches an
// existing contact's (case-insensitively) is blocked with DUPLICATES_DETECTED, unless
// AllowSave is true and the request carries "Sforce-Duplicate-Rule-Header: allowSave=true".
type DuplicateRule struct {
	// Name is the rule's developer name (default "Standard_Contact_Duplicate_Rule").
	Name string
	// AllowSave is the rule's "allow" action: the client may override the block.
	AllowSave bool
}

// SetDuplicateRule activates (rule != nil) or deactivates the Contact duplicate rule. The
// rule is off after New and after every reset.
func (c *CRM) SetDuplicateRule(rule *DuplicateRule) {
	c.dupMu.Lock()
	defer c.dupMu.Unlock()
	if rule != nil {
		r := *rule
		if r.Name == "" {
			r.Name = "Standard_Contact_Duplicate_Rule"
		}
		rule = &r
	}
	c.dupRule = rule
}

func (c *CRM) duplicateRule() *DuplicateRule {
	c.dupMu.Lock()
	defer c.dupMu.Unlock()
	return c.dupRule
}

// writeCtx carries what every record write of one request shares.
type writeCtx struct {
	call      *call
	now       time.Time
	required  map[string][]string // object → control-API required fields
	allowSave bool                // Sforce-Duplicate-Rule-Header: allowSave=true
	dupRule   *DuplicateRule
	custom    map[string]bool // lower-cased "Object.Field" of every custom field (FieldPermissions)
}

// newWriteCtx reads, before any Store.Atomic (the store lock is not reentrant), what the
// writes of one request r consult: the control-API required fields, the duplicate rule and
// r's Sforce-Duplicate-Rule-Header.
func (c *CRM) newWriteCtx(cl *call, r *http.Request) *writeCtx {
	header := r.Header.Get("Sforce-Duplicate-Rule-Header")
	wc := &writeCtx{call: cl, now: c.env.Now(), required: map[string][]string{},
		allowSave: strings.Contains(strings.ReplaceAll(strings.ToLower(header), " ", ""), "allowsave=true"),
		dupRule:   c.duplicateRule()}
	wc.custom = map[string]bool{}
	for _, obj := range []string{ObjectContact, ObjectTask, ObjectEvent} {
		wc.required[obj] = c.env.Store.RequiredFields(obj)
		for _, f := range c.env.Store.Fields(obj) {
			if f.Custom {
				entity, _ := f.Extra["entity"].(string)
				wc.custom[strings.ToLower(obj+"."+f.Name)] = true
				wc.custom[strings.ToLower(entity+"."+f.Name)] = true
			}
		}
	}
	return wc
}

// save validates vals and creates (existing == nil) or updates a record inside tx. It
// returns the saved record, or the record-level error Salesforce would report. Nothing is
// written when it fails.
func (c *CRM) save(tx *emu.Tx, wc *writeCtx, o *Object, vals Values, existing *emu.Record) (emu.Record, *APIError) {
	create := existing == nil
	if e := checkWritable(o, vals, create); e != nil {
		return emu.Record{}, e
	}
	if e := checkValues(o, vals); e != nil {
		return emu.Record{}, e
	}
	merged := Values{}
	if existing != nil {
		maps.Copy(merged, existing.Fields)
	}
	maps.Copy(merged, vals)
	if create {
		applyDefaults(o, merged, wc)
	}
	if e := checkRequired(o, merged, wc.required[o.Name]); e != nil {
		return emu.Record{}, e
	}
	if e := c.checkReferences(tx, o, vals); e != nil {
		return emu.Record{}, e
	}
	if e := derive(o, merged, wc.now); e != nil {
		return emu.Record{}, e
	}
	if o.Name == ObjectFieldPermissions {
		if e := checkFieldPermission(merged, wc); e != nil {
			return emu.Record{}, e
		}
	}
	merged["LastModifiedById"] = wc.call.tok.UserID
	if create && o.Name == ObjectContact && wc.dupRule != nil && !(wc.dupRule.AllowSave && wc.allowSave) {
		if email, _ := merged["Email"].(string); email != "" {
			if match, ok := tx.FindUnique(ObjectContact, "Email", email); ok {
				return emu.Record{}, duplicatesDetected(wc, match.ID)
			}
		}
	}
	var rec emu.Record
	var err error
	if create {
		rec, err = tx.Create(o.Name, merged)
		if err == nil && o.Name != ObjectContact {
			if who, _ := merged["WhoId"].(string); who != "" {
				_ = tx.Link(o.Name, rec.ID, emu.Link{Object: ObjectContact, ID: who, Type: "WhoId"})
			}
		}
	} else {
		patch := maps.Clone(merged)
		for k := range existing.Fields {
			if _, ok := merged[k]; !ok {
				patch[k] = nil
			}
		}
		rec, err = tx.Patch(o.Name, existing.ID, patch)
	}
	var ue *emu.UniqueError
	switch {
	case errors.As(err, &ue) && ue.Field == fieldPermissionKey:
		return emu.Record{}, fieldError(CodeDuplicateValue,
			"duplicate value found: <unknown> duplicates value on record with id: "+ue.ExistingID)
	case errors.As(err, &ue):
		// Confirmed (third-party) text; fields is an empty array and the existing id is only
		// in the message.
		return emu.Record{}, fieldError(CodeDuplicateValue,
			fmt.Sprintf("duplicate value found: %s duplicates value on record with id: %s", ue.Field, ue.ExistingID))
	case err != nil:
		return emu.Record{}, fieldError("UNKNOWN_EXCEPTION", err.Error())
	}
	return rec, nil
}

// applyDefaults fills the values Salesforce sets on create: the owner (the calling user),
// picklist defaults, false for checkboxes, the subtype of activities.
func applyDefaults(o *Object, merged Values, wc *writeCtx) {
	merged["CreatedById"] = wc.call.tok.UserID
	for _, f := range o.fields {
		if _, ok := merged[f.Name]; ok && merged[f.Name] != nil {
			continue
		}
		switch {
		case f.Name == "OwnerId":
			merged[f.Name] = wc.call.tok.UserID
		case f.Name == "TaskSubtype":
			merged[f.Name] = "Task"
		case f.Name == "EventSubtype":
			merged[f.Name] = "Event"
		case f.Type == TypeBoolean && f.Createable:
			merged[f.Name] = f.DefaultValue == "true"
		case f.DefaultValue != "" && f.Type == TypePicklist:
			merged[f.Name] = f.DefaultValue
		}
	}
}

// checkReferences verifies that the reference fields being written point at records that
// exist: owners must be active users; WhoId a contact (the sandbox has no leads); WhatId and
// AccountId an account (the sandbox has none, so any value fails like a dangling id).
func (c *CRM) checkReferences(tx *emu.Tx, o *Object, vals Values) *APIError {
	for _, f := range o.fields {
		id, ok := vals[f.Name].(string)
		if !ok || f.Type != TypeReference {
			continue
		}
		target := ""
		for _, to := range f.ReferenceTo {
			if keyPrefixOf(to) == id[:3] {
				target = to
			}
		}
		rec, found := tx.Get(target, id)
		if !found {
			// Salesforce: INVALID_CROSS_REFERENCE_KEY "invalid cross reference id" (message
			// without the field, confirmed third-party for lookups; fields UNCONFIRMED).
			return fieldError(CodeInvalidCrossReference, "invalid cross reference id")
		}
		if target == ObjectUser {
			if active, _ := rec.Fields["IsActive"].(bool); !active {
				// Confirmed (third-party DmlException text): "operation performed with inactive
				// user", empty fields.
				return fieldError(CodeInactiveOwner, "operation performed with inactive user")
			}
		}
	}
	return nil
}

// derive computes the fields Salesforce maintains itself and runs object rules: a contact's
// Name; a task's IsClosed and CompletedDateTime; an event's start, end and duration.
func derive(o *Object, m Values, now time.Time) *APIError {
	switch o.Name {
	case ObjectContact:
		first, _ := m["FirstName"].(string)
		last, _ := m["LastName"].(string)
		m["Name"] = strings.TrimSpace(first + " " + last)
	case ObjectTask:
		closed := m["Status"] == "Completed"
		m["IsClosed"] = closed
		if closed && m["CompletedDateTime"] == nil {
			m["CompletedDateTime"] = formatDateTime(now)
		} else if !closed {
			delete(m, "CompletedDateTime")
		}
	case ObjectEvent:
		return deriveEvent(m)
	}
	return nil
}

// maxEventMinutes is Salesforce's cap on an event's length (14 days).
const maxEventMinutes = 14 * 24 * 60

// deriveEvent checks and completes an event's timing. A timed event needs StartDateTime (or
// ActivityDateTime) and EndDateTime or DurationInMinutes; an all-day event needs
// ActivityDate (or StartDateTime). Messages for bad timing are UNCONFIRMED approximations;
// the missing-duration message is Salesforce's.
func deriveEvent(m Values) *APIError {
	start, _ := m["StartDateTime"].(string)
	if start == "" {
		start, _ = m["ActivityDateTime"].(string)
	}
	if allDay, _ := m["IsAllDayEvent"].(bool); allDay {
		day, _ := m["ActivityDate"].(string)
		if day == "" && start != "" {
			day = start[:10]
		}
		if day == "" {
			return fieldError(CodeRequiredFieldMissing, "Required fields are missing: [ActivityDate]", "ActivityDate")
		}
		dur, _ := m["DurationInMinutes"].(float64)
		if dur <= 0 {
			dur = 24 * 60
		}
		t, _ := time.Parse(time.DateOnly, day)
		m["ActivityDate"] = day
		m["StartDateTime"] = formatDateTime(t)
		m["ActivityDateTime"] = formatDateTime(t)
		m["EndDateTime"] = formatDateTime(t.Add(time.Duration(dur) * time.Minute))
		m["DurationInMinutes"] = dur
		return nil
	}
	if start == "" {
		return fieldError(CodeRequiredFieldMissing, "Required fields are missing: [StartDateTime]", "StartDateTime")
	}
	st, _ := parseDateTime(start)
	var minutes float64
	if end, _ := m["EndDateTime"].(string); end != "" {
		et, _ := parseDateTime(end)
		if et.Before(st) {
			return fieldError(CodeFieldIntegrity, "End Date Time: End time cannot be earlier than start time", "EndDateTime")
		}
		minutes = et.Sub(st).Minutes()
	} else if d, ok := m["DurationInMinutes"].(float64); ok {
		minutes = d
	} else {
		return fieldError(CodeRequiredFieldMissing, "Required fields are missing: [DurationInMinutes]", "DurationInMinutes")
	}
	if minutes < 0 || minutes > maxEventMinutes {
		return fieldError(CodeFieldIntegrity, "Event duration cannot be negative or longer than 14 days", "DurationInMinutes")
	}
	m["StartDateTime"] = formatDateTime(st)
	m["ActivityDateTime"] = formatDateTime(st)
	m["ActivityDate"] = st.UTC().Format(time.DateOnly)
	m["EndDateTime"] = formatDateTime(st.Add(time.Duration(minutes) * time.Minute))
	m["DurationInMinutes"] = minutes
	return nil
}

// duplicatesDetected builds the DUPLICATES_DETECTED error with its "duplicateResut" detail.
func duplicatesDetected(wc *writeCtx, matchID string) *APIError {
	msg := "Use one of these records?"
	return &APIError{
		Message:   msg,
		ErrorCode: CodeDuplicatesDetected,
		Fields:    []string{},
		DuplicateResult: &DuplicateResult{
			AllowSave:               wc.dupRule.AllowSave,
			DuplicateRule:           wc.dupRule.Name,
			DuplicateRuleEntityType: ObjectContact,
			ErrorMessage:            msg,
			MatchResults: []MatchResult{{
				EntityType:  ObjectContact,
				Errors:      []any{},
				MatchEngine: "FuzzyMatchEngine",
				MatchRecords: []MatchRecord{{
					AdditionalInformation: []any{},
					FieldDiffs:            []any{},
					MatchConfidence:       100,
					Record: map[string]any{
						"attributes": Attributes{Type: ObjectContact, URL: wc.call.dataPath("sobjects", ObjectContact, matchID)},
						"Id":         matchID,
					},
				}},
				Rule:    "Standard_Contact_Match_Rule_v1_1",
				Size:    1,
				Success: true,
			}},
		},
	}
}

// fieldPermissionKey is the hidden unique field that allows one FieldPermissions record
// per permission set and field.
const fieldPermissionKey = "_parent_field"

// checkFieldPermission validates a FieldPermissions record: Field names a custom field as
// "Object.Field__c" and SobjectType is its object ("Activity" fields may be granted as
// Task.X__c, Event.X__c or Activity.X__c; which form Salesforce expects is UNCONFIRMED).
// Standard fields need no grant in the sandbox. Messages UNCONFIRMED.
func checkFieldPermission(m Values, wc *writeCtx) *APIError {
	field, _ := m["Field"].(string)
	typ, _ := m["SobjectType"].(string)
	obj, _, ok := strings.Cut(field, ".")
	if !ok || !wc.custom[strings.ToLower(field)] {
		return fieldError(CodeFieldIntegrity, "Field Name: bad value for restricted picklist field: "+field, "Field")
	}
	if !strings.EqualFold(obj, typ) {
		return fieldError(CodeFieldIntegrity, "Object Type: does not match the field's object: "+typ, "SobjectType")
	}
	if m["PermissionsEdit"] == true && m["PermissionsRead"] != true {
		return fieldError(CodeFieldIntegrity, "Permission Edit depends on permission(s): Read", "PermissionsRead")
	}
	parent, _ := m["ParentId"].(string)
	m[fieldPermissionKey] = parent + "|" + strings.ToLower(field)
	return nil
}
