package zoho

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// recordResult is one item of a record write's data[] (success or error).
type recordResult struct {
	apiError
	Action string `json:"action"`
}

func (r recordResult) ok() bool { return r.Status == "success" }

// id is details.id of a successful write.
func (r recordResult) id() string { return r.details().ID }

// duplicateOf returns the id of the record already holding field's value
// when r is Zoho's DUPLICATE_DATA for that field (also when nested in
// MULTIPLE_OR_MULTI_ERRORS).
func (r recordResult) duplicateOf(field string) string {
	check := func(e apiError) string {
		d := e.details()
		if e.Code == "DUPLICATE_DATA" && strings.EqualFold(d.APIName, field) && d.DuplicateRecord != nil {
			return d.DuplicateRecord.ID
		}
		return ""
	}
	if id := check(r.apiError); id != "" {
		return id
	}
	if r.Code == "MULTIPLE_OR_MULTI_ERRORS" {
		for _, e := range r.details().Errors {
			if id := check(e); id != "" {
				return id
			}
		}
	}
	return ""
}

// staleID reports whether an update was refused because the record id is
// unknown (deleted in Zoho since the ledger recorded it).
func (r recordResult) staleID() bool {
	return r.Code == "INVALID_DATA" && strings.EqualFold(r.details().APIName, "id")
}

// writeRecords sends data to module (POST insert or PUT update, workflows
// off) and returns one result per record. Zoho answers 201/200 when all
// landed, 207 for a mix and 400 with the same per-record list when none did.
func (c *Connector) writeRecords(ctx context.Context, a *crm.Account, method, module string, data []map[string]any) ([]recordResult, int, error) {
	resp, err := c.sendJSON(ctx, a, method, "/"+module, map[string]any{"data": data, "trigger": []string{}})
	if resp == nil {
		return nil, 0, err
	}
	var out struct {
		Data []recordResult `json:"data"`
	}
	if jerr := json.Unmarshal(resp.Body, &out); jerr != nil || len(out.Data) != len(data) {
		if err != nil {
			return nil, resp.StatusCode, err
		}
		return nil, resp.StatusCode, fmt.Errorf("%s %s: %d results for %d records", method, module, len(out.Data), len(data))
	}
	return out.Data, resp.StatusCode, nil
}

// push is one batch write of records identified by an external id.
type push struct {
	module   string
	extField string
	n        int
	extID    func(i int) string
	crmID    func(i int) string
	// record is the payload of record i; create adds what only a new record
	// gets (the owner).
	record func(i int, create bool) (map[string]any, error)
}

