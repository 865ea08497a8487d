-- crmsync schema, SQLite dialect. Times are INTEGER microseconds since the
-- Unix epoch, UTC; booleans are 0/1.

CREATE TABLE workspaces (
	id               INTEGER PRIMARY KEY,
	name             TEXT    NOT NULL,
	strategist_name  TEXT    NOT NULL DEFAULT '',
	strategist_email TEXT    NOT NULL DEFAULT '',
	-- change_seq is the last change-log seq handed out in this workspace;
	-- writers bump it inside their transaction.
	change_seq       INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL
);

CREATE TABLE users (
	id            INTEGER PRIMARY KEY,
	workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
	email         TEXT    NOT NULL,
	name          TEXT    NOT NULL DEFAULT '',
	role          TEXT    NOT NULL,
	password_hash TEXT    NOT NULL,
	created_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_workspace ON users (workspace_id);

CREATE TABLE workspace_strategists (
	workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
	user_id      INTEGER NOT NULL REFERENCES users (id),
	PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_strategists_user ON workspace_strategists (user_id);

CREATE TABLE api_tokens (
	id           INTEGER PRIMARY KEY,
	workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
	name         TEXT    NOT NULL,
	prefix       TEXT    NOT NULL,
	token_hash   BLOB    NOT NULL, -- SHA-256 of the plaintext token
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_workspace ON api_tokens (workspace_id);

CREATE TABLE contacts (
	id            INTEGER PRIMARY KEY,
	workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
	source_id     TEXT    NOT NULL,
	first_name    TEXT    NOT NULL DEFAULT '',
	last_name     TEXT    NOT NULL DEFAULT '',
	email         TEXT    NOT NULL DEFAULT '',
	phone         TEXT    NOT NULL DEFAULT '',
	title         TEXT    NOT NULL DEFAULT '',
	company       TEXT    NOT NULL DEFAULT '',
	website       TEXT    NOT NULL DEFAULT '',
	city          TEXT    NOT NULL DEFAULT '',
	state         TEXT    NOT NULL DEFAULT '',
	country       TEXT    NOT NULL DEFAULT '',
	lead_source   TEXT    NOT NULL DEFAULT '',
	custom_fields TEXT    NOT NULL DEFAULT '', -- JSON object, '' when empty
	change_seq    INTEGER NOT NULL, -- change seq of the latest write
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX contacts_source ON contacts (workspace_id, source_id);

CREATE TABLE activities (
	id                INTEGER PRIMARY KEY,
	workspace_id      INTEGER NOT NULL REFERENCES workspaces (id),
	source_id         TEXT    NOT NULL,
	contact_id        INTEGER NOT NULL REFERENCES contacts (id),
	kind              TEXT    NOT NULL,
	subject           TEXT    NOT NULL DEFAULT '',
	body              TEXT    NOT NULL DEFAULT '',
	direction         TEXT    NOT NULL DEFAULT '',
	occurred_at       INTEGER NOT NULL,
	duration_seconds  INTEGER NOT NULL DEFAULT 0,
	outcome           TEXT    NOT NULL DEFAULT '',
	ends_at           INTEGER,
	attendees         TEXT    NOT NULL DEFAULT '', -- JSON array, '' when empty
	change_seq        INTEGER NOT NULL,
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL
);
CREATE UNIQUE INDEX activities_source ON activities (workspace_id, source_id);
CREATE INDEX activities_contact ON activities (workspace_id, contact_id, id);

CREATE TABLE change_log (
	workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
	seq          INTEGER NOT NULL,
	object_type  TEXT    NOT NULL,
	object_id    INTEGER NOT NULL,
	kind         TEXT    NOT NULL DEFAULT '',
	changed_at   INTEGER NOT NULL,
	PRIMARY KEY (workspace_id, seq)
) WITHOUT ROWID;

CREATE TABLE connections (
	id                     INTEGER PRIMARY KEY,
	workspace_id           INTEGER NOT NULL REFERENCES workspaces (id),
	provider               TEXT    NOT NULL,
	status                 TEXT    NOT NULL,
	account_label          TEXT    NOT NULL DEFAULT '',
	account_id             TEXT    NOT NULL DEFAULT '',
	zoho_datacenter        TEXT    NOT NULL DEFAULT '',
	import_choice          TEXT    NOT NULL,
	sync_contacts          INTEGER NOT NULL,
	sync_emails            INTEGER NOT NULL,
	sync_calls             INTEGER NOT NULL,
	sync_meetings          INTEGER NOT NULL,
	owner_id               TEXT    NOT NULL DEFAULT '',
	owner_name             TEXT    NOT NULL DEFAULT '',
	guide_dismissed        INTEGER NOT NULL DEFAULT 0,
	field_mapping_viewed   INTEGER NOT NULL DEFAULT 0,
	test_contact_sent_at   INTEGER,
	test_contact_crm_id    TEXT    NOT NULL DEFAULT '',
	sync_cursor            INTEGER NOT NULL DEFAULT 0,
	last_sync_at           INTEGER,
	last_error             TEXT    NOT NULL DEFAULT '',
	disconnect_reason      TEXT    NOT NULL DEFAULT '',
	connected_at           INTEGER,
	created_at             INTEGER NOT NULL,
	updated_at             INTEGER NOT NULL
);
CREATE UNIQUE INDEX connections_provider ON connections (workspace_id, provider);
CREATE INDEX connections_status ON connections (status);

CREATE TABLE connection_tokens (
	connection_id INTEGER PRIMARY KEY REFERENCES connections (id),
	workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
	sealed        BLOB,             -- AES-256-GCM sealed JSON token; NULL once deleted
	version       INTEGER NOT NULL, -- bumped on every save and delete, for compare-and-swap
	updated_at    INTEGER NOT NULL
);

CREATE TABLE field_mappings (
	id            INTEGER PRIMARY KEY,
	workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
	connection_id INTEGER NOT NULL REFERENCES connections (id),
	source_field  TEXT    NOT NULL DEFAULT '',
	fixed_value   TEXT    NOT NULL DEFAULT '',
	crm_field     TEXT    NOT NULL,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX field_mappings_crm_field ON field_mappings (connection_id, crm_field);

CREATE TABLE sync_items (
	id            INTEGER PRIMARY KEY,
	workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
	connection_id INTEGER NOT NULL REFERENCES connections (id),
	object_type   TEXT    NOT NULL,
	object_id     INTEGER NOT NULL,
	kind          TEXT    NOT NULL DEFAULT '',
	state         TEXT    NOT NULL,
	crm_id        TEXT    NOT NULL DEFAULT '',
	problem       TEXT    NOT NULL DEFAULT '',
	crm_message   TEXT    NOT NULL DEFAULT '',
	reason        TEXT    NOT NULL DEFAULT '',
	attempts      INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	synced_at     INTEGER
);
CREATE UNIQUE INDEX sync_items_object ON sync_items (connection_id, object_type, object_id);
-- Pending items in push order, and failed items of the last 24 hours.
CREATE INDEX sync_items_state ON sync_items (workspace_id, connection_id, state, object_type, id);
CREATE INDEX sync_items_state_updated ON sync_items (workspace_id, connection_id, state, updated_at);

CREATE TABLE sync_events (
	id            INTEGER PRIMARY KEY,
	workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
	connection_id INTEGER NOT NULL REFERENCES connections (id),
	at            INTEGER NOT NULL,
	object_type   TEXT    NOT NULL DEFAULT '',
	type          TEXT    NOT NULL DEFAULT '',
	object_id     INTEGER NOT NULL DEFAULT 0,
	outcome       TEXT    NOT NULL,
	crm_id        TEXT    NOT NULL DEFAULT '',
	problem       TEXT    NOT NULL DEFAULT '',
	message       TEXT    NOT NULL DEFAULT '',
	duration_ms   INTEGER NOT NULL DEFAULT 0
);
-- Newest-first pages of one connection, and its 24-hour health (covering).
CREATE INDEX sync_events_connection ON sync_events (workspace_id, connection_id, id);
CREATE INDEX sync_events_connection_at ON sync_events (workspace_id, connection_id, at, outcome);
-- Pruning by age across all workspaces.
CREATE INDEX sync_events_at ON sync_events (at);
