// Command crmsync runs SalesHive's CRM connection service: the demo (the
// whole product with the sandbox CRMs, zero configuration), the HTTP server
// with the sync engine (serve), job-only processes (worker), the sandbox
// CRMs alone (sandbox), database migrations, and the admin commands that
// create workspaces, users and API tokens. Run "crmsync help".
//
// main only turns signals into a cancelled context; Run (run.go) reads the
// configuration and dispatches through the commands table, which lists
// every subcommand. The parts are assembled by package ops (store,
// connectors, engine, /metrics) so serve, worker and package demo wire them
// one way.
package main
