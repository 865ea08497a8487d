package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/web"
)

// benchEvents is the history size of BenchmarkConnectionShow.
const benchEvents = 1_000_000

// BenchmarkConnectionShow measures the server-side render of the CRM
// Connection Detail page (session lookup, connection, import progress,
// Last 24 hours, the last 50 events, template) for a connection with
// 1,000,000 events in its history, spread evenly over the 30 days the
// engine keeps, on SQLite. The engine is the fake (its Users answer comes
// from the page's one-minute cache in production too, so no CRM call is
// part of a render). p50-ms and p99-ms are per-render latencies.
func BenchmarkConnectionShow(b *testing.B) {
	ctx := context.Background()
	db := mustOpenDB(b, filepath.Join(b.TempDir(), "crmsync.db"))
	ws := &crmsync.Workspace{Name: "Acme", StrategistName: "Sam", StrategistEmail: "sam@saleshive.example"}
	if err := db.CreateWorkspace(ctx, ws); err != nil {
		b.Fatal(err)
	}
	user := &crmsync.User{WorkspaceID: ws.ID, Email: "pat@acme.example", Name: "Pat", Role: crmsync.RoleClient}
	if err := db.CreateUser(ctx, user, testPassword); err != nil {
		b.Fatal(err)
	}
	eng := newFakeEngine(db)
	conn, err := db.EnsureConnection(ctx, ws.ID, crmsync.ProviderHubSpot)
	if err != nil {
		b.Fatal(err)
	}
	if conn, err = eng.CompleteConnect(ctx, ws.ID, fmt.Sprintf("%d-%d", ws.ID, conn.ID), nil); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	now := time.Now().UTC()
	span := 30 * 24 * time.Hour
	const batch = 10_000
	events := make([]*crmsync.SyncEvent, batch)
	for lo := 0; lo < benchEvents; lo += batch {
		for i := range events {
			n := lo + i
			ev := &crmsync.SyncEvent{ConnectionID: conn.ID, At: now.Add(-span + time.Duration(n)*span/benchEvents),
				ObjectType: crmsync.ObjectContact, Type: "contact", ObjectID: int64(n + 1), Outcome: crmsync.OutcomeSuccess, CRMID: fmt.Sprint(100000 + n)}
			if n%50 == 0 {
				ev.Outcome, ev.CRMID, ev.Problem, ev.Message = crmsync.OutcomeFailed, "", crmsync.ProblemRequiredFieldMissing, "Property zip is required"
			} else if n%20 == 0 {
				ev.Outcome, ev.CRMID, ev.Message = crmsync.OutcomeSkipped, "", crmsync.ReasonContactNotSynced
			}
			events[i] = ev
		}
		if err := db.AppendSyncEvents(ctx, ws.ID, events); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("inserted %d events in %v", benchEvents, time.Since(start).Round(time.Millisecond))

	srv := web.NewServer(web.Config{
		Workspaces: db, Contacts: db, Activities: db, Sessions: db, Connections: db, FieldMappings: db, Sync: db, Engine: eng,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	token, _, err := db.CreateSession(ctx, user.ID, ws.ID, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	render := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/integrations/crm/hubspot", nil)
		req.AddCookie(&http.Cookie{Name: "crmsync_session", Value: token})
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}
	// Check once that the page is the real thing: 50 rows, the chart.
	rec := render()
	if rec.Code != http.StatusOK || strings.Count(rec.Body.String(), "data-event-id=") != 50 || !strings.Contains(rec.Body.String(), `<svg role="img"`) {
		b.Fatalf("render: %d, %d event rows", rec.Code, strings.Count(rec.Body.String(), "data-event-id="))
	}
	b.ReportAllocs()
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		if rec := render(); rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
		durations = append(durations, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(durations)
	pct := func(p float64) float64 {
		return float64(durations[min(len(durations)-1, int(float64(len(durations))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
