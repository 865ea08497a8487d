package zoho

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// zohoTime is Zoho's date-time format: ISO-8601 with a numeric offset.
const zohoTime = "2006-01-02T15:04:05-07:00"

// defaultMeeting is a meeting's length when the activity gives none.
const defaultMeeting = 30 * time.Minute

// MessageID is the original_message_id crmsync gives the email with
// external id extID. Zoho refuses to associate the same one with a record
// twice, which makes a retried email push idempotent; it is also the
// email's CRM id, since Zoho cannot look an email up by it.
func MessageID(extID string) string { return "<" + extID + "@crmsync.saleshive>" }

// LogActivities implements crm.Connector. Calls and meetings go through
// pushRecords (Calls and Events, linked by Who_Id); emails are associated
// with their contact, one call per contact. An email already pushed (it has
// a CRM id) is left as it is: Zoho cannot change an associated email.
func (c *Connector) LogActivities(ctx context.Context, a *crm.Account, activities []crm.ActivityInput, ownerID string) ([]crm.Result, error) {
	wrap := func(err error) error {
		return fmt.Errorf("zoho: log activities (connection %d): %w", a.ConnectionID, err)
	}
	if len(activities) > MaxBatch {
		return nil, wrap(fmt.Errorf("%d activities, at most %d per call", len(activities), MaxBatch))
	}
	results := make([]crm.Result, len(activities))
	byKind := map[crmsync.ActivityKind][]int{}
	for i, act := range activities {
		results[i].ExternalID = act.ExternalID
		switch {
		case act.ContactCRMID == "":
			results[i].Err = &crm.Error{Problem: crmsync.ProblemInvalidValue, CRMMessage: "The activity's contact has not been pushed to Zoho yet."}
		case act.Kind == crmsync.ActivityCall || act.Kind == crmsync.ActivityMeeting || act.Kind == crmsync.ActivityEmail:
			byKind[act.Kind] = append(byKind[act.Kind], i)
		default:
			results[i].Err = &crm.Error{Problem: crmsync.ProblemInvalidValue, CRMMessage: fmt.Sprintf("Unknown activity kind %q.", act.Kind)}
		}
	}
	for _, kind := range []crmsync.ActivityKind{crmsync.ActivityCall, crmsync.ActivityMeeting} {
		idx := byKind[kind]
		if len(idx) == 0 {
			continue
		}
		module, ext := moduleCalls, a.Schema.Extra[extraCallsExternalID]
		if kind == crmsync.ActivityMeeting {
			module, ext = moduleEvents, a.Schema.Extra[extraEventsExternalID]
		}
		if ext == "" {
			ext = a.Schema.ActivityExternalID
		}
		if ext == "" {
			return nil, wrap(fmt.Errorf("the %s external-id field is not set up (EnsureSchema)", module))
		}
		res, err := c.pushRecords(ctx, a, push{
			module: module, extField: ext, n: len(idx),
			extID: func(k int) string { return activities[idx[k]].ExternalID },
			crmID: func(k int) string { return activities[idx[k]].CRMID },
			record: func(k int, create bool) (map[string]any, error) {
				act := activities[idx[k]]
				rec := activityRecord(act)
				rec[ext] = act.ExternalID
				if create && ownerID != "" {
					rec["Owner"] = map[string]any{"id": ownerID}
				}
				return rec, nil
			},
		})
		if err != nil {
			return nil, wrap(err)
		}
		for k, r := range res {
			results[idx[k]] = r
		}
	}
	if idx := byKind[crmsync.ActivityEmail]; len(idx) > 0 {
		if err := c.logEmails(ctx, a, activities, idx, ownerID, results); err != nil {
			return nil, wrap(err)
		}
	}
	return results, nil
}

