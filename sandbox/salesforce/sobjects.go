package salesforce

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// errRollback aborts a Store.Atomic so a failed single-record write leaves nothing behind.
var errRollback = errors.New("salesforce: record failed validation")

// decodeRecordBody reads a single-record JSON object body and decodes its fields.
func decodeRecordBody(r *http.Request, o *Object) (Values, *restError) {
	var raw map[string]json.RawMessage
	if e := readBody(r, &raw); e != nil {
		return nil, e
	}
	if _, ok := raw["Id"]; ok && r.Method == http.MethodPost {
		return nil, errBadRequest(CodeInvalidFieldForInsert, "Record ID: cannot specify Id in an insert call")
	}
	return decodeFields(o, raw)
}

// lookupObject resolves the {object} path segment, answering 404 NOT_FOUND when unknown.
func (c *CRM) lookupObject(w http.ResponseWriter, r *http.Request) (*Object, bool) {
	o, ok := c.object(r.PathValue("object"))
	if !ok {
		writeRESTError(w, errNotFound())
	}
	return o, ok
}

// handleCreate serves POST /sobjects/{object}: 201 {"id","success":true,"errors":[]}.
func (c *CRM) handleCreate(w http.ResponseWriter, r *http.Request, cl *call) {
	o, ok := c.lookupObject(w, r)
	if !ok {
		return
	}
	if !o.Createable {
		writeRESTError(w, errBadRequest("INVALID_TYPE_FOR_OPERATION", "entity type "+o.Name+" does not support create"))
		return
	}
	vals, e := decodeRecordBody(r, o)
	if e != nil {
		writeRESTError(w, e)
		return
	}
	wc := c.newWriteCtx(cl, r)
	var rec emu.Record
	var apiErr *APIError
	_ = c.env.Store.Atomic(func(tx *emu.Tx) error {
		rec, apiErr = c.save(tx, wc, o, vals, nil)
		if apiErr != nil {
			return errRollback
		}
		return nil
	})
	if apiErr != nil {
		writeRESTError(w, errRecord(apiErr))
		return
	}
	writeJSON(w, http.StatusCreated, SaveResult{ID: rec.ID, Success: true, Errors: []ItemError{}})
}

// recordID resolves the {id} segment to a record of o, answering 404 when it does not exist.
func (c *CRM) recordID(w http.ResponseWriter, o *Object, raw string) (emu.Record, bool) {
	id, ok := checkIDPrefix(raw, o.KeyPrefix)
	if !ok {
		if _, isID := NormalizeID(raw); !isID {
			// Salesforce reads a non-id segment as an external id field name.
			writeRESTError(w, errExternalIDFieldNotFound(raw))
			return emu.Record{}, false
		}
		writeRESTError(w, errNotFound())
		return emu.Record{}, false
	}
	rec, found := c.env.Store.Get(o.Name, id)
	if !found {
		writeRESTError(w, errNotFound())
	}
	return rec, found
}

// handleGet serves GET /sobjects/{object}/{id}[?fields=a,b].
func (c *CRM) handleGet(w http.ResponseWriter, r *http.Request, cl *call) {
	o, ok := c.lookupObject(w, r)
	if !ok {
		return
	}
	fields, e := selectFields(o, r.URL.Query().Get("fields"))
	if e != nil {
		writeRESTError(w, e)
		return
	}
	rec, ok := c.recordID(w, o, r.PathValue("id"))
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, renderRecord(o, cl, rec, fields))
}

