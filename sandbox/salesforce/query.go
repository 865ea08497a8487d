package salesforce

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// Query batch sizes: Salesforce returns up to 2,000 rows per batch by default; the
// Sforce-Query-Options: batchSize=N header asks for 200..2,000.
const (
	defaultQueryBatch = 2000
	minQueryBatch     = 200
	maxOpenCursors    = 64
	maxSOQLLength     = 100_000
)

// cursor is an open query locator: the matching record ids, rendered batch by batch.
type cursor struct {
	object  string
	fields  []*Field
	ids     []string
	virtual *Object      // set for objects that are not in the store (CustomField, Organization)
	rows    []emu.Record // the virtual object's rows
}

// handleQuery serves GET /query?q=SOQL (and /queryAll).
func (c *CRM) handleQuery(w http.ResponseWriter, r *http.Request, cl *call) {
	src := r.URL.Query().Get("q")
	if strings.TrimSpace(src) == "" {
		writeRESTError(w, errBadRequest(CodeMalformedQuery, "A query string must be provided."))
		return
	}
	if len(src) > maxSOQLLength {
		writeRESTError(w, errBadRequest(CodeMalformedQuery, "SOQL statements can not be longer than 100000 characters"))
		return
	}
	q, e := parseSOQL(src)
	if e != nil {
		writeRESTError(w, e)
		return
	}
	if strings.EqualFold(q.object, organizationObject.Name) {
		c.virtualQuery(w, r, cl, organizationObject, q, []emu.Record{c.organizationRow()})
		return
	}
	o, ok := c.object(q.object)
	if !ok {
		writeRESTError(w, invalidTypeAt(q))
		return
	}
	rows, e := c.queryRows(o, q)
	if e != nil {
		writeRESTError(w, e)
		return
	}
	c.writeQueryResult(w, r, cl, o, q, rows, nil)
}

// organizationObject is the Organization sObject as the sandbox queries it (one row: the org).
var organizationObject = newObject("Organization", "Organization", "Organizations", PrefixOrg, false,
	readOnly(text("Name", "Name", 80)),
	readOnly(picklist("OrganizationType", "Edition", "Enterprise Edition", "Developer Edition", "Unlimited Edition")),
	readOnly(text("InstanceName", "Instance Name", 5)),
	readOnly(checkbox("IsSandbox", "Is Sandbox")),
	readOnly(text("DefaultLocaleSidKey", "Locale", 40)),
	readOnly(text("TimeZoneSidKey", "Default Time Zone", 40)),
)

// organizationRow is the org's Organization record.
func (c *CRM) organizationRow() emu.Record {
	return emu.Record{ID: c.orgID, Object: organizationObject.Name, Fields: map[string]any{
		"Name": c.env.Config.AccountName, "OrganizationType": "Enterprise Edition", "InstanceName": "SBX1",
		"IsSandbox": false, "DefaultLocaleSidKey": "en_US", "TimeZoneSidKey": "GMT",
	}}
}

// virtualQuery answers q over rows of an object the store does not hold.
func (c *CRM) virtualQuery(w http.ResponseWriter, r *http.Request, cl *call, o *Object, q *query, all []emu.Record) {
	fields, e := resolveQueryFields(o, q)
	if e != nil {
		writeRESTError(w, e)
		return
	}
	q.resolved = fields
	rows := filterRows(o, q, all)
	if rows == nil {
		rows = []emu.Record{}
	}
	c.writeQueryResult(w, r, cl, o, q, rows, rows)
}

// invalidTypeAt is Salesforce's INVALID_TYPE answer for an unknown FROM object.
func invalidTypeAt(q *query) *restError {
	e := malformedAt(q.source, q.objectCol, fmt.Sprintf("sObject type '%s' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.", q.object))
	e.errs[0].ErrorCode = CodeInvalidType
	return e
}

