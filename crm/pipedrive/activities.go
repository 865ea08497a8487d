package pipedrive

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// Activities are Pipedrive activities (POST /api/v2/activities) of type
// call, email or meeting, linked to the person by person_id and as the
// primary participant. Pipedrive has no API that files an email in the
// mail tab, so an email is an activity of type "email" with the body in the
// note. Activities have no custom fields, hence no external-id field: a
// re-push is made idempotent by the CRM id the ledger holds (PATCH), and a
// retry after a create whose answer was lost by finding the identical
// activity on the person (findSent).

// activityTypes maps SalesHive kinds to Pipedrive's default activity types.
var activityTypes = map[crmsync.ActivityKind]string{
	crmsync.ActivityCall:    "call",
	crmsync.ActivityEmail:   "email",
	crmsync.ActivityMeeting: "meeting",
}

// defaultMeeting is a meeting's length when neither an end nor a duration is known.
const defaultMeeting = 30 * time.Minute

// hhmm formats a duration as Pipedrive's "HH:MM" (rounded up to a minute).
func hhmm(d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

// noteHTML turns plain text into the HTML Pipedrive notes hold, with the
// call's direction and outcome on a first line.
func noteHTML(in crm.ActivityInput) string {
	var parts []string
	var meta []string
	if in.Direction != "" {
		meta = append(meta, "Direction: "+string(in.Direction))
	}
	if in.Outcome != "" {
		meta = append(meta, "Outcome: "+in.Outcome)
	}
	if len(meta) > 0 {
		parts = append(parts, "<p>"+html.EscapeString(strings.Join(meta, " · "))+"</p>")
	}
	if in.Body != "" {
		parts = append(parts, "<p>"+strings.ReplaceAll(html.EscapeString(in.Body), "\n", "<br>")+"</p>")
	}
	return strings.Join(parts, "")
}

// activityBody maps one activity to a v2 activity body (without owner).
func activityBody(in crm.ActivityInput, now time.Time) (map[string]any, error) {
	typ, ok := activityTypes[in.Kind]
	if !ok {
		return nil, fmt.Errorf("activity kind %q has no Pipedrive type", in.Kind)
	}
	person, err := strconv.ParseInt(in.ContactCRMID, 10, 64)
	if err != nil || person <= 0 {
		return nil, fmt.Errorf("contact id %q is not a Pipedrive person id", in.ContactCRMID)
	}
	subject := in.Subject
	if subject == "" {
		subject = strings.ToUpper(typ[:1]) + typ[1:]
	}
	at := in.OccurredAt.UTC()
	if at.IsZero() {
		at = now.UTC()
	}
	body := map[string]any{
		"subject":      subject,
		"type":         typ,
		"person_id":    person,
		"participants": []map[string]any{{"person_id": person, "primary": true}},
		"due_date":     at.Format(time.DateOnly),
		"due_time":     at.Format("15:04"),
		"note":         noteHTML(in),
	}
	switch in.Kind {
	case crmsync.ActivityMeeting:
		d := in.Duration
		if !in.EndsAt.IsZero() && in.EndsAt.After(in.OccurredAt) {
			d = in.EndsAt.Sub(in.OccurredAt)
		}
		if d <= 0 {
			d = defaultMeeting
		}
		body["duration"] = hhmm(d)
		body["done"] = !at.Add(d).After(now)
		if len(in.Attendees) > 0 {
			as := make([]map[string]any, 0, len(in.Attendees))
			for _, e := range in.Attendees {
				as = append(as, map[string]any{"email": e})
			}
			body["attendees"] = as
		}
	default:
		if in.Duration > 0 {
			body["duration"] = hhmm(in.Duration)
		}
		body["done"] = true // emails and calls are logged after the fact
	}
	return body, nil
}

// LogActivities implements crm.Connector: PATCH when the ledger holds the
// activity's id, else POST with ownerID. A refusal of one activity is its
// Result's Err; account-level trouble ends the call with an error.
func (c *Connector) LogActivities(ctx context.Context, a *crm.Account, activities []crm.ActivityInput, ownerID string) ([]crm.Result, error) {
	if len(activities) > MaxBatch {
		return nil, fmt.Errorf("pipedrive: log activities (connection %d): %d activities, at most %d per call", a.ConnectionID, len(activities), MaxBatch)
	}
	var owner int64
	if ownerID != "" {
		n, err := strconv.ParseInt(ownerID, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("pipedrive: log activities (connection %d): owner id %q is not a Pipedrive user id", a.ConnectionID, ownerID)
		}
		owner = n
	}
	results := make([]crm.Result, len(activities))
	var out outage
	for i, in := range activities {
		res, err := c.logOne(ctx, a, in, owner)
		if !isInputError(err) && out.ends(err) {
			return nil, fmt.Errorf("pipedrive: log %s %s (connection %d): %w", in.Kind, in.ExternalID, a.ConnectionID, err)
		} else if err != nil {
			res.Err = crm.AsError(err)
		}
		results[i] = res
	}
	return results, nil
}

// inputError is an activity the connector cannot map (not a CRM refusal).
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

func isInputError(err error) bool {
	_, ok := err.(*inputError)
	return ok
}

// activityKey identifies an activity whose create may have committed
// without crmsync learning its id.
type activityKey struct {
	connection int64
	externalID string
}

// markUncertain notes (on) or forgets (off) that the create of an activity
// may have committed unseen.
func (c *Connector) markUncertain(a *crm.Account, ext string, on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := activityKey{a.ConnectionID, ext}
	if on {
		c.uncertainActivities[k] = true
	} else {
		delete(c.uncertainActivities, k)
	}
}

func (c *Connector) isUncertain(a *crm.Account, ext string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.uncertainActivities[activityKey{a.ConnectionID, ext}]
}

// listedActivity is what findSent reads of a person's activity.
type listedActivity struct {
	ID      int64   `json:"id"`
	Type    string  `json:"type"`
	Subject string  `json:"subject"`
	DueDate *string `json:"due_date"`
	DueTime *string `json:"due_time"`
	Note    *string `json:"note"`
}

// findSent looks among the person's activities for one identical to body:
// the create this process sent before its answer was lost. Without an
// external-id field that is the only way to make that retry idempotent; it
// costs one listing, and only after such a failure.
func (c *Connector) findSent(ctx context.Context, a *crm.Account, body map[string]any) (string, error) {
	q := url.Values{"person_id": {strconv.FormatInt(body["person_id"].(int64), 10)}, "limit": {"500"}}
	for {
		var page []listedActivity
		next, err := c.getPage(ctx, a, "/api/v2/activities", q, &page)
		if err != nil {
			return "", err
		}
		for _, x := range page {
			if x.Type == body["type"] && x.Subject == body["subject"] && deref(x.DueDate) == body["due_date"] &&
				deref(x.DueTime) == body["due_time"] && deref(x.Note) == body["note"] {
				return strconv.FormatInt(x.ID, 10), nil
			}
		}
		if next == "" {
			return "", nil
		}
		q.Set("cursor", next)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// logOne writes one activity.
func (c *Connector) logOne(ctx context.Context, a *crm.Account, in crm.ActivityInput, owner int64) (crm.Result, error) {
	res := crm.Result{ExternalID: in.ExternalID}
	body, err := activityBody(in, time.Now())
	if err != nil {
		return res, &inputError{&crm.Error{Problem: crmsync.ProblemInvalidValue, CRMMessage: err.Error(), Err: err}}
	}
	var out struct {
		ID int64 `json:"id"`
	}
	if in.CRMID == "" && (in.Retry || c.isUncertain(a, in.ExternalID)) {
		id, err := c.findSent(ctx, a, body)
		if err != nil {
			return res, err
		}
		in.CRMID = id // "" when the lost create did not commit
	}
	if in.CRMID != "" {
		err := c.send(ctx, a, http.MethodPatch, "/api/v2/activities/"+url.PathEscape(in.CRMID), body, &out)
		if err == nil {
			c.markUncertain(a, in.ExternalID, false)
			res.CRMID = strconv.FormatInt(out.ID, 10)
			return res, nil
		}
		if !isNotFound(err) {
			return res, err
		}
		// Deleted in Pipedrive since: log it again.
	}
	if owner != 0 {
		body["owner_id"] = owner
	}
	if err := c.send(ctx, a, http.MethodPost, "/api/v2/activities", body, &out); err != nil {
		if uncertain(err) {
			c.markUncertain(a, in.ExternalID, true)
		}
		return res, err
	}
	c.markUncertain(a, in.ExternalID, false)
	res.CRMID, res.Created = strconv.FormatInt(out.ID, 10), true
	return res, nil
}
