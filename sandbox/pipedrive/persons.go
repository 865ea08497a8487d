package pipedrive

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// Persons are stored flat, the way v1 shaped them: standard keys plus one
// key per custom field (its 40-character hash), so the control API can count
// records by an external-id field's key. The v2 wire shape groups the custom
// fields under custom_fields. Ids are assigned 1, 2, 3… in creation order
// and persons are never deleted, so id n is the n-th record (paging relies on it).

// writeBodyError writes the answer to a body that failed to parse or validate.
func writeBodyError(w http.ResponseWriter, err error) {
	var ve *validationError
	if errors.As(err, &ve) {
		writeValidation(w, err)
		return
	}
	writeError(w, http.StatusBadRequest, "Invalid request body")
}

// pathID parses the {id} path segment.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fieldError("id", "must be a positive integer")
	}
	return id, nil
}

// jsonNumber converts the integers the validators return into the float64
// the store holds (it keeps decoded-JSON values).
func jsonNumber(v any) any {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case []int64:
		out := make([]any, len(x))
		for i, n := range x {
			out[i] = float64(n)
		}
		return out
	}
	return v
}

func contactItemsValue(items []ContactItem) []any {
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = map[string]any{"value": it.Value, "primary": it.Primary, "label": it.Label}
	}
	return out
}

func contactItemsOf(v any) []ContactItem {
	list, _ := v.([]any)
	out := make([]ContactItem, 0, len(list))
	for _, e := range list {
		m, _ := e.(map[string]any)
		s, _ := m["value"].(string)
		p, _ := m["primary"].(bool)
		l, _ := m["label"].(string)
		out = append(out, ContactItem{Value: s, Primary: p, Label: l})
	}
	return out
}

func optionalID(v any) *int64 {
	if v == nil {
		return nil
	}
	n := int64(numberOf(v))
	return &n
}

// splitName splits a full name as Pipedrive does: first word, then the rest.
func splitName(name string) (first, last string) {
	first, last, _ = strings.Cut(strings.TrimSpace(name), " ")
	return first, strings.TrimSpace(last)
}

// personWire renders a stored person in the v2 shape. only, when not nil,
// limits custom_fields to those keys (the custom_fields query parameter).
func personWire(rec emu.Record, fs *fieldSet, only map[string]bool) Person {
	id, _ := strconv.ParseInt(rec.ID, 10, 64)
	p := Person{
		ID: id, Name: rec.String("name"), FirstName: rec.String("first_name"), LastName: rec.String("last_name"),
		OwnerID: int64(numberOf(rec.Fields["owner_id"])), OrgID: optionalID(rec.Fields["org_id"]),
		AddTime: v2Time(rec.CreatedAt), UpdateTime: v2Time(rec.UpdatedAt),
		Emails: contactItemsOf(rec.Fields["emails"]), Phones: contactItemsOf(rec.Fields["phones"]),
		VisibleTo: int(numberOf(rec.Fields["visible_to"])), LabelIDs: []int64{},
		JobTitle:     optionalString(rec.Fields["job_title"]),
		CustomFields: map[string]any{},
	}
	if ids, ok := rec.Fields["label_ids"].([]any); ok {
		for _, x := range ids {
			p.LabelIDs = append(p.LabelIDs, int64(numberOf(x)))
		}
	}
	// v2 lists every custom field, null when unset.
	for _, f := range fs.list {
		if f.Custom && (only == nil || only[f.Key]) {
			p.CustomFields[f.Key] = rec.Fields[f.Key]
		}
	}
	return p
}

