package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/saleshive/crmsync"
)

const connectionCols = `id, workspace_id, provider, status, account_label, account_id, zoho_datacenter, import_choice,
	sync_contacts, sync_emails, sync_calls, sync_meetings, owner_id, owner_name, guide_dismissed, field_mapping_viewed,
	test_contact_sent_at, test_contact_crm_id, sync_cursor, last_sync_at, last_error, disconnect_reason, connected_at,
	crm_schema, import_run, created_at, updated_at`

func scanConnection(row interface{ Scan(...any) error }) (*crmsync.Connection, error) {
	var c crmsync.Connection
	var provider, status, dc, choice string
	err := row.Scan(&c.ID, &c.WorkspaceID, &provider, &status, &c.AccountLabel, &c.AccountID, &dc, &choice,
		&c.Toggles.Contacts, &c.Toggles.Emails, &c.Toggles.Calls, &c.Toggles.Meetings, &c.OwnerID, &c.OwnerName,
		&c.GuideDismissed, &c.FieldMappingViewed, nullTimeScan{&c.TestContactSentAt}, &c.TestContactCRMID,
		&c.SyncCursor, nullTimeScan{&c.LastSyncAt}, &c.LastError, &c.DisconnectReason, nullTimeScan{&c.ConnectedAt},
		jsonScan{&c.Schema}, jsonScan{&c.Import}, timeScan{&c.CreatedAt}, timeScan{&c.UpdatedAt})
	c.Provider, c.Status, c.ZohoDatacenter, c.ImportChoice = crmsync.Provider(provider), crmsync.ConnectionStatus(status),
		crmsync.ZohoDatacenter(dc), crmsync.ImportChoice(choice)
	return &c, err
}

