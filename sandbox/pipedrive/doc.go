// Package pipedrive emulates the part of Pipedrive's API crmsync uses, on top
// of the shared emulator machinery in sandbox/emu. Mounted at {root}/pipedrive
// it stands for both hosts Pipedrive has: the OAuth server
// (oauth.pipedrive.com) and the company's api_domain
// (https://{company}.pipedrive.com).
//
// # Surface
//
//	GET  /oauth/authorize          consent page (Allow → code+state; Deny → error=user_denied)
//	POST /oauth/token              authorization_code, refresh_token; client via HTTP Basic only
//	POST /oauth/revoke             RFC 7009; 200 even for an unknown token
//	GET  /api/v2/persons           cursor paging (limit ≤ 500), ids, owner_id
//	POST /api/v2/persons           200 (not 201, unlike v1)
//	GET  /api/v2/persons/{id}      PATCH too
//	GET  /api/v2/persons/search    term, fields, exact_match, cursor; own 10 req / 2 s window
//	GET  /api/v2/personFields      POST too; custom fields keyed by a 40-hex field_code
//	GET  /v1/personFields          POST too (v1 shapes: id, key, name, …); also under /api/v1
//	GET  /api/v2/activities        person_id, owner_id, done filters; POST; GET and PATCH /{id}
//	GET  /v1/users, /v1/users/me   users (active and not), token user + company_name/domain
//	GET  /person/{id}              HTML record page with the person's activities
//
// Every /api and /v1 call needs "Authorization: Bearer <access_token>"; the
// token's scopes must include one that grants the endpoint (else 403 "Scope
// and URL mismatch"). Errors use Pipedrive's envelope
// {"success":false,"error":…,"error_info":…,"data":null,"additional_data":null}.
//
// # Rate limits
//
// Three emu windows, settable through the control API by these names:
// "burst" (requests per 2 s per access token, default 160: an OAuth app on the
// Growth plan), "search" (10 per 2 s per token on search endpoints, every
// plan) and "daily" (the company's token budget, 30,000 × 2 × 5 seats, spent
// at each endpoint's x-token-cost and reset at midnight UTC). Answers carry
// x-ratelimit-limit/-remaining/-reset for the burst window (the search window
// on search) and x-daily-requests-left with the budget left; a throttled call
// is a 429 "Request over limit" with Retry-After.
//
// # What Pipedrive does not do, so neither does the sandbox
//
//   - Uniqueness: Pipedrive has no unique custom fields. Two persons may hold
//     the same external id; a create never fails with a duplicate error. The
//     control API's count endpoint shows duplicates
//     (count?object=persons&field=<field_code>&value=…).
//   - Email format: any string is accepted as an email value.
//   - Upsert and batch writes: one person per call; look up by search or by
//     a listing, then POST or PATCH.
//
// # Approximations
//
// Validation messages of v2 are not documented; the sandbox answers
// "Validation failed: <field>: <reason>" with code ERR_SCHEMA_VALIDATION_FAILED,
// and "Name must be given." (Pipedrive's v1 text) for a missing name.
// Authorization codes live 10 minutes (Pipedrive: 5); refresh tokens expire
// 60 days after issue (Pipedrive: 60 days after last use). Search is
// immediately consistent (Pipedrive's is eventually consistent). A 429
// reports the window's true reset; Pipedrive has been seen answering
// x-ratelimit-reset: 10 and Retry-After: 10 (a penalty) on search.
// Fields made required through the control API
// (PUT /_sandbox/pipedrive/required-fields) are enforced on person writes with
// a 400 "Validation failed: <key>: is required"; real Pipedrive enforces its
// required-field settings in the web UI only, and through the API only name.
// Contact sync is treated as enabled (job_title is stored and returned);
// other contact-sync fields are accepted and dropped. Organizations, deals,
// labels and notes are not emulated.
//
// # Use from other packages' tests
//
// The root sandbox package mounts New as emu.Mount("/pipedrive",
// emu.Serve(c)). A test that needs only Pipedrive can do the same on an
// httptest.Server, take a token from MintToken (or run the consent flow),
// and point a client at {server}/pipedrive for both the OAuth host and the
// api_domain. NewWithOptions sets the company, the app's scopes and the
// rate-limit defaults.
package pipedrive