// personWrite turns a parsed body into store fields for a create (create
// true) or an update of existing. It checks references: owner, and the
// required fields (Pipedrive requires name; the control API may add more).
func (c *CRM) personWrite(p personPatch, existing *emu.Record, tok emu.Token) (map[string]any, error) {
	fields := map[string]any{}
	create := existing == nil
	cur := func(k string) string {
		if existing == nil {
			return ""
		}
		return existing.String(k)
	}
	switch {
	case p.name != nil:
		if *p.name == "" {
			return nil, invalid(msgNameMissing)
		}
		fields["name"] = *p.name
		first, last := splitName(*p.name)
		if p.firstName != nil {
			first = *p.firstName
		}
		if p.lastName != nil {
			last = *p.lastName
		}
		fields["first_name"], fields["last_name"] = first, last
	case p.firstName != nil || p.lastName != nil:
		first, last := cur("first_name"), cur("last_name")
		if p.firstName != nil {
			first = *p.firstName
		}
		if p.lastName != nil {
			last = *p.lastName
		}
		// v2 needs name, or both first_name and last_name, on create.
		if create && (p.firstName == nil || p.lastName == nil) || strings.TrimSpace(first+" "+last) == "" {
			return nil, invalid(msgNameMissing)
		}
		fields["first_name"], fields["last_name"] = first, last
		fields["name"] = strings.TrimSpace(first + " " + last)
	case create:
		return nil, invalid(msgNameMissing)
	}
	switch {
	case p.ownerID != nil:
		if !c.userExists(*p.ownerID) {
			// UNCONFIRMED text; Pipedrive rejects an owner that is not a company user.
			return nil, fieldError("owner_id", "user not found")
		}
		fields["owner_id"] = float64(*p.ownerID)
	case create:
		fields["owner_id"] = float64(userIDOf(tok))
	}
	if p.orgID != nil {
		fields["org_id"] = jsonNumber(derefID(*p.orgID))
	}
	if p.emails != nil {
		fields["emails"] = contactItemsValue(*p.emails)
	} else if create {
		fields["emails"] = []any{}
	}
	if p.phones != nil {
		fields["phones"] = contactItemsValue(*p.phones)
	} else if create {
		fields["phones"] = []any{}
	}
	switch {
	case p.visibleTo != nil:
		fields["visible_to"] = float64(*p.visibleTo)
	case create:
		fields["visible_to"] = float64(3) // owner & followers, Pipedrive's default
	}
	if p.labelIDs != nil {
		fields["label_ids"] = jsonNumber(*p.labelIDs)
	}
	if p.jobTitle != nil {
		fields["job_title"] = derefString(*p.jobTitle)
	}
	for k, v := range p.customFields {
		fields[k] = jsonNumber(v)
	}
	if err := c.checkRequired(fields, existing); err != nil {
		return nil, err
	}
	return fields, nil
}

func derefString(p *string) any {
	if p == nil || *p == "" {
		return nil
	}
	return *p
}

