package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/saleshive/crmsync"
)

const syncItemCols = "id, workspace_id, connection_id, object_type, object_id, kind, state, crm_id, problem, crm_message, reason, attempts, created_at, updated_at, synced_at"

func scanSyncItem(row interface{ Scan(...any) error }) (*crmsync.SyncItem, error) {
	var it crmsync.SyncItem
	var objectType, kind, state, problem string
	err := row.Scan(&it.ID, &it.WorkspaceID, &it.ConnectionID, &objectType, &it.ObjectID, &kind, &state, &it.CRMID,
		&problem, &it.CRMMessage, &it.Reason, &it.Attempts, timeScan{&it.CreatedAt}, timeScan{&it.UpdatedAt}, nullTimeScan{&it.SyncedAt})
	it.ObjectType, it.Kind, it.State, it.Problem = crmsync.ObjectType(objectType), crmsync.ActivityKind(kind), crmsync.SyncState(state), crmsync.Problem(problem)
	return &it, err
}

// connectionExists returns ENOTFOUND unless the workspace has connection id.
func (db *DB) connectionExists(ctx context.Context, q queryer, workspaceID, id int64) error {
	var one int
	err := q.QueryRowContext(ctx, db.q("SELECT 1 FROM connections WHERE workspace_id = ? AND id = ?"), workspaceID, id).Scan(&one)
	if isNoRows(err) {
		return notFound("Connection %d not found.", id)
	}
	return err
}

