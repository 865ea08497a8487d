package salesforce

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// Field limits of Task and Event the connector truncates to.
const (
	maxSubject     = 255
	maxDescription = 32000
	maxDisposition = 255
)

// activityExternalID is the account's activity external-id field.
func activityExternalID(a *crm.Account) string {
	if f := a.Schema.ActivityExternalID; f != "" {
		return f
	}
	return ActivityExternalIDField
}

// activityObject is the sObject an activity kind becomes: calls and emails are Tasks
// (TaskSubtype Call / Email), meetings are Events.
func activityObject(k crmsync.ActivityKind) string {
	if k == crmsync.ActivityMeeting {
		return "Event"
	}
	return "Task"
}

// LogActivities implements crm.Connector: one sObject Collections upsert per object (Task,
// Event) by the Activity external-id field, so a re-pushed activity updates its record.
// TaskSubtype (and, by contract, the owner) may be set only on create. Inputs without a
// CRM id are sent as creates; the few that already exist (a retry after a lost answer)
// come back with INVALID_FIELD_FOR_INSERT_UPDATE on TaskSubtype and are sent again as
// updates, so the common case costs one call per object.
func (c *Connector) LogActivities(ctx context.Context, a *crm.Account, activities []crm.ActivityInput, ownerID string) ([]crm.Result, error) {
	if len(activities) > MaxBatch {
		return nil, fmt.Errorf("salesforce: log activities (connection %d): %d activities, at most %d per call", a.ConnectionID, len(activities), MaxBatch)
	}
	ext := activityExternalID(a)
	results := make([]crm.Result, len(activities))
	groups := map[string][]int{}
	for i, in := range activities {
		results[i].ExternalID = in.ExternalID
		switch {
		case in.ExternalID == "":
			results[i].Err = invalidInput("The activity has no SalesHive external id.")
		case in.ContactCRMID == "":
			results[i].Err = invalidInput("The activity's contact is not in Salesforce yet.")
		default:
			obj := activityObject(in.Kind)
			groups[obj] = append(groups[obj], i)
		}
	}
	for _, obj := range []string{"Task", "Event"} {
		idx := groups[obj]
		for attempt := 0; len(idx) > 0 && attempt < 2; attempt++ {
			keys := make([]string, len(idx))
			recs := make([]record, len(idx))
			for j, i := range idx {
				in := activities[i]
				create := in.CRMID == "" && attempt == 0
				recs[j] = activityRecord(in, ext, create, ownerID)
				keys[j] = in.ExternalID
			}
			if err := c.upsertByExternalID(ctx, a, obj, ext, keys, recs, results, idx); err != nil {
				return nil, fmt.Errorf("salesforce: log activities (connection %d): %w", a.ConnectionID, err)
			}
			var again []int
			for _, i := range idx {
				if e := results[i].Err; e != nil && activities[i].CRMID == "" && isCreateOnlyRefusal(e) {
					results[i].Err = nil
					again = append(again, i)
				}
			}
			idx = again
		}
	}
	return results, nil
}

// isCreateOnlyRefusal reports whether e refused a create-only field on an existing record.
func isCreateOnlyRefusal(e *crm.Error) bool {
	return e.Code == "INVALID_FIELD_FOR_INSERT_UPDATE" && (e.Field == "TaskSubtype" || e.Field == "EventSubtype" ||
		strings.Contains(e.CRMMessage, "TaskSubtype"))
}

// activityRecord maps one activity to its Task or Event fields. create-only fields
// (TaskSubtype, and the owner) are sent only when the record is new.
func activityRecord(in crm.ActivityInput, extField string, create bool, ownerID string) record {
	obj := activityObject(in.Kind)
	r := newRecord(obj)
	r[extField] = in.ExternalID
	r["WhoId"] = in.ContactCRMID
	subject := in.Subject
	desc := in.Body
	switch in.Kind {
	case crmsync.ActivityEmail:
		if subject == "" {
			subject = "Email"
		}
		if create {
			r["TaskSubtype"] = "Email"
		}
		r["Status"] = "Completed"
		r["ActivityDate"] = in.OccurredAt.UTC().Format(time.DateOnly)
	case crmsync.ActivityCall:
		if subject == "" {
			subject = "Call"
		}
		if create {
			r["TaskSubtype"] = "Call"
		}
		r["Status"] = "Completed"
		r["ActivityDate"] = in.OccurredAt.UTC().Format(time.DateOnly)
		r["CallType"] = "Outbound"
		if in.Direction == crmsync.DirectionInbound {
			r["CallType"] = "Inbound"
		}
		r["CallDurationInSeconds"] = int(in.Duration / time.Second)
		if in.Outcome != "" {
			r["CallDisposition"] = clip(in.Outcome, maxDisposition)
		}
	case crmsync.ActivityMeeting:
		if subject == "" {
			subject = "Meeting"
		}
		start := in.OccurredAt.UTC()
		end := in.EndsAt.UTC()
		if in.EndsAt.IsZero() {
			end = start.Add(30 * time.Minute)
			if in.Duration > 0 {
				end = start.Add(in.Duration)
			}
		}
		r["StartDateTime"] = start.Format("2006-01-02T15:04:05.000Z")
		r["EndDateTime"] = end.Format("2006-01-02T15:04:05.000Z")
		if len(in.Attendees) > 0 {
			desc = strings.TrimSpace(desc + "\n\nAttendees: " + strings.Join(in.Attendees, ", "))
		}
	}
	r["Subject"] = clip(subject, maxSubject)
	if desc != "" {
		r["Description"] = clip(desc, maxDescription)
	}
	if create && ownerID != "" {
		r["OwnerId"] = ownerID
	}
	return r
}

// clip cuts s to at most n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
