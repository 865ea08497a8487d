package crmsync

import (
	"context"
	"time"
)

// AlertKind says what an alert reports.
type AlertKind string

// Alert kinds: a connection's CRM rejected its login, and it was restored.
const (
	AlertDisconnected AlertKind = "disconnected"
	AlertRecovered    AlertKind = "recovered"
)

// Alert tells a workspace's strategist about a change in a connection's
// state. Alerts sit in an outbox until a job delivers them.
type Alert struct {
	ID           int64      `json:"id"`
	WorkspaceID  int64      `json:"workspace_id"`
	ConnectionID int64      `json:"connection_id"`
	Kind         AlertKind  `json:"kind"`
	Recipient    string     `json:"recipient"` // the strategist's email
	Subject      string     `json:"subject"`
	Body         string     `json:"body"`
	CreatedAt    time.Time  `json:"created_at"`
	DeliveredAt  *time.Time `json:"delivered_at,omitempty"`
	Attempts     int        `json:"attempts"`
	LastError    string     `json:"last_error,omitempty"`
}

// AlertService is the alert outbox.
type AlertService interface {
	// CreateAlert adds an undelivered alert and sets its ID.
	CreateAlert(ctx context.Context, a *Alert) error
	// FindAlerts lists a workspace's alerts, newest first.
	FindAlerts(ctx context.Context, workspaceID int64, limit int) ([]*Alert, error)
	// FindUndeliveredAlerts lists undelivered alerts of every workspace,
	// oldest first: the delivery job's input.
	FindUndeliveredAlerts(ctx context.Context, limit int) ([]*Alert, error)
	// MarkAlertDelivered records a delivery (err nil) or a failed attempt.
	MarkAlertDelivered(ctx context.Context, id int64, at time.Time, deliveryErr error) error
}

// SyncLedger holds the ledger operations imports need.
type SyncLedger interface {
	// CountPendingItems counts a connection's pending items of one type.
	CountPendingItems(ctx context.Context, workspaceID, connectionID int64, objectType ObjectType) (int, error)
	// SkipPendingItems marks every pending item of one type skipped with
	// reason (an import was cancelled) and returns how many it changed.
	SkipPendingItems(ctx context.Context, workspaceID, connectionID int64, objectType ObjectType, reason string) (int, error)
	// RefreshLedgerStatistics brings the database planner's statistics of
	// the ledger up to date after a bulk change: an import queues up to a
	// workspace's contacts in seconds, long before autovacuum would analyze.
	RefreshLedgerStatistics(ctx context.Context) error
}

// SyncLocks keep two syncs of one connection from ever overlapping, across
// any number of processes, without losing a request for a sync that arrives
// while one runs. A lock expires on its own, so a crashed holder cannot
// block the connection for longer than its lease.
type SyncLocks interface {
	// AcquireSyncLock takes the connection's lock for owner until the given
	// time, and clears any pending request (the new run reads everything).
	// It reports false if another owner holds an unexpired lock.
	AcquireSyncLock(ctx context.Context, workspaceID, connectionID int64, owner string, until time.Time) (bool, error)
	// RequestSync asks the current holder for another run. It reports false
	// if no one holds the lock, in which case the caller must run itself.
	RequestSync(ctx context.Context, workspaceID, connectionID int64) (bool, error)
	// ReleaseSyncLock releases owner's lock unless another run was
	// requested meanwhile; then it keeps the lock, clears the request and
	// reports false, and the owner runs again.
	ReleaseSyncLock(ctx context.Context, workspaceID, connectionID int64, owner string) (bool, error)
}
