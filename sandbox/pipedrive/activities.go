package pipedrive

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// Activities (crm-api-facts.md §3.4): one body shape for calls, emails and
// meetings, only type differs; no key is required; v2 answers 200. The
// activity links to its person through person_id and participants.

// activityTypes are Pipedrive's default activity types (key_string). A
// company can add types; the sandbox has the defaults only.
var activityTypes = []string{"call", "meeting", "task", "deadline", "email", "lunch"}

// defaultActivityType is used when a create has no type. UNCONFIRMED: the
// company's first active type, "call" by default.
const defaultActivityType = "call"

// activityWrite checks references and turns a parsed body into store fields.
func (c *CRM) activityWrite(a activityPatch, tok emu.Token) (map[string]any, []int64, error) {
	f := map[string]any{}
	typ := defaultActivityType
	if a.typ != nil {
		typ = *a.typ
	}
	if !slices.Contains(activityTypes, typ) {
		// UNCONFIRMED text; Pipedrive validates type against the company's activity types.
		return nil, nil, fieldError("type", "must be an active activity type key ("+strings.Join(activityTypes, ", ")+")")
	}
	f["type"] = typ
	subject := strings.ToUpper(typ[:1]) + typ[1:]
	if a.subject != nil && *a.subject != "" {
		subject = *a.subject
	}
	f["subject"] = subject
	owner := userIDOf(tok)
	if a.ownerID != nil {
		if !c.userExists(*a.ownerID) {
			return nil, nil, fieldError("owner_id", "user not found")
		}
		owner = *a.ownerID
	}
	f["owner_id"] = float64(owner)
	f["creator_user_id"] = float64(userIDOf(tok))

	var participants []Participant
	if a.participants != nil {
		participants = slices.Clone(*a.participants)
	}
	var personID *int64
	if a.personID != nil {
		personID = *a.personID
	}
	switch {
	case personID != nil && len(participants) == 0:
		participants = []Participant{{PersonID: *personID, Primary: true}}
	case personID == nil && len(participants) > 0:
		primary := participants[0].PersonID
		for _, p := range participants {
			if p.Primary {
				primary = p.PersonID
				break
			}
		}
		personID = &primary
	}
	if a.personID != nil && personID != nil {
		if _, ok := c.env.Store.Get(objPersons, strconv.FormatInt(*personID, 10)); !ok {
			// UNCONFIRMED text; the status is the documented 400 for invalid data.
			return nil, nil, fieldError("person_id", "person "+strconv.FormatInt(*personID, 10)+" not found")
		}
	}
	linked := []int64{}
	for _, p := range participants {
		if _, ok := c.env.Store.Get(objPersons, strconv.FormatInt(p.PersonID, 10)); !ok {
			return nil, nil, fieldError("participants", "person "+strconv.FormatInt(p.PersonID, 10)+" not found")
		}
		linked = append(linked, p.PersonID)
	}
	if personID != nil {
		f["person_id"] = float64(*personID)
		if !slices.Contains(linked, *personID) {
			linked = append(linked, *personID)
		}
	}
	ps := make([]any, len(participants))
	for i, p := range participants {
		ps[i] = map[string]any{"person_id": float64(p.PersonID), "primary": p.Primary}
	}
	f["participants"] = ps
	for k, v := range map[string]**int64{"deal_id": a.dealID, "org_id": a.orgID, "project_id": a.projectID, "priority": a.priority} {
		if v != nil && *v != nil {
			f[k] = float64(**v)
		}
	}
	for k, v := range map[string]**string{"lead_id": a.leadID, "due_date": a.dueDate, "due_time": a.dueTime, "duration": a.duration, "public_description": a.publicDescription, "note": a.note} {
		if v != nil && *v != nil {
			f[k] = **v
		}
	}
	if a.busy != nil {
		f["busy"] = *a.busy
	}
	done := a.done != nil && *a.done
	f["done"] = done
	if done {
		f["marked_as_done_time"] = v2Time(c.env.Now())
	}
	if a.location != nil && *a.location != nil {
		l := **a.location
		f["location"] = map[string]any{"value": l.Value}
		if l.Country != "" || l.Locality != "" || l.PostalCode != "" || l.Route != "" {
			f["location"] = locationValue(l)
		}
	}
	if a.attendees != nil {
		as := make([]any, 0, len(*a.attendees))
		for _, at := range *a.attendees {
			as = append(as, map[string]any{"email": at.Email, "name": at.Name, "status": at.Status})
		}
		f["attendees"] = as
	}
	return f, linked, nil
}

func locationValue(l Location) map[string]any {
	return map[string]any{
		"value": l.Value, "country": l.Country, "admin_area_level_1": l.AdminAreaLevel1,
		"admin_area_level_2": l.AdminAreaLevel2, "locality": l.Locality, "sublocality": l.Sublocality,
		"route": l.Route, "street_number": l.StreetNumber, "subpremise": l.Subpremise, "postal_code": l.PostalCode,
	}
}

