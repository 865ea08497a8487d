package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/saleshive/crmsync"
)

// activityInput is the writable part of an activity: what the platform
// sends.
type activityInput struct {
	SourceID        string               `json:"source_id"`
	ContactSourceID string               `json:"contact_source_id"`
	Kind            crmsync.ActivityKind `json:"kind"`
	Subject         string               `json:"subject"`
	Body            string               `json:"body"`
	Direction       crmsync.Direction    `json:"direction"`
	OccurredAt      rfc3339Time          `json:"occurred_at"`
	DurationSeconds int                  `json:"duration_seconds"`
	Outcome         string               `json:"outcome"`
	EndsAt          *rfc3339Time         `json:"ends_at"`
	Attendees       []string             `json:"attendees"`
}

// toActivity copies the input into a.
func (in *activityInput) toActivity(a *crmsync.Activity) {
	*a = crmsync.Activity{
		SourceID: in.SourceID, ContactSourceID: in.ContactSourceID, Kind: in.Kind,
		Subject: in.Subject, Body: in.Body, Direction: in.Direction,
		OccurredAt: in.OccurredAt.Time, DurationSeconds: in.DurationSeconds,
		Outcome: in.Outcome, Attendees: in.Attendees,
	}
	if in.EndsAt != nil && !in.EndsAt.IsZero() {
		t := in.EndsAt.Time
		a.EndsAt = &t
	}
}

// rfc3339Time is a time sent as an RFC 3339 string. A malformed time is a
// decoding error that names its field, like a value of the wrong type.
type rfc3339Time struct{ time.Time }

var rfc3339TimeType = reflect.TypeFor[rfc3339Time]()

// badTimeError is returned for a value that is not an RFC 3339 string; the
// decoder wraps it with the field's path.
type badTimeError struct{ value []byte }

func (e *badTimeError) Error() string { return fmt.Sprintf("%.40s is not an RFC 3339 time", e.value) }

// UnmarshalJSON parses an RFC 3339 string into UTC; null leaves t zero.
func (t *rfc3339Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &badTimeError{value: b}
	}
	parsed, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return &badTimeError{value: b}
	}
	t.Time = parsed.UTC()
	return nil
}

// activitiesBatchResponse answers a batch upsert.
type activitiesBatchResponse struct {
	Created    int         `json:"created"`
	Updated    int         `json:"updated"`
	Activities []recordRef `json:"activities"`
}

// activitiesPage is one page of an activity listing.
type activitiesPage struct {
	Activities  []*crmsync.Activity `json:"activities"`
	NextAfterID *int64              `json:"next_after_id"`
}

// handleActivityUpsert creates or updates one activity by its source_id:
// 201 when it was created, 200 when it was updated. Its contact must exist.
func (s *Server) handleActivityUpsert(w http.ResponseWriter, r *http.Request, workspaceID int64) error {
	var in activityInput
	if err := decodeOne(w, r, s.cfg.MaxSingleBytes, &in); err != nil {
		return err
	}
	a := new(crmsync.Activity)
	in.toActivity(a)
	if err := a.Validate(); err != nil {
		return err
	}
	res, err := s.cfg.Activities.UpsertActivities(writeContext(r), workspaceID, []*crmsync.Activity{a})
	if err != nil {
		return singleRecordError("activities", err)
	}
	infoFrom(r.Context()).records = 1
	status := http.StatusOK
	if res.Created > 0 {
		status = http.StatusCreated
	}
	writeJSON(w, status, a)
	return nil
}

// handleActivitiesBatchUpsert creates or updates 1 to 1,000 activities in
// one transaction; like contacts, one invalid record (or one naming an
// unknown contact) rejects the batch.
func (s *Server) handleActivitiesBatchUpsert(w http.ResponseWriter, r *http.Request, workspaceID int64) error {
	inputs, err := decodeBatch[activityInput](w, r, s.cfg.MaxBatchBytes, "activities", nil)
	if err != nil {
		return err
	}
	backing := make([]crmsync.Activity, len(inputs))
	activities := make([]*crmsync.Activity, len(inputs))
	for i := range inputs {
		inputs[i].toActivity(&backing[i])
		activities[i] = &backing[i]
	}
	// The store validates every record and resolves every contact before
	// writing anything.
	res, err := s.cfg.Activities.UpsertActivities(writeContext(r), workspaceID, activities)
	if err != nil {
		return err
	}
	infoFrom(r.Context()).records = len(activities)
	out := activitiesBatchResponse{Created: res.Created, Updated: res.Updated, Activities: make([]recordRef, len(activities))}
	for i, a := range activities {
		out.Activities[i] = recordRef{ID: a.ID, SourceID: a.SourceID}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleActivitiesList lists the workspace's activities by id, optionally
// of one contact, with after_id paging.
func (s *Server) handleActivitiesList(w http.ResponseWriter, r *http.Request, workspaceID int64) error {
	p, err := parseListParams(r)
	if err != nil {
		return err
	}
	filter := crmsync.ActivityFilter{AfterID: p.AfterID, Limit: p.Limit}
	if v := r.URL.Query().Get("contact_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return badRequest("contact_id", "must be a positive integer: a contact's id")
		}
		filter.ContactID = id
	}
	activities, err := s.cfg.Activities.FindActivities(r.Context(), workspaceID, filter)
	if err != nil {
		return err
	}
	page := activitiesPage{Activities: activities}
	if page.Activities == nil {
		page.Activities = []*crmsync.Activity{}
	}
	if n := len(activities); n > 0 {
		page.NextAfterID = nextAfterID(n, p.Limit, activities[n-1].ID)
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// handleActivityShow returns one activity of the workspace by id.
func (s *Server) handleActivityShow(w http.ResponseWriter, r *http.Request, workspaceID int64) error {
	id, err := parseID(r, "activity")
	if err != nil {
		return err
	}
	a, err := s.cfg.Activities.FindActivityByID(r.Context(), workspaceID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}
