package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// Config configures an Engine. Zero values take the documented defaults.
type Config struct {
	Store      Store
	Database   Database
	Sealer     Sealer
	Connectors []crm.Connector // an explicit list, wired in cmd
	// RateLimits overrides a connector's documented limit per provider.
	RateLimits map[crmsync.Provider]crm.RateLimit
	HTTP       *http.Client

	Interval    time.Duration // between syncs of a connection; default 5 minutes
	RunBudget   time.Duration // one job run's time box before it re-queues; default 30 s
	MaxRateWait time.Duration // waits longer than this snooze the job; default 5 s
	// A run pushes in steps: read pending items, push them, record the
	// outcomes, re-read the connection (so toggles, owner and disconnects
	// apply from the next step). The first step reads 1,000 items (or
	// PendingBatch if less); each next one about StepTime's worth at the
	// rate of the step before, between 100 and PendingBatch items. Big
	// steps keep every push slot busy on a fast CRM; short ones keep a slow
	// CRM's run responsive.
	PendingBatch int           // most items read per step; default 5,000 (the store allows 10,000)
	StepTime     time.Duration // a step's target length; default 2 s
	// PushConcurrency is how many batches of one step are pushed at once
	// (default 4); the account's rate limiter still paces them.
	PushConcurrency int
	MaxWorkers      int           // concurrent sync jobs per process; default 20
	FetchCooldown   time.Duration // River fetch cooldown; default 5 ms (River's 100 ms caps throughput)
	JobTimeout      time.Duration // default RunBudget + 2 minutes
	RescueAfter     time.Duration // a job running this long is presumed dead; default JobTimeout + 1 minute
	EventRetention  time.Duration // default 30 days
	// Work makes this process run jobs; false makes it insert only (a web
	// process in front of `crmsync worker` processes).
	Work bool

	Alerts AlertConfig
	// OnRun, if set, is told when a sync run of a connection starts and
	// ends (for tracing; tests use it to check that runs never overlap).
	OnRun  func(connectionID int64, start bool)
	Logger *slog.Logger
	Now    func() time.Time
}

func (c *Config) setDefaults() {
	if c.Interval == 0 {
		c.Interval = 5 * time.Minute
	}
	if c.RunBudget == 0 {
		c.RunBudget = 30 * time.Second
	}
	if c.MaxRateWait == 0 {
		c.MaxRateWait = 5 * time.Second
	}
	if c.PendingBatch == 0 {
		c.PendingBatch = 5000
	}
	if c.StepTime == 0 {
		c.StepTime = 2 * time.Second
	}
	if c.PushConcurrency == 0 {
		c.PushConcurrency = 4
	}
	if c.MaxWorkers == 0 {
		c.MaxWorkers = 20
	}
	if c.FetchCooldown == 0 {
		c.FetchCooldown = 5 * time.Millisecond
	}
	if c.JobTimeout == 0 {
		c.JobTimeout = c.RunBudget + 2*time.Minute
	}
	if c.RescueAfter == 0 {
		c.RescueAfter = c.JobTimeout + time.Minute
	}
	if c.EventRetention == 0 {
		c.EventRetention = 30 * 24 * time.Hour
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: 60 * time.Second}
	}
}

// Engine runs the sync jobs and serves the connection actions.
type Engine struct {
	cfg        Config
	store      Store
	connectors map[crmsync.Provider]crm.Connector
	limiters   crm.Limiters
	jobs       jobClient
	log        *slog.Logger
	metrics    *Metrics

	mu     sync.Mutex
	tokens map[int64]*crm.TokenSource // one per connection, for single-flight refresh

	listeners listeners
}

