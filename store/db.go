package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/secret"
)

// Compile-time checks that DB implements every service of the domain.
var (
	_ crmsync.WorkspaceService    = (*DB)(nil)
	_ crmsync.ContactService      = (*DB)(nil)
	_ crmsync.ActivityService     = (*DB)(nil)
	_ crmsync.ChangeLog           = (*DB)(nil)
	_ crmsync.ConnectionService   = (*DB)(nil)
	_ crmsync.FieldMappingService = (*DB)(nil)
	_ crmsync.SyncService         = (*DB)(nil)
	_ crmsync.SessionService      = (*DB)(nil)
	_ crmsync.AlertService        = (*DB)(nil)
	_ crmsync.SyncLedger          = (*DB)(nil)
	_ crmsync.SyncLocks           = (*DB)(nil)
)

// Options configure a DB. The zero value works except that connection
// tokens need a Keyring.
type Options struct {
	// Keyring seals connection tokens at rest. Without one, saving or
	// reading a token fails.
	Keyring *secret.Keyring
	// PasswordIterations is the PBKDF2-SHA256 work factor for new password
	// hashes; 0 means DefaultPasswordIterations. Tests lower it.
	PasswordIterations int
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxOpenConns caps the PostgreSQL pool (0: 20) or the SQLite read pool
	// (0: 4). SQLite always has exactly one writer connection.
	MaxOpenConns int
}

// DB is an open crmsync database. It is safe for concurrent use.
type DB struct {
	d     dialect
	url   string  // as given to Open; may hold a password, so never logged
	write *sql.DB // SQLite: one connection, immediate transactions
	read  *sql.DB // SQLite: read-only pool; PostgreSQL: same as write

	keyring    *secret.Keyring
	iterations int
	now        func() time.Time

	sqlCache sync.Map // generated multi-row SQL by key

	// dummyHash is checked when a login names an unknown email, so a caller
	// cannot tell unknown emails from wrong passwords by timing.
	dummyHash func() string
}

// Open opens the database named by url: a postgres:// or postgresql:// URL
// selects PostgreSQL; anything else is a SQLite file path (an optional
// "sqlite:" or "file:" prefix is removed). The file is created if missing.
// Open does not migrate; call Migrate.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	var d dialect
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		d = postgresDialect{}
	} else {
		d = sqliteDialect{}
	}
	write, read, err := d.open(ctx, url, opts.MaxOpenConns)
	if err != nil {
		return nil, fmt.Errorf("store: open %s database: %w", d.name(), err)
	}
	db := &DB{d: d, url: url, write: write, read: read, keyring: opts.Keyring, iterations: opts.PasswordIterations, now: opts.Now}
	if db.iterations <= 0 {
		db.iterations = DefaultPasswordIterations
	}
	if db.now == nil {
		db.now = time.Now
	}
	db.dummyHash = sync.OnceValue(func() string {
		h, _ := hashPassword("no such user", db.iterations)
		return h
	})
	return db, nil
}

// Close closes every connection.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		if rerr := db.read.Close(); err == nil {
			err = rerr
		}
	}
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Dialect names the database in use: "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.d.name() }

// SQLDB returns the handle that writes: on SQLite the pool of exactly one
// writer connection (River's SQLite driver shares it, and needs it to be
// one connection), on PostgreSQL the pool. Callers must not change its
// limits or close it; Close does.
func (db *DB) SQLDB() *sql.DB { return db.write }

