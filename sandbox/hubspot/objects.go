package hubspot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// maxBatchInputs is HubSpot's batch size limit (crm-api-facts §2.2).
const maxBatchInputs = 100

// simpleObject is HubSpot's SimplePublicObject, with the batch extras.
type simpleObject struct {
	ID                 string                     `json:"id"`
	Properties         map[string]*string         `json:"properties"`
	CreatedAt          string                     `json:"createdAt"`
	UpdatedAt          string                     `json:"updatedAt"`
	Archived           bool                       `json:"archived"`
	Associations       map[string]associationList `json:"associations,omitempty"`
	New                *bool                      `json:"new,omitempty"`
	ObjectWriteTraceID string                     `json:"objectWriteTraceId,omitempty"`
}

type associationList struct {
	Results []associationRef `json:"results"`
}

type associationRef struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// assocType is a HUBSPOT_DEFINED association type between a contact and an
// engagement (crm-api-facts §2.4). Links are stored on the engagement,
// typed with the engagement → contact id.
type assocType struct {
	id       int
	from, to string
	name     string
}

var assocTypes = []assocType{
	{193, "contacts", "calls", "contact_to_call"}, {194, "calls", "contacts", "call_to_contact"},
	{197, "contacts", "emails", "contact_to_email"}, {198, "emails", "contacts", "email_to_contact"},
	{199, "contacts", "meetings", "contact_to_meeting_event"}, {200, "meetings", "contacts", "meeting_event_to_contact"},
	{201, "contacts", "notes", "contact_to_note"}, {202, "notes", "contacts", "note_to_contact"},
}

func findAssocType(match func(assocType) bool) (assocType, bool) {
	i := slices.IndexFunc(assocTypes, match)
	if i < 0 {
		return assocType{}, false
	}
	return assocTypes[i], true
}

// flexString accepts a JSON string or number (HubSpot ids come both ways).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("expected a string or number, got %s", b)
	}
	*f = flexString(n.String())
	return nil
}

// associationInput is one inline association of a create.
type associationInput struct {
	To struct {
		ID flexString `json:"id"`
	} `json:"to"`
	Types []struct {
		AssociationCategory string `json:"associationCategory"`
		AssociationTypeID   int    `json:"associationTypeId"`
	} `json:"types"`
}

// writeInput is one input of a create, batch create or batch upsert.
type writeInput struct {
	IDProperty         string             `json:"idProperty"`
	ID                 flexString         `json:"id"`
	Properties         map[string]any     `json:"properties"`
	Associations       []associationInput `json:"associations"`
	ObjectWriteTraceID string             `json:"objectWriteTraceId"`
}

// pendingLink is a validated association to write with the record: from
// the engagement side to the contact.
type pendingLink struct {
	engagementIsNew bool   // the new record is the engagement (else the contact)
	otherObject     string // the existing record's object
	otherID         string
	typeID          int // engagement → contact type id
}

// prepared is an input after validation.
type prepared struct {
	in     writeInput
	values map[string]any
	links  []pendingLink
	err    *httpError
}

type writeMode int

const (
	modeCreate writeMode = iota
	modeUpsert
	modeUpdate
)

