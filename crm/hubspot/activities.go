package hubspot

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// engagement describes how one activity kind is stored in HubSpot.
type engagement struct {
	object string // object type in API paths
	group  string // property group of its information properties
	// assocTypeID is the HUBSPOT_DEFINED association type engagement → contact.
	assocTypeID int
}

var engagements = map[crmsync.ActivityKind]engagement{
	crmsync.ActivityCall:    {object: "calls", group: "callinformation", assocTypeID: 194},
	crmsync.ActivityEmail:   {object: "emails", group: "emailinformation", assocTypeID: 198},
	crmsync.ActivityMeeting: {object: "meetings", group: "meetinginformation", assocTypeID: 200},
}

// kinds fixes the order in which kinds are written.
var kinds = []crmsync.ActivityKind{crmsync.ActivityEmail, crmsync.ActivityCall, crmsync.ActivityMeeting}

// LogActivities implements crm.Connector: per kind, one batch create (with
// the contact association inline, and the owner) for the activities not
// yet in HubSpot, and one batch update (no owner, no association change)
// for those whose CRM id the ledger holds.
//
// Where EnsureSchema could add the activity id property, creates carry it,
// and the activities about to be created are first looked up by it (one
// search per kind and 100 activities): a push whose answer was lost after
// HubSpot committed it is then updated instead of created twice. HubSpot's
// search index lags writes by a few seconds, so this protects a retry, not
// an immediate resend.
func (c *Connector) LogActivities(ctx context.Context, a *crm.Account, activities []crm.ActivityInput, ownerID string) ([]crm.Result, error) {
	results := make([]crm.Result, len(activities))
	byKind := map[crmsync.ActivityKind][]int{}
	for i, act := range activities {
		results[i].ExternalID = act.ExternalID
		_, ok := engagements[act.Kind]
		switch {
		case !ok:
			results[i].Err = &crm.Error{Problem: crmsync.ProblemInvalidValue, Field: "kind", CRMMessage: fmt.Sprintf("%q is not an activity kind HubSpot can log.", act.Kind)}
		case act.CRMID == "" && act.ContactCRMID == "":
			results[i].Err = &crm.Error{Problem: crmsync.ProblemRequiredFieldMissing, Field: "contact", CRMMessage: "The activity's contact is not in HubSpot yet."}
		case act.OccurredAt.IsZero():
			results[i].Err = &crm.Error{Problem: crmsync.ProblemRequiredFieldMissing, Field: "hs_timestamp", CRMMessage: "The activity has no time."}
		default:
			byKind[act.Kind] = append(byKind[act.Kind], i)
		}
	}
	now := time.Now()
	for _, kind := range kinds {
		idx := byKind[kind]
		if len(idx) == 0 {
			continue
		}
		eng := engagements[kind]
		extProp := a.Schema.Extra[eng.object]
		found := map[string]string{}
		if extProp != "" {
			var ext []string
			for _, i := range idx {
				if activities[i].CRMID == "" && activities[i].ExternalID != "" {
					ext = append(ext, activities[i].ExternalID)
				}
			}
			var err error
			if found, err = c.findByProperty(ctx, a, eng.object, extProp, ext); err != nil {
				return nil, fmt.Errorf("hubspot: log %s (connection %d): look up earlier pushes: %w", eng.object, a.ConnectionID, err)
			}
		}
		var creates, updates pendingBatch
		for _, i := range idx {
			act := activities[i]
			props := activityProperties(act, now)
			if extProp != "" && act.ExternalID != "" {
				props[extProp] = act.ExternalID
			}
			crmID := act.CRMID
			if crmID == "" {
				crmID = found[act.ExternalID]
			}
			if crmID != "" {
				updates.add(crmID, batchInput{ID: crmID, ObjectWriteTraceID: crmID, Properties: props}, i)
				continue
			}
			if ownerID != "" {
				props[ownerProperty] = ownerID
			}
			key := act.ExternalID
			if key == "" {
				key = "#" + strconv.Itoa(i)
			}
			creates.add(key, batchInput{
				ObjectWriteTraceID: key,
				Properties:         props,
				Associations: []association{{
					To:    associationTo{ID: act.ContactCRMID},
					Types: []associationType{{AssociationCategory: "HUBSPOT_DEFINED", AssociationTypeID: eng.assocTypeID}},
				}},
			}, i)
		}
		createMatcher := matcher{
			input:  func(in batchInput) string { return in.Properties[extProp] },
			result: func(r batchResult) string { return r.Properties.get(extProp) },
		}
		if extProp == "" {
			createMatcher = matcher{input: func(batchInput) string { return "" }, result: func(batchResult) string { return "" }}
		}
		if err := c.runPending(ctx, a, "/crm/v3/objects/"+eng.object+"/batch/create", &creates, createMatcher, true, results); err != nil {
			return nil, fmt.Errorf("hubspot: log %s (connection %d): %w", eng.object, a.ConnectionID, err)
		}
		if err := c.runPending(ctx, a, "/crm/v3/objects/"+eng.object+"/batch/update", &updates, updateMatcher, false, results); err != nil {
			return nil, fmt.Errorf("hubspot: update %s (connection %d): %w", eng.object, a.ConnectionID, err)
		}
	}
	return results, nil
}

