-- The lock that keeps two syncs of a connection from overlapping across
-- processes, and the request for another run that arrived while it was
-- held.
CREATE TABLE sync_locks (
	connection_id BIGINT      PRIMARY KEY REFERENCES connections (id),
	workspace_id  BIGINT      NOT NULL REFERENCES workspaces (id),
	owner         TEXT        NOT NULL DEFAULT '', -- '' when released
	locked_until  TIMESTAMPTZ NOT NULL DEFAULT 'epoch',
	wanted        INTEGER     NOT NULL DEFAULT 0   -- 1: run again before releasing
);