// EnqueueItems creates pending items for objects of the workspace's
// connection, or sets existing non-pending items back to pending (clearing
// problem, messages and attempts, keeping the CRM id). It never creates a
// second item for one object. Another workspace's connection is ENOTFOUND.
func (db *DB) EnqueueItems(ctx context.Context, workspaceID, connectionID int64, objects []crmsync.SyncObject) error {
	op := fmt.Sprintf("enqueue sync items (connection %d, workspace %d)", connectionID, workspaceID)
	type key struct {
		t  crmsync.ObjectType
		id int64
	}
	seen := make(map[key]bool, len(objects))
	uniq := make([]crmsync.SyncObject, 0, len(objects))
	for _, o := range objects {
		if err := validObjectType(o.Type); err != nil {
			return err
		}
		// An object twice in one statement would be upserted twice, which
		// PostgreSQL refuses.
		if k := (key{o.Type, o.ID}); !seen[k] {
			seen[k] = true
			uniq = append(uniq, o)
		}
	}
	now := db.t(db.nowUTC())
	const cols = 8
	err := db.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := db.connectionExists(ctx, tx, workspaceID, connectionID); err != nil {
			return err
		}
		size := db.chunkSize(cols, 0)
		for lo := 0; lo < len(uniq); lo += size {
			hi := min(lo+size, len(uniq))
			query := db.cachedSQL("enqueue:"+strconv.Itoa(hi-lo), func() string {
				return "INSERT INTO sync_items (workspace_id, connection_id, object_type, object_id, kind, state, created_at, updated_at) VALUES " +
					valuesList(hi-lo, cols) + ` ON CONFLICT (connection_id, object_type, object_id) DO UPDATE SET
					state = excluded.state, kind = excluded.kind, problem = '', crm_message = '', reason = '', attempts = 0,
					updated_at = excluded.updated_at WHERE sync_items.state <> excluded.state`
			})
			args := make([]any, 0, (hi-lo)*cols)
			for _, o := range uniq[lo:hi] {
				args = append(args, workspaceID, connectionID, string(o.Type), o.ID, string(o.Kind), string(crmsync.SyncPending), now, now)
			}
			if _, err := tx.ExecContext(ctx, query, args...); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap(op, err)
}

// maxPendingItems caps one FindPendingItems read: a sync step of the
// fastest connection (about two seconds of pushes) fits.
const maxPendingItems = 10000

// FindPendingItems returns up to limit (default 100, at most 10,000)
// pending items of the connection: contacts first, then activities, each by
// id.
func (db *DB) FindPendingItems(ctx context.Context, workspaceID, connectionID int64, n int) ([]*crmsync.SyncItem, error) {
	op := fmt.Sprintf("find pending items (connection %d, workspace %d)", connectionID, workspaceID)
	n = limitTo(n, 100, maxPendingItems)
	var out []*crmsync.SyncItem
	for _, t := range []crmsync.ObjectType{crmsync.ObjectContact, crmsync.ObjectActivity} {
		items, err := db.querySyncItems(ctx, op, pendingItemsSQL, workspaceID, connectionID, string(t), n-len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if len(out) >= n {
			break
		}
	}
	if out == nil {
		out = []*crmsync.SyncItem{}
	}
	return out, nil
}

// FindSyncItems returns the connection's items for the given objects, in
// any state, by id; objects without an item are left out.
func (db *DB) FindSyncItems(ctx context.Context, workspaceID, connectionID int64, objectType crmsync.ObjectType, objectIDs []int64) ([]*crmsync.SyncItem, error) {
	op := fmt.Sprintf("find sync items (connection %d, workspace %d)", connectionID, workspaceID)
	out := []*crmsync.SyncItem{}
	size := db.chunkSize(1, 3)
	for lo := 0; lo < len(objectIDs); lo += size {
		hi := min(lo+size, len(objectIDs))
		items, err := db.querySyncItems(ctx, op, "SELECT "+syncItemCols+` FROM sync_items
			WHERE workspace_id = ? AND connection_id = ? AND object_type = ? AND object_id IN (`+placeholders(hi-lo)+") ORDER BY id",
			append([]any{workspaceID, connectionID, string(objectType)}, int64sArgs(objectIDs[lo:hi])...)...)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	return out, nil
}

func (db *DB) querySyncItems(ctx context.Context, op, query string, args ...any) ([]*crmsync.SyncItem, error) {
	rows, err := db.read.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := []*crmsync.SyncItem{}
	for rows.Next() {
		it, err := scanSyncItem(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, it)
	}
	return out, wrap(op, rows.Err())
}

// RecordResults stores each result on its item (state, CRM id if given,
// problem, messages, Attempts+1, SyncedAt when synced) and appends the
// events, in one transaction and a few statements. If any item is not the
// connection's, nothing is written (ENOTFOUND).
func (db *DB) RecordResults(ctx context.Context, workspaceID, connectionID int64, results []crmsync.ItemResult, events []*crmsync.SyncEvent) error {
	op := fmt.Sprintf("record sync results (connection %d, workspace %d)", connectionID, workspaceID)
	seen := make(map[int64]bool, len(results))
	for _, r := range results {
		switch r.State {
		case crmsync.SyncPending, crmsync.SyncSynced, crmsync.SyncSkipped, crmsync.SyncFailed:
		default:
			var v crmsync.Validation
			v.Add("state", "%q is not a sync state", r.State)
			return v.Err("Unknown sync state.")
		}
		if seen[r.ItemID] {
			var v crmsync.Validation
			v.Add("item_id", "item %d has two results; record one", r.ItemID)
			return v.Err("Duplicate sync result.")
		}
		seen[r.ItemID] = true
	}
	now := db.nowUTC()
	err := db.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := db.connectionExists(ctx, tx, workspaceID, connectionID); err != nil {
			return err
		}
		n, err := db.d.updateSyncItems(ctx, tx, results, db.t(now), workspaceID, connectionID)
		if err != nil {
			return err
		} else if n != int64(len(results)) {
			return notFound("%d of %d sync items not found in connection %d.", int64(len(results))-n, len(results), connectionID)
		}
		return db.insertEvents(ctx, tx, workspaceID, connectionID, events, now)
	})
	return wrap(op, err)
}

// AppendSyncEvents appends events that belong to no item (a test contact).
// Each event's ConnectionID must be one of the workspace's connections
// (ENOTFOUND otherwise).
func (db *DB) AppendSyncEvents(ctx context.Context, workspaceID int64, events []*crmsync.SyncEvent) error {
	op := fmt.Sprintf("append sync events (workspace %d)", workspaceID)
	now := db.nowUTC()
	err := db.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		checked := map[int64]bool{}
		for _, e := range events {
			if !checked[e.ConnectionID] {
				if err := db.connectionExists(ctx, tx, workspaceID, e.ConnectionID); err != nil {
					return err
				}
				checked[e.ConnectionID] = true
			}
		}
		return db.insertEvents(ctx, tx, workspaceID, 0, events, now)
	})
	return wrap(op, err)
}