func (c *CRM) objectType(w http.ResponseWriter, r *http.Request) (*objectType, bool) {
	ot, ok := lookupObjectType(r.PathValue("objectType"))
	if !ok {
		writeHTTPError(w, newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR", "Unable to infer object type from: "+r.PathValue("objectType")))
	}
	return ot, ok
}

// prepare validates one input's properties (looked up in fields, the
// request's memo of ot's definitions) and associations.
func (c *CRM) prepare(fields *fieldMemo, ot *objectType, in writeInput, mode writeMode) prepared {
	p := prepared{in: in}
	raw := in.Properties
	if mode == modeUpsert {
		raw = maps.Clone(raw)
		if raw == nil {
			raw = map[string]any{}
		}
		raw[in.IDProperty] = string(in.ID)
	}
	var issues []propertyIssue
	p.values, issues = c.checkValues(fields, ot, raw, mode == modeCreate)
	if len(issues) > 0 {
		p.err = validationError(issues)
		return p
	}
	p.links, p.err = c.resolveAssociations(ot, in.Associations)
	return p
}

// resolveAssociations checks inline associations: HUBSPOT_DEFINED types
// between contacts and engagements, from this object type, to a record that
// exists. The error wording is UNCONFIRMED.
func (c *CRM) resolveAssociations(ot *objectType, in []associationInput) ([]pendingLink, *httpError) {
	var links []pendingLink
	for _, a := range in {
		toID := string(a.To.ID)
		for _, t := range a.Types {
			at, ok := findAssocType(func(x assocType) bool { return x.id == t.AssociationTypeID })
			if !ok || (t.AssociationCategory != "" && t.AssociationCategory != "HUBSPOT_DEFINED") {
				e := newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("One or more associations are invalid: association type %d (%s) does not exist", t.AssociationTypeID, t.AssociationCategory))
				return nil, e
			}
			if at.from != ot.name {
				from, _ := lookupObjectType(at.from)
				return nil, newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("invalid from object type %s for associations to be created. expected: %s", ot.typeID, from.typeID))
			}
			if _, exists := c.env.Store.Get(at.to, toID); !exists {
				e := newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("One or more associations are invalid: no %s with id %s", at.to, toID))
				e.body.Context = map[string][]string{"toObjectId": {toID}}
				return nil, e
			}
			l := pendingLink{engagementIsNew: at.to == "contacts", otherObject: at.to, otherID: toID, typeID: at.id}
			if !l.engagementIsNew {
				inv, _ := findAssocType(func(x assocType) bool { return x.from == at.to && x.to == at.from })
				l.typeID = inv.id
			}
			links = append(links, l)
		}
	}
	return links, nil
}

// apply writes one prepared input inside a transaction.
func (c *CRM) apply(tx *emu.Tx, ot *objectType, p prepared, mode writeMode, required []string) (emu.Record, bool, *httpError) {
	var (
		rec   emu.Record
		isNew = true
		err   error
	)
	if mode == modeUpdate {
		existing, found := tx.Get(ot.name, string(p.in.ID))
		if p.in.IDProperty != "" && p.in.IDProperty != "hs_object_id" {
			existing, found = tx.FindUnique(ot.name, p.in.IDProperty, string(p.in.ID))
		}
		if !found {
			return rec, false, notFoundObject(string(p.in.ID))
		}
		isNew = false
		rec, err = tx.Patch(ot.name, existing.ID, p.values)
	}
	if mode == modeUpsert {
		existing, found := tx.FindUnique(ot.name, p.in.IDProperty, p.values[p.in.IDProperty])
		if found {
			isNew = false
			rec, err = tx.Patch(ot.name, existing.ID, p.values)
		} else if issues := missingRequired(required, p.values); len(issues) > 0 {
			return rec, false, validationError(issues)
		}
	}
	if isNew && mode != modeUpdate {
		rec, err = tx.Create(ot.name, p.values)
	}
	if ue, ok := errors.AsType[*emu.UniqueError](err); ok {
		return rec, false, conflictError(ot, ue)
	} else if err != nil {
		return rec, false, newHTTPError(http.StatusInternalServerError, "", err.Error())
	}
	for _, l := range p.links {
		if _, ok := tx.Get(l.otherObject, l.otherID); !ok {
			return rec, false, newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("One or more associations are invalid: no %s with id %s", l.otherObject, l.otherID))
		}
		from, fromID, to, toID := ot.name, rec.ID, l.otherObject, l.otherID
		if !l.engagementIsNew {
			from, fromID, to, toID = l.otherObject, l.otherID, ot.name, rec.ID
		}
		if err := tx.Link(from, fromID, emu.Link{Object: to, ID: toID, Type: strconv.Itoa(l.typeID)}); err != nil {
			return rec, false, newHTTPError(http.StatusInternalServerError, "", err.Error())
		}
	}
	if len(p.links) > 0 {
		rec, _ = tx.Get(ot.name, rec.ID)
	}
	return rec, isNew, nil
}

