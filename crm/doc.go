// Package crm is the one door between crmsync and a CRM. It defines the
// Connector interface that each CRM package (crm/salesforce, crm/hubspot,
// crm/pipedrive, crm/zoho) implements against that CRM's documented API, and
// holds the behaviour all four share, written once:
//
//   - Client: authenticated, rate-limited HTTP with one token refresh on a 401
//     and the CRM's errors classified into problem types (Error);
//   - TokenSource: refresh before expiry and on demand, single flight per
//     connection in this process and compare-and-swap against the store across
//     processes, persisting a rotated token before it is used;
//   - Limiter: one per CRM account, sized from the documented limits, fed by
//     the CRM's rate-limit headers, which reports a long wait instead of
//     sleeping through it so a job can snooze.
//
// The sync engine and the web layer use connectors only through this
// package's types; crm/crmtest is the conformance suite every connector
// passes against its sandbox.
package crm