// resolveQueryFields checks every field the statement names.
func resolveQueryFields(o *Object, q *query) ([]*Field, *restError) {
	noColumn := func(name string, col int) *restError {
		e := malformedAt(q.source, col, fmt.Sprintf("No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", name, o.Name))
		e.errs[0].ErrorCode = CodeInvalidField
		return e
	}
	var fields []*Field
	for i, name := range q.fields {
		f := o.Field(name)
		if f == nil {
			return nil, noColumn(name, q.fieldCols[i])
		}
		fields = append(fields, f)
	}
	var bad *restError
	var walk func(e expr)
	walk = func(e expr) {
		switch x := e.(type) {
		case andExpr:
			walk(x.l)
			walk(x.r)
		case orExpr:
			walk(x.l)
			walk(x.r)
		case notExpr:
			walk(x.e)
		case *cmpExpr:
			f := o.Field(x.field)
			if f == nil && bad == nil {
				bad = noColumn(x.field, x.col)
				return
			}
			if f != nil {
				x.field = f.Name
				if f.Type == TypeID || f.Type == TypeReference {
					for i, v := range x.values {
						if s, ok := v.(string); ok {
							if full, ok := NormalizeID(s); ok {
								x.values[i] = full
							}
						}
					}
				}
			}
		}
	}
	if q.where != nil {
		walk(q.where)
	}
	if bad != nil {
		return nil, bad
	}
	if q.orderBy != "" {
		f := o.Field(q.orderBy)
		if f == nil {
			return nil, noColumn(q.orderBy, q.orderByCol)
		}
		q.orderBy = f.Name
	}
	return fields, nil
}

// indexed reports whether the store keeps an index on field of o (set up by seed and by
// custom field creation), so a WHERE on it needs no scan.
func indexed(o *Object, f *Field) bool {
	switch {
	case f.ExternalID && f.Custom:
		return true
	case o.Name == ObjectContact && f.Name == "Email":
		return true
	case (o.Name == ObjectTask || o.Name == ObjectEvent) && f.Name == "WhoId":
		return true
	}
	return false
}

// queryRows evaluates q over o's records: through the id map or an index when the WHERE
// clause pins an indexed field, by a scan otherwise.
func (c *CRM) queryRows(o *Object, q *query) ([]emu.Record, *restError) {
	fields, e := resolveQueryFields(o, q)
	if e != nil {
		return nil, e
	}
	q.resolved = fields
	var candidates []emu.Record
	hintField, values, hinted := "", []any(nil), false
	if q.where != nil {
		hintField, values, hinted = indexHint(q.where)
	}
	f := o.Field(hintField)
	switch {
	case hinted && f != nil && f.Name == "Id":
		seen := map[string]bool{}
		for _, v := range values {
			id, _ := v.(string)
			if rec, ok := c.env.Store.Get(o.Name, id); ok && !seen[id] {
				seen[id] = true
				candidates = append(candidates, rec)
			}
		}
	case hinted && f != nil && indexed(o, f):
		seen := map[string]bool{}
		for _, v := range values {
			if v == nil {
				continue
			}
			for _, rec := range c.env.Store.FindAll(o.Name, f.Name, v) {
				if !seen[rec.ID] {
					seen[rec.ID] = true
					candidates = append(candidates, rec)
				}
			}
		}
		sort.SliceStable(candidates, func(i, j int) bool { return createdBefore(candidates[i], candidates[j]) })
	default:
		candidates, _ = c.env.Store.List(o.Name, 0, 0)
	}
	return filterRows(o, q, candidates), nil
}

// filterRows applies WHERE, ORDER BY, OFFSET and LIMIT.
func filterRows(o *Object, q *query, rows []emu.Record) []emu.Record {
	var out []emu.Record
	for _, rec := range rows {
		if q.where == nil || q.where.eval(func(name string) any { return fieldValue(o, rec, o.Field(name)) }) {
			out = append(out, rec)
		}
	}
	if q.orderBy != "" {
		f := o.Field(q.orderBy)
		sort.SliceStable(out, func(i, j int) bool {
			a, b := fieldValue(o, out[i], f), fieldValue(o, out[j], f)
			if a == nil || b == nil {
				if a == nil && b == nil {
					return false
				}
				return (a == nil) != q.nullsLast
			}
			cmp, _ := compareValues(a, b)
			if q.desc {
				return cmp > 0
			}
			return cmp < 0
		})
	}
	if q.offset > 0 {
		out = out[min(q.offset, len(out)):]
	}
	if q.limit >= 0 && q.limit < len(out) {
		out = out[:q.limit]
	}
	return out
}

// createdBefore orders records by creation, then id.
func createdBefore(a, b emu.Record) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return a.ID < b.ID
}

