package crmsync

import (
	"context"
	"strconv"
	"time"
)

// ActivityKind is the kind of a logged activity.
type ActivityKind string

// Activity kinds; each has its own sync toggle.
const (
	ActivityEmail   ActivityKind = "email"
	ActivityCall    ActivityKind = "call"
	ActivityMeeting ActivityKind = "meeting"
)

// Direction says who started an email or call.
type Direction string

// Directions.
const (
	DirectionInbound  Direction = "inbound"
	DirectionOutbound Direction = "outbound"
)

// Activity is an email, call or meeting with one contact, logged on that
// contact's CRM record.
type Activity struct {
	ID              int64        `json:"id"`
	WorkspaceID     int64        `json:"-"`
	SourceID        string       `json:"source_id"`         // the platform's own id; unique per workspace
	ContactID       int64        `json:"contact_id"`        // set by the store from ContactSourceID
	ContactSourceID string       `json:"contact_source_id"` // the contact's platform id
	Kind            ActivityKind `json:"kind"`
	Subject         string       `json:"subject,omitempty"`
	Body            string       `json:"body,omitempty"` // email body or call/meeting notes
	Direction       Direction    `json:"direction,omitempty"`
	OccurredAt      time.Time    `json:"occurred_at"`
	DurationSeconds int          `json:"duration_seconds,omitempty"` // calls and meetings
	Outcome         string       `json:"outcome,omitempty"`          // call disposition, e.g. "connected"
	EndsAt          *time.Time   `json:"ends_at,omitempty"`          // meetings: OccurredAt is the start
	Attendees       []string     `json:"attendees,omitempty"`        // meetings: attendee emails
	CreatedAt       time.Time    `json:"created_at"`
	UpdatedAt       time.Time    `json:"updated_at"`
}

// Activity limits.
const (
	MaxSubjectLen   = 255
	MaxBodyLen      = 32000 // Salesforce Task Description holds 32,000 characters
	MaxAttendees    = 50
	MaxCallDuration = 24 * 60 * 60
)

// Validate reports every invalid field of a.
func (a *Activity) Validate() error {
	var v Validation
	checkRequired(&v, "source_id", a.SourceID, MaxSourceIDLen)
	checkRequired(&v, "contact_source_id", a.ContactSourceID, MaxSourceIDLen)
	switch a.Kind {
	case ActivityEmail, ActivityCall, ActivityMeeting:
	case "":
		v.Add("kind", "is required: one of email, call, meeting")
	default:
		v.Add("kind", "%q is not a kind; use email, call or meeting", a.Kind)
	}
	checkLen(&v, "subject", a.Subject, MaxSubjectLen)
	checkLen(&v, "body", a.Body, MaxBodyLen)
	switch a.Direction {
	case "", DirectionInbound, DirectionOutbound:
	default:
		v.Add("direction", "%q is not a direction; use inbound or outbound", a.Direction)
	}
	if a.OccurredAt.IsZero() {
		v.Add("occurred_at", "is required, as an RFC 3339 time such as 2026-07-02T15:04:05Z")
	}
	if a.DurationSeconds < 0 || a.DurationSeconds > MaxCallDuration {
		v.Add("duration_seconds", "must be between 0 and %d", MaxCallDuration)
	}
	checkLen(&v, "outcome", a.Outcome, 100)
	if a.EndsAt != nil && a.Kind != ActivityMeeting {
		v.Add("ends_at", "is only for meetings")
	}
	if a.EndsAt != nil && !a.OccurredAt.IsZero() && a.EndsAt.Before(a.OccurredAt) {
		v.Add("ends_at", "is before occurred_at; a meeting must end after it starts")
	}
	if len(a.Attendees) > 0 && a.Kind != ActivityMeeting {
		v.Add("attendees", "is only for meetings")
	}
	if len(a.Attendees) > MaxAttendees {
		v.Add("attendees", "has %d entries; send at most %d", len(a.Attendees), MaxAttendees)
	}
	for i, e := range a.Attendees {
		if !ValidEmail(e) {
			v.Add("attendees["+strconv.Itoa(i)+"]", "%q is not a valid email address", e)
		}
	}
	return v.Err("The activity has invalid fields.")
}

// ActivityFilter selects activities of one workspace, ordered by id.
type ActivityFilter struct {
	ContactID int64 // 0: any contact
	AfterID   int64
	Limit     int // 0 means 100; at most 1000
}

// ActivityService stores activities. Every method is scoped to one workspace.
//
// UpsertActivities validates every activity and resolves its contact by
// ContactSourceID; if any is invalid or names a contact the workspace does
// not have, nothing is written (EINVALID / EUNPROCESSABLE naming each record
// by index). It is idempotent on SourceID and appends to the change log in the
// same transaction.
type ActivityService interface {
	UpsertActivities(ctx context.Context, workspaceID int64, activities []*Activity) (UpsertResult, error)
	FindActivityByID(ctx context.Context, workspaceID, id int64) (*Activity, error)
	FindActivities(ctx context.Context, workspaceID int64, filter ActivityFilter) ([]*Activity, error)
	FindActivitiesByIDs(ctx context.Context, workspaceID int64, ids []int64) ([]*Activity, error)
}

// ObjectType names what a change-log entry or sync item refers to.
type ObjectType string

// Object types.
const (
	ObjectContact  ObjectType = "contact"
	ObjectActivity ObjectType = "activity"
)

// Change is one change-log entry: an object of the workspace was created or
// updated. Seq is strictly increasing in commit order per workspace, so
// "everything since seq N" is a complete read.
type Change struct {
	Seq        int64        `json:"seq"`
	ObjectType ObjectType   `json:"object_type"`
	ObjectID   int64        `json:"object_id"`
	Kind       ActivityKind `json:"kind,omitempty"` // for activities, so toggles filter without a join
	ChangedAt  time.Time    `json:"changed_at"`
}

// ChangeLog reads the change log of a workspace.
type ChangeLog interface {
	// FindChanges returns up to limit changes with Seq > afterSeq in Seq order.
	FindChanges(ctx context.Context, workspaceID, afterSeq int64, limit int) ([]Change, error)
	// LatestChangeSeq returns the highest Seq of the workspace, 0 if none.
	LatestChangeSeq(ctx context.Context, workspaceID int64) (int64, error)
}
