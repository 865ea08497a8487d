package syncer

import (
	"strconv"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// contactInput maps a contact through the connection's field mappings:
// each SalesHive field to its CRM field, then fixed values. Empty values are
// left out so an update never blanks a field in the CRM.
func contactInput(c *crmsync.Contact, mappings []*crmsync.FieldMapping, crmID string) crm.ContactInput {
	in := crm.ContactInput{ExternalID: contactExternalID(c), CRMID: crmID, Fields: make(map[string]string, len(mappings))}
	for _, m := range mappings {
		if v := m.ValueFor(c); v != "" {
			in.Fields[m.CRMField] = v
		}
	}
	return in
}

// contactExternalID is the value of "SalesHive External ID" on a contact:
// the platform's own id, stable across crmsync databases and handy for
// clients filtering what came from SalesHive.
func contactExternalID(c *crmsync.Contact) string { return c.SourceID }

// activityInput maps an activity onto the connector's activity shape.
func activityInput(a *crmsync.Activity, contactCRMID, crmID string) crm.ActivityInput {
	in := crm.ActivityInput{
		ExternalID:   a.SourceID,
		CRMID:        crmID,
		ContactCRMID: contactCRMID,
		Kind:         a.Kind,
		Subject:      a.Subject,
		Body:         a.Body,
		Direction:    a.Direction,
		OccurredAt:   a.OccurredAt,
		Duration:     time.Duration(a.DurationSeconds) * time.Second,
		Outcome:      a.Outcome,
		Attendees:    a.Attendees,
	}
	if a.EndsAt != nil {
		in.EndsAt = *a.EndsAt
	}
	if in.Subject == "" {
		in.Subject = defaultSubject(a.Kind)
	}
	return in
}

func defaultSubject(k crmsync.ActivityKind) string {
	switch k {
	case crmsync.ActivityEmail:
		return "Email from SalesHive"
	case crmsync.ActivityCall:
		return "Call from SalesHive"
	}
	return "Meeting from SalesHive"
}

// eventType is the Type column of the recent activity table.
func eventType(t crmsync.ObjectType, k crmsync.ActivityKind) string {
	if t == crmsync.ObjectContact {
		return "contact"
	}
	return string(k)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