// pendingBatch collects batch inputs, one per key: a key seen again (the
// same activity twice in one call) replaces the input and shares its result.
type pendingBatch struct {
	ins    []batchInput
	groups [][]int // input → result indexes
	slot   map[string]int
}

func (p *pendingBatch) add(key string, in batchInput, result int) {
	if p.slot == nil {
		p.slot = map[string]int{}
	}
	if j, ok := p.slot[key]; ok {
		p.ins[j] = in
		p.groups[j] = append(p.groups[j], result)
		return
	}
	p.slot[key] = len(p.ins)
	p.ins = append(p.ins, in)
	p.groups = append(p.groups, []int{result})
}

// runPending writes p in batches of MaxBatch and fills results.
func (c *Connector) runPending(ctx context.Context, a *crm.Account, path string, p *pendingBatch, m matcher, create bool, results []crm.Result) error {
	for start := 0; start < len(p.ins); start += MaxBatch {
		end := min(start+MaxBatch, len(p.ins))
		outs, err := c.writeBatch(ctx, a, path, p.ins[start:end], m)
		if err != nil {
			return err
		}
		for k, o := range outs {
			for _, i := range p.groups[start+k] {
				results[i].CRMID, results[i].Created, results[i].Err = o.id, create && o.err == nil, o.err
			}
		}
	}
	return nil
}

// searchPage is the answer of POST /crm/v3/objects/{type}/search.
type searchPage struct {
	Total   int           `json:"total"`
	Results []batchResult `json:"results"`
	Paging  struct {
		Next struct {
			After string `json:"after"`
		} `json:"next"`
	} `json:"paging"`
}

// findByProperty returns the ids of objectType records whose prop holds
// one of values (value → id; the oldest record wins if several do).
func (c *Connector) findByProperty(ctx context.Context, a *crm.Account, objectType, prop string, values []string) (map[string]string, error) {
	found := map[string]string{}
	for start := 0; start < len(values); start += MaxBatch {
		chunk := values[start:min(start+MaxBatch, len(values))]
		// HubSpot's search compares strings case-insensitively and asks
		// for lowercase values with IN.
		want := make(map[string]string, len(chunk)) // folded → as given
		folded := make([]string, len(chunk))
		for i, v := range chunk {
			folded[i] = strings.ToLower(v)
			want[folded[i]] = v
		}
		after := ""
		for {
			body := map[string]any{
				"filterGroups": []any{map[string]any{"filters": []any{map[string]any{"propertyName": prop, "operator": "IN", "values": folded}}}},
				"properties":   []string{prop},
				"sorts":        []any{map[string]string{"propertyName": "hs_object_id", "direction": "ASCENDING"}},
				"limit":        200,
			}
			if after != "" {
				body["after"] = after
			}
			resp, err := c.postJSON(ctx, a, "/crm/v3/objects/"+objectType+"/search", body)
			if err != nil {
				return nil, err
			}
			var page searchPage
			if err := json.Unmarshal(resp.Body, &page); err != nil {
				return nil, fmt.Errorf("decode %s search answer: %w", objectType, err)
			}
			for _, r := range page.Results {
				v, ok := want[strings.ToLower(r.Properties.get(prop))]
				if _, seen := found[v]; ok && !seen {
					found[v] = r.ID
				}
			}
			if page.Paging.Next.After == "" || page.Paging.Next.After == after {
				break
			}
			after = page.Paging.Next.After
		}
	}
	return found, nil
}

