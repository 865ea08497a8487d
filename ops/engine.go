package ops

import (
	"context"
	"fmt"

	"github.com/saleshive/crmsync/store"
	"github.com/saleshive/crmsync/syncer"
)

// OpenJobs opens River's database beside the store's (the store's SQLite
// writer, or a pool on the same PostgreSQL database) and brings River's
// tables up to date. close releases what it opened.
func OpenJobs(ctx context.Context, db *store.DB) (jobs syncer.Database, close func(), err error) {
	jobs, close, err = syncer.OpenDatabase(ctx, db)
	if err != nil {
		return syncer.Database{}, nil, err
	}
	if err := syncer.Migrate(ctx, jobs); err != nil {
		close()
		return syncer.Database{}, nil, err
	}
	return jobs, close, nil
}

// StartEngine opens River on db, builds the engine from cfg (its Store and
// Database are filled in here; Sealer is the keyring OpenStore returned) and starts it. stop stops the
// engine — running jobs get until ctx ends to finish, then are cancelled and
// safely retried — and closes River's database.
func StartEngine(ctx context.Context, db *store.DB, cfg syncer.Config) (eng *syncer.Engine, stop func(context.Context) error, err error) {
	jobs, closeJobs, err := OpenJobs(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	cfg.Store = db
	cfg.Database = jobs
	eng, err = syncer.New(cfg)
	if err != nil {
		closeJobs()
		return nil, nil, err
	}
	if err := eng.Start(ctx); err != nil {
		closeJobs()
		return nil, nil, fmt.Errorf("start engine: %w", err)
	}
	stop = func(ctx context.Context) error {
		defer closeJobs()
		return eng.Stop(ctx)
	}
	return eng, stop, nil
}
