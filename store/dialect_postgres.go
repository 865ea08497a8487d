package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/saleshive/crmsync"
)

// postgresDialect is PostgreSQL through pgx's database/sql driver. Times are
// timestamptz; booleans are boolean. Any number of crmsync processes may
// share one database.
type postgresDialect struct{}

func (postgresDialect) name() string { return "postgres" }

// ledgerStatisticsSQL analyzes sync_items. Sampled, so its cost does not
// grow with the table.
func (postgresDialect) ledgerStatisticsSQL() string { return "ANALYZE sync_items" }

// stmtContext keeps ctx: a statement waiting on a row lock must end with it.
func (postgresDialect) stmtContext(ctx context.Context) context.Context { return ctx }

func (postgresDialect) open(ctx context.Context, u string, maxConns int) (*sql.DB, *sql.DB, error) {
	db, err := sql.Open("pgx", u)
	if err != nil {
		return nil, nil, err
	}
	if maxConns <= 0 {
		maxConns = 20
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, db, nil
}

// rebind numbers the placeholders: ? → $1, $2, …. Queries in this package
// never contain a literal question mark.
func (postgresDialect) rebind(q string) string {
	n := strings.Count(q, "?")
	if n == 0 {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + n*4)
	i := 0
	for _, r := range q {
		if r == '?' {
			i++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(i))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (postgresDialect) timeArg(t time.Time) any { return t.UTC().Truncate(time.Microsecond) }

// maxParams is the wire protocol's limit (a 16-bit count).
func (postgresDialect) maxParams() int { return 65535 }

func (postgresDialect) isUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

// migrationLockKey is an arbitrary constant naming crmsync's migration lock.
const migrationLockKey = 0x63726d73796e63 // "crmsync"

// lockMigrations takes a transaction-scoped advisory lock, so concurrent
// Migrate calls from several processes run one after another and the later
// ones find nothing left to do.
func (postgresDialect) lockMigrations(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrationLockKey))
	return err
}

func (postgresDialect) hourBucket(col string) string {
	return "CAST(floor(extract(epoch FROM (" + col + " - CAST(? AS timestamptz))) / 3600) AS bigint)"
}

func (postgresDialect) tablesSQL() string {
	return "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
}

// pgArrayType is the PostgreSQL array type a column is sent as.
func pgArrayType(t colType) string {
	switch t {
	case colInt:
		return "bigint[]"
	case colTime, colTimeNull:
		return "timestamptz[]"
	default:
		return "text[]"
	}
}

// columnArrays turns rows into one typed Go slice per column, which pgx
// sends as PostgreSQL arrays.
func columnArrays(t *batchTable, rows [][]any) ([]any, error) {
	arrays := make([]any, len(t.cols))
	for j, c := range t.cols {
		switch c.typ {
		case colInt:
			a := make([]int64, len(rows))
			for i, r := range rows {
				switch v := r[j].(type) {
				case int64:
					a[i] = v
				case int:
					a[i] = int64(v)
				default:
					return nil, fmt.Errorf("column %s: %T is not an integer", c.name, r[j])
				}
			}
			arrays[j] = a
		case colText:
			a := make([]string, len(rows))
			for i, r := range rows {
				a[i] = r[j].(string)
			}
			arrays[j] = a
		case colTime:
			a := make([]time.Time, len(rows))
			for i, r := range rows {
				a[i] = r[j].(time.Time)
			}
			arrays[j] = a
		case colTimeNull:
			a := make([]*time.Time, len(rows))
			for i, r := range rows {
				if v, ok := r[j].(time.Time); ok {
					a[i] = &v
				}
			}
			arrays[j] = a
		}
	}
	return arrays, nil
}

// unnestSelect returns "SELECT * FROM unnest($1::bigint[], $2::text[], …)".
func unnestSelect(t *batchTable) string {
	parts := make([]string, len(t.cols))
	for j, c := range t.cols {
		parts[j] = "$" + strconv.Itoa(j+1) + "::" + pgArrayType(c.typ)
	}
	return "SELECT * FROM unnest(" + strings.Join(parts, ", ") + ")"
}

// upsertBatch sends the whole batch as one array per column in a single
// INSERT … SELECT FROM unnest(…) ON CONFLICT … DO UPDATE … RETURNING: one
// round trip, a tiny statement to parse and plan whatever the batch size,
// and no parameter limit. (xmax = 0) is true for rows the statement
// inserted rather than updated.
func (postgresDialect) upsertBatch(ctx context.Context, tx *sql.Tx, t *batchTable, rows [][]any) ([]upserted, error) {
	out := make([]upserted, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	arrays, err := columnArrays(t, rows)
	if err != nil {
		return nil, fmt.Errorf("upsert %s: %w", t.name, err)
	}
	sets := make([]string, len(t.update))
	for k, name := range t.update {
		sets[k] = name + " = excluded." + name
	}
	query := "INSERT INTO " + t.name + " (" + t.colNames() + ") " + unnestSelect(t) +
		" ON CONFLICT (workspace_id, source_id) DO UPDATE SET " + strings.Join(sets, ", ") +
		" RETURNING id, source_id, (xmax = 0), created_at"
	index := make(map[string]int, len(rows))
	for i, r := range rows {
		index[r[1].(string)] = i
	}
	rs, err := tx.QueryContext(ctx, query, arrays...)
	if err != nil {
		return nil, fmt.Errorf("upsert %s: %w", t.name, err)
	}
	defer rs.Close()
	n := 0
	for rs.Next() {
		var u upserted
		var key string
		if err := rs.Scan(&u.id, &key, &u.created, &u.createdAt); err != nil {
			return nil, fmt.Errorf("upsert %s: %w", t.name, err)
		}
		i, ok := index[key]
		if !ok {
			return nil, fmt.Errorf("upsert %s: returned unknown source id %q", t.name, key)
		}
		u.createdAt = u.createdAt.UTC()
		out[i] = u
		n++
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("upsert %s: %w", t.name, err)
	}
	if n != len(rows) {
		return nil, fmt.Errorf("upsert %s: %d rows returned for %d sent", t.name, n, len(rows))
	}
	return out, nil
}

// insertBatch inserts the batch with one INSERT … SELECT FROM unnest(…).
func (postgresDialect) insertBatch(ctx context.Context, tx *sql.Tx, t *batchTable, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	arrays, err := columnArrays(t, rows)
	if err != nil {
		return fmt.Errorf("insert %s: %w", t.name, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO "+t.name+" ("+t.colNames()+") "+unnestSelect(t), arrays...); err != nil {
		return fmt.Errorf("insert %s: %w", t.name, err)
	}
	return nil
}

// updateSyncItems updates the items with one statement per 1,000 results:
// the results ride in a VALUES list joined to the items by primary key, one
// round trip per chunk.
func (postgresDialect) updateSyncItems(ctx context.Context, tx *sql.Tx, results []crmsync.ItemResult, now any, workspaceID, connectionID int64) (int64, error) {
	const chunk = 1000
	var n int64
	for lo := 0; lo < len(results); lo += chunk {
		hi := min(lo+chunk, len(results))
		args := make([]any, 0, (hi-lo)*6+3)
		for _, r := range results[lo:hi] {
			args = append(args, r.ItemID, string(r.State), r.CRMID, string(r.Problem), r.CRMMessage, r.Reason)
		}
		args = append(args, now, workspaceID, connectionID)
		res, err := tx.ExecContext(ctx, pgUpdateSyncItemsSQL(hi-lo), args...)
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

// pgUpdateSyncItemsSQL is the statement that stores n results: arguments
// id, state, crm_id, problem, crm_message, reason per result, then now, the
// workspace and the connection.
//
// The workspace and connection ride in r, materialized, so that they are
// join conditions: as constants they let a planner with stale statistics (a
// ledger grows by thousands of rows a second) scan the connection's items
// once per result instead of looking each result up by primary key.
func pgUpdateSyncItemsSQL(n int) string {
	var vals strings.Builder
	for i := range n {
		if i > 0 {
			vals.WriteByte(',')
		}
		k := i * 6
		fmt.Fprintf(&vals, "($%d::bigint, $%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5, k+6)
	}
	k := n * 6
	return fmt.Sprintf(`WITH r0 (id, state, crm_id, problem, crm_message, reason) AS (VALUES %s),
		r AS MATERIALIZED (SELECT r0.*, $%d::timestamptz AS now, $%d::bigint AS workspace_id, $%d::bigint AS connection_id FROM r0)
		UPDATE sync_items SET `+syncItemSet+`
		FROM r WHERE sync_items.id = r.id AND sync_items.workspace_id = r.workspace_id AND sync_items.connection_id = r.connection_id`,
		vals.String(), k+1, k+2, k+3)
}