// URL returns the URL Open was given, for opening another pool to the same
// PostgreSQL database (River's). It may hold a password: never log it.
func (db *DB) URL() string { return db.url }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.read.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// dialect is everything that differs between SQLite and PostgreSQL.
type dialect interface {
	name() string
	// open returns the writer and reader handles (the same on PostgreSQL).
	open(ctx context.Context, url string, maxConns int) (write, read *sql.DB, err error)
	// rebind turns the ? placeholders of q into the dialect's own.
	rebind(q string) string
	// timeArg encodes a time for a query argument.
	timeArg(t time.Time) any
	// maxParams is the most placeholders one statement may have.
	maxParams() int
	// isUniqueViolation reports whether err is a unique-constraint failure.
	isUniqueViolation(err error) bool
	// lockMigrations serialises Migrate across processes for the life of tx.
	lockMigrations(ctx context.Context, tx *sql.Tx) error
	// hourBucket is an SQL expression for the whole hours between a ?
	// placeholder (a time argument) and the time column col.
	hourBucket(col string) string
	// tablesSQL lists the names of the crmsync tables, one per row.
	tablesSQL() string
	// upsertBatch inserts rows into t or, where (workspace_id, source_id)
	// exists, overwrites t.update, reporting per row (in rows order) the id,
	// whether it was created, and its creation time. Rows have distinct keys.
	upsertBatch(ctx context.Context, tx *sql.Tx, t *batchTable, rows [][]any) ([]upserted, error)
	// insertBatch inserts rows into t.
	insertBatch(ctx context.Context, tx *sql.Tx, t *batchTable, rows [][]any) error
	// ledgerStatisticsSQL refreshes the planner's statistics of the sync
	// ledger; "" when the dialect plans without them.
	ledgerStatisticsSQL() string
	// stmtContext is the context the statements of a write transaction
	// run under.
	stmtContext(ctx context.Context) context.Context
	// updateSyncItems stores each result on its item of the connection
	// (attempts + 1, updated_at = now) and returns how many items matched.
	updateSyncItems(ctx context.Context, tx *sql.Tx, results []crmsync.ItemResult, now any, workspaceID, connectionID int64) (int64, error)
}

// syncItemSet is the SET clause every dialect's updateSyncItems applies,
// with r naming the result's columns.
const syncItemSet = `state = r.state,
	crm_id = CASE WHEN r.crm_id <> '' THEN r.crm_id ELSE sync_items.crm_id END,
	problem = r.problem, crm_message = r.crm_message, reason = r.reason,
	attempts = sync_items.attempts + 1, updated_at = r.now,
	synced_at = CASE WHEN r.state = 'synced' THEN r.now ELSE sync_items.synced_at END`

// syncItemSetArgs is syncItemSet for one result given as arguments: state,
// crm_id twice, problem, crm_message, reason, now, state again, now again.
const syncItemSetArgs = `state = ?,
	crm_id = CASE WHEN ? <> '' THEN ? ELSE crm_id END,
	problem = ?, crm_message = ?, reason = ?,
	attempts = attempts + 1, updated_at = ?,
	synced_at = CASE WHEN ? = 'synced' THEN ? ELSE synced_at END`

// nowUTC returns the current time as the database stores it: UTC, whole
// microseconds, so what a caller holds equals what it reads back.
func (db *DB) nowUTC() time.Time {
	return db.now().UTC().Truncate(time.Microsecond)
}

// normTime converts t to what the database round-trips.
func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// t encodes t for a query argument.
func (db *DB) t(t time.Time) any { return db.d.timeArg(t) }

// tp encodes an optional time (nil stays NULL).
func (db *DB) tp(t *time.Time) any {
	if t == nil {
		return nil
	}
	return db.d.timeArg(*t)
}

// q rebinds a query written with ? placeholders.
func (db *DB) q(query string) string { return db.d.rebind(query) }

// cachedSQL returns the query build makes for key, building it once.
func (db *DB) cachedSQL(key string, build func() string) string {
	if s, ok := db.sqlCache.Load(key); ok {
		return s.(string)
	}
	s := db.d.rebind(build())
	db.sqlCache.Store(key, s)
	return s
}

// valuesList returns "(?,?,?),(?,?,?)" for rows rows of cols placeholders.
func valuesList(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	var b strings.Builder
	b.Grow(rows * (len(one) + 1))
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(one)
	}
	return b.String()
}

