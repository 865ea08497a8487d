// Package salesforce is the Salesforce sandbox: a faithful in-memory emulation of the parts
// of Salesforce's OAuth 2.0, REST, sObject Collections and Tooling APIs a one-way sync
// connector uses, built on sandbox/emu. The root sandbox package mounts it at
// "/salesforce", which stands for both the login host and the org's instance: the token
// response's instance_url is that mount point, so an unmodified Salesforce client library
// pointed at it works.
//
// Paths (relative to the mount point; any vNN.N from v31.0 is accepted):
//
//	GET|POST /services/oauth2/authorize          consent page (Allow/Deny), PKCE code_challenge (S256)
//	POST     /services/oauth2/token              authorization_code, refresh_token (no expires_in; issued_at a string)
//	POST     /services/oauth2/revoke             token=… (GET ?token=… too)
//	GET      /services/oauth2/userinfo           OpenID claims of the token's user and org
//	POST     /services/oauth2/introspect         RFC 7662 token introspection
//	GET      /id/{orgId}/{userId}                identity URL (the token response's "id")
//	GET      /services/data                      API versions
//	GET      /services/data/vNN.N/limits         {"DailyApiRequests":{"Max","Remaining"},…}
//	GET      /services/data/vNN.N/sobjects[/{Object}[/describe]]
//	POST     /services/data/vNN.N/sobjects/{Object}                create
//	GET|PATCH /services/data/vNN.N/sobjects/{Object}/{id}          get (?fields=), update (204)
//	GET|PATCH /services/data/vNN.N/sobjects/{Object}/{ExtField}/{value}  get, upsert (201/200)
//	POST|PATCH /services/data/vNN.N/composite/sobjects             collections create, update (≤200)
//	PATCH    /services/data/vNN.N/composite/sobjects/{Object}/{ExtField}  collections upsert (≤200)
//	GET      /services/data/vNN.N/composite/sobjects/{Object}?ids=&fields=
//	GET      /services/data/vNN.N/query?q=SOQL, /query/{locator}-{n}, /queryAll
//	POST     /services/data/vNN.N/tooling/sobjects/CustomField     create a custom field
//	GET      /services/data/vNN.N/tooling/query?q=SOQL              CustomField rows
//	GET      /lightning/r/{Object}/{id}/view                         HTML record page; GET /{id} redirects to it
//
// Objects: Contact (003), Task (00T), Event (00U) and the seeded User (005) records, with
// 18-character ids; SOQL also answers Organization (the org's name) and PermissionSet. Custom
// fields are created on Contact or on Activity (Task and Event) and, as in a real org, stay
// invisible to the API (describe, SOQL, writes) until a FieldPermissions record
// (POST /sobjects/FieldPermissions) grants the seeded profile's permission set read (and
// edit) access on them.
//
// What the sandbox enforces as Salesforce does: 401 INVALID_SESSION_ID for a missing,
// expired or revoked token; the org's rolling 24-hour API request count (window
// "DailyApiRequests", default 100,000) with Sforce-Limit-Info: api-usage=N/M on every
// REST response and 403 REQUEST_LIMIT_EXCEEDED beyond it; LastName and control-API
// required fields (REQUIRED_FIELD_MISSING), email format (INVALID_EMAIL_ADDRESS), field
// lengths (STRING_TOO_LONG), unknown fields (INVALID_FIELD), read-only fields
// (INVALID_FIELD_FOR_INSERT_UPDATE), owner and WhoId references (MALFORMED_ID,
// INVALID_CROSS_REFERENCE_KEY, INACTIVE_OWNER_OR_USER), unique custom fields
// (DUPLICATE_VALUE) and an optional Contact duplicate rule (DUPLICATES_DETECTED with
// Salesforce's misspelt "duplicateResut" key; see SetDuplicateRule).
//
// Facts marked UNCONFIRMED in comments are the sandbox's best reading where no source was
// found; see ../../shared/reference/crm-api-facts.md section 1.
package salesforce
