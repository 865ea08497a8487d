package crmsync

import "time"

// ImportProgress is what the import progress bar shows.
type ImportProgress struct {
	State   ImportState   `json:"state"`
	Resync  bool          `json:"resync"`
	Done    int           `json:"done"`
	Total   int           `json:"total"`
	Percent int           `json:"percent"`
	PerSec  float64       `json:"per_second"`
	ETA     time.Duration `json:"eta_ns"`
}

// TestContactResult is what "Send a test contact" reports.
type TestContactResult struct {
	CRMID    string        `json:"crm_id"`
	URL      string        `json:"url"` // the record's page in the CRM
	Created  bool          `json:"created"`
	Duration time.Duration `json:"duration_ns"`
}

// UpdateKind says what changed on a connection, so a live page knows what
// to re-read.
type UpdateKind string

// Update kinds.
const (
	UpdateStatus UpdateKind = "status" // status, import progress, settings
	UpdateEvents UpdateKind = "events" // new sync events
)

// LiveUpdate tells subscribers that a connection changed. Updates are
// hints: a subscriber re-reads what it shows.
type LiveUpdate struct {
	ConnectionID int64      `json:"connection_id"`
	Kind         UpdateKind `json:"kind"`
}