// placeholders returns "?,?,?" with n placeholders.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// chunkSize returns how many rows of cols parameters (plus extra fixed
// parameters) fit in one statement, capped at 1000.
func (db *DB) chunkSize(cols, extra int) int {
	n := (db.d.maxParams() - extra) / cols
	if n > 1000 {
		n = 1000
	}
	return n
}

// withTx runs fn in a write transaction, committing if it returns nil.
// fn's statements run under the dialect's statement context (stmtContext);
// ctx ending still rolls the transaction back between statements.
func (db *DB) withTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(db.d.stmtContext(ctx), tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// queryer is what *sql.DB and *sql.Tx share.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// wrap adds the operation to err, leaving nil as nil. Application errors
// (*crmsync.Error) keep their code through the wrap.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// notFound returns an ENOTFOUND error for a thing of the workspace.
func notFound(format string, args ...any) error {
	return crmsync.Errorf(crmsync.ENOTFOUND, format, args...)
}

// isNoRows reports whether err is sql.ErrNoRows.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// limit applies a default (for n ≤ 0) and the usual cap of 1000 to a
// requested limit.
func limit(n, def int) int { return limitTo(n, def, 1000) }

// limitTo is limit with another cap.
func limitTo(n, def, most int) int {
	if n <= 0 {
		return def
	}
	return min(n, most)
}

// timeScan scans a time column of either dialect: SQLite stores integer
// microseconds since the epoch, PostgreSQL returns time.Time.
type timeScan struct{ t *time.Time }

// Scan implements sql.Scanner.
func (s timeScan) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*s.t = time.UnixMicro(v).UTC()
	case time.Time:
		*s.t = v.UTC()
	default:
		return fmt.Errorf("store: scan time: unexpected %T", src)
	}
	return nil
}

// nullTimeScan scans a nullable time column into a *time.Time.
type nullTimeScan struct{ t **time.Time }

// Scan implements sql.Scanner.
func (s nullTimeScan) Scan(src any) error {
	if src == nil {
		*s.t = nil
		return nil
	}
	var t time.Time
	if err := (timeScan{&t}).Scan(src); err != nil {
		return err
	}
	*s.t = &t
	return nil
}

// jsonScan scans a JSON text column into v; ” or NULL leaves v unchanged.
type jsonScan struct{ v any }

// Scan implements sql.Scanner.
func (s jsonScan) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("store: scan json: unexpected %T", src)
	}
	if len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, s.v); err != nil {
		return fmt.Errorf("store: scan json: %w", err)
	}
	return nil
}

// jsonArg encodes v as JSON text for a query argument.
func jsonArg(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode json: %w", err)
	}
	return string(b), nil
}

// truncateRunes cuts s to at most n characters, never inside a character.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// int64sArgs converts ids to query arguments.
func int64sArgs(ids []int64) []any {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return args
}

// colType is the kind of value a batch column holds, for dialects that send
// a batch column by column.
type colType int

// Column kinds.
const (
	colInt      colType = iota // int64 or int
	colText                    // string
	colTime                    // a dialect-encoded time, never NULL
	colTimeNull                // a dialect-encoded time or nil
)

// column is one column of a batch table.
type column struct {
	name string
	typ  colType
}

// batchTable describes a table written in batches of rows. Every row holds
// one dialect-encoded value per column, in cols order. Tables that are
// upserted start with workspace_id (int) and source_id (text), their
// conflict key, and have a created_at column.
type batchTable struct {
	name   string
	cols   []column
	update []string // columns an upsert overwrites on conflict
}

// colIndex returns the position of the named column, or -1.
func (t *batchTable) colIndex(name string) int {
	for i, c := range t.cols {
		if c.name == name {
			return i
		}
	}
	return -1
}

// colNames returns "a, b, c".
func (t *batchTable) colNames() string {
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

// upserted is what an upsert reports for one row.
type upserted struct {
	id        int64
	created   bool
	createdAt time.Time // the creation time kept by an update
}