func derefID(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// checkRequired rejects a write that leaves a required person field empty.
// Pipedrive's API itself only requires name; other required fields come from
// the control API (PUT /_sandbox/pipedrive/required-fields).
func (c *CRM) checkRequired(fields map[string]any, existing *emu.Record) error {
	for _, req := range c.env.Store.RequiredFields(objPersons) {
		key := req
		switch req {
		case "name":
			continue // checked above, with Pipedrive's own message
		case "email":
			key = "emails"
		case "phone":
			key = "phones"
		}
		v, set := fields[key]
		if !set && existing != nil {
			v = existing.Fields[key]
		}
		if emu.IsBlank(v) {
			return fieldError(req, "is required")
		}
	}
	return nil
}

// readPerson reads and parses the body of a person create or update against
// the current person fields, answering 400 when it does not read or parse.
func (c *CRM) readPerson(w http.ResponseWriter, r *http.Request) (personPatch, *fieldSet, bool) {
	m, err := readObject(r)
	if err != nil {
		writeBodyError(w, err)
		return personPatch{}, nil, false
	}
	fs := c.personFields()
	p, err := parsePerson(m, fs)
	if err != nil {
		writeValidation(w, err)
		return personPatch{}, nil, false
	}
	return p, fs, true
}

// handlePersonCreate serves POST /api/v2/persons. v2 answers 200 (v1 answered 201).
func (c *CRM) handlePersonCreate(w http.ResponseWriter, r *http.Request) {
	p, fs, ok := c.readPerson(w, r)
	if !ok {
		return
	}
	fields, err := c.personWrite(p, nil, tokenFrom(r.Context()))
	if err != nil {
		writeValidation(w, err)
		return
	}
	rec, err := c.env.Store.Create(objPersons, fields)
	if err != nil {
		writeError(w, http.StatusInternalServerError, msgInternal)
		return
	}
	writeData(w, http.StatusOK, personWire(rec, fs, nil), nil)
}

// handlePersonUpdate serves PATCH /api/v2/persons/{id}: any subset of the create keys.
func (c *CRM) handlePersonUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeValidation(w, err)
		return
	}
	p, fs, ok := c.readPerson(w, r)
	if !ok {
		return
	}
	// References are checked outside the store's lock (they read the store).
	existing, ok := c.env.Store.Get(objPersons, strconv.FormatInt(id, 10))
	if !ok {
		writeError(w, http.StatusNotFound, "Person not found")
		return
	}
	fields, err := c.personWrite(p, &existing, tokenFrom(r.Context()))
	if err != nil {
		writeValidation(w, err)
		return
	}
	rec, err := c.env.Store.Patch(objPersons, existing.ID, fields)
	if err != nil {
		writeError(w, http.StatusInternalServerError, msgInternal)
		return
	}
	writeData(w, http.StatusOK, personWire(rec, fs, nil), nil)
}

// customFieldFilter parses the custom_fields query parameter (at most 15 keys).
func customFieldFilter(r *http.Request) (map[string]bool, error) {
	s := r.URL.Query().Get("custom_fields")
	if s == "" {
		return nil, nil
	}
	keys := strings.Split(s, ",")
	if len(keys) > 15 {
		return nil, fieldError("custom_fields", "at most 15 keys are allowed")
	}
	only := make(map[string]bool, len(keys))
	for _, k := range keys {
		only[strings.TrimSpace(k)] = true
	}
	return only, nil
}

// handlePersonGet serves GET /api/v2/persons/{id}.
func (c *CRM) handlePersonGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeValidation(w, err)
		return
	}
	only, err := customFieldFilter(r)
	if err != nil {
		writeValidation(w, err)
		return
	}
	rec, ok := c.env.Store.Get(objPersons, strconv.FormatInt(id, 10))
	if !ok {
		writeError(w, http.StatusNotFound, "Person not found")
		return
	}
	writeData(w, http.StatusOK, personWire(rec, c.personFields(), only), nil)
}

// listChunk is how many records a filtered listing reads per store call.
const listChunk = 1000

// handlePersonList serves GET /api/v2/persons in id order with cursor
// paging. Filters: ids (up to 100), owner_id. sort_by other than id and
// sort_direction desc are not emulated and answer 400.
func (c *CRM) handlePersonList(w http.ResponseWriter, r *http.Request) {
	pg, err := parsePage(r)
	if err != nil {
		writeValidation(w, err)
		return
	}
	q := r.URL.Query()
	if s := q.Get("sort_by"); s != "" && s != "id" {
		writeValidation(w, fieldError("sort_by", "the sandbox sorts by id only"))
		return
	}
	if s := q.Get("sort_direction"); s != "" && s != "asc" {
		writeValidation(w, fieldError("sort_direction", "the sandbox sorts ascending only"))
		return
	}
	only, err := customFieldFilter(r)
	if err != nil {
		writeValidation(w, err)
		return
	}
	fs := c.personFields()
	var recs []emu.Record
	var next *string
	switch {
	case q.Get("ids") != "":
		recs, err = c.personsByIDs(q.Get("ids"))
		if err != nil {
			writeValidation(w, err)
			return
		}
	case q.Get("owner_id") != "":
		owner, perr := strconv.ParseInt(q.Get("owner_id"), 10, 64)
		if perr != nil {
			writeValidation(w, fieldError("owner_id", "must be an integer"))
			return
		}
		recs, next = c.scanPage(objPersons, pg, func(rec emu.Record) bool { return int64(numberOf(rec.Fields["owner_id"])) == owner })
	default:
		var total int
		recs, total = c.env.Store.List(objPersons, int(pg.after), pg.limit)
		if len(recs) > 0 {
			last, _ := strconv.ParseInt(recs[len(recs)-1].ID, 10, 64)
			next = nextCursor(int(pg.after)+len(recs), total, last)
		}
	}
	out := make([]Person, 0, len(recs))
	for _, rec := range recs {
		out = append(out, personWire(rec, fs, only))
	}
	writeData(w, http.StatusOK, out, CursorData{NextCursor: next})
}

