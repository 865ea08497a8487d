package syncer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/smtp"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// AlertConfig says where strategist alerts go. With neither a webhook nor
// SMTP they are only logged (and listed on the alerts page), as in the demo.
type AlertConfig struct {
	WebhookURL string // POSTed a JSON alert
	SMTPAddr   string // host:port
	SMTPFrom   string
	SMTPAuth   smtp.Auth
}

// markDisconnected moves a connection whose CRM rejected its login to
// Disconnected with the reason, and alerts the strategist once: only the
// process whose update changes the status sends the alert.
func (e *Engine) markDisconnected(ctx context.Context, conn *crmsync.Connection, ce *crm.Error) error {
	reason := "Your CRM rejected SalesHive's login (it was revoked or expired)."
	if ce.CRMMessage != "" {
		reason += " The CRM said: " + ce.CRMMessage
	}
	prev := conn.Status
	if prev == crmsync.StatusDisconnected || prev == crmsync.StatusNotConnected {
		return nil
	}
	st := crmsync.StatusDisconnected
	updated, err := e.store.UpdateConnection(ctx, conn.WorkspaceID, conn.ID, crmsync.ConnectionUpdate{Status: &st, DisconnectReason: &reason, ExpectStatus: &prev})
	if crmsync.ErrorCode(err) == crmsync.ECONFLICT {
		return nil // someone else changed the status first and alerted
	} else if err != nil {
		return err
	}
	e.forgetTokens(conn.ID)
	e.notify(conn.ID, crmsync.UpdateStatus)
	e.log.Warn("connection disconnected by CRM", "workspace_id", conn.WorkspaceID, "connection_id", conn.ID, "provider", conn.Provider)
	return e.alert(ctx, updated, crmsync.AlertDisconnected, reason)
}

// alert puts an alert for the workspace's strategist in the outbox and
// queues its delivery.
func (e *Engine) alert(ctx context.Context, conn *crmsync.Connection, kind crmsync.AlertKind, reason string) error {
	ws, err := e.store.FindWorkspaceByID(ctx, conn.WorkspaceID)
	if err != nil {
		return err
	}
	a := &crmsync.Alert{WorkspaceID: ws.ID, ConnectionID: conn.ID, Kind: kind, Recipient: ws.StrategistEmail}
	switch kind {
	case crmsync.AlertDisconnected:
		a.Subject = fmt.Sprintf("%s: %s connection needs reconnecting", ws.Name, conn.Provider.Name())
		a.Body = fmt.Sprintf("Hi %s,\n\n%s's %s connection was disconnected: %s\nSalesHive has stopped pushing to it; nothing already synced is lost. Ask the client to click Reconnect on the connection page.\n",
			firstName(ws.StrategistName), ws.Name, conn.Provider.Name(), reason)
	case crmsync.AlertRecovered:
		a.Subject = fmt.Sprintf("%s: %s connection restored", ws.Name, conn.Provider.Name())
		a.Body = fmt.Sprintf("Hi %s,\n\n%s's %s connection is connected again (%s). Sync resumes where it stopped.\n",
			firstName(ws.StrategistName), ws.Name, conn.Provider.Name(), conn.AccountLabel)
	}
	if err := e.store.CreateAlert(ctx, a); err != nil {
		return err
	}
	if _, err := e.jobs.Insert(ctx, DeliverAlertsArgs{}, nil); err != nil {
		e.log.Warn("queue alert delivery; the periodic job will deliver it", "err", err)
	}
	return nil
}

func firstName(full string) string {
	if f := strings.Fields(full); len(f) > 0 {
		return f[0]
	}
	return "there"
}

// workDeliverAlerts delivers the outbox; a failed delivery stays in the
// outbox and is tried again by the next run.
func (e *Engine) workDeliverAlerts(ctx context.Context, job *river.Job[DeliverAlertsArgs]) error {
	alerts, err := e.store.FindUndeliveredAlerts(ctx, 100)
	if err != nil {
		return err
	}
	for _, a := range alerts {
		derr := e.deliver(ctx, a)
		result := "delivered"
		if derr != nil {
			result = "failed"
			e.log.Warn("deliver alert", "alert_id", a.ID, "workspace_id", a.WorkspaceID, "err", derr)
		}
		e.metrics.alerts.WithLabelValues(result).Inc()
		if err := e.store.MarkAlertDelivered(ctx, a.ID, e.cfg.Now().UTC(), derr); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) deliver(ctx context.Context, a *crmsync.Alert) error {
	cfg := e.cfg.Alerts
	if cfg.WebhookURL == "" && cfg.SMTPAddr == "" {
		e.log.Info("strategist alert", "alert_id", a.ID, "workspace_id", a.WorkspaceID, "connection_id", a.ConnectionID, "kind", a.Kind, "recipient", a.Recipient, "subject", a.Subject)
		return nil
	}
	if cfg.WebhookURL != "" {
		body, err := json.Marshal(a)
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(wctx, http.MethodPost, cfg.WebhookURL, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := e.cfg.HTTP.Do(req)
		if err != nil {
			return fmt.Errorf("alert webhook: %w", err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			return fmt.Errorf("alert webhook answered %s", resp.Status)
		}
	}
	if cfg.SMTPAddr != "" && a.Recipient != "" {
		msg := "From: " + cfg.SMTPFrom + "\r\nTo: " + a.Recipient + "\r\nSubject: " + a.Subject + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + strings.ReplaceAll(a.Body, "\n", "\r\n")
		if err := smtp.SendMail(cfg.SMTPAddr, cfg.SMTPAuth, cfg.SMTPFrom, []string{a.Recipient}, []byte(msg)); err != nil {
			return fmt.Errorf("alert email: %w", err)
		}
	}
	return nil
}