func missingRequired(required []string, values map[string]any) []propertyIssue {
	var issues []propertyIssue
	for _, name := range required {
		if s, _ := values[name].(string); s == "" {
			issues = append(issues, propertyIssue{name, codeRequired, fmt.Sprintf("Property %q is required", name)})
		}
	}
	return issues
}

// conflictError is HubSpot's 409 for a unique-value clash. The email text
// is the widely recorded "Contact already exists. Existing ID: N" with
// category CONFLICT (crm-api-facts §2.6 says OBJECT_ALREADY_EXISTS, but
// recorded responses and client code key on CONFLICT). The wording for
// other unique properties is UNCONFIRMED; it keeps "Existing ID: N" so
// clients that parse it find the record.
func conflictError(ot *objectType, ue *emu.UniqueError) *httpError {
	msg := fmt.Sprintf("Contact already exists. Existing ID: %s", ue.ExistingID)
	if !(ot.name == "contacts" && ue.Field == "email") {
		msg = fmt.Sprintf("A %s with the unique value %q for property %q already exists. Existing ID: %s", ot.singular, ue.Value, ue.Field, ue.ExistingID)
	}
	return newHTTPError(http.StatusConflict, "CONFLICT", msg)
}

// view renders a record. names nil means every stored property (and reads
// nothing from the store, so it is safe inside Atomic); otherwise those
// named (unset ones as null, unknown ones left out). hs_object_id and the
// create/modify dates always come back.
func (c *CRM) view(ot *objectType, rec emu.Record, names []string) simpleObject {
	props := map[string]*string{}
	computed := map[string]string{
		"hs_object_id": rec.ID,
		ot.created:     propertyTime(rec.CreatedAt),
		ot.modified:    propertyTime(rec.UpdatedAt),
	}
	if names == nil {
		for k := range rec.Fields {
			v := rec.String(k)
			props[k] = &v
		}
	} else {
		for _, n := range names {
			if f, ok := c.env.Store.Field(ot.name, n); !ok || f.Archived {
				continue
			}
			if _, ok := rec.Fields[n]; ok {
				v := rec.String(n)
				props[n] = &v
			} else {
				props[n] = nil
			}
		}
	}
	for k, v := range computed {
		props[k] = &v
	}
	return simpleObject{ID: rec.ID, Properties: props, CreatedAt: apiTime(rec.CreatedAt), UpdatedAt: apiTime(rec.UpdatedAt)}
}

// withAssociations adds the ?associations= lists to a rendered record.
func (c *CRM) withAssociations(ot *objectType, obj *simpleObject, rec emu.Record, targets []string) {
	for _, t := range targets {
		tt, ok := lookupObjectType(t)
		if !ok {
			continue
		}
		at, ok := findAssocType(func(x assocType) bool { return x.from == ot.name && x.to == tt.name })
		if !ok {
			continue
		}
		refs := []associationRef{}
		if ot.name == "contacts" {
			for _, l := range c.env.Store.LinkedFrom(ot.name, rec.ID) {
				if l.Object == tt.name {
					refs = append(refs, associationRef{ID: l.ID, Type: at.name})
				}
			}
		} else {
			for _, l := range rec.Links {
				if l.Object == tt.name {
					refs = append(refs, associationRef{ID: l.ID, Type: at.name})
				}
			}
		}
		if len(refs) > 0 {
			if obj.Associations == nil {
				obj.Associations = map[string]associationList{}
			}
			obj.Associations[tt.name] = associationList{Results: refs}
		}
	}
}