// personsByIDs fetches the listed persons that exist, in id order.
func (c *CRM) personsByIDs(list string) ([]emu.Record, error) {
	parts := strings.Split(list, ",")
	if len(parts) > 100 {
		return nil, fieldError("ids", "at most 100 ids are allowed")
	}
	ids := make([]int64, 0, len(parts))
	for _, s := range parts {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, fieldError("ids", "must be a comma-separated list of integers")
		}
		ids = append(ids, n)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var out []emu.Record
	for _, id := range ids {
		if rec, ok := c.env.Store.Get(objPersons, strconv.FormatInt(id, 10)); ok {
			out = append(out, rec)
		}
	}
	return out, nil
}

// scanPage pages through object's records after pg.after (ids are dense, so
// id n is the n-th record) keeping those match accepts, reading the store in
// chunks: a filter without an index scans, which is fine off the hot path.
func (c *CRM) scanPage(object string, pg page, match func(emu.Record) bool) ([]emu.Record, *string) {
	var out []emu.Record
	for off := int(pg.after); ; off += listChunk {
		chunk, total := c.env.Store.List(object, off, listChunk)
		for _, rec := range chunk {
			if !match(rec) {
				continue
			}
			if len(out) == pg.limit {
				last, _ := strconv.ParseInt(out[len(out)-1].ID, 10, 64)
				s := encodeCursor(last)
				return out, &s
			}
			out = append(out, rec)
		}
		if off+listChunk >= total {
			return out, nil
		}
	}
}

// searchFields are the values GET /persons/search accepts in fields.
var searchFields = map[string]bool{"custom_fields": true, "email": true, "notes": true, "phone": true, "name": true}

