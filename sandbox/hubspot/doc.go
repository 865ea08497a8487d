// Package hubspot emulates the parts of HubSpot's public API that crmsync
// uses, on HubSpot's own paths, bodies, status codes and headers, so an
// unmodified HubSpot client pointed at the base URL ("{root}/hubspot", which
// stands for both api.hubapi.com and app.hubspot.com) works:
//
//   - OAuth: GET /oauth/authorize (consent page), POST /oauth/v1/token (also
//     /oauth/v3/token and /oauth/2026-03/token) with authorization_code and
//     refresh_token, 30-minute access tokens, hub_id and scopes in the
//     answer; GET /oauth/v1/access-tokens/{t} and /oauth/v1/refresh-tokens/{t};
//     DELETE /oauth/v1/refresh-tokens/{t}; POST /oauth/v3/token/revoke and
//     /oauth/v3/token/introspect.
//   - Objects (contacts, calls, emails, meetings, notes; by name or type id
//     such as 0-1): create, get (properties, associations, idProperty),
//     update, list, batch create, batch read, batch upsert by a unique
//     property, and search.
//   - Properties: list, get, create (hasUniqueValue enforced on writes; 409
//     on an existing name; an archived name is restored), archive.
//   - Owners (GET /crm/v3/owners, /crm/v3/owners/{id}) and account details.
//   - Validation with HubSpot's error body: invalid email, unknown property,
//     required properties, enumeration options, datetimes, numbers, owner
//     ids, string length; 409 on unique values; 401 EXPIRED_AUTHENTICATION
//     and INVALID_AUTHENTICATION; 403 MISSING_SCOPES.
//   - Rate limits: the 10-second rolling window (110 per account) with
//     X-HubSpot-RateLimit-* headers and the TEN_SECONDLY_ROLLING 429, an
//     optional daily window (DAILY), and the search API's 5 per second.
//   - The record page /contacts/{hubId}/record/0-1/{id} with the contact's
//     activities.
//
// What HubSpot does not document (some error texts, token-info fields) is
// marked UNCONFIRMED where it is implemented.
package hubspot
