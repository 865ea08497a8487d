package pipedrive

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// Pipedrive has no upsert and no batch write: each contact is one POST or
// PATCH. Finding the person that holds an external id is what costs:
// search is limited to 10 requests per 2 seconds on every plan, so a search
// per record caps a push at about 5 records/s. The connector therefore
//
//  1. uses the CRM id the sync ledger already holds (ContactInput.CRMID);
//  2. for a call with several unknown contacts, learns the whole external-id
//     → person map from one paginated listing (500 persons per request,
//     only the external-id custom field) and keeps it for IndexTTL, adding
//     the persons it creates;
//  3. searches (exact match on custom fields) only for the odd unknown
//     contact when no fresh map exists.
//
// A write whose answer was lost may have committed, and search is eventually
// consistent, so after a transport failure the next lookup rebuilds the map
// from a listing (which is consistent) instead of trusting search.

// searchThreshold is the most unknown contacts one call looks up by search;
// above it a listing is cheaper.
const searchThreshold = 3

// personIndex is the learned external-id → person id map of one account.
type personIndex struct {
	mu    sync.Mutex
	field string            // the external-id field the map was built for
	built time.Time         // zero: no usable map
	ids   map[string]string // external id → person id
	dirty bool              // a write may have committed unseen: rebuild before trusting anything
}

// index returns the account's index, creating an empty one.
func (c *Connector) index(a *crm.Account) *personIndex {
	c.mu.Lock()
	defer c.mu.Unlock()
	ix := c.indexes[a.ConnectionID]
	if ix == nil {
		ix = &personIndex{}
		c.indexes[a.ConnectionID] = ix
	}
	return ix
}

// fresh reports whether the map can be trusted for field now. Call with ix.mu held.
func (ix *personIndex) fresh(field string, ttl time.Duration) bool {
	return !ix.dirty && ix.field == field && !ix.built.IsZero() && time.Since(ix.built) < ttl
}

// listedPerson is what the listing reads of a person.
type listedPerson struct {
	ID           int64          `json:"id"`
	CustomFields map[string]any `json:"custom_fields"`
}

// rebuild lists every person with only the external-id field. Call with ix.mu held.
func (c *Connector) rebuild(ctx context.Context, a *crm.Account, ix *personIndex, field string) error {
	ids := map[string]string{}
	q := url.Values{"limit": {"500"}, "custom_fields": {field}}
	for {
		var page []listedPerson
		next, err := c.getPage(ctx, a, "/api/v2/persons", q, &page)
		if err != nil {
			return err
		}
		for _, p := range page {
			ext, _ := p.CustomFields[field].(string)
			if ext == "" {
				continue
			}
			if _, dup := ids[ext]; !dup { // Pipedrive allows duplicates; the oldest wins
				ids[ext] = strconv.FormatInt(p.ID, 10)
			}
		}
		if next == "" {
			break
		}
		q.Set("cursor", next)
	}
	ix.field, ix.ids, ix.built, ix.dirty = field, ids, time.Now(), false
	return nil
}

// searchHit is one item of GET /api/v2/persons/search.
type searchHit struct {
	Item struct {
		ID int64 `json:"id"`
	} `json:"item"`
}

// search finds the person holding ext in field: an exact, case-insensitive
// search over the custom fields, then a read of the hits to keep only the
// one whose external-id field holds ext exactly (search also matches the
// same text in any other custom field).
func (c *Connector) search(ctx context.Context, a *crm.Account, field, ext string) (string, error) {
	lim := c.searchLimiters.Get(strconv.FormatInt(a.ConnectionID, 10), SearchRateLimit, c.searchWait)
	if err := lim.Wait(ctx); err != nil {
		return "", err
	}
	var res struct {
		Items []searchHit `json:"items"`
	}
	q := url.Values{"term": {ext}, "fields": {"custom_fields"}, "exact_match": {"true"}, "limit": {"10"}}
	if err := c.getData(ctx, a, "/api/v2/persons/search", &res, q); err != nil {
		return "", err
	}
	if len(res.Items) == 0 {
		return "", nil
	}
	ids := make([]string, 0, len(res.Items))
	for _, h := range res.Items {
		ids = append(ids, strconv.FormatInt(h.Item.ID, 10))
	}
	var persons []listedPerson
	if err := c.getData(ctx, a, "/api/v2/persons", &persons, url.Values{"ids": {strings.Join(ids, ",")}, "custom_fields": {field}}); err != nil {
		return "", err
	}
	best := int64(0)
	for _, p := range persons {
		if v, _ := p.CustomFields[field].(string); v == ext && (best == 0 || p.ID < best) {
			best = p.ID
		}
	}
	if best == 0 {
		return "", nil
	}
	return strconv.FormatInt(best, 10), nil
}