// insertEvents writes events with multi-row inserts and sets their IDs,
// WorkspaceID, ConnectionID (when connectionID is not 0) and At (now when
// zero). Event order is id order.
func (db *DB) insertEvents(ctx context.Context, tx *sql.Tx, workspaceID, connectionID int64, events []*crmsync.SyncEvent, now time.Time) error {
	const cols = 11
	size := db.chunkSize(cols, 0)
	for lo := 0; lo < len(events); lo += size {
		hi := min(lo+size, len(events))
		query := db.cachedSQL("events:"+strconv.Itoa(hi-lo), func() string {
			return "INSERT INTO sync_events (workspace_id, connection_id, at, object_type, type, object_id, outcome, crm_id, problem, message, duration_ms) VALUES " +
				valuesList(hi-lo, cols) + " RETURNING id"
		})
		args := make([]any, 0, (hi-lo)*cols)
		for _, e := range events[lo:hi] {
			e.WorkspaceID = workspaceID
			if connectionID != 0 {
				e.ConnectionID = connectionID
			}
			if e.At.IsZero() {
				e.At = now
			} else {
				e.At = normTime(e.At)
			}
			args = append(args, workspaceID, e.ConnectionID, db.t(e.At), string(e.ObjectType), e.Type, e.ObjectID,
				string(e.Outcome), e.CRMID, string(e.Problem), e.Message, e.DurationMS)
		}
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("insert sync events: %w", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("insert sync events: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("insert sync events: %w", err)
		}
		// Ids come from one statement, so they ascend in insertion order;
		// RETURNING's row order itself is not guaranteed.
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		for k, e := range events[lo:hi] {
			if k < len(ids) {
				e.ID = ids[k]
			}
		}
	}
	return nil
}

// RetryFailed sets back to pending every failed item of the connection and
// every activity item skipped with crmsync.ReasonContactNotSynced (so it
// follows its contact), clearing problem, message and reason and keeping
// attempts and CRM id, and returns how many it changed.
func (db *DB) RetryFailed(ctx context.Context, workspaceID, connectionID int64) (int, error) {
	op := fmt.Sprintf("retry failed items (connection %d, workspace %d)", connectionID, workspaceID)
	var n int64
	err := db.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// One statement per partial index, each answered from its own.
		for _, which := range []string{stateFailed, stateContactNotSynced + " AND object_type = 'activity'"} {
			res, err := tx.ExecContext(ctx, db.q(`UPDATE sync_items SET state = ?, problem = '', crm_message = '', reason = '', updated_at = ?
				WHERE workspace_id = ? AND connection_id = ? AND `+which),
				string(crmsync.SyncPending), db.t(db.nowUTC()), workspaceID, connectionID)
			if err != nil {
				return err
			}
			m, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += m
		}
		return nil
	})
	return int(n), wrap(op, err)
}

// RefreshLedgerStatistics refreshes the planner's statistics of the sync
// ledger (PostgreSQL: ANALYZE sync_items; nothing on SQLite). It is the
// same for every workspace and reveals nothing.
func (db *DB) RefreshLedgerStatistics(ctx context.Context) error {
	q := db.d.ledgerStatisticsSQL()
	if q == "" {
		return nil
	}
	_, err := db.write.ExecContext(ctx, q)
	return wrap("refresh ledger statistics", err)
}

// validObjectType returns EINVALID unless t is contact or activity.
func validObjectType(t crmsync.ObjectType) error {
	if t == crmsync.ObjectContact || t == crmsync.ObjectActivity {
		return nil
	}
	var v crmsync.Validation
	v.Add("object_type", "%q is not contact or activity", t)
	return v.Err("Unknown object type.")
}

// CountPendingItems counts the connection's pending items of one type. An
// unknown object type is EINVALID; another workspace's connection ENOTFOUND.
func (db *DB) CountPendingItems(ctx context.Context, workspaceID, connectionID int64, objectType crmsync.ObjectType) (int, error) {
	if err := validObjectType(objectType); err != nil {
		return 0, err
	}
	op := fmt.Sprintf("count pending %s items (connection %d, workspace %d)", objectType, connectionID, workspaceID)
	if err := db.connectionExists(ctx, db.read, workspaceID, connectionID); err != nil {
		return 0, wrap(op, err)
	}
	var n int
	err := db.read.QueryRowContext(ctx, db.q(healthPendingSQL+" AND object_type = ?"),
		workspaceID, connectionID, string(objectType)).Scan(&n)
	return n, wrap(op, err)
}

