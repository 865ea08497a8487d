// Package demo assembles the whole crmsync product in one process for a
// newcomer and for the browser tests: a SQLite store in a data directory,
// the four sandbox CRMs on their own loopback listener, the connectors
// pointed at them, the sync engine on a short interval, the web server with
// /metrics, a demo workspace with two logins, 2,000 generated contacts and a
// generator that keeps adding emails, calls and meetings. Start is
// idempotent on a reused data directory.
package demo
