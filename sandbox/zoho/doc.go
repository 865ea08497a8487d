// Package zoho emulates the Zoho CRM API (v8) for tests, benchmarks and the
// demo: one accounts server and one API domain per Zoho datacenter, the
// OAuth consent/token/refresh/revoke flow, Contacts upsert, Calls and Events,
// email association, custom fields, users, org, rate limits and record pages.
//
// Mounted by the root sandbox under {root}/zoho, it serves for every
// datacenter code dc in us, eu, in, au, jp, ca, sa, cn:
//
//	{root}/zoho/{dc}/accounts/oauth/v2/auth            consent page (GET/POST)
//	{root}/zoho/{dc}/accounts/oauth/v2/token           authorization_code, refresh_token
//	{root}/zoho/{dc}/accounts/oauth/v2/token/revoke    revoke (?token=)
//	{root}/zoho/{dc}/accounts/oauth/serverinfo         datacenter list
//	{root}/zoho/{dc}/api/crm/v8/Contacts/upsert        POST, ≤ 100 records
//	{root}/zoho/{dc}/api/crm/v8/{Contacts|Calls|Events}        POST insert, ≤ 100
//	{root}/zoho/{dc}/api/crm/v8/{Contacts|Calls|Events}/{id}   GET
//	{root}/zoho/{dc}/api/crm/v8/Contacts/{id}/actions/associate_email  POST
//	{root}/zoho/{dc}/api/crm/v8/settings/fields?module=        GET, POST
//	{root}/zoho/{dc}/api/crm/v8/settings/fields/{id}?module=   GET
//	{root}/zoho/{dc}/api/crm/v8/users?type=ActiveUsers         GET
//	{root}/zoho/{dc}/api/crm/v8/org                            GET
//	{root}/zoho/{dc}/crm/org{zgid}/tab/{module}/{id}           HTML record page
//
// The org lives in one datacenter (us unless SetDatacenter says otherwise).
// The consent redirect carries code, state, location and accounts-server,
// whichever accounts server the flow started at; the token response's
// api_domain is {root}/zoho/{dc}/api. A code or refresh token sent to another
// datacenter's accounts server answers {"error":"invalid_client"}, and an
// access token used on another datacenter's API answers 401 INVALID_TOKEN,
// as Zoho does. Token errors are HTTP 200 JSON; refresh tokens never rotate
// and the refresh response carries no refresh_token; at most 10 access
// tokens per refresh token per 10 minutes ("Access Denied").
//
// API calls need "Authorization: Zoho-oauthtoken {token}"; a Bearer header
// is rejected. Rate limits are emu windows named credits (per rolling 24 h),
// concurrency and sub_concurrency (requests in flight; Max only) and
// token_refresh; exceeding one answers 429 TOO_MANY_REQUESTS, and
// X-API-CREDITS-REMAINING appears once half the credits are used.
//
// Stored objects (control API names): Contacts, Calls, Events, Emails and
// users. Facts marked UNCONFIRMED in the code are choices where Zoho's
// documentation is silent; see reference/crm-api-facts.md §4.
package zoho
