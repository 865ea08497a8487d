package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/saleshive/crmsync"
)

// sqliteDialect is the embedded single-file database. Times are stored as
// integer microseconds since the Unix epoch (compact, ordered, and cheap to
// compare); booleans as 0/1.
type sqliteDialect struct{}

func (sqliteDialect) name() string { return "sqlite" }

// sqlitePath strips the optional scheme prefixes Open accepts.
func sqlitePath(u string) string {
	for _, p := range []string{"sqlite://", "sqlite:", "file:"} {
		if strings.HasPrefix(u, p) {
			return strings.TrimPrefix(u, p)
		}
	}
	return u
}

func (sqliteDialect) open(ctx context.Context, u string, maxConns int) (*sql.DB, *sql.DB, error) {
	path := sqlitePath(u)
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, nil, fmt.Errorf("sqlite path %q is empty or contains ? or #", path)
	}
	// busy_timeout makes a second process wait for the write lock instead of
	// failing; _txlock=immediate takes the write lock at BEGIN, so a
	// transaction never fails half way when it upgrades from reading.
	common := url.Values{}
	common.Add("_pragma", "busy_timeout(10000)")
	common.Add("_pragma", "foreign_keys(1)")
	common.Add("_pragma", "synchronous(NORMAL)")
	common.Add("_pragma", "temp_store(MEMORY)")

	wq := url.Values{}
	for k, v := range common {
		wq[k] = append([]string(nil), v...)
	}
	wq.Add("_pragma", "journal_mode(WAL)")
	wq.Set("_txlock", "immediate")
	write, err := sql.Open("sqlite", "file:"+path+"?"+wq.Encode())
	if err != nil {
		return nil, nil, err
	}
	// One writer: SQLite allows one at a time anyway, and queueing in the
	// pool is cheaper than spinning on the busy handler.
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	// Creates the file and switches it to WAL before any reader opens it.
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, nil, err
	}

	rq := common
	rq.Add("_pragma", "query_only(1)")
	read, err := sql.Open("sqlite", "file:"+path+"?"+rq.Encode())
	if err != nil {
		write.Close()
		return nil, nil, err
	}
	if maxConns <= 0 {
		maxConns = 4
	}
	read.SetMaxOpenConns(maxConns)
	read.SetMaxIdleConns(maxConns)
	read.SetConnMaxIdleTime(5 * time.Minute)
	if err := read.PingContext(ctx); err != nil {
		write.Close()
		read.Close()
		return nil, nil, err
	}
	return write, read, nil
}

func (sqliteDialect) rebind(q string) string { return q }

// ledgerStatisticsSQL is empty: the ledger's queries are planned from its
// indexes alone, and sqlite_stat1 would only move the plans the query-plan
// test pins.
func (sqliteDialect) ledgerStatisticsSQL() string { return "" }

// stmtContext drops ctx's cancellation: under a cancellable context the
// driver starts a watcher goroutine and a progress handler per statement,
// a third of a small write's cost. A write transaction's statements are
// short, lock waits end at busy_timeout, and database/sql still rolls the
// transaction back when ctx ends.
func (sqliteDialect) stmtContext(ctx context.Context) context.Context {
	return context.WithoutCancel(ctx)
}

func (sqliteDialect) timeArg(t time.Time) any { return t.UnixMicro() }

// maxParams is SQLITE_MAX_VARIABLE_NUMBER's default since 3.32.
func (sqliteDialect) maxParams() int { return 32766 }

func (sqliteDialect) isUniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// lockMigrations has nothing to do: the writer's transactions are
// immediate, so the migration transaction already holds the file's write
// lock against every other process.
func (sqliteDialect) lockMigrations(context.Context, *sql.Tx) error { return nil }

func (sqliteDialect) hourBucket(col string) string {
	return "((" + col + " - ?) / 3600000000)"
}

func (sqliteDialect) tablesSQL() string {
	return "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
}