// handleUpdate serves PATCH /sobjects/{object}/{id}: 204 with no body.
func (c *CRM) handleUpdate(w http.ResponseWriter, r *http.Request, cl *call) {
	o, ok := c.lookupObject(w, r)
	if !ok {
		return
	}
	vals, e := decodeRecordBody(r, o)
	if e != nil {
		writeRESTError(w, e)
		return
	}
	existing, ok := c.recordID(w, o, r.PathValue("id"))
	if !ok {
		return
	}
	wc := c.newWriteCtx(cl, r)
	var apiErr *APIError
	_ = c.env.Store.Atomic(func(tx *emu.Tx) error {
		cur, found := tx.Get(o.Name, existing.ID)
		if !found {
			apiErr = fieldError("ENTITY_IS_DELETED", "entity is deleted")
			return errRollback
		}
		_, apiErr = c.save(tx, wc, o, vals, &cur)
		if apiErr != nil {
			return errRollback
		}
		return nil
	})
	if apiErr != nil {
		writeRESTError(w, errRecord(apiErr))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// externalIDField resolves the {field} segment of an external-id resource: an External ID
// field of o, or Id. Anything else is 404 NOT_FOUND.
func externalIDField(o *Object, name string) (*Field, *restError) {
	f := o.Field(name)
	if f == nil || !(f.ExternalID || f.Name == "Id") {
		return nil, errExternalIDFieldNotFound(name)
	}
	return f, nil
}

// lookupExternalIDField resolves the {object} and {field} segments of an external-id
// resource, answering 404 NOT_FOUND when either is unknown.
func (c *CRM) lookupExternalIDField(w http.ResponseWriter, r *http.Request) (*Object, *Field, bool) {
	o, ok := c.lookupObject(w, r)
	if !ok {
		return nil, nil, false
	}
	f, e := externalIDField(o, r.PathValue("field"))
	if e != nil {
		writeRESTError(w, e)
		return nil, nil, false
	}
	return o, f, true
}

// matchesByExternalID returns the ids of records whose field holds value (through the
// field's index; ids through the id map).
func (c *CRM) matchesByExternalID(o *Object, f *Field, value string) []string {
	if f.Name == "Id" {
		id, ok := checkIDPrefix(value, o.KeyPrefix)
		if !ok {
			return nil
		}
		if _, found := c.env.Store.Get(o.Name, id); found {
			return []string{id}
		}
		return nil
	}
	var ids []string
	for _, rec := range c.env.Store.FindAll(o.Name, f.Name, value) {
		ids = append(ids, rec.ID)
	}
	return ids
}

// writeMultipleChoices answers 300 with the URLs of the records sharing an external id
// value (body shape: a JSON array of record URLs, UNCONFIRMED).
func writeMultipleChoices(w http.ResponseWriter, cl *call, o *Object, ids []string) {
	urls := make([]string, len(ids))
	for i, id := range ids {
		urls[i] = cl.dataPath("sobjects", o.Name, id)
	}
	writeJSON(w, http.StatusMultipleChoices, urls)
}

// handleGetByExternalID serves GET /sobjects/{object}/{field}/{value}.
func (c *CRM) handleGetByExternalID(w http.ResponseWriter, r *http.Request, cl *call) {
	o, f, ok := c.lookupExternalIDField(w, r)
	if !ok {
		return
	}
	fields, e := selectFields(o, r.URL.Query().Get("fields"))
	if e != nil {
		writeRESTError(w, e)
		return
	}
	ids := c.matchesByExternalID(o, f, r.PathValue("value"))
	switch len(ids) {
	case 0:
		writeRESTError(w, errNotFound())
	case 1:
		rec, _ := c.env.Store.Get(o.Name, ids[0])
		writeJSON(w, http.StatusOK, renderRecord(o, cl, rec, fields))
	default:
		writeMultipleChoices(w, cl, o, ids)
	}
}

// handleUpsert serves PATCH /sobjects/{object}/{field}/{value}: 201 created, 200 updated
// ({"id","success","errors","created"}; API 46.0+), 204 updated on API 45.0 and earlier,
// 300 when the value matches several records, 404 with ?updateOnly=true and no match.
func (c *CRM) handleUpsert(w http.ResponseWriter, r *http.Request, cl *call) {
	o, f, ok := c.lookupExternalIDField(w, r)
	if !ok {
		return
	}
	value := r.PathValue("value")
	vals, e := decodeRecordBody(r, o)
	if e != nil {
		writeRESTError(w, e)
		return
	}
	if v, ok := vals[f.Name]; ok {
		// The body must not carry the external id with another value (UNCONFIRMED wording).
		if s, _ := v.(string); !strings.EqualFold(s, value) {
			writeRESTError(w, errBadRequest(CodeInvalidField,
				"The value of the external ID field in the URL does not match the value in the request body"))
			return
		}
		delete(vals, f.Name)
	}
	if ids := c.matchesByExternalID(o, f, value); len(ids) > 1 {
		writeMultipleChoices(w, cl, o, ids)
		return
	}
	updateOnly := r.URL.Query().Get("updateOnly") == "true"
	wc := c.newWriteCtx(cl, r)
	var rec emu.Record
	var created, missing bool
	var apiErr *APIError
	_ = c.env.Store.Atomic(func(tx *emu.Tx) error {
		existing, found := c.findForUpsert(tx, o, f, value)
		switch {
		case found:
			rec, apiErr = c.save(tx, wc, o, vals, &existing)
		case updateOnly || f.Name == "Id":
			missing = true
			return errRollback
		default:
			created = true
			vals[f.Name] = value
			if e := checkValues(o, Values{f.Name: value}); e != nil {
				apiErr = e
				return errRollback
			}
			rec, apiErr = c.save(tx, wc, o, vals, nil)
		}
		if apiErr != nil {
			return errRollback
		}
		return nil
	})
	switch {
	case missing:
		writeRESTError(w, errNotFound())
	case apiErr != nil:
		writeRESTError(w, errRecord(apiErr))
	case created && cl.vnum < 46:
		writeJSON(w, http.StatusCreated, SaveResult{ID: rec.ID, Success: true, Errors: []ItemError{}})
	case created:
		writeJSON(w, http.StatusCreated, UpsertResult{ID: rec.ID, Success: true, Errors: []ItemError{}, Created: &created})
	case cl.vnum < 46:
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusOK, UpsertResult{ID: rec.ID, Success: true, Errors: []ItemError{}, Created: &created})
	}
}

// findForUpsert finds the record an upsert updates, under the store lock.
func (c *CRM) findForUpsert(tx *emu.Tx, o *Object, f *Field, value string) (emu.Record, bool) {
	if f.Name == "Id" {
		id, ok := checkIDPrefix(value, o.KeyPrefix)
		if !ok {
			return emu.Record{}, false
		}
		return tx.Get(o.Name, id)
	}
	return tx.FindUnique(o.Name, f.Name, value)
}