func optionalString(v any) *string {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	return &s
}

// activityWire renders a stored activity in the v2 shape.
func activityWire(rec emu.Record) Activity {
	id, _ := strconv.ParseInt(rec.ID, 10, 64)
	busy, _ := rec.Fields["busy"].(bool)
	done, _ := rec.Fields["done"].(bool)
	a := Activity{
		ID: id, Subject: rec.String("subject"), Type: rec.String("type"),
		OwnerID: int64(numberOf(rec.Fields["owner_id"])), CreatorUserID: int64(numberOf(rec.Fields["creator_user_id"])),
		AddTime: v2Time(rec.CreatedAt), UpdateTime: v2Time(rec.UpdatedAt),
		DealID: optionalID(rec.Fields["deal_id"]), LeadID: optionalString(rec.Fields["lead_id"]),
		PersonID: optionalID(rec.Fields["person_id"]), OrgID: optionalID(rec.Fields["org_id"]),
		ProjectID: optionalID(rec.Fields["project_id"]),
		DueDate:   optionalString(rec.Fields["due_date"]), DueTime: optionalString(rec.Fields["due_time"]),
		Duration: optionalString(rec.Fields["duration"]), Busy: busy, Done: done,
		MarkedAsDoneTime:  optionalString(rec.Fields["marked_as_done_time"]),
		PublicDescription: optionalString(rec.Fields["public_description"]),
		Priority:          optionalID(rec.Fields["priority"]), Note: optionalString(rec.Fields["note"]),
		Participants: []Participant{},
	}
	if ps, ok := rec.Fields["participants"].([]any); ok {
		for _, p := range ps {
			m, _ := p.(map[string]any)
			primary, _ := m["primary"].(bool)
			a.Participants = append(a.Participants, Participant{PersonID: int64(numberOf(m["person_id"])), Primary: primary})
		}
	}
	if l, ok := rec.Fields["location"].(map[string]any); ok {
		str := func(k string) string { s, _ := l[k].(string); return s }
		a.Location = &Location{
			Value: str("value"), Country: str("country"), AdminAreaLevel1: str("admin_area_level_1"),
			AdminAreaLevel2: str("admin_area_level_2"), Locality: str("locality"), Sublocality: str("sublocality"),
			Route: str("route"), StreetNumber: str("street_number"), Subpremise: str("subpremise"), PostalCode: str("postal_code"),
		}
	}
	if as, ok := rec.Fields["attendees"].([]any); ok {
		a.Attendees = []Attendee{}
		for _, x := range as {
			m, _ := x.(map[string]any)
			email, _ := m["email"].(string)
			name, _ := m["name"].(string)
			status, _ := m["status"].(string)
			a.Attendees = append(a.Attendees, Attendee{Email: email, Name: name, Status: status})
		}
	}
	return a
}

// readActivity reads the body of an activity create or update: its raw
// members and their parse, answering 400 when it does not read or parse.
func readActivity(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, activityPatch, bool) {
	m, err := readObject(r)
	if err != nil {
		writeBodyError(w, err)
		return nil, activityPatch{}, false
	}
	a, err := parseActivity(m)
	if err != nil {
		writeValidation(w, err)
		return nil, activityPatch{}, false
	}
	return m, a, true
}

// linkParticipants links activity id to each person in linked whose id
// known does not hold (a nil known links them all).
func linkParticipants(tx *emu.Tx, id string, linked []int64, known map[string]bool) error {
	for _, pid := range linked {
		if sid := strconv.FormatInt(pid, 10); !known[sid] {
			if err := tx.Link(objActivities, id, emu.Link{Object: objPersons, ID: sid, Type: "participant"}); err != nil {
				return err
			}
		}
	}
	return nil
}

// handleActivityCreate serves POST /api/v2/activities (200, as v2 creates answer).
func (c *CRM) handleActivityCreate(w http.ResponseWriter, r *http.Request) {
	_, a, ok := readActivity(w, r)
	if !ok {
		return
	}
	fields, linked, err := c.activityWrite(a, tokenFrom(r.Context()))
	if err != nil {
		writeValidation(w, err)
		return
	}
	var rec emu.Record
	err = c.env.Store.Atomic(func(tx *emu.Tx) error {
		var err error
		if rec, err = tx.Create(objActivities, fields); err != nil {
			return err
		}
		return linkParticipants(tx, rec.ID, linked, nil)
	})
	if err != nil {
		writeError(w, http.StatusInternalServerError, msgInternal)
		return
	}
	writeData(w, http.StatusOK, activityWire(rec), nil)
}

// handleActivityGet serves GET /api/v2/activities/{id}.
func (c *CRM) handleActivityGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeValidation(w, err)
		return
	}
	rec, ok := c.env.Store.Get(objActivities, strconv.FormatInt(id, 10))
	if !ok {
		writeError(w, http.StatusNotFound, "Activity not found")
		return
	}
	writeData(w, http.StatusOK, activityWire(rec), nil)
}