// resolve fills ids[i] for the inputs without a CRM id.
func (c *Connector) resolve(ctx context.Context, a *crm.Account, field string, contacts []crm.ContactInput, ids []string) error {
	var unknown []int
	for i := range contacts {
		if ids[i] == "" {
			unknown = append(unknown, i)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	ix := c.index(a)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	rebuilt := false
	if !ix.fresh(field, c.indexTTL) && (len(unknown) > searchThreshold || ix.dirty) {
		if err := c.rebuild(ctx, a, ix, field); err != nil {
			return err
		}
		rebuilt = true
	}
	if ix.fresh(field, c.indexTTL) {
		for _, i := range unknown {
			ids[i] = ix.ids[contacts[i].ExternalID]
			// A retried record missing from a map built before its lost
			// create (perhaps by another process) may exist after all:
			// read the listing again, which, unlike search, is current.
			if ids[i] == "" && contacts[i].Retry && !rebuilt {
				if err := c.rebuild(ctx, a, ix, field); err != nil {
					return err
				}
				rebuilt = true
				ids[i] = ix.ids[contacts[i].ExternalID]
			}
		}
		return nil
	}
	for _, i := range unknown {
		id, err := c.search(ctx, a, field, contacts[i].ExternalID)
		if err != nil {
			return err
		}
		ids[i] = id
	}
	return nil
}

// remember records a write's outcome in the account's map: a created or
// updated person under its external id, or, after a failure that may have
// committed, that the map can no longer be trusted.
func (c *Connector) remember(a *crm.Account, field, ext, id string, uncertain bool) {
	ix := c.index(a)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if uncertain {
		ix.dirty = true
		return
	}
	if ix.field == field && ix.ids != nil {
		if id == "" {
			delete(ix.ids, ext)
		} else {
			ix.ids[ext] = id
		}
	}
}

// customKey matches Pipedrive's custom-field keys (40 hex characters).
var customKey = regexp.MustCompile(`^[0-9a-f]{40}$`)

// personBody maps one contact to a v2 person body. Standard keys go at the
// top level, emails and phones as their one primary entry, custom fields
// (40-hex keys) under custom_fields, and the external id always.
func personBody(in crm.ContactInput, field string) map[string]any {
	body := map[string]any{}
	custom := map[string]any{field: in.ExternalID}
	first, last, name := in.Fields["first_name"], in.Fields["last_name"], in.Fields["name"]
	if name == "" {
		name = strings.TrimSpace(first + " " + last)
	}
	if name != "" {
		body["name"] = name
	}
	for k, v := range in.Fields {
		if v == "" {
			continue
		}
		switch {
		case k == "name":
		case k == "first_name" || k == "last_name" || k == "job_title":
			body[k] = v
		case k == "email" || k == "emails":
			body["emails"] = []map[string]any{{"value": v, "primary": true, "label": "work"}}
		case k == "phone" || k == "phones":
			body["phones"] = []map[string]any{{"value": v, "primary": true, "label": "work"}}
		case customKey.MatchString(k):
			custom[k] = v
		default:
			// Another top-level person key (Pipedrive rejects unknown ones,
			// which surfaces as field_missing on the record).
			body[k] = v
		}
	}
	body["custom_fields"] = custom
	return body
}

// UpsertContacts implements crm.Connector: one PATCH per contact whose
// person is known (from the ledger, the learned map or a search), one POST
// for the others, with ownerID on the POSTs only. A refusal of one contact
// is its Result's Err; trouble with the account itself (auth, permission,
// throttling, Pipedrive unavailable, cancellation) ends the call with an error.
func (c *Connector) UpsertContacts(ctx context.Context, a *crm.Account, contacts []crm.ContactInput, ownerID string) ([]crm.Result, error) {
	field := a.Schema.ContactExternalID
	if field == "" {
		return nil, fmt.Errorf("pipedrive: upsert contacts (connection %d): the external-id field is not set up; run EnsureSchema", a.ConnectionID)
	}
	if len(contacts) > MaxBatch {
		return nil, fmt.Errorf("pipedrive: upsert contacts (connection %d): %d contacts, at most %d per call", a.ConnectionID, len(contacts), MaxBatch)
	}
	var owner int64
	if ownerID != "" {
		n, err := strconv.ParseInt(ownerID, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("pipedrive: upsert contacts (connection %d): owner id %q is not a Pipedrive user id", a.ConnectionID, ownerID)
		}
		owner = n
	}
	ids := make([]string, len(contacts))
	for i, in := range contacts {
		ids[i] = in.CRMID
	}
	if err := c.resolve(ctx, a, field, contacts, ids); err != nil {
		return nil, fmt.Errorf("pipedrive: upsert contacts (connection %d): find persons: %w", a.ConnectionID, err)
	}
	results := make([]crm.Result, len(contacts))
	var out outage
	for i, in := range contacts {
		res, err := c.upsertOne(ctx, a, field, in, ids[i], owner)
		if out.ends(err) {
			return nil, fmt.Errorf("pipedrive: upsert contact %s (connection %d): %w", in.ExternalID, a.ConnectionID, err)
		} else if err != nil {
			res.Err = crm.AsError(err)
		}
		results[i] = res
	}
	return results, nil
}

// outageRun is how many records in a row the CRM may leave unanswered
// before a call counts the account as down rather than the records as
// unlucky.
const outageRun = 3

// outage decides, record by record, whether an error ends the whole call.
// Pipedrive writes one record per request, so a passing failure of one
// request fails that record alone (the sync retries it) and the others of
// the call still land; an account-level refusal, or several unanswered
// requests in a row, ends the call.
type outage struct{ inARow int }

// ends reports whether err (nil for a success) ends the call.
func (o *outage) ends(err error) bool {
	if err == nil {
		o.inARow = 0
		return false
	}
	if crm.ProblemOf(err) == crmsync.ProblemCRMUnavailable && !crm.IsContextError(err) {
		o.inARow++
		return o.inARow >= outageRun
	}
	o.inARow = 0
	return accountLevel(err)
}

// upsertOne writes one contact: PATCH when id is known (falling back to a
// create if that person was deleted), else POST.
func (c *Connector) upsertOne(ctx context.Context, a *crm.Account, field string, in crm.ContactInput, id string, owner int64) (crm.Result, error) {
	res := crm.Result{ExternalID: in.ExternalID}
	body := personBody(in, field)
	var p listedPerson
	if id != "" {
		err := c.send(ctx, a, http.MethodPatch, "/api/v2/persons/"+url.PathEscape(id), body, &p)
		switch {
		case err == nil:
			res.CRMID = strconv.FormatInt(p.ID, 10)
			c.remember(a, field, in.ExternalID, res.CRMID, false)
			return res, nil
		case isNotFound(err):
			// Deleted in Pipedrive since: create it again.
			c.remember(a, field, in.ExternalID, "", false)
		default:
			c.remember(a, field, in.ExternalID, "", uncertain(err))
			return res, err
		}
	}
	if owner != 0 {
		body["owner_id"] = owner
	}
	if err := c.send(ctx, a, http.MethodPost, "/api/v2/persons", body, &p); err != nil {
		c.remember(a, field, in.ExternalID, "", uncertain(err))
		return res, err
	}
	res.CRMID, res.Created = strconv.FormatInt(p.ID, 10), true
	c.remember(a, field, in.ExternalID, res.CRMID, false)
	return res, nil
}

// accountLevel reports whether err concerns the whole account (or the
// call), not the one record: then the rest of the batch would fail too.
func accountLevel(err error) bool {
	if crm.IsContextError(err) {
		return true
	}
	var ce *crm.Error
	if !errors.As(err, &ce) {
		return true // decoding and transport trouble
	}
	switch ce.Problem {
	case crmsync.ProblemAuthRevoked, crmsync.ProblemPermissionDenied, crmsync.ProblemRateLimited, crmsync.ProblemCRMUnavailable:
		return true // outage.ends lets a lone unanswered request through
	}
	return false
}

// uncertain reports whether a failed write may still have committed: no
// answer, or a server error.
func uncertain(err error) bool {
	var ce *crm.Error
	if errors.As(err, &ce) {
		return ce.Problem == crmsync.ProblemCRMUnavailable
	}
	return true
}

// isNotFound reports a 404 answer.
func isNotFound(err error) bool {
	var ce *crm.Error
	return errors.As(err, &ce) && ce.StatusCode == http.StatusNotFound
}
