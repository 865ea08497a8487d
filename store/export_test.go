package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/saleshive/crmsync"
)

// DumpForTest returns every row of every table as text, tables by name and
// rows by all columns, so two dumps compare equal exactly when the database
// content is the same.
func (db *DB) DumpForTest(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	tables, err := db.write.QueryContext(ctx, db.d.tablesSQL())
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		if err := tables.Scan(&n); err != nil {
			tb.Fatal(err)
		}
		names = append(names, n)
	}
	tables.Close()
	var b strings.Builder
	for _, name := range names {
		fmt.Fprintf(&b, "== %s\n", name)
		rows, err := db.write.QueryContext(ctx, "SELECT * FROM "+name)
		if err != nil {
			tb.Fatal(err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				tb.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("%v", vals))
		}
		if err := rows.Err(); err != nil {
			tb.Fatal(err)
		}
		rows.Close()
		slices.Sort(lines)
		b.WriteString(strings.Join(lines, "\n"))
		b.WriteString("\n")
	}
	return b.String()
}

// ExecForTest runs a statement on the writer, for tests that need to set up
// or break state the API cannot.
func (db *DB) ExecForTest(tb testing.TB, query string, args ...any) sql.Result {
	tb.Helper()
	res, err := db.write.ExecContext(context.Background(), db.q(query), args...)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// QueryIntForTest returns the single integer a query yields.
func (db *DB) QueryIntForTest(tb testing.TB, query string, args ...any) int64 {
	tb.Helper()
	var n int64
	if err := db.write.QueryRowContext(context.Background(), db.q(query), args...).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// CheckpointForTest moves the SQLite WAL into the main file.
func (db *DB) CheckpointForTest(tb testing.TB) {
	tb.Helper()
	if _, err := db.write.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		tb.Fatal(err)
	}
}

// PragmaForTest returns a PRAGMA's value on the writer (read=false) or on a
// read-pool connection (read=true).
func (db *DB) PragmaForTest(tb testing.TB, name string, read bool) string {
	tb.Helper()
	h := db.write
	if read {
		h = db.read
	}
	var v string
	if err := h.QueryRowContext(context.Background(), "PRAGMA "+name).Scan(&v); err != nil {
		tb.Fatal(err)
	}
	return v
}

// ReadPoolExecForTest tries a statement on the read pool.
func (db *DB) ReadPoolExecForTest(query string) error {
	_, err := db.read.ExecContext(context.Background(), query)
	return err
}

// QueryPlansForTest returns the database's plan for each hot read query of
// the sync ledger and of the pages import and the API walk, by name. On PostgreSQL sequential scans are disabled for
// the EXPLAIN, so a plan still scanning the table means no index fits.
func (db *DB) QueryPlansForTest(tb testing.TB) map[string]string {
	tb.Helper()
	ctx := context.Background()
	now := db.t(db.nowUTC())
	eventsQ, eventsArgs := db.syncEventsQuery(1, 1, crmsync.SyncEventFilter{})
	pageQ, pageArgs := db.syncEventsQuery(1, 1, crmsync.SyncEventFilter{BeforeID: 100, Since: db.nowUTC()})
	queries := map[string]struct {
		q    string
		args []any
	}{
		"recent events":     {eventsQ, eventsArgs},
		"older events page": {pageQ, pageArgs},
		"health events":     {db.healthEventsSQL(), []any{now, 1, 1, now, now}},
		"health pending":    {healthPendingSQL, []any{1, 1}},
		"health failed":     {healthFailedSQL, []any{1, 1, now}},
		"pending items":     {pendingItemsSQL, []any{1, 1, "contact", 100}},
		"retry failed":      {"SELECT id FROM sync_items WHERE workspace_id = ? AND connection_id = ? AND " + stateFailed, []any{1, 1}},
		"retry unsynced":    {"SELECT id FROM sync_items WHERE workspace_id = ? AND connection_id = ? AND " + stateContactNotSynced + " AND object_type = 'activity'", []any{1, 1}},
		"changes since":     {"SELECT seq FROM change_log WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?", []any{1, 0, 100}},
		"prune":             {"SELECT id FROM sync_events WHERE at < ? LIMIT ?", []any{now, 10}},
		"contacts page":     {"SELECT " + contactReadCols + contactsPage, []any{1, 0, 100}},
		"contact ids page":  {"SELECT id" + contactsPage, []any{1, 0, 1000}},
		"activities page":   {"SELECT " + activityReadCols + activityFrom + "WHERE a.workspace_id = ? AND a.id > ? ORDER BY a.id LIMIT ?", []any{1, 0, 100}},
	}
	plans := map[string]string{}
	for name, qa := range queries {
		tx, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			tb.Fatal(err)
		}
		prefix := "EXPLAIN QUERY PLAN "
		if db.d.name() == "postgres" {
			prefix = "EXPLAIN "
			if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
				tb.Fatal(err)
			}
		}
		rows, err := tx.QueryContext(ctx, prefix+db.q(qa.q), qa.args...)
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				tb.Fatal(err)
			}
			lines = append(lines, fmt.Sprint(vals[len(vals)-1]))
		}
		rows.Close()
		tx.Rollback()
		plans[name] = strings.Join(lines, "\n")
	}
	return plans
}

// SyncItemsUpdatePlanForTest returns PostgreSQL's generic plan for storing
// results of the given items (its plan once a prepared statement has run
// five times).
func (db *DB) SyncItemsUpdatePlanForTest(tb testing.TB, workspaceID, connectionID int64, itemIDs []int64) string {
	tb.Helper()
	ctx := context.Background()
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SET LOCAL plan_cache_mode = force_generic_plan"); err != nil {
		tb.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "PREPARE update_items AS "+pgUpdateSyncItemsSQL(len(itemIDs))); err != nil {
		tb.Fatal(err)
	}
	defer tx.ExecContext(ctx, "DEALLOCATE update_items")
	var args []string
	for _, id := range itemIDs {
		args = append(args, fmt.Sprint(id), "'synced'", "'crm-1'", "''", "''", "''")
	}
	args = append(args, "now()", fmt.Sprint(workspaceID), fmt.Sprint(connectionID))
	rows, err := tx.QueryContext(ctx, "EXPLAIN EXECUTE update_items("+strings.Join(args, ", ")+")")
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			tb.Fatal(err)
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