// listParam reads a comma-separated, possibly repeated query parameter.
func listParam(r *http.Request, name string) []string {
	vals, ok := r.URL.Query()[name]
	if !ok {
		return nil
	}
	out := []string{}
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func (c *CRM) handleObjectCreate(w http.ResponseWriter, r *http.Request, _ emu.Token) {
	ot, ok := c.objectType(w, r)
	if !ok {
		return
	}
	var in writeInput
	if err := emu.DecodeJSON(r, &in); err != nil {
		writeHTTPError(w, invalidInput(err.Error()))
		return
	}
	p := c.prepare(newFieldMemo(c.env.Store, ot), ot, writeInput{Properties: in.Properties, Associations: in.Associations}, modeCreate)
	if p.err != nil {
		writeHTTPError(w, p.err)
		return
	}
	var rec emu.Record
	err := c.env.Store.Atomic(func(tx *emu.Tx) error {
		var e *httpError
		if rec, _, e = c.apply(tx, ot, p, modeCreate, nil); e != nil {
			return e
		}
		return nil
	})
	if e, ok := errors.AsType[*httpError](err); ok {
		writeHTTPError(w, e)
		return
	}
	emu.WriteJSON(w, http.StatusCreated, c.view(ot, rec, nil))
}

// findRecord resolves {objectId}, by id or by a unique idProperty.
func (c *CRM) findRecord(ot *objectType, id, idProperty string) (emu.Record, *httpError) {
	if idProperty == "" || idProperty == "hs_object_id" {
		rec, ok := c.env.Store.Get(ot.name, id)
		if !ok {
			return rec, notFoundObject(id)
		}
		return rec, nil
	}
	if e := c.checkIDProperty(ot, idProperty); e != nil {
		return emu.Record{}, e
	}
	if idProperty == "email" {
		id = strings.ToLower(id)
	}
	rec, ok := c.env.Store.FindUnique(ot.name, idProperty, id)
	if !ok {
		return rec, newHTTPError(http.StatusNotFound, "", "resource not found")
	}
	return rec, nil
}

// checkIDProperty rejects an idProperty that is not a unique property
// (crm-api-facts §2.2, recorded message).
func (c *CRM) checkIDProperty(ot *objectType, name string) *httpError {
	f, ok := c.env.Store.Field(ot.name, name)
	if !ok || f.Archived {
		return validationError([]propertyIssue{{name, codeUnknownProperty, fmt.Sprintf("Property %q does not exist", name)}})
	}
	if !f.Unique {
		return newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("Unable to perform update/upsert by non-unique %s property %s", ot.typeID, name))
	}
	return nil
}

func (c *CRM) handleObjectShow(w http.ResponseWriter, r *http.Request, _ emu.Token) {
	ot, ok := c.objectType(w, r)
	if !ok {
		return
	}
	rec, e := c.findRecord(ot, r.PathValue("objectId"), r.URL.Query().Get("idProperty"))
	if e != nil {
		writeHTTPError(w, e)
		return
	}
	if r.URL.Query().Get("archived") == "true" { // records are never archived here
		writeHTTPError(w, notFoundObject(r.PathValue("objectId")))
		return
	}
	names := listParam(r, "properties")
	if names == nil {
		names = ot.defaults
	}
	obj := c.view(ot, rec, names)
	c.withAssociations(ot, &obj, rec, listParam(r, "associations"))
	emu.WriteJSON(w, http.StatusOK, obj)
}

func (c *CRM) handleObjectUpdate(w http.ResponseWriter, r *http.Request, _ emu.Token) {
	ot, ok := c.objectType(w, r)
	if !ok {
		return
	}
	var in writeInput
	if err := emu.DecodeJSON(r, &in); err != nil {
		writeHTTPError(w, invalidInput(err.Error()))
		return
	}
	rec, e := c.findRecord(ot, r.PathValue("objectId"), r.URL.Query().Get("idProperty"))
	if e != nil {
		writeHTTPError(w, e)
		return
	}
	values, issues := c.checkValues(newFieldMemo(c.env.Store, ot), ot, in.Properties, false)
	if len(issues) > 0 {
		writeHTTPError(w, validationError(issues))
		return
	}
	rec, err := c.env.Store.Patch(ot.name, rec.ID, values)
	if ue, ok := errors.AsType[*emu.UniqueError](err); ok {
		writeHTTPError(w, conflictError(ot, ue))
		return
	} else if err != nil {
		writeHTTPError(w, notFoundObject(r.PathValue("objectId")))
		return
	}
	emu.WriteJSON(w, http.StatusOK, c.view(ot, rec, nil))
}

