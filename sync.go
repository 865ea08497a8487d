package crmsync

import (
	"context"
	"time"
)

// SyncState is where one object stands in one connection's sync ledger.
type SyncState string

// Sync states.
const (
	SyncPending SyncState = "pending" // waiting for the next push
	SyncSynced  SyncState = "synced"  // in the CRM; CRMID is set
	SyncSkipped SyncState = "skipped" // deliberately not pushed; Reason says why
	SyncFailed  SyncState = "failed"  // the CRM rejected it; Problem and CRMMessage say why
)

// SyncItem is the ledger entry of one object (a contact or an activity) for
// one connection. It makes pushes idempotent: once an object has a CRM id,
// later pushes update that record instead of creating another.
type SyncItem struct {
	ID           int64      `json:"id"`
	WorkspaceID  int64      `json:"-"`
	ConnectionID int64      `json:"connection_id"`
	ObjectType   ObjectType `json:"object_type"`
	ObjectID     int64      `json:"object_id"`
	// Kind is the activity kind, empty for contacts.
	Kind       ActivityKind `json:"kind,omitempty"`
	State      SyncState    `json:"state"`
	CRMID      string       `json:"crm_id,omitempty"`
	Problem    Problem      `json:"problem,omitempty"`
	CRMMessage string       `json:"crm_message,omitempty"` // the CRM's own words, verbatim
	Reason     string       `json:"reason,omitempty"`      // why it was skipped
	Attempts   int          `json:"attempts"`
	CreatedAt  time.Time    `json:"created_at"`
	UpdatedAt  time.Time    `json:"updated_at"`
	SyncedAt   *time.Time   `json:"synced_at,omitempty"`
}

// ReasonContactNotSynced is the skip reason of an activity whose contact is
// not in the CRM. RetryFailed re-queues such activities along with the
// failed items, so they follow their contact once it lands.
const ReasonContactNotSynced = "contact not synced"

// Outcome is the result of one push attempt, as the recent activity table
// shows it.
type Outcome string

// Outcomes.
const (
	OutcomeSuccess Outcome = "success"
	OutcomeSkipped Outcome = "skipped"
	OutcomeFailed  Outcome = "failed"
)

// SyncEvent is one append-only line of a connection's history.
type SyncEvent struct {
	ID           int64      `json:"id"`
	WorkspaceID  int64      `json:"-"`
	ConnectionID int64      `json:"connection_id"`
	At           time.Time  `json:"at"`
	ObjectType   ObjectType `json:"object_type"`
	// Type is what the table's Type column shows: "contact", "email",
	// "call", "meeting" or "test contact".
	Type       string  `json:"type"`
	ObjectID   int64   `json:"object_id,omitempty"`
	Outcome    Outcome `json:"outcome"`
	CRMID      string  `json:"crm_id,omitempty"`
	Problem    Problem `json:"problem,omitempty"`
	Message    string  `json:"message,omitempty"` // error or skip reason, plain text
	DurationMS int     `json:"duration_ms,omitempty"`
}

// ItemResult is the outcome of pushing one sync item, recorded atomically
// with its event.
type ItemResult struct {
	ItemID     int64
	State      SyncState
	CRMID      string
	Problem    Problem
	CRMMessage string
	Reason     string
}

// Health summarises one connection's last 24 hours for the page.
type Health struct {
	Synced   int             `json:"synced"`
	Waiting  int             `json:"waiting_or_skipped"` // pending items plus skipped events
	Failed   int             `json:"failed"`
	Problems []ProblemCount  `json:"problems"` // one per problem type present, most first
	Hourly   []HourlyOutcome `json:"hourly"`   // 24 buckets, oldest first
}

// ProblemCount is how many failed items share one problem type, with an
// example of the CRM's message.
type ProblemCount struct {
	Problem    Problem `json:"problem"`
	Count      int     `json:"count"`
	CRMMessage string  `json:"crm_message,omitempty"`
}

// HourlyOutcome counts the events of one hour.
type HourlyOutcome struct {
	Hour    time.Time `json:"hour"`
	Success int       `json:"success"`
	Skipped int       `json:"skipped"`
	Failed  int       `json:"failed"`
}

// SyncEventFilter selects events of one connection, newest first.
type SyncEventFilter struct {
	Since    time.Time // zero: no lower bound
	BeforeID int64     // 0: from the newest
	Limit    int       // 0 means 50
}

// SyncService is the sync ledger. Every method is scoped to one workspace.
type SyncService interface {
	// EnqueueItems creates pending items for the given objects of a
	// connection, or sets existing non-pending items back to pending; it
	// never creates a second item for the same object.
	EnqueueItems(ctx context.Context, workspaceID, connectionID int64, objects []SyncObject) error
	// FindPendingItems returns up to limit (at most 10,000) pending items,
	// contacts first, then by id.
	FindPendingItems(ctx context.Context, workspaceID, connectionID int64, limit int) ([]*SyncItem, error)
	// FindSyncItems returns the items of the given objects (any state).
	FindSyncItems(ctx context.Context, workspaceID, connectionID int64, objectType ObjectType, objectIDs []int64) ([]*SyncItem, error)
	// RecordResults stores each result on its item (Attempts+1) and appends
	// one event per result, in one transaction.
	RecordResults(ctx context.Context, workspaceID, connectionID int64, results []ItemResult, events []*SyncEvent) error
	// RetryFailed sets every failed item of the connection, and every
	// activity skipped with ReasonContactNotSynced, back to pending and
	// returns how many it changed.
	RetryFailed(ctx context.Context, workspaceID, connectionID int64) (int, error)
	// AppendSyncEvents appends events that belong to no item (test contact).
	AppendSyncEvents(ctx context.Context, workspaceID int64, events []*SyncEvent) error
	// FindSyncEvents returns events of a connection, newest first.
	FindSyncEvents(ctx context.Context, workspaceID, connectionID int64, filter SyncEventFilter) ([]*SyncEvent, error)
	// Health summarises the 24 hours before now.
	Health(ctx context.Context, workspaceID, connectionID int64, now time.Time) (*Health, error)
	// PruneSyncEvents deletes events older than before, in all workspaces,
	// and returns how many it deleted.
	PruneSyncEvents(ctx context.Context, before time.Time) (int64, error)
}

// SyncObject names one object to enqueue.
type SyncObject struct {
	Type ObjectType
	ID   int64
	Kind ActivityKind // activities only
}
