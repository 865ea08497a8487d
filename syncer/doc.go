// Package syncer is crmsync's sync engine: River jobs that mirror a
// workspace's contacts and activities one way into its CRM, and the service
// the pages call to connect, import or start fresh, resync, toggle, set an
// owner, send a test contact, retry failures and disconnect.
//
// One sync run of a connection collects the change log since the
// connection's cursor into pending sync items (honouring the toggles),
// pushes contacts before their activities through the connector in
// batches, and records every outcome as a sync item state and a sync event.
// The ledger makes pushes idempotent: an object with a CRM id is updated,
// never created twice, and connectors upsert by the SalesHive external id,
// so a run killed anywhere is simply run again.
//
// Jobs carry ids only. A connection's sync job is unique while it is
// queued or running, so two syncs of one connection never overlap, across
// any number of processes sharing the database.
package syncer