// handleActivityList serves GET /api/v2/activities in id order; person_id
// (the primary participant, served from an index), owner_id and done filter.
func (c *CRM) handleActivityList(w http.ResponseWriter, r *http.Request) {
	pg, err := parsePage(r)
	if err != nil {
		writeValidation(w, err)
		return
	}
	q := r.URL.Query()
	var filters []func(emu.Record) bool
	for _, k := range []string{"owner_id", "person_id"} {
		if s := q.Get(k); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				writeValidation(w, fieldError(k, "must be an integer"))
				return
			}
			filters = append(filters, func(rec emu.Record) bool { return int64(numberOf(rec.Fields[k])) == n })
		}
	}
	if s := q.Get("done"); s != "" {
		if s != "true" && s != "false" {
			writeValidation(w, fieldError("done", "must be a boolean"))
			return
		}
		want := s == "true"
		filters = append(filters, func(rec emu.Record) bool { d, _ := rec.Fields["done"].(bool); return d == want })
	}
	match := func(rec emu.Record) bool {
		for _, f := range filters {
			if !f(rec) {
				return false
			}
		}
		return true
	}
	var recs []emu.Record
	var next *string
	if s := q.Get("person_id"); s != "" {
		// Served from the person_id index; the cursor skips what was served.
		n, _ := strconv.ParseInt(s, 10, 64)
		for _, rec := range c.env.Store.FindAll(objActivities, "person_id", float64(n)) {
			id, _ := strconv.ParseInt(rec.ID, 10, 64)
			if id <= pg.after || !match(rec) {
				continue
			}
			if len(recs) == pg.limit {
				last, _ := strconv.ParseInt(recs[len(recs)-1].ID, 10, 64)
				s := encodeCursor(last)
				next = &s
				break
			}
			recs = append(recs, rec)
		}
	} else {
		recs, next = c.scanPage(objActivities, pg, match)
	}
	out := make([]Activity, 0, len(recs))
	for _, rec := range recs {
		out = append(out, activityWire(rec))
	}
	writeData(w, http.StatusOK, out, CursorData{NextCursor: next})
}

// activityKeysServerSet are keys of an activity answer a client cannot write.
var activityKeysServerSet = []string{"id", "creator_user_id", "is_deleted", "add_time", "update_time", "marked_as_done_time"}

// handleActivityUpdate serves PATCH /api/v2/activities/{id}: any subset of
// the create keys. The body is laid over the stored activity and the result
// validated as a whole, so an update obeys the same rules as a create.
func (c *CRM) handleActivityUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeValidation(w, err)
		return
	}
	patch, _, ok := readActivity(w, r)
	if !ok {
		return
	}
	existing, ok := c.env.Store.Get(objActivities, strconv.FormatInt(id, 10))
	if !ok {
		writeError(w, http.StatusNotFound, "Activity not found")
		return
	}
	merged, err := activityMembers(activityWire(existing))
	if err != nil {
		writeError(w, http.StatusInternalServerError, msgInternal)
		return
	}
	for _, k := range activityKeysServerSet {
		delete(merged, k)
	}
	for k, v := range patch {
		merged[k] = v
	}
	a, err := parseActivity(merged)
	if err != nil {
		writeValidation(w, err)
		return
	}
	fields, linked, err := c.activityWrite(a, tokenFrom(r.Context()))
	if err != nil {
		writeValidation(w, err)
		return
	}
	// The creator stays; a done activity keeps the time it was marked done.
	fields["creator_user_id"] = existing.Fields["creator_user_id"]
	if done, _ := existing.Fields["done"].(bool); done && fields["done"] == true {
		fields["marked_as_done_time"] = existing.Fields["marked_as_done_time"]
	}
	for k := range existing.Fields {
		if _, ok := fields[k]; !ok {
			fields[k] = nil // cleared by the update
		}
	}
	known := map[string]bool{}
	for _, l := range existing.Links {
		known[l.ID] = true
	}
	var rec emu.Record
	err = c.env.Store.Atomic(func(tx *emu.Tx) error {
		var err error
		if rec, err = tx.Patch(objActivities, existing.ID, fields); err != nil {
			return err
		}
		return linkParticipants(tx, rec.ID, linked, known)
	})
	if err != nil {
		writeError(w, http.StatusInternalServerError, msgInternal)
		return
	}
	if after, ok := c.env.Store.Get(objActivities, rec.ID); ok {
		rec = after // with the links just added
	}
	writeData(w, http.StatusOK, activityWire(rec), nil)
}

// activityMembers turns an activity back into raw JSON members.
func activityMembers(a Activity) (map[string]json.RawMessage, error) {
	raw, err := json.Marshal(a)
	if err != nil {
		return nil, errorf("encode activity", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errorf("decode activity", err)
	}
	return m, nil
}