// New returns an Engine. Call Start to run jobs and Stop to end them.
func New(cfg Config) (*Engine, error) {
	cfg.setDefaults()
	if cfg.Store == nil || cfg.Sealer == nil {
		return nil, errors.New("syncer: Store and Sealer are required")
	}
	e := &Engine{
		cfg:        cfg,
		store:      cfg.Store,
		connectors: make(map[crmsync.Provider]crm.Connector),
		log:        cfg.Logger,
		metrics:    newMetrics(),
		tokens:     make(map[int64]*crm.TokenSource),
	}
	for _, c := range cfg.Connectors {
		e.connectors[c.Provider()] = c
	}

	rc := &river.Config{
		Logger:               cfg.Logger.With("component", "river"),
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		FetchCooldown:        cfg.FetchCooldown,
		FetchPollInterval:    250 * time.Millisecond,
		MaxAttempts:          25,
	}
	if cfg.Work {
		workers := river.NewWorkers()
		river.AddWorker(workers, river.WorkFunc(e.workSync))
		river.AddWorker(workers, river.WorkFunc(e.workImport))
		river.AddWorker(workers, river.WorkFunc(e.workSchedule))
		river.AddWorker(workers, river.WorkFunc(e.workDeliverAlerts))
		river.AddWorker(workers, river.WorkFunc(e.workPrune))
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{
			QueueSync:     {MaxWorkers: cfg.MaxWorkers},
			QueueDefault:  {MaxWorkers: 4},
			QueuePeriodic: {MaxWorkers: 2},
		}
		rc.PeriodicJobs = []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(cfg.Interval), func() (river.JobArgs, *river.InsertOpts) {
				return ScheduleArgs{}, nil
			}, &river.PeriodicJobOpts{RunOnStart: true, ID: "schedule"}),
			river.NewPeriodicJob(river.PeriodicInterval(time.Minute), func() (river.JobArgs, *river.InsertOpts) {
				return DeliverAlertsArgs{}, nil
			}, &river.PeriodicJobOpts{RunOnStart: true, ID: "deliver_alerts"}),
			river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
				return PruneArgs{}, nil
			}, &river.PeriodicJobOpts{RunOnStart: true, ID: "prune"}),
		}
	}
	jobs, err := newJobClient(cfg.Database, rc)
	if err != nil {
		return nil, fmt.Errorf("syncer: river client: %w", err)
	}
	e.jobs = jobs
	return e, nil
}

// Start starts the job workers (when Config.Work is set).
func (e *Engine) Start(ctx context.Context) error {
	if !e.cfg.Work {
		return nil
	}
	if err := e.jobs.Start(ctx); err != nil {
		return fmt.Errorf("syncer: start jobs: %w", err)
	}
	return nil
}

// Stop stops taking jobs and waits for running ones; a run that does not
// finish before ctx ends is cancelled and safely retried later, because every
// push is idempotent.
func (e *Engine) Stop(ctx context.Context) error {
	if !e.cfg.Work {
		return nil
	}
	return e.jobs.Stop(ctx)
}

// Metrics returns the engine's Prometheus collectors.
func (e *Engine) Metrics() *Metrics { return e.metrics }

func (e *Engine) connector(p crmsync.Provider) (crm.Connector, error) {
	c, ok := e.connectors[p]
	if !ok {
		return nil, crmsync.Errorf(crmsync.ENOTIMPLEMENTED, "%s is not configured on this server.", p.Name())
	}
	return c, nil
}

// SyncNow queues a sync of the connection to run at once. If a sync is
// running, the new job hands its request to it (see runLocked), so what
// changed before SyncNow is always pushed by a run that starts after it.
func (e *Engine) SyncNow(ctx context.Context, workspaceID, connectionID int64) error {
	if _, err := e.jobs.Insert(ctx, SyncArgs{WorkspaceID: workspaceID, ConnectionID: connectionID}, nil); err != nil {
		return fmt.Errorf("syncer: queue sync (connection %d): %w", connectionID, err)
	}
	return nil
}

// workSchedule queues a sync of every connected connection, each at its
// own offset within the interval.
func (e *Engine) workSchedule(ctx context.Context, job *river.Job[ScheduleArgs]) error {
	_, err := e.ScheduleAll(ctx)
	return err
}

// ScheduleAll queues one sync per connected connection, spread over the
// interval, and returns how many it queued. Connections whose sync is
// already queued or running are left alone by River's uniqueness.
func (e *Engine) ScheduleAll(ctx context.Context) (int, error) {
	conns, err := e.store.FindConnectedConnections(ctx)
	if err != nil {
		return 0, fmt.Errorf("syncer: schedule: %w", err)
	}
	now := e.cfg.Now()
	const chunk = 1000
	for start := 0; start < len(conns); start += chunk {
		end := min(start+chunk, len(conns))
		params := make([]river.InsertManyParams, 0, end-start)
		for _, c := range conns[start:end] {
			params = append(params, river.InsertManyParams{
				Args:       SyncArgs{WorkspaceID: c.WorkspaceID, ConnectionID: c.ID},
				InsertOpts: scheduledSyncOpts(now.Add(jitter(c.ID, e.cfg.Interval))),
			})
		}
		if _, err := e.jobs.InsertMany(ctx, params); err != nil {
			return start, fmt.Errorf("syncer: schedule: %w", err)
		}
	}
	return len(conns), nil
}

func (e *Engine) workPrune(ctx context.Context, job *river.Job[PruneArgs]) error {
	n, err := e.store.PruneSyncEvents(ctx, e.cfg.Now().Add(-e.cfg.EventRetention))
	if err != nil {
		return err
	}
	if n > 0 {
		e.log.Info("pruned sync events", "deleted", n)
	}
	return nil
}
