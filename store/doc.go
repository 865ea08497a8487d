// Package store is crmsync's one database/sql implementation of the root
// package's service interfaces, on SQLite (modernc.org/sqlite, pure Go) for
// the embedded single-file setup and on PostgreSQL (pgx stdlib) for scale.
//
// Everything is written once against database/sql; what differs between the
// two databases (opening, placeholders, time and boolean encoding, error
// codes, the migration lock, one date expression) lives in dialect_sqlite.go
// and dialect_postgres.go. Migrations are embedded per dialect under
// migrations/ and applied by Migrate.
//
// On SQLite all writes go through ONE writer connection in immediate
// transactions (so writers queue instead of failing with "database is
// locked") and reads use a separate read-only pool; the file runs in WAL
// mode with a busy timeout. On PostgreSQL one pool serves both.
//
// Every method takes the workspace (tenant) explicitly and filters by it;
// the only cross-workspace methods are the documented FindConnectedConnections,
// FindUndeliveredAlerts and PruneSyncEvents (and lookups by a global key:
// FindWorkspaceByID, FindUserByID, AuthenticateUser, AuthenticateAPIToken,
// the session methods by token, MarkAlertDelivered by alert id). Not found
// is an ENOTFOUND error, never a nil result.
//
// Session and API tokens are stored only as SHA-256 hashes. SQLDB and URL
// hand the job queue (River) the writer pool and the PostgreSQL URL; the URL
// may carry a password and is never logged.
//
// Every contact or activity write appends to the workspace's change log in
// the same transaction. Seqs are allocated by bumping the workspace's
// change_seq counter row inside the writing transaction, which serialises
// writers per workspace, so seqs become visible in order and "since seq N"
// never misses a row (a database sequence would not guarantee that).
package store
