// Package hubspot is crmsync's connector for HubSpot CRM (crm.Connector).
//
// It speaks HubSpot's public v3 object APIs: contacts are upserted 100 at a
// time by the unique "saleshive_external_id" property
// (POST /crm/v3/objects/contacts/batch/upsert), each input carrying an
// objectWriteTraceId so that one bad record is a per-record error in a 207
// answer instead of failing the whole batch; calls, emails and meetings are
// batch-created with their contact association (types 194, 198, 200) and
// batch-updated when the sync ledger already holds their HubSpot id.
// Sign-in is OAuth 2.0 against app.hubspot.com and api.hubapi.com, and every
// base URL can point at the crmsync sandbox instead ({root}/hubspot).
//
// HubSpot only documents unique-value properties on contacts, companies,
// deals, tickets and custom objects, not on engagements, so activities have
// no external-id upsert: re-pushes are made idempotent by the CRM ids the
// ledger keeps and, for a retry whose earlier answer was lost, by looking
// the activity up by its (non-unique) SalesHive id before creating it.
//
// How HubSpot reports errors and throttling is in errors.go.
package hubspot
