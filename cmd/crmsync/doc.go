// Command crmsync runs SalesHive's CRM connection service: the HTTP server
// (ingest API, pages, health checks), database migrations, and the admin
// commands that create workspaces, users and API tokens. Run "crmsync help".
//
// main only turns signals into a cancelled context; Run (run.go) is the one
// place where configuration is read and the parts are wired together, and
// the commands table there lists every subcommand.
package main
