package salesforce

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// MaxCollectionRecords is the sObject Collections cap per request.
const MaxCollectionRecords = 200

// collectionBody is a decoded sObject Collections request.
type collectionBody struct {
	AllOrNone bool                         `json:"allOrNone"`
	Records   []map[string]json.RawMessage `json:"records"`
}

// readCollection reads and checks the request envelope: at most 200 records (more is the
// whole-call 400 EXCEEDED_ID_LIMIT, text confirmed third-party), each with attributes.type.
func readCollection(r *http.Request) (*collectionBody, []string, *restError) {
	var body collectionBody
	if e := readBody(r, &body); e != nil {
		return nil, nil, e
	}
	if len(body.Records) > MaxCollectionRecords {
		return nil, nil, errBadRequest(CodeExceededIDLimit, "record limit reached. cannot submit more than 200 records into this call")
	}
	types := make([]string, len(body.Records))
	for i, rec := range body.Records {
		var attrs Attributes
		if raw, ok := rec["attributes"]; ok {
			_ = json.Unmarshal(raw, &attrs)
		}
		if attrs.Type == "" {
			// Whole-call failure; code and text UNCONFIRMED.
			return nil, nil, errBadRequest("INVALID_TYPE", "sObject type must be specified in the attributes of each record")
		}
		types[i] = attrs.Type
	}
	return &body, types, nil
}

// collectionRun runs a batch of per-record writes in one store transaction. Each write
// returns its record error (nil on success). With allOrNone, one failure undoes every write
// and the records that were fine report ALL_OR_NONE_OPERATION_ROLLED_BACK.
func (c *CRM) collectionRun(n int, allOrNone bool, pre []*APIError, write func(tx *emu.Tx, i int) (emu.Record, bool, *APIError)) ([]emu.Record, []bool, []*APIError) {
	recs := make([]emu.Record, n)
	created := make([]bool, n)
	errs := make([]*APIError, n)
	copy(errs, pre)
	_ = c.env.Store.Atomic(func(tx *emu.Tx) error {
		failed := false
		for i := range n {
			if errs[i] != nil {
				failed = true
				continue
			}
			recs[i], created[i], errs[i] = write(tx, i)
			failed = failed || errs[i] != nil
		}
		if allOrNone && failed {
			for i := range errs {
				if errs[i] == nil {
					errs[i] = fieldError(CodeAllOrNoneRolledBack,
						"Record rolled back because not all records were valid and the request was using AllOrNone header")
				}
			}
			return errRollback
		}
		return nil
	})
	return recs, created, errs
}

// handleCollectionUpsert serves PATCH /composite/sobjects/{object}/{field}: up to 200
// records of one type, each carrying the external id field; 200 with an UpsertResult per
// record in request order (failed items without id and created).
func (c *CRM) handleCollectionUpsert(w http.ResponseWriter, r *http.Request, cl *call) {
	o, f, ok := c.lookupExternalIDField(w, r)
	if !ok {
		return
	}
	body, types, e := readCollection(r)
	if e != nil {
		writeRESTError(w, e)
		return
	}
	n := len(body.Records)
	vals := make([]Values, n)
	keys := make([]string, n)
	pre := make([]*APIError, n)
	seen := map[string]int{}
	for i, raw := range body.Records {
		if !strings.EqualFold(types[i], o.Name) {
			writeRESTError(w, errBadRequest("INVALID_TYPE", fmt.Sprintf("Record type %s does not match the upsert object %s", types[i], o.Name)))
			return
		}
		v, e := decodeFields(o, raw)
		if e != nil {
			writeRESTError(w, e)
			return
		}
		vals[i] = v
		key, _ := v[f.Name].(string)
		if key == "" {
			pre[i] = fieldError("MISSING_ARGUMENT", f.Name+" not specified", f.Name)
			continue
		}
		keys[i] = key
		if !f.CaseSensitive {
			key = strings.ToLower(key)
		}
		seen[key]++
	}
	for i, key := range keys {
		if !f.CaseSensitive {
			key = strings.ToLower(key)
		}
		if key != "" && seen[key] > 1 {
			// Every row sharing a key fails (third-party: DUPLICATE_VALUE with this text).
			pre[i] = fieldError(CodeDuplicateValue, "Duplicate external id specified: "+keys[i])
		}
	}
	for i, key := range keys {
		if pre[i] != nil || f.Name == "Id" {
			continue
		}
		if ids := c.matchesByExternalID(o, f, key); len(ids) > 1 {
			// Message UNCONFIRMED.
			pre[i] = fieldError(CodeDuplicateExternalID,
				fmt.Sprintf("%s: more than one record found for external id field: [%s]", f.Label, strings.Join(ids, ", ")), f.Name)
		}
	}
	wc := c.newWriteCtx(cl, r)
	recs, created, errs := c.collectionRun(n, body.AllOrNone, pre, func(tx *emu.Tx, i int) (emu.Record, bool, *APIError) {
		existing, found := c.findForUpsert(tx, o, f, keys[i])
		if found {
			v := vals[i]
			delete(v, f.Name)
			rec, e := c.save(tx, wc, o, v, &existing)
			return rec, false, e
		}
		if f.Name == "Id" {
			return emu.Record{}, false, fieldError(CodeInvalidCrossReference, "invalid cross reference id")
		}
		rec, e := c.save(tx, wc, o, vals[i], nil)
		return rec, e == nil, e
	})
	out := make([]UpsertResult, n)
	for i := range out {
		if errs[i] != nil {
			out[i] = UpsertResult{Success: false, Errors: []ItemError{errs[i].item()}}
			continue
		}
		cr := created[i]
		out[i] = UpsertResult{ID: recs[i].ID, Success: true, Errors: []ItemError{}, Created: &cr}
	}
	writeJSON(w, http.StatusOK, out)
}