// SkipPendingItems marks every pending item of one type of the connection
// skipped with reason (an import was cancelled), without events, and
// returns how many it changed. An unknown object type is EINVALID; another
// workspace's connection ENOTFOUND.
func (db *DB) SkipPendingItems(ctx context.Context, workspaceID, connectionID int64, objectType crmsync.ObjectType, reason string) (int, error) {
	if err := validObjectType(objectType); err != nil {
		return 0, err
	}
	op := fmt.Sprintf("skip pending %s items (connection %d, workspace %d)", objectType, connectionID, workspaceID)
	var n int64
	err := db.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := db.connectionExists(ctx, tx, workspaceID, connectionID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE sync_items SET state = ?, reason = ?, problem = '', crm_message = '', updated_at = ?
			WHERE workspace_id = ? AND connection_id = ? AND `+statePending+` AND object_type = ?`),
			string(crmsync.SyncSkipped), reason, db.t(db.nowUTC()), workspaceID, connectionID, string(objectType))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, wrap(op, err)
	}
	return int(n), nil
}

const syncEventCols = "id, workspace_id, connection_id, at, object_type, type, object_id, outcome, crm_id, problem, message, duration_ms"

// syncEventsQuery builds FindSyncEvents' query. It walks the
// (workspace_id, connection_id, id) index backwards, so the newest page is
// cheap however many events the connection has.
func (db *DB) syncEventsQuery(workspaceID, connectionID int64, filter crmsync.SyncEventFilter) (string, []any) {
	query := "SELECT " + syncEventCols + " FROM sync_events WHERE workspace_id = ? AND connection_id = ?"
	args := []any{workspaceID, connectionID}
	if filter.BeforeID > 0 {
		query += " AND id < ?"
		args = append(args, filter.BeforeID)
	}
	if !filter.Since.IsZero() {
		query += " AND at >= ?"
		args = append(args, db.t(filter.Since))
	}
	query += " ORDER BY id DESC LIMIT ?"
	return query, append(args, limit(filter.Limit, 50))
}

// Health's queries. Each is answered from one index: events by
// (workspace_id, connection_id, at, outcome), items by
// (workspace_id, connection_id, state, …).
func (db *DB) healthEventsSQL() string {
	return "SELECT outcome, " + db.d.hourBucket("at") + ` AS bucket, count(*) FROM sync_events
		WHERE workspace_id = ? AND connection_id = ? AND at >= ? AND at <= ? GROUP BY outcome, bucket`
}

// The ledger's state indexes are partial (migration 0005): a query names
// the state as one of these literals so the planner can use them (neither
// SQLite nor a generic PostgreSQL plan can with a bound parameter).
const (
	statePending          = "state = '" + string(crmsync.SyncPending) + "'"
	stateFailed           = "state = '" + string(crmsync.SyncFailed) + "'"
	stateContactNotSynced = "state = '" + string(crmsync.SyncSkipped) + "' AND reason = '" + crmsync.ReasonContactNotSynced + "'"
)

const (
	// pendingItemsSQL pages a connection's pending items of one type by id.
	pendingItemsSQL = "SELECT " + syncItemCols + ` FROM sync_items
		WHERE workspace_id = ? AND connection_id = ? AND ` + statePending + ` AND object_type = ? ORDER BY id LIMIT ?`
	healthPendingSQL = "SELECT count(*) FROM sync_items WHERE workspace_id = ? AND connection_id = ? AND " + statePending
	healthFailedSQL  = `SELECT problem, count(*), max(crm_message) FROM sync_items
		WHERE workspace_id = ? AND connection_id = ? AND ` + stateFailed + ` AND updated_at >= ? GROUP BY problem`
)

// FindSyncEvents returns the connection's events newest first: up to
// filter.Limit (default 50, at most 1000), with id below BeforeID and at or
// after Since when those are set.
func (db *DB) FindSyncEvents(ctx context.Context, workspaceID, connectionID int64, filter crmsync.SyncEventFilter) ([]*crmsync.SyncEvent, error) {
	op := fmt.Sprintf("find sync events (connection %d, workspace %d)", connectionID, workspaceID)
	query, args := db.syncEventsQuery(workspaceID, connectionID, filter)
	rows, err := db.read.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := []*crmsync.SyncEvent{}
	for rows.Next() {
		var e crmsync.SyncEvent
		var objectType, outcome, problem string
		if err := rows.Scan(&e.ID, &e.WorkspaceID, &e.ConnectionID, timeScan{&e.At}, &objectType, &e.Type, &e.ObjectID,
			&outcome, &e.CRMID, &problem, &e.Message, &e.DurationMS); err != nil {
			return nil, wrap(op, err)
		}
		e.ObjectType, e.Outcome, e.Problem = crmsync.ObjectType(objectType), crmsync.Outcome(outcome), crmsync.Problem(problem)
		out = append(out, &e)
	}
	return out, wrap(op, rows.Err())
}

// Health summarises the connection's 24 hours before now: Synced counts
// success events; Waiting counts pending items plus skipped events; Failed
// counts items that are failed and were updated in the window, grouped by
// problem (most first) in Problems. Hourly has 24 buckets, the first
// starting at now-24h.
func (db *DB) Health(ctx context.Context, workspaceID, connectionID int64, now time.Time) (*crmsync.Health, error) {
	op := fmt.Sprintf("health (connection %d, workspace %d)", connectionID, workspaceID)
	now = normTime(now)
	since := now.Add(-24 * time.Hour)
	h := &crmsync.Health{Problems: []crmsync.ProblemCount{}, Hourly: make([]crmsync.HourlyOutcome, 24)}
	for i := range h.Hourly {
		h.Hourly[i].Hour = since.Add(time.Duration(i) * time.Hour)
	}

	rows, err := db.read.QueryContext(ctx, db.q(db.healthEventsSQL()), db.t(since), workspaceID, connectionID, db.t(since), db.t(now))
	if err != nil {
		return nil, wrap(op, err)
	}
	for rows.Next() {
		var outcome string
		var bucket int64
		var n int
		if err := rows.Scan(&outcome, &bucket, &n); err != nil {
			rows.Close()
			return nil, wrap(op, err)
		}
		// An event exactly at now falls in bucket 24; count it in the last.
		b := &h.Hourly[max(0, min(int(bucket), 23))]
		switch crmsync.Outcome(outcome) {
		case crmsync.OutcomeSuccess:
			b.Success += n
			h.Synced += n
		case crmsync.OutcomeSkipped:
			b.Skipped += n
			h.Waiting += n
		case crmsync.OutcomeFailed:
			b.Failed += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}

	var pending int
	if err := db.read.QueryRowContext(ctx, db.q(healthPendingSQL), workspaceID, connectionID).Scan(&pending); err != nil {
		return nil, wrap(op, err)
	}
	h.Waiting += pending

	rows, err = db.read.QueryContext(ctx, db.q(healthFailedSQL), workspaceID, connectionID, db.t(since))
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var pc crmsync.ProblemCount
		var problem string
		var msg sql.NullString
		if err := rows.Scan(&problem, &pc.Count, &msg); err != nil {
			return nil, wrap(op, err)
		}
		pc.Problem, pc.CRMMessage = crmsync.Problem(problem), msg.String
		if pc.Problem == "" {
			pc.Problem = crmsync.ProblemUnknown
		}
		h.Failed += pc.Count
		h.Problems = append(h.Problems, pc)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	sort.Slice(h.Problems, func(i, j int) bool {
		if h.Problems[i].Count != h.Problems[j].Count {
			return h.Problems[i].Count > h.Problems[j].Count
		}
		return h.Problems[i].Problem < h.Problems[j].Problem
	})
	return h, nil
}

// pruneBatch bounds each delete so PruneSyncEvents never holds the SQLite
// writer (or PostgreSQL row locks) for long.
const pruneBatch = 10_000

// PruneSyncEvents deletes events older than before in every workspace, in
// batches, and returns how many it deleted.
func (db *DB) PruneSyncEvents(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := db.write.ExecContext(ctx, db.q("DELETE FROM sync_events WHERE id IN (SELECT id FROM sync_events WHERE at < ? LIMIT ?)"),
			db.t(before), pruneBatch)
		if err != nil {
			return total, wrap("prune sync events", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, wrap("prune sync events", err)
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}
