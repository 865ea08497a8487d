package hubspot

import (
	"context"
	"fmt"

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
func (c *Connector) UpsertContacts(ctx context.Context, a *crm.Account, contacts []crm.ContactInput, ownerID string) ([]crm.Result, error) {
	prop := a.Schema.ContactExternalID
	if prop == "" {
		prop = ExternalIDProperty
	}
	results := make([]crm.Result, len(contacts))
	var (
		ins    []batchInput
		groups [][]int // input index → result indexes
		slot   = map[string]int{}
	)
	for i, ct := range contacts {
		results[i].ExternalID = ct.ExternalID
		if ct.ExternalID == "" {
			results[i].Err = &crm.Error{Problem: crmsync.ProblemInvalidValue, Field: prop, CRMMessage: "The record has no SalesHive external id."}
			continue
		}
		props := map[string]string{}
		for k, v := range ct.Fields {
			switch {
			case v == "" || k == prop:
			case k == ownerProperty:
				if ownerID == "" {
					ownerID = v
				}
			default:
				props[k] = v
			}
		}
		if j, ok := slot[ct.ExternalID]; ok {
			for k, v := range props {
				ins[j].Properties[k] = v
			}
			groups[j] = append(groups[j], i)
			continue
		}
		slot[ct.ExternalID] = len(ins)
		ins = append(ins, batchInput{IDProperty: prop, ID: ct.ExternalID, ObjectWriteTraceID: ct.ExternalID, Properties: props})
		groups = append(groups, []int{i})
	}
	m := matcher{
		input:  func(in batchInput) string { return in.ID },
		result: func(r batchResult) string { return r.Properties[prop] },
	}
	outs := make([]outcome, 0, len(ins))
	for start := 0; start < len(ins); start += MaxBatch {
		o, err := c.writeBatch(ctx, a, "/crm/v3/objects/contacts/batch/upsert", ins[start:min(start+MaxBatch, len(ins))], m)
		if err != nil {
			return nil, fmt.Errorf("hubspot: upsert contacts (connection %d): %w", a.ConnectionID, err)
		}
		outs = append(outs, o...)
	}
	var created []int
	for j, o := range outs {
		for _, i := range groups[j] {
			results[i].CRMID, results[i].Created, results[i].Err = o.id, o.created, o.err
		}
		if o.err == nil && o.created {
			created = append(created, j)
		}
	}
	if ownerID == "" || len(created) == 0 {
		return results, nil
	}
	ids := make([]string, len(created))
	for k, j := range created {
		ids[k] = outs[j].id
	}
	errs, err := c.setOwner(ctx, a, "contacts", ids, ownerID)
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