// handleCollectionCreate serves POST /composite/sobjects: up to 200 records of any served
// types; 200 with a SaveResult per record in request order.
func (c *CRM) handleCollectionCreate(w http.ResponseWriter, r *http.Request, cl *call) {
	body, types, e := readCollection(r)
	if e != nil {
		writeRESTError(w, e)
		return
	}
	n := len(body.Records)
	objs := make([]*Object, n)
	vals := make([]Values, n)
	pre := make([]*APIError, n)
	for i, raw := range body.Records {
		o, ok := c.object(types[i])
		if !ok {
			writeRESTError(w, errUnsupportedType(types[i]))
			return
		}
		objs[i] = o
		if _, hasID := raw["Id"]; hasID {
			pre[i] = fieldError(CodeInvalidFieldForInsert, "Record ID: cannot specify Id in an insert call", "Id")
			continue
		}
		if _, hasID := raw["id"]; hasID {
			pre[i] = fieldError(CodeInvalidFieldForInsert, "Record ID: cannot specify Id in an insert call", "Id")
			continue
		}
		v, e := decodeFields(o, raw)
		if e != nil {
			writeRESTError(w, e)
			return
		}
		if !o.Createable {
			pre[i] = fieldError("INVALID_TYPE_FOR_OPERATION", "entity type "+o.Name+" does not support create")
		}
		vals[i] = v
	}
	wc := c.newWriteCtx(cl, r)
	recs, _, errs := c.collectionRun(n, body.AllOrNone, pre, func(tx *emu.Tx, i int) (emu.Record, bool, *APIError) {
		rec, e := c.save(tx, wc, objs[i], vals[i], nil)
		return rec, e == nil, e
	})
	writeJSON(w, http.StatusOK, saveResults(recs, errs))
}

// handleCollectionUpdate serves PATCH /composite/sobjects: up to 200 records, each with
// attributes.type and id; 200 with a SaveResult per record.
func (c *CRM) handleCollectionUpdate(w http.ResponseWriter, r *http.Request, cl *call) {
	body, types, e := readCollection(r)
	if e != nil {
		writeRESTError(w, e)
		return
	}
	n := len(body.Records)
	objs := make([]*Object, n)
	vals := make([]Values, n)
	ids := make([]string, n)
	pre := make([]*APIError, n)
	for i, raw := range body.Records {
		o, ok := c.object(types[i])
		if !ok {
			writeRESTError(w, errUnsupportedType(types[i]))
			return
		}
		objs[i] = o
		var id string
		for _, k := range []string{"id", "Id"} {
			if rawID, ok := raw[k]; ok {
				_ = json.Unmarshal(rawID, &id)
				delete(raw, k)
			}
		}
		v, e := decodeFields(o, raw)
		if e != nil {
			writeRESTError(w, e)
			return
		}
		vals[i] = v
		if id == "" {
			pre[i] = fieldError("MISSING_ARGUMENT", "Id not specified in an update call")
			continue
		}
		full, ok := checkIDPrefix(id, o.KeyPrefix)
		if !ok {
			pre[i] = fieldError(CodeMalformedID, "Record ID: id value of incorrect type: "+id, "Id")
			continue
		}
		ids[i] = full
	}
	wc := c.newWriteCtx(cl, r)
	recs, _, errs := c.collectionRun(n, body.AllOrNone, pre, func(tx *emu.Tx, i int) (emu.Record, bool, *APIError) {
		existing, found := tx.Get(objs[i].Name, ids[i])
		if !found {
			return emu.Record{}, false, fieldError("ENTITY_IS_DELETED", "entity is deleted")
		}
		rec, e := c.save(tx, wc, objs[i], vals[i], &existing)
		return rec, false, e
	})
	writeJSON(w, http.StatusOK, saveResults(recs, errs))
}

// saveResults renders per-record outcomes as SaveResults (no id on failures).
func saveResults(recs []emu.Record, errs []*APIError) []SaveResult {
	out := make([]SaveResult, len(recs))
	for i := range out {
		if errs[i] != nil {
			out[i] = SaveResult{Success: false, Errors: []ItemError{errs[i].item()}}
			continue
		}
		out[i] = SaveResult{ID: recs[i].ID, Success: true, Errors: []ItemError{}}
	}
	return out
}

// handleCollectionRetrieve serves GET /composite/sobjects/{object}?ids=a,b&fields=x,y: the
// records in request order, null for ids that do not exist.
func (c *CRM) handleCollectionRetrieve(w http.ResponseWriter, r *http.Request, cl *call) {
	o, ok := c.lookupObject(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	if q.Get("ids") == "" || q.Get("fields") == "" {
		writeRESTError(w, errBadRequest("MISSING_ARGUMENT", "The ids and fields parameters are required"))
		return
	}
	fields, e := selectFields(o, q.Get("fields"))
	if e != nil {
		writeRESTError(w, e)
		return
	}
	var out []json.RawMessage
	for _, raw := range strings.Split(q.Get("ids"), ",") {
		id, ok := checkIDPrefix(strings.TrimSpace(raw), o.KeyPrefix)
		rec, found := c.env.Store.Get(o.Name, id)
		if !ok || !found {
			out = append(out, json.RawMessage("null"))
			continue
		}
		out = append(out, renderRecord(o, cl, rec, fields))
	}
	writeJSON(w, http.StatusOK, out)
}