// handleObjectList serves GET /crm/v3/objects/{type}: limit (default 10,
// max 100) and the after cursor (an offset here).
func (c *CRM) handleObjectList(w http.ResponseWriter, r *http.Request, _ emu.Token) {
	ot, ok := c.objectType(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	limit, offset := 10, 0
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			writeHTTPError(w, newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR", "limit must be between 1 and 100"))
			return
		}
		limit = n
	}
	if s := q.Get("after"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			writeHTTPError(w, newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR", "after is not a valid paging cursor"))
			return
		}
		offset = n
	}
	names := listParam(r, "properties")
	if names == nil {
		names = ot.defaults
	}
	recs, total := c.env.Store.List(ot.name, offset, limit)
	results := make([]simpleObject, 0, len(recs))
	for _, rec := range recs {
		obj := c.view(ot, rec, names)
		c.withAssociations(ot, &obj, rec, listParam(r, "associations"))
		results = append(results, obj)
	}
	body := pageOf[simpleObject]{Results: results}
	if next := offset + len(recs); next < total {
		after := strconv.Itoa(next)
		body.Paging = nextPage(after, emu.BaseURL(r)+r.URL.Path+"?after="+after)
	}
	emu.WriteJSON(w, http.StatusOK, body)
}

// paging is the next-page pointer of list answers.
type paging struct {
	Next struct {
		After string `json:"after"`
		Link  string `json:"link,omitempty"`
	} `json:"next"`
}

// pageOf is a list answer: results, then paging when there is more.
type pageOf[T any] struct {
	Total   *int    `json:"total,omitempty"`
	Results []T     `json:"results"`
	Paging  *paging `json:"paging,omitempty"`
}

func nextPage(after, link string) *paging {
	p := &paging{}
	p.Next.After, p.Next.Link = after, link
	return p
}

// batchError is one entry of a multi-status errors[] (crm-api-facts §2.2).
type batchError struct {
	Status      string              `json:"status"`
	Category    string              `json:"category"`
	SubCategory string              `json:"subCategory,omitempty"`
	Message     string              `json:"message"`
	Context     map[string][]string `json:"context"`
	Errors      []errorDetail       `json:"errors,omitempty"`
}

// batchResponse is the batch endpoints' body.
type batchResponse struct {
	Status      string         `json:"status"`
	Results     []simpleObject `json:"results"`
	NumErrors   int            `json:"numErrors,omitempty"`
	Errors      []batchError   `json:"errors,omitempty"`
	StartedAt   string         `json:"startedAt"`
	CompletedAt string         `json:"completedAt"`
}

type batchInputs struct {
	Inputs []writeInput `json:"inputs"`
}

// batchSizeError is the 400 for a batch of n inputs when n is outside
// 1..maxBatchInputs, else nil. Over 100 inputs is a 400 (third-party live
// probe); wording UNCONFIRMED.
func batchSizeError(n int) *httpError {
	if n == 0 || n > maxBatchInputs {
		return newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("Batch input size must be between 1 and %d, got %d", maxBatchInputs, n))
	}
	return nil
}

// decodeBatch resolves the {objectType} of a batch write and decodes its
// inputs, answering the error itself and reporting false when either fails.
func (c *CRM) decodeBatch(w http.ResponseWriter, r *http.Request) (*objectType, []writeInput, bool) {
	ot, ok := c.objectType(w, r)
	if !ok {
		return nil, nil, false
	}
	var body batchInputs
	if err := emu.DecodeJSON(r, &body); err != nil {
		writeHTTPError(w, invalidInput(err.Error()))
		return nil, nil, false
	}
	if e := batchSizeError(len(body.Inputs)); e != nil {
		writeHTTPError(w, e)
		return nil, nil, false
	}
	return ot, body.Inputs, true
}

