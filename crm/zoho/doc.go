// Package zoho is the Zoho CRM connector: crm.Connector over Zoho's REST API
// v8 ({api_domain}/crm/v8), with Zoho's multi-datacenter OAuth.
//
// A Zoho account lives in one datacenter (US, EU, IN, AU, JP, CA, SA, CN);
// its accounts server signs the user in and its API domain serves the data.
// The connector starts sign-in at the accounts server of the datacenter the
// client picked, exchanges the code at the `accounts-server` the callback
// names, and calls the API at the token's `api_domain`, each only if it is
// on the datacenter allowlist (Config.Datacenters; SandboxDatacenters for
// the local sandbox). API calls carry "Authorization: Zoho-oauthtoken".
//
// Contacts are written 100 per call: records the ledger already knows are
// updated by id (PUT /Contacts); the others are inserted (POST /Contacts)
// with the owner, and an insert Zoho refuses as DUPLICATE_DATA on the
// "SalesHive External ID" field (unique, external) becomes an update of the
// record holding it, without the owner. So the owner is set at creation and
// never on an update, and a retried push never duplicates. Calls and
// meetings (Events) work the same way with a unique "SalesHive External ID"
// field of their own; emails are associated to the contact with
// original_message_id derived from the external id, which Zoho refuses to
// repeat, and their CRM id is that message id.
package zoho