// upsertBatch finds the rows that exist with one indexed query, then runs a
// prepared single-row INSERT or UPDATE per row. In-process SQLite has no
// round trips to save, and this beats a multi-row INSERT … ON CONFLICT …
// RETURNING (whose result rows are costly to read through database/sql) by
// about 1.5×. It is exact because the caller holds the database's only
// write lock (an immediate transaction), so no row can appear in between.
func (sqliteDialect) upsertBatch(ctx context.Context, tx *sql.Tx, t *batchTable, rows [][]any) ([]upserted, error) {
	out := make([]upserted, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	type existing struct {
		id        int64
		createdAt int64
	}
	found := make(map[string]existing, len(rows))
	const chunk = 500
	for lo := 0; lo < len(rows); lo += chunk {
		hi := min(lo+chunk, len(rows))
		args := make([]any, 0, hi-lo+1)
		args = append(args, rows[lo][0])
		for _, r := range rows[lo:hi] {
			args = append(args, r[1])
		}
		rs, err := tx.QueryContext(ctx, "SELECT source_id, id, created_at FROM "+t.name+" WHERE workspace_id = ? AND source_id IN ("+placeholders(hi-lo)+")", args...)
		if err != nil {
			return nil, fmt.Errorf("find existing %s: %w", t.name, err)
		}
		for rs.Next() {
			var key string
			var e existing
			if err := rs.Scan(&key, &e.id, &e.createdAt); err != nil {
				rs.Close()
				return nil, fmt.Errorf("find existing %s: %w", t.name, err)
			}
			found[key] = e
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, fmt.Errorf("find existing %s: %w", t.name, err)
		}
	}

	createdAtCol := t.colIndex("created_at")
	var ins, upd *sql.Stmt
	defer func() {
		if ins != nil {
			ins.Close()
		}
		if upd != nil {
			upd.Close()
		}
	}()
	updIdx := make([]int, len(t.update))
	for i, name := range t.update {
		updIdx[i] = t.colIndex(name)
	}
	// database/sql copies arguments before Exec returns, so one slice serves
	// every row.
	updArgs := make([]any, len(updIdx)+1)
	for i, r := range rows {
		e, ok := found[r[1].(string)]
		if !ok {
			if ins == nil {
				var err error
				if ins, err = tx.PrepareContext(ctx, "INSERT INTO "+t.name+" ("+t.colNames()+") VALUES ("+placeholders(len(t.cols))+")"); err != nil {
					return nil, fmt.Errorf("insert %s: %w", t.name, err)
				}
			}
			res, err := ins.ExecContext(ctx, r...)
			if err != nil {
				return nil, fmt.Errorf("insert %s: %w", t.name, err)
			}
			id, err := res.LastInsertId()
			if err != nil {
				return nil, fmt.Errorf("insert %s: %w", t.name, err)
			}
			out[i] = upserted{id: id, created: true, createdAt: time.UnixMicro(r[createdAtCol].(int64)).UTC()}
			continue
		}
		if upd == nil {
			sets := make([]string, len(t.update))
			for k, name := range t.update {
				sets[k] = name + " = ?"
			}
			var err error
			if upd, err = tx.PrepareContext(ctx, "UPDATE "+t.name+" SET "+strings.Join(sets, ", ")+" WHERE id = ?"); err != nil {
				return nil, fmt.Errorf("update %s: %w", t.name, err)
			}
		}
		for k, j := range updIdx {
			updArgs[k] = r[j]
		}
		updArgs[len(updIdx)] = e.id
		if _, err := upd.ExecContext(ctx, updArgs...); err != nil {
			return nil, fmt.Errorf("update %s: %w", t.name, err)
		}
		out[i] = upserted{id: e.id, createdAt: time.UnixMicro(e.createdAt).UTC()}
	}
	return out, nil
}

// insertBatch runs one prepared single-row INSERT per row (see upsertBatch
// for why that is the fast way on SQLite).
func (sqliteDialect) insertBatch(ctx context.Context, tx *sql.Tx, t *batchTable, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, "INSERT INTO "+t.name+" ("+t.colNames()+") VALUES ("+placeholders(len(t.cols))+")")
	if err != nil {
		return fmt.Errorf("insert %s: %w", t.name, err)
	}
	defer st.Close()
	for _, r := range rows {
		if _, err := st.ExecContext(ctx, r...); err != nil {
			return fmt.Errorf("insert %s: %w", t.name, err)
		}
	}
	return nil
}

// updateSyncItems runs one prepared single-row UPDATE by primary key per
// result. SQLite plans an UPDATE … FROM (VALUES …) as a scan of the items
// against the un-indexed values, which slows down as the ledger grows;
// in-process statements have no round trips to save. It applies the same
// changes as syncItemSet, with arguments in place of r's columns.
func (sqliteDialect) updateSyncItems(ctx context.Context, tx *sql.Tx, results []crmsync.ItemResult, now any, workspaceID, connectionID int64) (int64, error) {
	if len(results) == 0 {
		return 0, nil
	}
	stmt, err := tx.PrepareContext(ctx, `UPDATE sync_items SET `+syncItemSetArgs+`
		WHERE id = ? AND workspace_id = ? AND connection_id = ?`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	var n int64
	for _, r := range results {
		res, err := stmt.ExecContext(ctx, string(r.State), r.CRMID, r.CRMID, string(r.Problem), r.CRMMessage, r.Reason, now, string(r.State), now,
			r.ItemID, workspaceID, connectionID)
		if err != nil {
			return n, err
		}
		m, err := res.RowsAffected()
		if err != nil {
			return n, err
		}
		n += m
	}
	return n, nil
}
