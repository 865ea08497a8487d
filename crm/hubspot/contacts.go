package hubspot

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// UpsertContacts implements crm.Connector with one batch upsert per 100
// contacts by the external-id property. Every input carries its external id
// as objectWriteTraceId, so HubSpot answers 207 with per-record errors; a
// 400 that still rejects a whole batch is narrowed down by halving. Inputs
// repeating an external id are sent once (HubSpot refuses a batch with
// duplicate ids), the later fields winning, and share the result.
//
// The owner is set only on records this call created: HubSpot's upsert
// cannot tell create from update in advance, so the upsert carries no
// owner and one batch update then sets hubspot_owner_id on the results that
// came back "new". A mapped hubspot_owner_id field is treated the same way.
//
// A contact whose email another HubSpot contact already has is pushed onto
// that contact (see adoptExisting) rather than failing. ContactInput.CRMID
// is not needed: HubSpot finds the record by its external id.
func (c *Connector) UpsertContacts(ctx context.Context, a *crm.Account, contacts []crm.ContactInput, ownerID string) ([]crm.Result, error) {
	prop := a.Schema.ContactExternalID
	if prop == "" {
		prop = ExternalIDProperty
	}
	results := make([]crm.Result, len(contacts))
	var (
		ins    []batchInput
		groups [][]int  // input index → result indexes
		owners []string // input index → owner to set if created
		slot   = map[string]int{}
	)
	for i, ct := range contacts {
		results[i].ExternalID = ct.ExternalID
		if ct.ExternalID == "" {
			results[i].Err = &crm.Error{Problem: crmsync.ProblemInvalidValue, Field: prop, CRMMessage: "The record has no SalesHive external id."}
			continue
		}
		props := map[string]string{}
		owner := ownerID
		for k, v := range ct.Fields {
			switch {
			case v == "" || k == prop:
			case k == ownerProperty:
				owner = v // a mapped owner is still an owner: create only
			default:
				props[k] = v
			}
		}
		if j, ok := slot[ct.ExternalID]; ok {
			for k, v := range props {
				ins[j].Properties[k] = v
			}
			groups[j] = append(groups[j], i)
			owners[j] = owner
			continue
		}
		slot[ct.ExternalID] = len(ins)
		ins = append(ins, batchInput{IDProperty: prop, ID: ct.ExternalID, ObjectWriteTraceID: ct.ExternalID, Properties: props})
		groups = append(groups, []int{i})
		owners = append(owners, owner)
	}
	m := matcher{
		input:  func(in batchInput) string { return in.ID },
		result: func(r batchResult) string { return r.Properties.get(prop) },
	}
	outs := make([]outcome, 0, len(ins))
	for start := 0; start < len(ins); start += MaxBatch {
		chunk := ins[start:min(start+MaxBatch, len(ins))]
		o, err := c.writeBatch(ctx, a, "/crm/v3/objects/contacts/batch/upsert", chunk, m)
		if err != nil {
			return nil, fmt.Errorf("hubspot: upsert contacts (connection %d): %w", a.ConnectionID, err)
		}
		if err := c.adoptExisting(ctx, a, prop, chunk, o); err != nil {
			return nil, fmt.Errorf("hubspot: upsert contacts (connection %d): %w", a.ConnectionID, err)
		}
		outs = append(outs, o...)
	}
	var created []int
	for j, o := range outs {
		for _, i := range groups[j] {
			results[i].CRMID, results[i].Created, results[i].Err = o.id, o.created, o.err
		}
		if o.err == nil && o.created && owners[j] != "" {
			created = append(created, j)
		}
	}
	if len(created) == 0 {
		return results, nil
	}
	ids, newOwners := make([]string, len(created)), make([]string, len(created))
	for k, j := range created {
		ids[k], newOwners[k] = outs[j].id, owners[j]
	}
	errs, err := c.setOwner(ctx, a, "contacts", ids, newOwners)
	if crm.IsContextError(err) {
		return nil, fmt.Errorf("hubspot: set owner of new contacts (connection %d): %w", a.ConnectionID, err)
	}
	if err != nil {
		// The contacts landed; only their owner is missing. Say so per
		// record, keeping the CRM ids the ledger needs.
		ce := crm.AsError(err)
		errs = make([]*crm.Error, len(ids))
		for k := range errs {
			errs[k] = ce
		}
	}
	for k, j := range created {
		if errs[k] == nil {
			continue
		}
		for _, i := range groups[j] {
			results[i].Err = errs[k]
		}
	}
	return results, nil
}

