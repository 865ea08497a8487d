package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// AcquireSyncLock implements crmsync.SyncLocks. The connection must be the
// workspace's (ENOTFOUND). One statement decides, so two processes racing
// for the lock cannot both win.
func (db *DB) AcquireSyncLock(ctx context.Context, workspaceID, connectionID int64, owner string, until time.Time) (bool, error) {
	op := fmt.Sprintf("acquire sync lock (connection %d)", connectionID)
	if owner == "" {
		return false, wrap(op, fmt.Errorf("empty owner"))
	}
	var acquired bool
	err := db.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := db.connectionExists(ctx, tx, workspaceID, connectionID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.q(`INSERT INTO sync_locks (connection_id, workspace_id, owner, locked_until, wanted)
			VALUES (?, ?, ?, ?, 0)
			ON CONFLICT (connection_id) DO UPDATE SET owner = excluded.owner, locked_until = excluded.locked_until, wanted = 0
			WHERE sync_locks.owner = '' OR sync_locks.owner = excluded.owner OR sync_locks.locked_until < ?`),
			connectionID, workspaceID, owner, db.t(until), db.t(db.nowUTC()))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		acquired = n == 1
		return err
	})
	return acquired, wrap(op, err)
}

// RequestSync implements crmsync.SyncLocks.
func (db *DB) RequestSync(ctx context.Context, workspaceID, connectionID int64) (bool, error) {
	res, err := db.write.ExecContext(ctx, db.q(`UPDATE sync_locks SET wanted = 1
		WHERE connection_id = ? AND workspace_id = ? AND owner <> '' AND locked_until >= ?`),
		connectionID, workspaceID, db.t(db.nowUTC()))
	if err != nil {
		return false, wrap(fmt.Sprintf("request sync (connection %d)", connectionID), err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap(fmt.Sprintf("request sync (connection %d)", connectionID), err)
}

// ReleaseSyncLock implements crmsync.SyncLocks.
func (db *DB) ReleaseSyncLock(ctx context.Context, workspaceID, connectionID int64, owner string) (bool, error) {
	op := fmt.Sprintf("release sync lock (connection %d)", connectionID)
	var released bool
	err := db.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE sync_locks SET owner = '', locked_until = ?
			WHERE connection_id = ? AND workspace_id = ? AND owner = ? AND wanted = 0`),
			db.t(time.Unix(0, 0)), connectionID, workspaceID, owner)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			released = n == 1
			return err
		}
		// A run was requested while we held the lock: keep it and run
		// again. If the lock is no longer ours (it expired and was taken),
		// its new owner does the work.
		res, err = tx.ExecContext(ctx, db.q(`UPDATE sync_locks SET wanted = 0
			WHERE connection_id = ? AND workspace_id = ? AND owner = ?`), connectionID, workspaceID, owner)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		released = n == 0
		return err
	})
	return released, wrap(op, err)
}