// activityRecord is the Calls or Events record of act (without the
// external id and owner).
func activityRecord(act crm.ActivityInput) map[string]any {
	who := map[string]any{"id": act.ContactCRMID}
	at := act.OccurredAt.UTC()
	if act.Kind == crmsync.ActivityCall {
		secs := int(act.Duration.Round(time.Second) / time.Second)
		callType := "Outbound"
		if act.Direction == crmsync.DirectionInbound {
			callType = "Inbound"
		}
		rec := map[string]any{
			"Subject":         act.Subject,
			"Call_Start_Time": at.Format(zohoTime),
			"Who_Id":          who,
			"Description":     describe(act.Body, act.Outcome),
		}
		if secs <= 0 {
			// Zoho refuses a zero duration on an inbound or outbound call
			// ("Call Duration can not be zero"): a call that never
			// connected is a missed call.
			callType = "Missed"
		}
		rec["Call_Type"] = callType
		// Call_Duration as minutes:seconds, how Zoho's UI shows it (the
		// documented "HH:mm" wording conflicts with Zoho's samples; UNCONFIRMED).
		rec["Call_Duration"] = fmt.Sprintf("%02d:%02d", secs/60, secs%60)
		if callType == "Outbound" {
			rec["Outbound_Call_Status"] = "Completed"
		}
		if rec["Subject"] == "" {
			rec["Subject"] = "Call"
		}
		return rec
	}
	end := act.EndsAt
	if end.IsZero() {
		end = act.OccurredAt.Add(act.Duration)
		if act.Duration <= 0 {
			end = act.OccurredAt.Add(defaultMeeting)
		}
	}
	rec := map[string]any{
		"Event_Title":    act.Subject,
		"Start_DateTime": at.Format(zohoTime),
		"End_DateTime":   end.UTC().Format(zohoTime),
		"Who_Id":         who,
		"Description":    describe(act.Body, act.Outcome),
	}
	if rec["Event_Title"] == "" {
		rec["Event_Title"] = "Meeting"
	}
	participants := []any{map[string]any{"type": "contact", "participant": act.ContactCRMID}}
	for _, email := range act.Attendees {
		if email = strings.TrimSpace(email); email != "" && len(participants) < 50 {
			participants = append(participants, map[string]any{"type": "email", "participant": email})
		}
	}
	rec["Participants"] = participants
	return rec
}

// describe is the Description of an activity: its body, and its outcome,
// which Zoho's picklists (Call_Result) would reject in free form.
func describe(body, outcome string) string {
	if outcome == "" {
		return body
	}
	if body == "" {
		return "Outcome: " + outcome
	}
	return body + "\n\nOutcome: " + outcome
}

// emailResult is one item of associate_email's Emails[].
type emailResult struct {
	apiError
}

// logEmails associates the emails at idx with their contacts, one call per
// contact. Logged emails go from the signed-in user to the contact (or the
// other way for inbound ones).
func (c *Connector) logEmails(ctx context.Context, a *crm.Account, acts []crm.ActivityInput, idx []int, ownerID string, results []crm.Result) error {
	userEmail, userID := a.Schema.Extra[extraUserEmail], a.Schema.Extra[extraUserID]
	if userEmail == "" {
		u, err := c.currentUser(ctx, a)
		if err != nil {
			return err
		}
		userEmail, userID = u.Email, u.ID
	}
	byContact := map[string][]int{}
	var order []string
	for _, i := range idx {
		act := acts[i]
		if act.CRMID != "" {
			results[i] = crm.Result{ExternalID: act.ExternalID, CRMID: act.CRMID}
			continue
		}
		if _, seen := byContact[act.ContactCRMID]; !seen {
			order = append(order, act.ContactCRMID)
		}
		byContact[act.ContactCRMID] = append(byContact[act.ContactCRMID], i)
	}
	for _, contactID := range order {
		group := byContact[contactID]
		contactEmail, name, err := c.contactAddress(ctx, a, contactID)
		if err != nil {
			if !errors.Is(err, errNoContent) {
				return err
			}
			for _, i := range group {
				results[i].Err = &crm.Error{Problem: crmsync.ProblemInvalidValue, CRMMessage: "The contact no longer exists in Zoho CRM."}
			}
			continue
		}
		var items []any
		var sent []int
		for _, i := range group {
			act := acts[i]
			them := contactEmail
			if them == "" && len(act.Attendees) > 0 {
				them = act.Attendees[0]
			}
			if them == "" {
				results[i].Err = &crm.Error{Problem: crmsync.ProblemRequiredFieldMissing, Field: "Email", CRMMessage: "The contact has no email address in Zoho CRM, so the email cannot be logged on it."}
				continue
			}
			me := map[string]any{"user_name": "SalesHive", "email": userEmail}
			contact := map[string]any{"user_name": name, "email": them}
			from, to := me, contact
			if act.Direction == crmsync.DirectionInbound {
				from, to = contact, me
			}
			subject := act.Subject
			if subject == "" {
				subject = "(no subject)"
			}
			item := map[string]any{
				"from": from, "to": []any{to}, "subject": subject, "content": act.Body, "mail_format": "text",
				"date_time": act.OccurredAt.UTC().Format(zohoTime), "sent": act.Direction != crmsync.DirectionInbound,
				"original_message_id": MessageID(act.ExternalID),
			}
			if ownerID != "" && ownerID != userID {
				// Only an administrator may log another user's email.
				item["owner"] = map[string]any{"id": ownerID}
			}
			items, sent = append(items, item), append(sent, i)
		}
		if len(items) == 0 {
			continue
		}
		resp, err := c.sendJSON(ctx, a, http.MethodPost, "/Contacts/"+url.PathEscape(contactID)+"/actions/associate_email", map[string]any{"Emails": items})
		if resp == nil {
			return err
		}
		var out struct {
			Emails []emailResult `json:"Emails"`
		}
		if jerr := json.Unmarshal(resp.Body, &out); jerr != nil || len(out.Emails) != len(items) {
			if err != nil {
				return err
			}
			return fmt.Errorf("associate email: %d results for %d emails", len(out.Emails), len(items))
		}
		for k, r := range out.Emails {
			i := sent[k]
			id := MessageID(acts[i].ExternalID)
			switch {
			case r.Status == "success":
				results[i] = crm.Result{ExternalID: acts[i].ExternalID, CRMID: id, Created: true}
			case r.Code == "DUPLICATE_DATA":
				// Already associated (a retried push): it is there.
				results[i] = crm.Result{ExternalID: acts[i].ExternalID, CRMID: id}
			default:
				results[i].Err = itemError(resp.StatusCode, r.apiError)
			}
		}
	}
	return nil
}

