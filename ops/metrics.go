package ops

import (
	"context"
	"database/sql"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/saleshive/crmsync/syncer"
)

// NewRegistry returns the registry /metrics serves: the engine's collectors
// (pushes, job durations, rate-limit waits, alerts), the Go and process
// collectors, and, when jobs is not nil, crmsync_queue_jobs — River's jobs by
// state, read from the database at scrape time.
func NewRegistry(eng *syncer.Engine, jobs *sql.DB) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if eng != nil {
		reg.MustRegister(eng.Metrics().Collectors()...)
	}
	if jobs != nil {
		reg.MustRegister(&queueCollector{db: jobs})
	}
	return reg
}

// queueStates are the River job states counted as queue depth.
var queueStates = []string{"available", "scheduled", "retryable", "running"}

var queueDesc = prometheus.NewDesc("crmsync_queue_jobs",
	"Jobs in the queue by state (available, scheduled, retryable, running), counted at scrape time.",
	[]string{"state"}, nil)

// queueCollector counts River's jobs with one grouped query per scrape; the
// state column is indexed, and a scrape that cannot read in time reports
// nothing rather than blocking.
type queueCollector struct{ db *sql.DB }

// Describe sends the one metric description.
func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- queueDesc }

// Collect counts the jobs by state.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts := make(map[string]float64, len(queueStates))
	rows, err := c.db.QueryContext(ctx, `SELECT state, count(*) FROM river_job WHERE state IN ('available', 'scheduled', 'retryable', 'running') GROUP BY state`)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queueDesc, err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			ch <- prometheus.NewInvalidMetric(queueDesc, err)
			return
		}
		counts[state] = float64(n)
	}
	if err := rows.Err(); err != nil {
		ch <- prometheus.NewInvalidMetric(queueDesc, err)
		return
	}
	for _, s := range queueStates {
		ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, counts[s], s)
	}
}
