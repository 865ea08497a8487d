// Package pipedrive is crmsync's connector for Pipedrive (crm.Connector).
//
// It speaks Pipedrive's API v2 for persons, person fields and activities
// and v1 for users, on the company host the token names (api_domain). Sign-in
// is OAuth 2.0 against oauth.pipedrive.com with the client credentials in
// HTTP Basic; the app's scopes are fixed in Pipedrive's Developer Hub, and
// the refresh token comes back unchanged on refresh. Every base URL can point
// at the crmsync sandbox instead ({root}/pipedrive).
//
// Pipedrive has no upsert and no batch writes, and caps search at 10
// requests per 2 seconds on every plan, so contacts are written one request
// each and the person behind an external id is found without a search per
// record: from the ledger's CRM id, or from one paginated listing of the
// external-id field (see contacts.go). The external-id field is a person
// custom field labelled "SalesHive External ID", keyed by its 40-character
// field_code; Pipedrive does not enforce its uniqueness.
//
// Activities are call, email and meeting activities linked to the person;
// Pipedrive activities have no custom fields, so their re-pushes rely on
// the ledger's CRM id. How Pipedrive reports errors and throttling is in
// errors.go.
package pipedrive
