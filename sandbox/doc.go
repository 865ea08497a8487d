// Package sandbox serves faithful local emulators of the Salesforce,
// HubSpot, Pipedrive and Zoho CRM APIs on one port, for the tests, the
// benchmarks and the demo. Each CRM lives under its own prefix and answers
// on the vendor's own paths, so a real client library pointed at
// "{root}/{crm}" works unchanged:
//
//	{root}/hubspot/...     HubSpot (api.hubapi.com and app.hubspot.com)
//	{root}/salesforce/...  Salesforce (login host and instance)
//	{root}/pipedrive/...   Pipedrive (oauth host and api_domain)
//	{root}/zoho/...        Zoho CRM (accounts server and API domain per datacenter)
//
// A control API under {root}/_sandbox/ (never part of any emulated surface)
// lets tests reset, inspect records, count duplicates, inject faults,
// revoke or expire tokens, make fields required, change rate limits, read
// counters and the bounded request log, and advance the clock:
//
//	GET    /_sandbox/                          served CRMs, base URLs, OAuth clients
//	POST   /_sandbox/reset                     reset every CRM
//	POST   /_sandbox/clock/advance             {"ms": N}
//	GET    /_sandbox/{crm}                     one CRM's info
//	POST   /_sandbox/{crm}/reset
//	GET    /_sandbox/{crm}/objects             object names with record counts
//	GET    /_sandbox/{crm}/objects/{object}    ?offset=&limit= (default 100)
//	GET    /_sandbox/{crm}/objects/{object}/{id}
//	GET    /_sandbox/{crm}/fields/{object}     field definitions
//	GET    /_sandbox/{crm}/count               ?object=&field=&value=
//	GET|PUT|DELETE /_sandbox/{crm}/faults      emu.FaultConfig
//	POST   /_sandbox/{crm}/tokens              mint a grant (MintRequest)
//	POST   /_sandbox/{crm}/tokens/revoke-all
//	POST   /_sandbox/{crm}/tokens/expire-all
//	GET|PUT|DELETE /_sandbox/{crm}/required-fields   {"object","field"}
//	GET|PUT /_sandbox/{crm}/rate-limits        RateLimits
//	GET    /_sandbox/{crm}/stats               emu.StatsSnapshot
//	GET|DELETE /_sandbox/{crm}/requests        ?limit=
//
// Tests start one with MustStart and drive it with the returned Client:
//
//	srv, sb := sandbox.MustStart(t, sandbox.Config{})
//	base := sb.URL("hubspot") // point the connector here
//	_ = sb.SetFaults(ctx, "hubspot", emu.FaultConfig{DropAfterCommitRate: 1, Remaining: 1})
//	n, _ := sb.Count(ctx, "hubspot", "contacts", "saleshive_external_id", "SH-1") // 1: no duplicate
//
// The CRMs are listed explicitly in providers.go; each CRM package exposes
// New(emu.Config) returning a value implementing emu.CRM (see package emu).
package sandbox
