package salesforce

import (
	"context"
	"fmt"
	"strings"

	"github.com/saleshive/crmsync/crm"
)

// contactExternalID is the account's contact external-id field.
func contactExternalID(a *crm.Account) string {
	if f := a.Schema.ContactExternalID; f != "" {
		return f
	}
	return ContactExternalIDField
}

// UpsertContacts implements crm.Connector with one sObject Collections upsert by the
// external-id field (more only when an external id repeats in the batch). Salesforce's
// upsert cannot set a field on create only, so when an owner is given the connector first
// asks which external ids already exist (one SOQL query, skipped for inputs whose CRM id
// the ledger holds) and sends OwnerId only for the others.
func (c *Connector) UpsertContacts(ctx context.Context, a *crm.Account, contacts []crm.ContactInput, ownerID string) ([]crm.Result, error) {
	if len(contacts) > MaxBatch {
		return nil, fmt.Errorf("salesforce: upsert contacts (connection %d): %d contacts, at most %d per call", a.ConnectionID, len(contacts), MaxBatch)
	}
	ext := contactExternalID(a)
	results := make([]crm.Result, len(contacts))
	var unknown []string
	for i, in := range contacts {
		results[i].ExternalID = in.ExternalID
		if ownerID != "" && in.CRMID == "" && in.ExternalID != "" {
			unknown = append(unknown, in.ExternalID)
		}
	}
	found := map[string]string{}
	if len(unknown) > 0 {
		var err error
		if found, err = c.existing(ctx, a, "Contact", ext, unknown); err != nil {
			return nil, fmt.Errorf("salesforce: upsert contacts (connection %d): find existing: %w", a.ConnectionID, err)
		}
	}
	var keys []string
	var recs []record
	var idx []int
	for i, in := range contacts {
		if in.ExternalID == "" {
			results[i].Err = invalidInput("The contact has no SalesHive external id.")
			continue
		}
		r := newRecord("Contact")
		for k, v := range in.Fields {
			if v != "" && !strings.EqualFold(k, ext) && !strings.EqualFold(k, "OwnerId") {
				r[k] = v
			}
		}
		r[ext] = in.ExternalID
		if _, exists := found[strings.ToLower(in.ExternalID)]; ownerID != "" && in.CRMID == "" && !exists {
			r["OwnerId"] = ownerID
		}
		keys, recs, idx = append(keys, in.ExternalID), append(recs, r), append(idx, i)
	}
	if err := c.upsertByExternalID(ctx, a, "Contact", ext, keys, recs, results, idx); err != nil {
		return nil, fmt.Errorf("salesforce: upsert contacts (connection %d): %w", a.ConnectionID, err)
	}
	return results, nil
}
