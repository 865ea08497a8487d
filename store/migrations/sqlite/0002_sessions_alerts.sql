-- Browser sessions, the alert outbox, and each connection's CRM schema and
-- import run. SQLite dialect: times are INTEGER microseconds since the Unix
-- epoch, UTC.

CREATE TABLE sessions (
	id           INTEGER PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES users (id),
	workspace_id INTEGER NOT NULL REFERENCES workspaces (id), -- the workspace being viewed
	token_hash   BLOB    NOT NULL, -- SHA-256 of the cookie token
	csrf_token   TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX sessions_token ON sessions (token_hash);
-- Pruning expired sessions.
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE alerts (
	id            INTEGER PRIMARY KEY,
	workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
	connection_id INTEGER NOT NULL REFERENCES connections (id),
	kind          TEXT    NOT NULL,
	recipient     TEXT    NOT NULL,
	subject       TEXT    NOT NULL DEFAULT '',
	body          TEXT    NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	delivered_at  INTEGER,
	attempts      INTEGER NOT NULL DEFAULT 0,
	last_error    TEXT    NOT NULL DEFAULT ''
);
-- A workspace's alerts newest first, and the outbox oldest first.
CREATE INDEX alerts_workspace ON alerts (workspace_id, id);
CREATE INDEX alerts_undelivered ON alerts (id) WHERE delivered_at IS NULL;

-- JSON objects ('' until first set).
ALTER TABLE connections ADD COLUMN crm_schema TEXT NOT NULL DEFAULT '';
ALTER TABLE connections ADD COLUMN import_run TEXT NOT NULL DEFAULT '';