// EnsureConnection returns the workspace's connection to provider, creating
// it (not connected, every toggle on, import pending) if it has none. An
// unsupported provider is EINVALID; an unknown workspace ENOTFOUND.
func (db *DB) EnsureConnection(ctx context.Context, workspaceID int64, provider crmsync.Provider) (*crmsync.Connection, error) {
	if !provider.Valid() {
		var v crmsync.Validation
		v.Add("provider", "%q is not a supported CRM; use salesforce, hubspot, pipedrive or zoho", provider)
		return nil, v.Err("Unknown CRM.")
	}
	op := fmt.Sprintf("ensure %s connection (workspace %d)", provider, workspaceID)
	if c, err := db.FindConnectionByProvider(ctx, workspaceID, provider); err == nil || crmsync.ErrorCode(err) != crmsync.ENOTFOUND {
		return c, err
	}
	now := db.nowUTC()
	t := crmsync.DefaultSyncToggles
	err := db.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := db.workspaceExists(ctx, tx, workspaceID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO connections (workspace_id, provider, status, import_choice,
			sync_contacts, sync_emails, sync_calls, sync_meetings, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (workspace_id, provider) DO NOTHING`),
			workspaceID, string(provider), string(crmsync.StatusNotConnected), string(crmsync.ImportPending),
			t.Contacts, t.Emails, t.Calls, t.Meetings, db.t(now), db.t(now))
		return err
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	c, err := scanConnection(db.read.QueryRowContext(ctx, db.q("SELECT "+connectionCols+" FROM connections WHERE workspace_id = ? AND provider = ?"),
		workspaceID, string(provider)))
	return c, wrap(op, err)
}

// FindConnectionByID returns the workspace's connection, or ENOTFOUND.
func (db *DB) FindConnectionByID(ctx context.Context, workspaceID, id int64) (*crmsync.Connection, error) {
	c, err := scanConnection(db.read.QueryRowContext(ctx, db.q("SELECT "+connectionCols+" FROM connections WHERE workspace_id = ? AND id = ?"), workspaceID, id))
	if isNoRows(err) {
		return nil, notFound("Connection %d not found.", id)
	}
	return c, wrap(fmt.Sprintf("find connection %d (workspace %d)", id, workspaceID), err)
}

// FindConnectionByProvider returns the workspace's connection to provider,
// or ENOTFOUND.
func (db *DB) FindConnectionByProvider(ctx context.Context, workspaceID int64, provider crmsync.Provider) (*crmsync.Connection, error) {
	c, err := scanConnection(db.read.QueryRowContext(ctx, db.q("SELECT "+connectionCols+" FROM connections WHERE workspace_id = ? AND provider = ?"),
		workspaceID, string(provider)))
	if isNoRows(err) {
		return nil, notFound("No %s connection.", provider.Name())
	}
	return c, wrap(fmt.Sprintf("find %s connection (workspace %d)", provider, workspaceID), err)
}

// FindConnections lists the workspace's connections by id.
func (db *DB) FindConnections(ctx context.Context, workspaceID int64) ([]*crmsync.Connection, error) {
	return db.queryConnections(ctx, fmt.Sprintf("find connections (workspace %d)", workspaceID),
		"SELECT "+connectionCols+" FROM connections WHERE workspace_id = ? ORDER BY id", workspaceID)
}

// FindConnectedConnections lists, by id, every connection of every
// workspace that still syncs: status connected or error (an error is a
// persistent non-auth failure, retried on schedule). It is the scheduler's
// input and the one cross-workspace read of connections.
func (db *DB) FindConnectedConnections(ctx context.Context) ([]*crmsync.Connection, error) {
	return db.queryConnections(ctx, "find connected connections",
		"SELECT "+connectionCols+" FROM connections WHERE status IN (?, ?) ORDER BY id",
		string(crmsync.StatusConnected), string(crmsync.StatusError))
}

// validStatus reports whether s is a connection status.
func validStatus(s crmsync.ConnectionStatus) bool {
	switch s {
	case crmsync.StatusNotConnected, crmsync.StatusConnected, crmsync.StatusDisconnected, crmsync.StatusError:
		return true
	}
	return false
}

func (db *DB) queryConnections(ctx context.Context, op, query string, args ...any) ([]*crmsync.Connection, error) {
	rows, err := db.read.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := []*crmsync.Connection{}
	for rows.Next() {
		c, err := scanConnection(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, c)
	}
	return out, wrap(op, rows.Err())
}

// UpdateConnection sets the non-nil fields of upd and returns the updated
// connection. Unknown enumeration values are EINVALID; another workspace's
// connection is ENOTFOUND. With upd.ExpectStatus set, the update applies
// only while the stored status equals it, checked by the UPDATE itself so
// it is atomic across processes; otherwise nothing changes and the error
// is ECONFLICT. Import times are stored to the microsecond, in UTC.
func (db *DB) UpdateConnection(ctx context.Context, workspaceID, id int64, upd crmsync.ConnectionUpdate) (*crmsync.Connection, error) {
	var v crmsync.Validation
	var sets []string
	var args []any
	set := func(col string, val any) {
		sets = append(sets, col+" = ?")
		args = append(args, val)
	}
	if s := upd.Status; s != nil {
		if !validStatus(*s) {
			v.Add("status", "%q is not a connection status", *s)
		}
		set("status", string(*s))
	}
	if s := upd.ExpectStatus; s != nil && !validStatus(*s) {
		v.Add("expect_status", "%q is not a connection status", *s)
	}
	if upd.AccountLabel != nil {
		set("account_label", *upd.AccountLabel)
	}
	if upd.AccountID != nil {
		set("account_id", *upd.AccountID)
	}
	if d := upd.ZohoDatacenter; d != nil {
		set("zoho_datacenter", string(*d))
	}
	if c := upd.ImportChoice; c != nil {
		switch *c {
		case crmsync.ImportPending, crmsync.ImportImported, crmsync.ImportSkipped:
		default:
			v.Add("import_choice", "%q is not an import choice; use pending, imported or skipped", *c)
		}
		set("import_choice", string(*c))
	}
	if t := upd.Toggles; t != nil {
		set("sync_contacts", t.Contacts)
		set("sync_emails", t.Emails)
		set("sync_calls", t.Calls)
		set("sync_meetings", t.Meetings)
	}
	if upd.OwnerID != nil {
		set("owner_id", *upd.OwnerID)
	}
	if upd.OwnerName != nil {
		set("owner_name", *upd.OwnerName)
	}
	if upd.GuideDismissed != nil {
		set("guide_dismissed", *upd.GuideDismissed)
	}
	if upd.FieldMappingViewed != nil {
		set("field_mapping_viewed", *upd.FieldMappingViewed)
	}
	if upd.TestContactSentAt != nil {
		set("test_contact_sent_at", db.t(*upd.TestContactSentAt))
	}
	if upd.TestContactCRMID != nil {
		set("test_contact_crm_id", *upd.TestContactCRMID)
	}
	if upd.SyncCursor != nil {
		set("sync_cursor", *upd.SyncCursor)
	}
	if upd.LastSyncAt != nil {
		set("last_sync_at", db.t(*upd.LastSyncAt))
	}
	if upd.LastError != nil {
		set("last_error", *upd.LastError)
	}
	if upd.DisconnectReason != nil {
		set("disconnect_reason", *upd.DisconnectReason)
	}
	if upd.ConnectedAt != nil {
		set("connected_at", db.t(*upd.ConnectedAt))
	}
	op := fmt.Sprintf("update connection %d (workspace %d)", id, workspaceID)
	if upd.Schema != nil {
		js, err := jsonArg(upd.Schema)
		if err != nil {
			return nil, wrap(op, err)
		}
		set("crm_schema", js)
	}
	if upd.Import != nil {
		run := *upd.Import
		run.StartedAt, run.FinishedAt = normTimePtr(run.StartedAt), normTimePtr(run.FinishedAt)
		js, err := jsonArg(run)
		if err != nil {
			return nil, wrap(op, err)
		}
		set("import_run", js)
	}
	if err := v.Err("The connection update has invalid fields."); err != nil {
		return nil, err
	}
	set("updated_at", db.t(db.nowUTC()))
	where := " WHERE workspace_id = ? AND id = ?"
	args = append(args, workspaceID, id)
	if upd.ExpectStatus != nil {
		where += " AND status = ?"
		args = append(args, string(*upd.ExpectStatus))
	}
	c, err := scanConnection(db.write.QueryRowContext(ctx,
		db.q("UPDATE connections SET "+strings.Join(sets, ", ")+where+" RETURNING "+connectionCols), args...))
	if isNoRows(err) {
		if upd.ExpectStatus == nil {
			return nil, notFound("Connection %d not found.", id)
		}
		// Nothing matched: tell a missing connection from a changed status.
		cur, ferr := db.FindConnectionByID(ctx, workspaceID, id)
		if ferr != nil {
			return nil, ferr
		}
		return nil, crmsync.Errorf(crmsync.ECONFLICT, "Connection %d is %s, not %s; it was changed by another process.",
			id, cur.Status, *upd.ExpectStatus)
	}
	return c, wrap(op, err)
}

// normTimePtr returns a copy of *t as the database round-trips it, or nil.
func normTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := normTime(*t)
	return &n
}

// tokenAD binds a sealed token to its workspace and connection, so a sealed
// value copied into another row does not open.
func tokenAD(workspaceID, connectionID int64) []byte {
	return fmt.Appendf(nil, "crmsync connection_tokens workspace=%d connection=%d", workspaceID, connectionID)
}

// FindConnectionToken returns the connection's decrypted token and its
// version, or ENOTFOUND if the connection (in this workspace) has none.
func (db *DB) FindConnectionToken(ctx context.Context, workspaceID, id int64) (*crmsync.Token, int64, error) {
	op := fmt.Sprintf("find token of connection %d (workspace %d)", id, workspaceID)
	if db.keyring == nil {
		return nil, 0, wrap(op, errors.New("no keyring configured"))
	}
	var sealed []byte
	var version int64
	err := db.read.QueryRowContext(ctx, db.q("SELECT sealed, version FROM connection_tokens WHERE workspace_id = ? AND connection_id = ?"),
		workspaceID, id).Scan(&sealed, &version)
	if isNoRows(err) || err == nil && sealed == nil {
		return nil, 0, notFound("Connection %d has no token.", id)
	} else if err != nil {
		return nil, 0, wrap(op, err)
	}
	plain, err := db.keyring.Open(sealed, tokenAD(workspaceID, id))
	if err != nil {
		return nil, 0, wrap(op, err)
	}
	var tok crmsync.Token
	if err := json.Unmarshal(plain, &tok); err != nil {
		// The JSON error could quote token bytes; keep it out.
		return nil, 0, wrap(op, errors.New("decode token: malformed JSON"))
	}
	return &tok, version, nil
}

// SaveConnectionToken seals and stores tok if the stored version still
// equals prevVersion (0: the connection has no token yet), or
// unconditionally with force, and returns the new version. A stale
// prevVersion is ECONFLICT: another process saved a newer token first.
// Versions only grow, even across DeleteConnectionToken, so an old version
// never matches again.
func (db *DB) SaveConnectionToken(ctx context.Context, workspaceID, id int64, tok *crmsync.Token, prevVersion int64, force bool) (int64, error) {
	op := fmt.Sprintf("save token of connection %d (workspace %d)", id, workspaceID)
	if db.keyring == nil {
		return 0, wrap(op, errors.New("no keyring configured"))
	}
	if tok == nil || tok.AccessToken == "" {
		var v crmsync.Validation
		v.Add("access_token", "is required")
		return 0, v.Err("The token is empty.")
	}
	plain, err := json.Marshal(tok)
	if err != nil {
		return 0, wrap(op, errors.New("encode token"))
	}
	sealed, err := db.keyring.Seal(plain, tokenAD(workspaceID, id))
	if err != nil {
		return 0, wrap(op, err)
	}
	now := db.nowUTC()
	conflict := crmsync.Errorf(crmsync.ECONFLICT, "The connection's token was changed by another process; read it again.")
	var version int64
	err = db.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, db.q("SELECT 1 FROM connections WHERE workspace_id = ? AND id = ?"), workspaceID, id).Scan(&one)
		if isNoRows(err) {
			return notFound("Connection %d not found.", id)
		} else if err != nil {
			return err
		}
		var cur int64
		var empty bool
		err = tx.QueryRowContext(ctx, db.q("SELECT version, sealed IS NULL FROM connection_tokens WHERE connection_id = ?"), id).Scan(&cur, &empty)
		if isNoRows(err) {
			if !force && prevVersion != 0 {
				return conflict
			}
			version = 1
			_, err := tx.ExecContext(ctx, db.q("INSERT INTO connection_tokens (connection_id, workspace_id, sealed, version, updated_at) VALUES (?, ?, ?, ?, ?)"),
				id, workspaceID, sealed, version, db.t(now))
			if db.d.isUniqueViolation(err) {
				return conflict // another process inserted first
			}
			return err
		} else if err != nil {
			return err
		}
		if !force && prevVersion != cur && !(empty && prevVersion == 0) {
			return conflict
		}
		// The version condition makes the swap atomic on PostgreSQL, where a
		// concurrent saver may have bumped it since we read it.
		res, err := tx.ExecContext(ctx, db.q("UPDATE connection_tokens SET sealed = ?, version = version + 1, updated_at = ? WHERE connection_id = ? AND version = ?"),
			sealed, db.t(now), id, cur)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return conflict
		}
		version = cur + 1
		return nil
	})
	if err != nil {
		return 0, wrap(op, err)
	}
	return version, nil
}

// DeleteConnectionToken forgets the connection's token (it is idempotent);
// another workspace's connection is ENOTFOUND.
func (db *DB) DeleteConnectionToken(ctx context.Context, workspaceID, id int64) error {
	op := fmt.Sprintf("delete token of connection %d (workspace %d)", id, workspaceID)
	err := db.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, db.q("SELECT 1 FROM connections WHERE workspace_id = ? AND id = ?"), workspaceID, id).Scan(&one)
		if isNoRows(err) {
			return notFound("Connection %d not found.", id)
		} else if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, db.q("UPDATE connection_tokens SET sealed = NULL, version = version + 1, updated_at = ? WHERE connection_id = ? AND sealed IS NOT NULL"),
			db.t(db.nowUTC()), id)
		return err
	})
	return wrap(op, err)
}
