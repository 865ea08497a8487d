-- The lock that keeps two syncs of a connection from overlapping across
-- processes, and the request for another run that arrived while it was
-- held. SQLite dialect: times are INTEGER microseconds since the Unix epoch.
CREATE TABLE sync_locks (
	connection_id INTEGER PRIMARY KEY REFERENCES connections (id),
	workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
	owner         TEXT    NOT NULL DEFAULT '', -- '' when released
	locked_until  INTEGER NOT NULL DEFAULT 0,
	wanted        INTEGER NOT NULL DEFAULT 0  -- 1: run again before releasing
);