// address is a contact's email address and name.
type address struct{ email, name string }

// maxCachedAddresses bounds addressCache; when full it starts over.
const maxCachedAddresses = 50000

// addressCache maps "{connection}/{account}/{contact id}" to the contact's
// address as crmsync last wrote it.
type addressCache struct {
	mu sync.Mutex
	m  map[string]address
}

func addressKey(a *crm.Account, contactID string) string {
	return strconv.FormatInt(a.ConnectionID, 10) + "/" + a.AccountID + "/" + contactID
}

func (ac *addressCache) get(key string) (address, bool) {
	ac.mu.Lock()
	defer ac.mu.Unlock()
	v, ok := ac.m[key]
	return v, ok
}

func (ac *addressCache) put(key string, v address) {
	ac.mu.Lock()
	defer ac.mu.Unlock()
	if len(ac.m) >= maxCachedAddresses {
		clear(ac.m)
	}
	ac.m[key] = v
}

// rememberAddresses caches the address of every contact an upsert wrote.
func (c *Connector) rememberAddresses(a *crm.Account, contacts []crm.ContactInput, results []crm.Result) {
	for i, r := range results {
		if r.Err != nil || r.CRMID == "" {
			continue
		}
		f := contacts[i].Fields
		if f["Email"] == "" {
			continue
		}
		c.addresses.put(addressKey(a, r.CRMID), address{email: f["Email"], name: strings.TrimSpace(f["First_Name"] + " " + f["Last_Name"])})
	}
}

// contactAddress returns a contact's email and name: from the cache of
// contacts this connector wrote, else from Zoho (GET /Contacts/{id}).
func (c *Connector) contactAddress(ctx context.Context, a *crm.Account, id string) (email, name string, err error) {
	if v, ok := c.addresses.get(addressKey(a, id)); ok {
		return v.email, v.name, nil
	}
	var out struct {
		Data []struct {
			Email    string `json:"Email"`
			FullName string `json:"Full_Name"`
		} `json:"data"`
	}
	if err := c.getJSON(ctx, a, "/Contacts/"+url.PathEscape(id)+"?fields=Email,Full_Name", &out); err != nil {
		return "", "", err
	}
	if len(out.Data) == 0 {
		return "", "", errNoContent
	}
	if out.Data[0].Email != "" {
		c.addresses.put(addressKey(a, id), address{email: out.Data[0].Email, name: out.Data[0].FullName})
	}
	return out.Data[0].Email, out.Data[0].FullName, nil
}