// hubspotTime formats t the way HubSpot writes datetimes.
func hubspotTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// activityProperties maps an activity to its engagement's properties.
func activityProperties(act crm.ActivityInput, now time.Time) map[string]string {
	p := map[string]string{"hs_timestamp": hubspotTime(act.OccurredAt)}
	set := func(k, v string) {
		if v != "" {
			p[k] = v
		}
	}
	switch act.Kind {
	case crmsync.ActivityCall:
		set("hs_call_title", act.Subject)
		status, disposition, unmapped := callOutcome(act.Outcome)
		body := act.Body
		if unmapped != "" {
			body = joinLines(body, "Outcome: "+unmapped)
		}
		set("hs_call_body", body)
		if act.Duration > 0 {
			p["hs_call_duration"] = strconv.FormatInt(act.Duration.Milliseconds(), 10)
		}
		switch act.Direction {
		case crmsync.DirectionInbound:
			p["hs_call_direction"] = "INBOUND"
		case crmsync.DirectionOutbound:
			p["hs_call_direction"] = "OUTBOUND"
		}
		p["hs_call_status"] = status
		set("hs_call_disposition", disposition)
	case crmsync.ActivityEmail:
		set("hs_email_subject", act.Subject)
		set("hs_email_text", act.Body)
		p["hs_email_direction"] = "EMAIL"
		if act.Direction == crmsync.DirectionInbound {
			p["hs_email_direction"] = "INCOMING_EMAIL"
		}
		p["hs_email_status"] = "SENT"
	case crmsync.ActivityMeeting:
		set("hs_meeting_title", act.Subject)
		body := act.Body
		if len(act.Attendees) > 0 {
			// Meeting attendees are contacts or owners in HubSpot, not
			// addresses; keep who attended readable on the record.
			body = joinLines(body, "Attendees: "+strings.Join(act.Attendees, ", "))
		}
		set("hs_meeting_body", body)
		end := act.EndsAt
		if end.IsZero() {
			d := act.Duration
			if d <= 0 {
				d = 30 * time.Minute
			}
			end = act.OccurredAt.Add(d)
		}
		p["hs_meeting_start_time"] = hubspotTime(act.OccurredAt)
		p["hs_meeting_end_time"] = hubspotTime(end)
		p["hs_meeting_outcome"] = meetingOutcome(act.Outcome, end, now)
	}
	return p
}

func joinLines(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n\n" + b
}

// callDispositions are HubSpot's default call outcome GUIDs by name.
var callDispositions = map[string]string{
	"busy":              "9d9162e7-6cf3-4944-bf63-4dff82258764",
	"connected":         "f240bbac-87c9-4f6e-bf70-924b57d47db7",
	"left live message": "a4c4c377-d246-4b32-a13b-75a56a4cd0ff",
	"left voicemail":    "b2cf5968-551e-4856-9783-52b3da59a7d0",
	"no answer":         "73a0d17f-1163-4015-bdd5-ec830791da20",
	"wrong number":      "17b47fee-58de-441e-a44c-c6300d46f273",
}

// callOutcome maps a SalesHive call outcome to hs_call_status and
// hs_call_disposition; an outcome HubSpot has no default for is returned
// as unmapped so it can be kept in the notes.
func callOutcome(outcome string) (status, disposition, unmapped string) {
	key := strings.Join(strings.FieldsFunc(strings.ToLower(outcome), func(r rune) bool {
		return r == ' ' || r == '_' || r == '-'
	}), " ")
	switch key {
	case "voicemail":
		key = "left voicemail"
	case "noanswer", "no response":
		key = "no answer"
	}
	status = "COMPLETED"
	switch key {
	case "busy":
		status = "BUSY"
	case "no answer":
		status = "NO_ANSWER"
	case "failed":
		return "FAILED", "", ""
	}
	if key == "" {
		return status, "", ""
	}
	if d, ok := callDispositions[key]; ok {
		return status, d, ""
	}
	return status, "", outcome
}

// meetingOutcome is hs_meeting_outcome: the SalesHive outcome when it is one
// of HubSpot's values, else COMPLETED for a meeting that has ended and
// SCHEDULED for one still ahead.
func meetingOutcome(outcome string, end, now time.Time) string {
	o := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(outcome), " ", "_"))
	switch o {
	case "SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED":
		return o
	case "CANCELLED":
		return "CANCELED"
	}
	if end.After(now) {
		return "SCHEDULED"
	}
	return "COMPLETED"
}
