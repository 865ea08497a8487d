package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/saleshive/crmsync"
)

// maxAlertError is how many characters of a delivery error are kept.
const maxAlertError = 500

const alertCols = "id, workspace_id, connection_id, kind, recipient, subject, body, created_at, delivered_at, attempts, last_error"

func scanAlert(row interface{ Scan(...any) error }) (*crmsync.Alert, error) {
	var a crmsync.Alert
	var kind string
	err := row.Scan(&a.ID, &a.WorkspaceID, &a.ConnectionID, &kind, &a.Recipient, &a.Subject, &a.Body,
		timeScan{&a.CreatedAt}, nullTimeScan{&a.DeliveredAt}, &a.Attempts, &a.LastError)
	a.Kind = crmsync.AlertKind(kind)
	return &a, err
}

// CreateAlert adds an undelivered alert to the outbox and sets its ID and
// CreatedAt (and clears DeliveredAt, Attempts and LastError). The kind and
// recipient are required (EINVALID); the connection must be the
// workspace's (ENOTFOUND).
func (db *DB) CreateAlert(ctx context.Context, a *crmsync.Alert) error {
	var v crmsync.Validation
	switch a.Kind {
	case crmsync.AlertDisconnected, crmsync.AlertRecovered:
	default:
		v.Add("kind", "%q is not an alert kind; use disconnected or recovered", a.Kind)
	}
	if strings.TrimSpace(a.Recipient) == "" {
		v.Add("recipient", "is required")
	}
	if err := v.Err("The alert has invalid fields."); err != nil {
		return err
	}
	now := db.nowUTC()
	err := db.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := db.connectionExists(ctx, tx, a.WorkspaceID, a.ConnectionID); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, db.q(`INSERT INTO alerts (workspace_id, connection_id, kind, recipient, subject, body, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`), a.WorkspaceID, a.ConnectionID, string(a.Kind), a.Recipient, a.Subject, a.Body,
			db.t(now)).Scan(&a.ID)
	})
	if err != nil {
		return wrap(fmt.Sprintf("create alert (connection %d, workspace %d)", a.ConnectionID, a.WorkspaceID), err)
	}
	a.CreatedAt, a.DeliveredAt, a.Attempts, a.LastError = now, nil, 0, ""
	return nil
}

// FindAlerts lists up to n (default 100, at most 1000) of the workspace's
// alerts, newest first.
func (db *DB) FindAlerts(ctx context.Context, workspaceID int64, n int) ([]*crmsync.Alert, error) {
	return db.queryAlerts(ctx, fmt.Sprintf("find alerts (workspace %d)", workspaceID),
		"SELECT "+alertCols+" FROM alerts WHERE workspace_id = ? ORDER BY id DESC LIMIT ?", workspaceID, limit(n, 100))
}

// FindUndeliveredAlerts lists up to n (default 100, at most 1000)
// undelivered alerts of every workspace, oldest first: the delivery job's
// input and the one cross-workspace read of alerts.
func (db *DB) FindUndeliveredAlerts(ctx context.Context, n int) ([]*crmsync.Alert, error) {
	return db.queryAlerts(ctx, "find undelivered alerts",
		"SELECT "+alertCols+" FROM alerts WHERE delivered_at IS NULL ORDER BY id LIMIT ?", limit(n, 100))
}

func (db *DB) queryAlerts(ctx context.Context, op, query string, args ...any) ([]*crmsync.Alert, error) {
	rows, err := db.read.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := []*crmsync.Alert{}
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, a)
	}
	return out, wrap(op, rows.Err())
}

// MarkAlertDelivered records the delivery of alert id at at (deliveryErr
// nil), or a failed attempt: Attempts+1 and LastError set to the error's
// text, cut to 500 characters. An unknown alert is ENOTFOUND.
func (db *DB) MarkAlertDelivered(ctx context.Context, id int64, at time.Time, deliveryErr error) error {
	var res sql.Result
	var err error
	if deliveryErr == nil {
		res, err = db.write.ExecContext(ctx, db.q("UPDATE alerts SET delivered_at = ? WHERE id = ?"), db.t(normTime(at)), id)
	} else {
		res, err = db.write.ExecContext(ctx, db.q("UPDATE alerts SET attempts = attempts + 1, last_error = ? WHERE id = ?"),
			truncateRunes(deliveryErr.Error(), maxAlertError), id)
	}
	op := fmt.Sprintf("mark alert %d delivered", id)
	if err != nil {
		return wrap(op, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap(op, err)
	} else if n == 0 {
		return notFound("Alert %d not found.", id)
	}
	return nil
}
