package syncer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// Queue names. Periodic jobs get their own queue so a backlog of syncs
// never delays the scheduler.
const (
	QueueSync     = "sync"
	QueuePeriodic = "periodic"
	QueueDefault  = river.QueueDefault
)

// queuedStates are the states in which a job blocks an identical insert:
// never two syncs (or imports) of one connection queued or running at once.
var queuedStates = []rivertype.JobState{
	rivertype.JobStateAvailable,
	rivertype.JobStatePending,
	rivertype.JobStateRunning,
	rivertype.JobStateRetryable,
	rivertype.JobStateScheduled,
}

// SyncArgs runs one sync of a connection.
type SyncArgs struct {
	WorkspaceID  int64 `json:"workspace_id"`
	ConnectionID int64 `json:"connection_id"`
}

// Kind implements river.JobArgs.
func (SyncArgs) Kind() string { return "crmsync_sync" }

// InsertOpts implements river.JobArgsWithInsertOpts. A sync job is not
// unique in River: River keeps a running job in every unique state set, so
// a request arriving as a run ends would be dropped. The connection's sync
// lock in the store serialises runs instead, and passes such a request to
// the running holder (see runLocked). Only the scheduler's inserts are
// unique (scheduledSyncOpts), so cycles never pile up.
func (SyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueSync, MaxAttempts: 25}
}

// scheduledSyncOpts are the insert options of the scheduler's syncs: at
// most one scheduled sync per connection is queued at a time.
func scheduledSyncOpts(at time.Time) *river.InsertOpts {
	opts := SyncArgs{}.InsertOpts()
	opts.ScheduledAt = at
	opts.UniqueOpts = river.UniqueOpts{ByArgs: true, ByState: queuedStates}
	return &opts
}

// ImportArgs queues every existing contact of a connection's workspace
// (the one-time import, or Resync existing contacts).
type ImportArgs struct {
	WorkspaceID  int64 `json:"workspace_id"`
	ConnectionID int64 `json:"connection_id"`
}

// Kind implements river.JobArgs.
func (ImportArgs) Kind() string { return "crmsync_import" }

// InsertOpts implements river.JobArgsWithInsertOpts. Imports are not
// unique jobs: StartImport refuses a second import while one runs, and a
// unique insert would be dropped while the previous import's job is still
// finishing.
func (ImportArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10}
}

// ScheduleArgs is the periodic job that queues a sync of every connected
// connection, spread over the interval.
type ScheduleArgs struct{}

// Kind implements river.JobArgs.
func (ScheduleArgs) Kind() string { return "crmsync_schedule" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (ScheduleArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueuePeriodic, UniqueOpts: river.UniqueOpts{ByState: queuedStates}}
}

// DeliverAlertsArgs delivers the alert outbox.
type DeliverAlertsArgs struct{}

// Kind implements river.JobArgs.
func (DeliverAlertsArgs) Kind() string { return "crmsync_deliver_alerts" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (DeliverAlertsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueuePeriodic, UniqueOpts: river.UniqueOpts{ByState: queuedStates}}
}

// PruneArgs deletes sync events older than the retention period.
type PruneArgs struct{}

// Kind implements river.JobArgs.
func (PruneArgs) Kind() string { return "crmsync_prune" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (PruneArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueuePeriodic, UniqueOpts: river.UniqueOpts{ByState: queuedStates}}
}

// jobClient is what the engine needs of a River client; both the SQLite
// (*sql.Tx) and the PostgreSQL (pgx.Tx) clients satisfy it.
type jobClient interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
	JobCancel(ctx context.Context, jobID int64) (*rivertype.JobRow, error)
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// Database says where River keeps its jobs: the store's SQLite writer pool
// (one connection, as riversqlite requires) or a PostgreSQL pool.
type Database struct {
	SQLite   *sql.DB
	Postgres *pgxpool.Pool
}

// Migrate brings River's tables up to date. Run it once before workers
// start (concurrent migration of an empty PostgreSQL database fails).
func Migrate(ctx context.Context, db Database) error {
	var err error
	switch {
	case db.SQLite != nil:
		var m *rivermigrate.Migrator[*sql.Tx]
		if m, err = rivermigrate.New(riversqlite.New(db.SQLite), nil); err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	case db.Postgres != nil:
		m, merr := rivermigrate.New(riverpgxv5.New(db.Postgres), nil)
		if err = merr; err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	default:
		err = errors.New("no database")
	}
	if err != nil {
		return fmt.Errorf("syncer: migrate river: %w", err)
	}
	return nil
}

func newJobClient(db Database, cfg *river.Config) (jobClient, error) {
	switch {
	case db.SQLite != nil:
		return river.NewClient(riversqlite.New(db.SQLite), cfg)
	case db.Postgres != nil:
		return river.NewClient(riverpgxv5.New(db.Postgres), cfg)
	}
	return nil, errors.New("syncer: no database for jobs")
}

// jitter spreads connections over the interval deterministically, so each
// connection keeps a steady cadence and 10,000 of them do not fire at once.
func jitter(connectionID int64, interval time.Duration) time.Duration {
	if interval <= 0 {
		return 0
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d", connectionID)
	return time.Duration(h.Sum64() % uint64(interval))
}

// DatabaseSource is the store's side of the job database: River shares the
// store's database (store.DB implements it).
type DatabaseSource interface {
	Dialect() string // "sqlite" or "postgres"
	SQLDB() *sql.DB  // SQLite: the single writer connection
	URL() string     // PostgreSQL: the connection URL
}

// OpenDatabase returns River's Database for the store's database, and a
// function that closes what it opened.
func OpenDatabase(ctx context.Context, src DatabaseSource) (Database, func(), error) {
	if src.Dialect() != "postgres" {
		return Database{SQLite: src.SQLDB()}, func() {}, nil
	}
	pool, err := pgxpool.New(ctx, src.URL())
	if err != nil {
		return Database{}, nil, fmt.Errorf("syncer: open job pool: %w", err)
	}
	return Database{Postgres: pool}, pool.Close, nil
}
