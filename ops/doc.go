// Package ops assembles what every crmsync process runs — the store, the
// connector list, the sync engine, the HTTP server with /metrics, /healthz
// and /readyz — so that serve, worker and the demo wire them one way.
// cmd/crmsync and package demo call it; nothing here is provider logic.
package ops
