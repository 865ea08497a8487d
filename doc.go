// Package crmsync is the domain of SalesHive's CRM connection service: the
// types a client's data and CRM connections are made of, their validation,
// the error codes every layer shares, and the service interfaces that the
// store, the sync engine and the web layer implement or consume.
//
// Sync is one way: crmsync adds and updates records in the client's CRM and
// never deletes one. The root package imports the standard library only; the
// technology lives in subpackages (store, crm, sandbox, syncer, web).
package crmsync
