package hubspot

import (
	"context"
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
	// assocTypeID is the HUBSPOT_DEFINED association type engagement → contact.
	assocTypeID int
}

var engagements = map[crmsync.ActivityKind]engagement{
	crmsync.ActivityCall:    {object: "calls", assocTypeID: 194},
	crmsync.ActivityEmail:   {object: "emails", assocTypeID: 198},
	crmsync.ActivityMeeting: {object: "meetings", assocTypeID: 200},
}

// kinds fixes the order in which kinds are written.
var kinds = []crmsync.ActivityKind{crmsync.ActivityEmail, crmsync.ActivityCall, crmsync.ActivityMeeting}

// LogActivities implements crm.Connector: per kind, one batch create (with
// the contact association inline, and the owner) for the activities not
// yet in HubSpot, and one batch update (no owner, no association change)
// for those whose CRM id the ledger holds.
func (c *Connector) LogActivities(ctx context.Context, a *crm.Account, activities []crm.ActivityInput, ownerID string) ([]crm.Result, error) {
	results := make([]crm.Result, len(activities))
	type pending struct {
		ins    []batchInput
		groups [][]int
		slot   map[string]int
	}
	creates := map[crmsync.ActivityKind]*pending{}
	updates := map[crmsync.ActivityKind]*pending{}
	add := func(m map[crmsync.ActivityKind]*pending, kind crmsync.ActivityKind, key string, in batchInput, i int) {
		p := m[kind]
		if p == nil {
			p = &pending{slot: map[string]int{}}
			m[kind] = p
		}
		if j, ok := p.slot[key]; ok {
			p.ins[j] = in // the later push of the same activity wins
			p.groups[j] = append(p.groups[j], i)
			return
		}
		p.slot[key] = len(p.ins)
		p.ins = append(p.ins, in)
		p.groups = append(p.groups, []int{i})
	}
	now := time.Now()
	for i, act := range activities {
		results[i].ExternalID = act.ExternalID
		eng, ok := engagements[act.Kind]
		switch {
		case !ok:
			results[i].Err = &crm.Error{Problem: crmsync.ProblemInvalidValue, Field: "kind", CRMMessage: fmt.Sprintf("%q is not an activity kind HubSpot can log.", act.Kind)}
			continue
		case act.CRMID == "" && act.ContactCRMID == "":
			results[i].Err = &crm.Error{Problem: crmsync.ProblemRequiredFieldMissing, Field: "contact", CRMMessage: "The activity's contact is not in HubSpot yet."}
			continue
		case act.OccurredAt.IsZero():
			results[i].Err = &crm.Error{Problem: crmsync.ProblemRequiredFieldMissing, Field: "hs_timestamp", CRMMessage: "The activity has no time."}
			continue
		}
		props := activityProperties(act, now)
		if act.CRMID != "" {
			add(updates, act.Kind, act.CRMID, batchInput{ID: act.CRMID, ObjectWriteTraceID: act.CRMID, Properties: props}, i)
			continue
		}
		if ownerID != "" {
			props[ownerProperty] = ownerID
		}
		key := act.ExternalID
		if key == "" {
			key = "#" + strconv.Itoa(i)
		}
		add(creates, act.Kind, key, batchInput{
			ObjectWriteTraceID: key,
			Properties:         props,
			Associations: []association{{
				To:    associationTo{ID: act.ContactCRMID},
				Types: []associationType{{AssociationCategory: "HUBSPOT_DEFINED", AssociationTypeID: eng.assocTypeID}},
			}},
		}, i)
	}
	createMatcher := matcher{
		input:  func(batchInput) string { return "" },
		result: func(batchResult) string { return "" },
	}
	for _, kind := range kinds {
		obj := engagements[kind].object
		for _, job := range []struct {
			p      *pending
			path   string
			m      matcher
			create bool
		}{
			{creates[kind], "/crm/v3/objects/" + obj + "/batch/create", createMatcher, true},
			{updates[kind], "/crm/v3/objects/" + obj + "/batch/update", updateMatcher, false},
		} {
			if job.p == nil {
				continue
			}
			for start := 0; start < len(job.p.ins); start += MaxBatch {
				end := min(start+MaxBatch, len(job.p.ins))
				outs, err := c.writeBatch(ctx, a, job.path, job.p.ins[start:end], job.m)
				if err != nil {
					return nil, fmt.Errorf("hubspot: log %s (connection %d): %w", obj, a.ConnectionID, err)
				}
				for k, o := range outs {
					for _, i := range job.p.groups[start+k] {
						results[i].CRMID, results[i].Created, results[i].Err = o.id, job.create && o.err == nil, o.err
					}
				}
			}
		}
	}
	return results, nil
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