// existingIDPattern finds the contact HubSpot names when another contact
// already has the email: "Contact already exists. Existing ID: 2926551".
// A clash on any other unique property stays a duplicate_rule refusal.
var existingIDPattern = regexp.MustCompile(`^Contact already exists\. Existing ID: ?(\d+)`)

// adoptExisting resolves the inputs of one upsert batch that HubSpot
// refused because another contact already holds their email (HubSpot keeps
// one contact per email address). The client's CRM often knows a prospect
// before SalesHive pushes it, and a second record is impossible, so the
// push lands on that contact instead: its fields are updated, and it takes
// the SalesHive external id if it has none yet (one that already mirrors
// another SalesHive contact keeps its id, so the two never take turns).
// outs is updated in place; the owner is never set on a contact crmsync
// did not create.
func (c *Connector) adoptExisting(ctx context.Context, a *crm.Account, prop string, ins []batchInput, outs []outcome) error {
	var (
		conflicted []int    // index into ins
		existing   []string // the contact holding the email
	)
	for j, o := range outs {
		if o.err == nil || o.err.Problem != crmsync.ProblemDuplicateRule {
			continue
		}
		if m := existingIDPattern.FindStringSubmatch(o.err.CRMMessage); m != nil {
			conflicted, existing = append(conflicted, j), append(existing, m[1])
		}
	}
	if len(conflicted) == 0 {
		return nil
	}
	fail := func(err error) error {
		if crm.IsContextError(err) {
			return err
		}
		ce := crm.AsError(err)
		for _, j := range conflicted {
			outs[j].err = ce
		}
		return nil
	}
	current, err := c.readProperty(ctx, a, "contacts", existing, prop)
	if err != nil {
		return fail(err)
	}
	var upd pendingBatch
	for k, j := range conflicted {
		props := maps.Clone(ins[j].Properties)
		if current[existing[k]] == "" {
			props[prop] = ins[j].ID
		}
		upd.add(existing[k], batchInput{ID: existing[k], ObjectWriteTraceID: ins[j].ID, Properties: props}, j)
	}
	res, err := c.writeBatch(ctx, a, "/crm/v3/objects/contacts/batch/update", upd.ins, updateMatcher)
	if err != nil {
		return fail(err)
	}
	for k, o := range res {
		for _, j := range upd.groups[k] {
			outs[j] = outcome{id: upd.ins[k].ID, err: o.err}
		}
	}
	return nil
}

// readProperty reads prop of the records ids of objectType (at most
// MaxBatch) and returns id → value; ids HubSpot does not know are left out.
func (c *Connector) readProperty(ctx context.Context, a *crm.Account, objectType string, ids []string, prop string) (map[string]string, error) {
	type input struct {
		ID string `json:"id"`
	}
	body := struct {
		Properties []string `json:"properties"`
		Inputs     []input  `json:"inputs"`
	}{Properties: []string{prop}}
	for _, id := range ids {
		if !slices.ContainsFunc(body.Inputs, func(in input) bool { return in.ID == id }) {
			body.Inputs = append(body.Inputs, input{ID: id})
		}
	}
	resp, err := c.postJSON(ctx, a, "/crm/v3/objects/"+objectType+"/batch/read", body)
	if err != nil {
		return nil, err
	}
	var br batchResponse
	if err := json.Unmarshal(resp.Body, &br); err != nil {
		return nil, fmt.Errorf("decode %s batch read answer: %w", objectType, err)
	}
	out := make(map[string]string, len(br.Results))
	for _, r := range br.Results {
		out[r.ID] = r.Properties.get(prop)
	}
	return out, nil
}