// pushRecords writes a batch so that it is idempotent and sets the owner
// only on creation: records with a known CRM id are updated by id; the
// others are inserted, and an insert refused as a duplicate of the
// external id becomes an update of the record holding it. An update of an
// id Zoho no longer knows becomes an insert. At most three rounds.
func (c *Connector) pushRecords(ctx context.Context, a *crm.Account, p push) ([]crm.Result, error) {
	results := make([]crm.Result, p.n)
	type update struct {
		i  int
		id string
	}
	var inserts []int
	var updates []update
	for i := range p.n {
		results[i].ExternalID = p.extID(i)
		if id := p.crmID(i); id != "" {
			updates = append(updates, update{i, id})
		} else {
			inserts = append(inserts, i)
		}
	}
	for round := 0; round < 3 && len(inserts)+len(updates) > 0; round++ {
		var nextInserts []int
		var nextUpdates []update
		if len(inserts) > 0 {
			data := make([]map[string]any, 0, len(inserts))
			idx := make([]int, 0, len(inserts))
			for _, i := range inserts {
				rec, err := p.record(i, true)
				if err != nil {
					results[i].Err = invalidInput(err)
					continue
				}
				data, idx = append(data, rec), append(idx, i)
			}
			if len(data) > 0 {
				res, status, err := c.writeRecords(ctx, a, http.MethodPost, p.module, data)
				if err != nil {
					return nil, err
				}
				for k, r := range res {
					i := idx[k]
					switch {
					case r.ok():
						results[i] = crm.Result{ExternalID: results[i].ExternalID, CRMID: r.id(), Created: true}
					case r.duplicateOf(p.extField) != "":
						nextUpdates = append(nextUpdates, update{i, r.duplicateOf(p.extField)})
					default:
						results[i].Err = itemError(status, r.apiError)
					}
				}
			}
		}
		if len(updates) > 0 {
			data := make([]map[string]any, 0, len(updates))
			idx := make([]int, 0, len(updates))
			for _, u := range updates {
				rec, err := p.record(u.i, false)
				if err != nil {
					results[u.i].Err = invalidInput(err)
					continue
				}
				rec["id"] = u.id
				data, idx = append(data, rec), append(idx, u.i)
			}
			if len(data) > 0 {
				res, status, err := c.writeRecords(ctx, a, http.MethodPut, p.module, data)
				if err != nil {
					return nil, err
				}
				for k, r := range res {
					i := idx[k]
					switch {
					case r.ok():
						results[i] = crm.Result{ExternalID: results[i].ExternalID, CRMID: r.id(), Created: false}
					case r.staleID():
						nextInserts = append(nextInserts, i)
					default:
						results[i].Err = itemError(status, r.apiError)
					}
				}
			}
		}
		inserts, updates = nextInserts, nextUpdates
	}
	for _, i := range inserts {
		results[i].Err = &crm.Error{Problem: crmsync.ProblemUnknown, CRMMessage: "Zoho kept refusing both the insert and the update of this record."}
	}
	for _, u := range updates {
		results[u.i].Err = &crm.Error{Problem: crmsync.ProblemUnknown, CRMMessage: "Zoho kept refusing both the insert and the update of this record."}
	}
	return results, nil
}

// invalidInput is the per-record error of an input the connector cannot
// turn into a Zoho record.
func invalidInput(err error) *crm.Error {
	return &crm.Error{Problem: crmsync.ProblemInvalidValue, CRMMessage: err.Error(), Err: err}
}

// UpsertContacts implements crm.Connector (see pushRecords). Empty values
// are left out, so they clear nothing; the owner goes only on inserts.
func (c *Connector) UpsertContacts(ctx context.Context, a *crm.Account, contacts []crm.ContactInput, ownerID string) ([]crm.Result, error) {
	if len(contacts) > MaxBatch {
		return nil, fmt.Errorf("zoho: upsert contacts (connection %d): %d contacts, at most %d per call", a.ConnectionID, len(contacts), MaxBatch)
	}
	ext := a.Schema.ContactExternalID
	if ext == "" {
		return nil, fmt.Errorf("zoho: upsert contacts (connection %d): the external-id field is not set up (EnsureSchema)", a.ConnectionID)
	}
	types, err := c.contactFieldTypes(ctx, a, contacts)
	if err != nil {
		return nil, fmt.Errorf("zoho: upsert contacts (connection %d): read field types: %w", a.ConnectionID, err)
	}
	res, err := c.pushRecords(ctx, a, push{
		module: moduleContacts, extField: ext, n: len(contacts),
		extID: func(i int) string { return contacts[i].ExternalID },
		crmID: func(i int) string { return contacts[i].CRMID },
		record: func(i int, create bool) (map[string]any, error) {
			in := contacts[i]
			if in.ExternalID == "" {
				return nil, fmt.Errorf("the contact has no external id")
			}
			rec := map[string]any{}
			for k, v := range in.Fields {
				if v == "" {
					continue
				}
				val, err := coerce(k, types[k], v)
				if err != nil {
					return nil, err
				}
				rec[k] = val
			}
			rec[ext] = in.ExternalID
			if create && ownerID != "" {
				rec["Owner"] = map[string]any{"id": ownerID}
			}
			return rec, nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("zoho: upsert contacts (connection %d): %w", a.ConnectionID, err)
	}
	c.rememberAddresses(a, contacts, res)
	return res, nil
}