// queryBatchSize reads Sforce-Query-Options: batchSize=N.
func queryBatchSize(r *http.Request) int {
	for _, opt := range strings.Split(r.Header.Get("Sforce-Query-Options"), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(opt), "=")
		if ok && strings.EqualFold(k, "batchSize") {
			if n, err := strconv.Atoi(v); err == nil {
				return min(max(n, minQueryBatch), defaultQueryBatch)
			}
		}
	}
	return defaultQueryBatch
}

// writeQueryResult writes the first batch and opens a locator when more rows remain.
// virtual rows (non-nil for objects outside the store) are rendered from themselves
// rather than re-read from the store.
func (c *CRM) writeQueryResult(w http.ResponseWriter, r *http.Request, cl *call, o *Object, q *query, rows []emu.Record, virtual []emu.Record) {
	if q.count {
		writeJSON(w, http.StatusOK, QueryResult{TotalSize: len(rows), Done: true, Records: []any{}})
		return
	}
	cur := &cursor{object: o.Name, fields: q.resolved, rows: virtual}
	if virtual != nil {
		cur.virtual = o
	}
	for _, rec := range rows {
		cur.ids = append(cur.ids, rec.ID)
	}
	c.writeBatch(w, cl, o, cur, 0, queryBatchSize(r), rows)
}

// writeBatch writes rows [from, from+size) of cur.
func (c *CRM) writeBatch(w http.ResponseWriter, cl *call, o *Object, cur *cursor, from, size int, rows []emu.Record) {
	end := min(from+size, len(cur.ids))
	res := QueryResult{TotalSize: len(cur.ids), Done: end >= len(cur.ids), Records: []any{}}
	byID := map[string]emu.Record{}
	for _, rec := range rows {
		byID[rec.ID] = rec
	}
	for _, id := range cur.ids[from:end] {
		rec, ok := byID[id]
		if !ok {
			if rec, ok = c.env.Store.Get(o.Name, id); !ok {
				continue
			}
		}
		res.Records = append(res.Records, json.RawMessage(renderRecord(o, cl, rec, cur.fields)))
	}
	if !res.Done {
		res.NextRecordsURL = cl.dataPath("query", c.openCursor(cur)+"-"+strconv.Itoa(end))
	}
	writeJSON(w, http.StatusOK, res)
}

// openCursor stores cur and returns its locator, dropping the oldest beyond the cap.
func (c *CRM) openCursor(cur *cursor) string {
	c.cursorMu.Lock()
	defer c.cursorMu.Unlock()
	for k, v := range c.cursors {
		if v == cur {
			return k
		}
	}
	c.cursorN++
	loc := NewID("01g", c.cursorN)
	c.cursors[loc] = cur
	c.order = append(c.order, loc)
	if len(c.order) > maxOpenCursors {
		delete(c.cursors, c.order[0])
		c.order = c.order[1:]
	}
	return loc
}

// handleQueryMore serves GET /query/{locator}-{offset} (a nextRecordsUrl).
func (c *CRM) handleQueryMore(w http.ResponseWriter, r *http.Request, cl *call) {
	loc, offStr, _ := strings.Cut(r.PathValue("locator"), "-")
	off, err := strconv.Atoi(offStr)
	c.cursorMu.Lock()
	cur, ok := c.cursors[loc]
	c.cursorMu.Unlock()
	if !ok || err != nil || off < 0 || off > len(cur.ids) {
		writeRESTError(w, errBadRequest(CodeInvalidQueryLocator, "invalid query locator"))
		return
	}
	var o *Object
	var rows []emu.Record
	if cur.virtual != nil {
		o, rows = cur.virtual, cur.rows
	} else if o, ok = c.object(cur.object); !ok {
		writeRESTError(w, errBadRequest(CodeInvalidQueryLocator, "invalid query locator"))
		return
	}
	c.writeBatch(w, cl, o, cur, off, queryBatchSize(r), rows)
}

// handleToolingQuery serves GET /tooling/query?q=SOQL over CustomField (the Tooling object a
// connector reads to see whether its field exists).
func (c *CRM) handleToolingQuery(w http.ResponseWriter, r *http.Request, cl *call) {
	src := r.URL.Query().Get("q")
	q, e := parseSOQL(src)
	if e != nil {
		writeRESTError(w, e)
		return
	}
	if !strings.EqualFold(q.object, "CustomField") {
		writeRESTError(w, invalidTypeAt(q))
		return
	}
	c.virtualQuery(w, r, cl, customFieldObject, q, c.customFieldRows())
}