func (c *CRM) handleBatchCreate(w http.ResponseWriter, r *http.Request, _ emu.Token) {
	ot, inputs, ok := c.decodeBatch(w, r)
	if !ok {
		return
	}
	c.writeBatch(w, ot, inputs, modeCreate, http.StatusCreated)
}

// handleBatchUpdate serves POST /crm/v3/objects/{type}/batch/update: inputs
// by id (or a unique idProperty); a missing record is that input's error.
func (c *CRM) handleBatchUpdate(w http.ResponseWriter, r *http.Request, _ emu.Token) {
	ot, inputs, ok := c.decodeBatch(w, r)
	if !ok {
		return
	}
	for _, in := range inputs {
		if in.ID == "" {
			writeHTTPError(w, invalidInput("every update input needs an id"))
			return
		}
		if in.IDProperty != "" && in.IDProperty != "hs_object_id" {
			if e := c.checkIDProperty(ot, in.IDProperty); e != nil {
				writeHTTPError(w, e)
				return
			}
		}
	}
	c.writeBatch(w, ot, inputs, modeUpdate, http.StatusOK)
}

// handleBatchUpsert serves POST /crm/v3/objects/{type}/batch/upsert
// (crm-api-facts §2.2): idProperty must be a unique property; duplicate ids
// are a whole-batch 400 even with trace ids; without an objectWriteTraceId
// on every input, one bad input fails the batch with 400 and nothing is
// written; with them, good inputs are written and the answer is 207.
func (c *CRM) handleBatchUpsert(w http.ResponseWriter, r *http.Request, _ emu.Token) {
	ot, inputs, ok := c.decodeBatch(w, r)
	if !ok {
		return
	}
	seen := map[string]bool{}
	var dups []string
	for _, in := range inputs {
		if in.IDProperty == "" || in.ID == "" {
			writeHTTPError(w, invalidInput("every upsert input needs idProperty and id"))
			return
		}
		if e := c.checkIDProperty(ot, in.IDProperty); e != nil {
			writeHTTPError(w, e)
			return
		}
		key := in.IDProperty + "\x00" + string(in.ID)
		if f, _ := c.env.Store.Field(ot.name, in.IDProperty); f.CaseInsensitive {
			key = strings.ToLower(key)
		}
		if seen[key] && !slices.Contains(dups, string(in.ID)) {
			dups = append(dups, string(in.ID))
		}
		seen[key] = true
	}
	if len(dups) > 0 {
		e := newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("Duplicate IDs found in batch input: [%s]. IDs must be unique", strings.Join(dups, ", ")))
		e.body.Context = map[string][]string{"ids": dups}
		writeHTTPError(w, e)
		return
	}
	c.writeBatch(w, ot, inputs, modeUpsert, http.StatusOK)
}

// writeBatch validates and writes inputs all-or-nothing, or with
// multi-status when every input carries an objectWriteTraceId (not for
// upserts by email, which HubSpot does not allow to partially succeed).
func (c *CRM) writeBatch(w http.ResponseWriter, ot *objectType, inputs []writeInput, mode writeMode, okStatus int) {
	started := c.env.Now()
	partial := !slices.ContainsFunc(inputs, func(in writeInput) bool {
		return in.ObjectWriteTraceID == "" || (mode == modeUpsert && in.IDProperty == "email")
	})
	required := c.env.Store.RequiredFields(ot.name)
	preps := make([]prepared, len(inputs))
	fields := newFieldMemo(c.env.Store, ot)
	for i, in := range inputs {
		preps[i] = c.prepare(fields, ot, in, mode)
		if preps[i].err != nil && !partial {
			writeHTTPError(w, preps[i].err)
			return
		}
	}
	var (
		results []simpleObject
		errs    []batchError
	)
	err := c.env.Store.Atomic(func(tx *emu.Tx) error {
		for _, p := range preps {
			var (
				rec   emu.Record
				isNew bool
			)
			if p.err == nil {
				rec, isNew, p.err = c.apply(tx, ot, p, mode, required)
			}
			if p.err != nil {
				if !partial {
					return p.err
				}
				errs = append(errs, toBatchError(p.err, p.in.ObjectWriteTraceID))
				continue
			}
			results = append(results, c.batchResult(ot, rec, isNew, mode, p.in))
		}
		return nil
	})
	if e, ok := errors.AsType[*httpError](err); ok {
		writeHTTPError(w, e)
		return
	}
	// HubSpot does not keep input order in results (crm-api-facts §2.2,
	// live probe); the sandbox reverses it so no client can rely on it.
	slices.Reverse(results)
	if results == nil {
		results = []simpleObject{}
	}
	body := batchResponse{Status: "COMPLETE", Results: results, StartedAt: apiTime(started), CompletedAt: apiTime(c.env.Now())}
	status := okStatus
	if len(errs) > 0 {
		body.NumErrors, body.Errors, status = len(errs), errs, http.StatusMultiStatus
	}
	emu.WriteJSON(w, status, body)
}

