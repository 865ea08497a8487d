// Package salesforce is the Salesforce crm.Connector. It signs in with the OAuth 2.0
// web-server flow (PKCE S256), keeps the org's instance_url as the token's API base, and
// speaks the REST API: sObject Collections upsert by the "SalesHive External ID" field
// (200 contacts per call), Tasks (calls, emails) and Events (meetings) upserted by an
// Activity external-id field, SOQL for users, the Tooling API to create the custom
// fields, and describe for the field-mapping picker. errors.go maps Salesforce's error
// arrays, per-record statusCodes and 403 REQUEST_LIMIT_EXCEEDED to crm problem types.
package salesforce
