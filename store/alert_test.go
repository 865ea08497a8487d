package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/store"
)

func TestAlertService(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ws, other, third := mustWorkspace(t, db), mustWorkspace(t, db), mustWorkspace(t, db)
		conn, err := db.EnsureConnection(ctx, ws.ID, crmsync.ProviderSalesforce)
		if err != nil {
			t.Fatal(err)
		}
		otherConn, err := db.EnsureConnection(ctx, other.ID, crmsync.ProviderPipedrive)
		if err != nil {
			t.Fatal(err)
		}
		newAlert := func(w *crmsync.Workspace, c *crmsync.Connection, kind crmsync.AlertKind) *crmsync.Alert {
			t.Helper()
			a := &crmsync.Alert{WorkspaceID: w.ID, ConnectionID: c.ID, Kind: kind, Recipient: w.StrategistEmail,
				Subject: "Salesforce disconnected", Body: "Reconnect it on the connection page.", Attempts: 7, LastError: "stale"}
			if err := db.CreateAlert(ctx, a); err != nil {
				t.Fatal(err)
			}
			if a.ID == 0 || a.CreatedAt.IsZero() || a.DeliveredAt != nil || a.Attempts != 0 || a.LastError != "" {
				t.Fatalf("created alert = %+v", a)
			}
			return a
		}
		a1 := newAlert(ws, conn, crmsync.AlertDisconnected)
		a2 := newAlert(other, otherConn, crmsync.AlertDisconnected)
		a3 := newAlert(ws, conn, crmsync.AlertRecovered)
		ids := func(as []*crmsync.Alert, err error) []int64 {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			out := []int64{}
			for _, a := range as {
				out = append(out, a.ID)
			}
			return out
		}

		t.Run("FindAlerts", func(t *testing.T) {
			got, err := db.FindAlerts(ctx, ws.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]*crmsync.Alert{a3, a1}, got); diff != "" {
				t.Fatalf("FindAlerts (newest first) differs:\n%s", diff)
			}
			if got := ids(db.FindAlerts(ctx, ws.ID, 1)); !cmp.Equal(got, []int64{a3.ID}) {
				t.Fatalf("FindAlerts limit 1 = %v, want [%d]", got, a3.ID)
			}
			if got := ids(db.FindAlerts(ctx, other.ID, 0)); !cmp.Equal(got, []int64{a2.ID}) {
				t.Fatalf("other workspace's alerts = %v, want [%d]", got, a2.ID)
			}
			if got := ids(db.FindAlerts(ctx, third.ID, 0)); len(got) != 0 {
				t.Fatalf("a workspace without alerts sees %v", got)
			}
		})
		t.Run("Outbox", func(t *testing.T) {
			if got := ids(db.FindUndeliveredAlerts(ctx, 0)); !cmp.Equal(got, []int64{a1.ID, a2.ID, a3.ID}) {
				t.Fatalf("undelivered (oldest first) = %v, want [%d %d %d]", got, a1.ID, a2.ID, a3.ID)
			}
			at := time.Date(2026, 7, 2, 10, 30, 0, 123456789, time.UTC)
			if err := db.MarkAlertDelivered(ctx, a1.ID, at, nil); err != nil {
				t.Fatal(err)
			}
			long := strings.Repeat("é", 600)
			for i := 0; i < 2; i++ {
				if err := db.MarkAlertDelivered(ctx, a2.ID, at, errors.New(long)); err != nil {
					t.Fatal(err)
				}
			}
			if got := ids(db.FindUndeliveredAlerts(ctx, 0)); !cmp.Equal(got, []int64{a2.ID, a3.ID}) {
				t.Fatalf("undelivered after delivering %d = %v", a1.ID, got)
			}
			if got := ids(db.FindUndeliveredAlerts(ctx, 1)); !cmp.Equal(got, []int64{a2.ID}) {
				t.Fatalf("undelivered limit 1 = %v", got)
			}
			mine, _ := db.FindAlerts(ctx, ws.ID, 0)
			if d := mine[1]; d.ID != a1.ID || d.DeliveredAt == nil || !d.DeliveredAt.Equal(at.Truncate(time.Microsecond)) || d.Attempts != 0 {
				t.Fatalf("delivered alert = %+v", d)
			}
			theirs, _ := db.FindAlerts(ctx, other.ID, 0)
			f := theirs[0]
			if f.DeliveredAt != nil || f.Attempts != 2 || utf8.RuneCountInString(f.LastError) != 500 || !strings.HasPrefix(long, f.LastError) {
				t.Fatalf("failed alert: delivered %v, attempts %d, last error %d characters", f.DeliveredAt, f.Attempts, utf8.RuneCountInString(f.LastError))
			}
			wantCode(t, db.MarkAlertDelivered(ctx, 1<<40, at, nil), crmsync.ENOTFOUND)
		})
		t.Run("ErrCreate", func(t *testing.T) {
			before := db.DumpForTest(t)
			err := db.CreateAlert(ctx, &crmsync.Alert{WorkspaceID: other.ID, ConnectionID: conn.ID, Kind: crmsync.AlertDisconnected, Recipient: "x@example.com"})
			wantCode(t, err, crmsync.ENOTFOUND)
			err = db.CreateAlert(ctx, &crmsync.Alert{WorkspaceID: ws.ID, ConnectionID: conn.ID, Kind: "exploded"})
			wantCode(t, err, crmsync.EINVALID)
			if got := fieldNames(err); !cmp.Equal(got, []string{"kind", "recipient"}) {
				t.Fatalf("invalid fields = %v", got)
			}
			if diff := cmp.Diff(before, db.DumpForTest(t)); diff != "" {
				t.Fatalf("rejected alerts changed the database:\n%s", diff)
			}
		})
	})
}