// batchResult renders one written record of a batch. It runs inside
// Atomic, which is fine because view with nil names does not read the store.
func (c *CRM) batchResult(ot *objectType, rec emu.Record, isNew bool, mode writeMode, in writeInput) simpleObject {
	obj := c.view(ot, rec, nil)
	obj.ObjectWriteTraceID = in.ObjectWriteTraceID
	if mode == modeUpsert {
		obj.New = &isNew
	}
	return obj
}

func toBatchError(e *httpError, traceID string) batchError {
	ctx := maps.Clone(e.body.Context)
	if ctx == nil {
		ctx = map[string][]string{}
	}
	ctx["objectWriteTraceId"] = []string{traceID}
	cat := e.body.Category
	if cat == "" {
		cat = "VALIDATION_ERROR"
	}
	return batchError{Status: "error", Category: cat, SubCategory: e.body.SubCategory, Message: e.body.Message, Context: ctx, Errors: e.body.Errors}
}

// batchReadBody is POST /crm/v3/objects/{type}/batch/read.
type batchReadBody struct {
	Inputs []struct {
		ID flexString `json:"id"`
	} `json:"inputs"`
	Properties []string `json:"properties"`
	IDProperty string   `json:"idProperty"`
}

// handleBatchRead answers found records; missing ids give a 207 with
// HubSpot's OBJECT_NOT_FOUND error listing them.
func (c *CRM) handleBatchRead(w http.ResponseWriter, r *http.Request, _ emu.Token) {
	ot, ok := c.objectType(w, r)
	if !ok {
		return
	}
	started := c.env.Now()
	var body batchReadBody
	if err := emu.DecodeJSON(r, &body); err != nil {
		writeHTTPError(w, invalidInput(err.Error()))
		return
	}
	if e := batchSizeError(len(body.Inputs)); e != nil {
		writeHTTPError(w, e)
		return
	}
	names := body.Properties
	if len(names) == 0 {
		names = ot.defaults
	}
	results := []simpleObject{}
	var missing []string
	for _, in := range body.Inputs {
		rec, e := c.findRecord(ot, string(in.ID), body.IDProperty)
		if e != nil {
			if e.status != http.StatusNotFound {
				writeHTTPError(w, e)
				return
			}
			missing = append(missing, string(in.ID))
			continue
		}
		results = append(results, c.view(ot, rec, names))
	}
	resp := batchResponse{Status: "COMPLETE", Results: results, StartedAt: apiTime(started), CompletedAt: apiTime(c.env.Now())}
	status := http.StatusOK
	if len(missing) > 0 {
		status = http.StatusMultiStatus
		resp.NumErrors = 1
		resp.Errors = []batchError{{
			Status: "error", Category: "OBJECT_NOT_FOUND",
			Message: fmt.Sprintf("Could not get some %s objects, they may be deleted or not exist. Check that ids are valid.", strings.ToUpper(ot.singular)),
			Context: map[string][]string{"ids": missing},
		}}
	}
	emu.WriteJSON(w, status, resp)
}
