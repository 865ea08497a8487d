package syncer

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the engine's Prometheus collectors. Register them with
// Collectors on the registry the /metrics endpoint serves.
type Metrics struct {
	pushes         *prometheus.CounterVec
	jobDuration    *prometheus.HistogramVec
	rateLimitWaits *prometheus.CounterVec
	alerts         *prometheus.CounterVec
}

func newMetrics() *Metrics {
	return &Metrics{
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmsync_pushes_total",
			Help: "Records pushed to CRMs, by provider and outcome (success, skipped, failed).",
		}, []string{"provider", "outcome"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "crmsync_job_duration_seconds",
			Help:    "Duration of sync engine job runs, by job kind.",
			Buckets: prometheus.ExponentialBuckets(0.005, 3, 10),
		}, []string{"job"}),
		rateLimitWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmsync_rate_limit_waits_total",
			Help: "Sync runs snoozed because a CRM's rate limit was reached, by provider.",
		}, []string{"provider"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmsync_alerts_total",
			Help: "Strategist alerts delivered or failed, by result.",
		}, []string{"result"}),
	}
}

// Collectors returns every collector, for registration.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.pushes, m.jobDuration, m.rateLimitWaits, m.alerts}
}