// handlePersonSearch serves GET /api/v2/persons/search. Exact matches on
// name and on searchable custom fields come from case-folding indexes;
// partial matches and email/phone scan. Results are in id order, paged by cursor.
func (c *CRM) handlePersonSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	term := strings.TrimSpace(q.Get("term"))
	exact := false
	if s := q.Get("exact_match"); s != "" {
		switch s {
		case "true":
			exact = true
		case "false":
		default:
			writeValidation(w, fieldError("exact_match", "must be a boolean"))
			return
		}
	}
	minLen := 2
	if exact {
		minLen = 1
	}
	if len([]rune(term)) < minLen {
		writeValidation(w, fieldError("term", "must be at least "+strconv.Itoa(minLen)+" characters"))
		return
	}
	want := map[string]bool{}
	if s := q.Get("fields"); s != "" {
		for _, f := range strings.Split(s, ",") {
			f = strings.TrimSpace(f)
			if !searchFields[f] {
				writeValidation(w, fieldError("fields", "must be a comma-separated subset of custom_fields, email, notes, phone, name"))
				return
			}
			want[f] = true
		}
	} else {
		for f := range searchFields {
			want[f] = true
		}
	}
	if s := q.Get("organization_id"); s != "" {
		// Organizations are not emulated: no person belongs to one.
		writeData(w, http.StatusOK, map[string]any{"items": []SearchItem{}}, CursorData{})
		return
	}
	pg, err := parsePage(r)
	if err != nil {
		writeValidation(w, err)
		return
	}
	fs := c.personFields()
	hits := c.searchPersons(term, exact, want, fs)
	ids := make([]int64, 0, len(hits))
	for id := range hits {
		if id > pg.after {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	end := min(len(ids), pg.limit)
	items := make([]SearchItem, 0, end)
	for _, id := range ids[:end] {
		items = append(items, hits[id])
	}
	var next *string
	if end < len(ids) {
		s := encodeCursor(ids[end-1])
		next = &s
	}
	writeData(w, http.StatusOK, map[string]any{"items": items}, CursorData{NextCursor: next})
}

// searchPersons finds the persons matching term in the wanted fields.
func (c *CRM) searchPersons(term string, exact bool, want map[string]bool, fs *fieldSet) map[int64]SearchItem {
	lt := strings.ToLower(term)
	matches := func(v string) bool {
		lv := strings.ToLower(v)
		if exact {
			return lv == lt
		}
		return strings.Contains(lv, lt)
	}
	var custom []*personField
	if want["custom_fields"] {
		for i := range fs.list {
			if f := &fs.list[i]; f.Custom && searchableTypes[f.FieldType] {
				custom = append(custom, f)
			}
		}
	}
	hits := map[int64]SearchItem{}
	add := func(rec emu.Record) {
		id, _ := strconv.ParseInt(rec.ID, 10, 64)
		if _, dup := hits[id]; dup {
			return
		}
		item := searchItem(rec)
		for _, f := range custom {
			if v := rec.String(f.Key); v != "" && matches(v) {
				item.Item.CustomFields = append(item.Item.CustomFields, v)
			}
		}
		item.ResultScore = 0.5
		if exact {
			item.ResultScore = 1
		}
		hits[id] = item
	}
	if exact && !want["email"] && !want["phone"] {
		// The hot path (external-id lookups): indexes only, no scan.
		for _, f := range custom {
			for _, rec := range c.env.Store.FindAll(objPersons, f.Key, term) {
				add(rec)
			}
		}
		if want["name"] {
			for _, rec := range c.env.Store.FindAll(objPersons, "name", term) {
				add(rec)
			}
		}
		return hits
	}
	for off := 0; ; off += listChunk {
		chunk, total := c.env.Store.List(objPersons, off, listChunk)
		for _, rec := range chunk {
			if personMatches(rec, want, custom, matches) {
				add(rec)
			}
		}
		if off+listChunk >= total {
			return hits
		}
	}
}

func personMatches(rec emu.Record, want map[string]bool, custom []*personField, matches func(string) bool) bool {
	if want["name"] && matches(rec.String("name")) {
		return true
	}
	for _, f := range custom {
		if v := rec.String(f.Key); v != "" && matches(v) {
			return true
		}
	}
	for _, k := range []string{"email", "phone"} {
		if !want[k] {
			continue
		}
		for _, it := range contactItemsOf(rec.Fields[k+"s"]) {
			if matches(it.Value) {
				return true
			}
		}
	}
	return false
}

// searchItem renders a person as a search hit.
func searchItem(rec emu.Record) SearchItem {
	id, _ := strconv.ParseInt(rec.ID, 10, 64)
	it := SearchPersonItem{
		ID: id, Type: "person", Name: rec.String("name"), Phones: []string{}, Emails: []string{},
		VisibleTo: int(numberOf(rec.Fields["visible_to"])), Owner: SearchOwner{ID: int64(numberOf(rec.Fields["owner_id"]))},
		CustomFields: []string{}, Notes: []string{},
	}
	for _, e := range contactItemsOf(rec.Fields["emails"]) {
		it.Emails = append(it.Emails, e.Value)
	}
	for _, p := range contactItemsOf(rec.Fields["phones"]) {
		it.Phones = append(it.Phones, p.Value)
	}
	if org := optionalID(rec.Fields["org_id"]); org != nil {
		it.Organization = &SearchOrg{ID: *org}
	}
	return SearchItem{Item: it}
}
