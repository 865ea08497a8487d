package syncer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// connected returns the workspace's connection if it is connected (or in
// the error state, which can still push), or an error saying what to do.
func (e *Engine) connected(ctx context.Context, workspaceID, connectionID int64) (*crmsync.Connection, error) {
	conn, err := e.store.FindConnectionByID(ctx, workspaceID, connectionID)
	if err != nil {
		return nil, err
	}
	switch conn.Status {
	case crmsync.StatusConnected, crmsync.StatusError:
		return conn, nil
	case crmsync.StatusDisconnected:
		return nil, crmsync.Errorf(crmsync.ECONFLICT, "%s is disconnected: click Reconnect first.", conn.Provider.Name())
	}
	return nil, crmsync.Errorf(crmsync.ECONFLICT, "%s is not connected yet: click Connect first.", conn.Provider.Name())
}

// connectedAccount is connected plus the connector and account to call
// the CRM with.
func (e *Engine) connectedAccount(ctx context.Context, workspaceID, connectionID int64) (*crmsync.Connection, crm.Connector, *crm.Account, error) {
	conn, err := e.connected(ctx, workspaceID, connectionID)
	if err != nil {
		return nil, nil, nil, err
	}
	c, acct, err := e.account(conn)
	if err != nil {
		return nil, nil, nil, err
	}
	return conn, c, acct, nil
}

// StartImport runs the one-time import ("Import N contacts"), or, with
// resync, "Resync existing contacts": every contact of the workspace is
// queued and pushed (existing CRM records are updated, never duplicated).
// It is refused while an import or resync runs.
func (e *Engine) StartImport(ctx context.Context, workspaceID, connectionID int64, resync bool) (*crmsync.Connection, error) {
	conn, err := e.connected(ctx, workspaceID, connectionID)
	if err != nil {
		return nil, err
	}
	if conn.Import.State == crmsync.ImportRunning {
		return nil, crmsync.Errorf(crmsync.ECONFLICT, "An import is already running; wait for it to finish or cancel it.")
	}
	if !resync && conn.ImportChoice != crmsync.ImportPending {
		return nil, crmsync.Errorf(crmsync.ECONFLICT, "The starting point was already chosen; use Resync existing contacts to push your contacts again.")
	}
	total, err := e.store.CountContacts(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	latest, err := e.store.LatestChangeSeq(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	now := e.cfg.Now().UTC()
	run := crmsync.ImportRun{State: crmsync.ImportRunning, Resync: resync, Total: total, StartedAt: &now}
	upd := crmsync.ConnectionUpdate{Import: &run}
	if !resync {
		// Every existing contact is queued by the import, so the change log
		// up to now has nothing more to add.
		choice := crmsync.ImportImported
		upd.ImportChoice, upd.SyncCursor = &choice, &latest
	}
	if conn, err = e.store.UpdateConnection(ctx, workspaceID, connectionID, upd); err != nil {
		return nil, err
	}
	if _, err := e.jobs.Insert(ctx, ImportArgs{WorkspaceID: workspaceID, ConnectionID: connectionID}, nil); err != nil {
		return nil, fmt.Errorf("syncer: queue import (connection %d): %w", connectionID, err)
	}
	e.notify(connectionID, crmsync.UpdateStatus)
	return conn, nil
}

// SkipImport records "Skip, only sync new activity": the cursor moves to
// now, so only what changes from here on is pushed. Resync undoes it.
func (e *Engine) SkipImport(ctx context.Context, workspaceID, connectionID int64) (*crmsync.Connection, error) {
	conn, err := e.connected(ctx, workspaceID, connectionID)
	if err != nil {
		return nil, err
	}
	if conn.ImportChoice != crmsync.ImportPending {
		return nil, crmsync.Errorf(crmsync.ECONFLICT, "The starting point was already chosen.")
	}
	latest, err := e.store.LatestChangeSeq(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	choice := crmsync.ImportSkipped
	conn, err = e.store.UpdateConnection(ctx, workspaceID, connectionID, crmsync.ConnectionUpdate{ImportChoice: &choice, SyncCursor: &latest})
	if err != nil {
		return nil, err
	}
	e.notify(connectionID, crmsync.UpdateStatus)
	return conn, nil
}

// CancelImport stops a running import or resync: contacts not yet pushed
// are marked skipped and are pushed later only by a resync or when they
// change.
func (e *Engine) CancelImport(ctx context.Context, workspaceID, connectionID int64) (*crmsync.Connection, error) {
	conn, err := e.store.FindConnectionByID(ctx, workspaceID, connectionID)
	if err != nil {
		return nil, err
	}
	if conn.Import.State != crmsync.ImportRunning {
		return nil, crmsync.Errorf(crmsync.ECONFLICT, "No import is running.")
	}
	now := e.cfg.Now().UTC()
	run := conn.Import
	run.State, run.FinishedAt = crmsync.ImportCancelled, &now
	if conn, err = e.store.UpdateConnection(ctx, workspaceID, connectionID, crmsync.ConnectionUpdate{Import: &run}); err != nil {
		return nil, err
	}
	if _, err := e.store.SkipPendingItems(ctx, workspaceID, connectionID, crmsync.ObjectContact, "import cancelled"); err != nil {
		return nil, err
	}
	e.notify(connectionID, crmsync.UpdateStatus)
	return conn, nil
}

// workImport queues every contact of the workspace as a pending item, page
// by page (stopping if the import is cancelled), then starts a sync.
func (e *Engine) workImport(ctx context.Context, job *river.Job[ImportArgs]) error {
	ws, id := job.Args.WorkspaceID, job.Args.ConnectionID
	var after int64
	for {
		conn, err := e.store.FindConnectionByID(ctx, ws, id)
		if err != nil {
			return jobResult(ctx, err)
		}
		if conn.Import.State != crmsync.ImportRunning || !syncable(conn) {
			return nil
		}
		page, err := e.store.FindContactIDs(ctx, ws, crmsync.ContactFilter{AfterID: after, Limit: 1000})
		if err != nil {
			return err
		}
		if len(page) == 0 {
			run := conn.Import
			run.Queued = true
			if _, err := e.store.UpdateConnection(ctx, ws, id, crmsync.ConnectionUpdate{Import: &run}); err != nil {
				return err
			}
			return e.SyncNow(ctx, ws, id)
		}
		objs := make([]crmsync.SyncObject, len(page))
		for i, cid := range page {
			objs[i] = crmsync.SyncObject{Type: crmsync.ObjectContact, ID: cid}
		}
		if err := e.store.EnqueueItems(ctx, ws, id, objs); err != nil {
			return err
		}
		if after == 0 {
			// The ledger is about to grow by up to the workspace's contacts
			// in seconds. Statistics taken now give the planner the
			// ledger's real row density, so its estimates follow the
			// growth (a PostgreSQL import ran about 30% faster with it,
			// docs/BENCHMARKS.md). Only an optimisation.
			if err := e.store.RefreshLedgerStatistics(ctx); err != nil {
				e.log.Warn("refresh ledger statistics", "connection_id", id, "err", err)
			}
			// Let the sync start on the first page while the rest are queued.
			if err := e.SyncNow(ctx, ws, id); err != nil {
				return err
			}
		}
		after = page[len(page)-1]
	}
}

// Progress reports a connection's import or resync.
func (e *Engine) Progress(ctx context.Context, conn *crmsync.Connection) (crmsync.ImportProgress, error) {
	run := conn.Import
	p := crmsync.ImportProgress{State: run.State, Resync: run.Resync, Total: run.Total}
	switch run.State {
	case crmsync.ImportIdle:
		return p, nil
	case crmsync.ImportDone:
		p.Done, p.Percent = p.Total, 100
		return p, nil
	}
	pending := p.Total
	if run.Queued || run.State == crmsync.ImportCancelled {
		n, err := e.store.CountPendingItems(ctx, conn.WorkspaceID, conn.ID, crmsync.ObjectContact)
		if err != nil {
			return p, err
		}
		pending = n
	}
	p.Done = max(0, p.Total-pending)
	if p.Total > 0 {
		p.Percent = p.Done * 100 / p.Total
	} else {
		p.Percent = 100
	}
	if run.StartedAt != nil {
		if secs := e.cfg.Now().Sub(*run.StartedAt).Seconds(); secs > 0 && p.Done > 0 {
			p.PerSec = float64(p.Done) / secs
			p.ETA = time.Duration(float64(p.Total-p.Done) / p.PerSec * float64(time.Second))
		}
	}
	return p, nil
}

// SetToggles changes what syncs. A type turned off is not pushed from the
// next run on; turned on, its new activity is pushed from then on.
func (e *Engine) SetToggles(ctx context.Context, workspaceID, connectionID int64, t crmsync.SyncToggles) (*crmsync.Connection, error) {
	conn, err := e.store.FindConnectionByID(ctx, workspaceID, connectionID)
	if err != nil {
		return nil, err
	}
	turnedOn := (t.Contacts && !conn.Toggles.Contacts) || (t.Emails && !conn.Toggles.Emails) ||
		(t.Calls && !conn.Toggles.Calls) || (t.Meetings && !conn.Toggles.Meetings)
	if conn, err = e.store.UpdateConnection(ctx, workspaceID, connectionID, crmsync.ConnectionUpdate{Toggles: &t}); err != nil {
		return nil, err
	}
	e.notify(connectionID, crmsync.UpdateStatus)
	if turnedOn && syncable(conn) {
		return conn, e.SyncNow(ctx, workspaceID, connectionID)
	}
	return conn, nil
}

// Users lists the CRM users for the owner picker; crm.ErrUsersUnsupported
// when the connection cannot list them (the picker is hidden).
func (e *Engine) Users(ctx context.Context, workspaceID, connectionID int64) ([]crm.User, error) {
	conn, c, acct, err := e.connectedAccount(ctx, workspaceID, connectionID)
	if err != nil {
		return nil, err
	}
	users, err := c.Users(ctx, acct)
	if err != nil && !errors.Is(err, crm.ErrUsersUnsupported) {
		return nil, e.callFailed(ctx, conn, err)
	}
	return users, err
}

// SetOwner sets (or, with an empty ownerID, clears) the CRM user that
// records crmsync creates are assigned to. The id must be one of the CRM's
// active users.
func (e *Engine) SetOwner(ctx context.Context, workspaceID, connectionID int64, ownerID string) (*crmsync.Connection, error) {
	name := ""
	if ownerID != "" {
		users, err := e.Users(ctx, workspaceID, connectionID)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			if u.ID == ownerID {
				name = u.Name
			}
		}
		if name == "" {
			return nil, &crmsync.Error{Code: crmsync.EINVALID, Message: "That owner is not an active user in your CRM.",
				Fields: []crmsync.FieldError{{Field: "owner_id", Message: "choose a user from the list, or leave it unset to use your CRM's assignment rules"}}}
		}
	}
	conn, err := e.store.UpdateConnection(ctx, workspaceID, connectionID, crmsync.ConnectionUpdate{OwnerID: &ownerID, OwnerName: &name})
	if err != nil {
		return nil, err
	}
	e.notify(connectionID, crmsync.UpdateStatus)
	return conn, nil
}

// ContactFields lists the CRM's contact fields for the mapping picker.
func (e *Engine) ContactFields(ctx context.Context, workspaceID, connectionID int64) ([]crm.Field, error) {
	conn, c, acct, err := e.connectedAccount(ctx, workspaceID, connectionID)
	if err != nil {
		return nil, err
	}
	fields, err := c.ContactFields(ctx, acct)
	if err != nil {
		return nil, e.callFailed(ctx, conn, err)
	}
	return fields, nil
}

// testContact is the clearly labelled record the test pushes.
var testContact = crmsync.Contact{
	FirstName: "SalesHive", LastName: "Sync Test", Email: "sync-test@saleshive.example",
	Title: "Test record: safe to delete", Company: "SalesHive", LeadSource: "SalesHive",
}

// SendTestContact pushes "SalesHive Sync Test" through the same mapping and
// connector path as the sync, with a fixed external id per connection, so
// a second click updates the same record. The result has the time it took
// and the record's link; the push is logged in recent activity.
func (e *Engine) SendTestContact(ctx context.Context, workspaceID, connectionID int64) (*crmsync.TestContactResult, error) {
	conn, c, acct, err := e.connectedAccount(ctx, workspaceID, connectionID)
	if err != nil {
		return nil, err
	}
	mappings, err := e.store.FindFieldMappings(ctx, workspaceID, connectionID)
	if err != nil {
		return nil, err
	}
	tc := testContact
	tc.SourceID = fmt.Sprintf("saleshive-sync-test-%d", connectionID)
	in := contactInput(&tc, mappings, conn.TestContactCRMID)
	start := time.Now()
	res, err := c.UpsertContacts(ctx, acct, []crm.ContactInput{in}, conn.OwnerID)
	took := time.Since(start)
	ev := &crmsync.SyncEvent{ConnectionID: connectionID, At: e.cfg.Now().UTC(), ObjectType: crmsync.ObjectContact, Type: "test contact", DurationMS: int(took.Milliseconds())}
	if err == nil && res[0].Err != nil {
		err = res[0].Err
	}
	if err != nil {
		ce := crm.AsError(err)
		ev.Outcome, ev.Problem, ev.Message = crmsync.OutcomeFailed, ce.Problem, failureMessage(ce)
		if aerr := e.store.AppendSyncEvents(ctx, workspaceID, []*crmsync.SyncEvent{ev}); aerr != nil {
			e.log.Error("record test contact event", "connection_id", connectionID, "err", aerr)
		}
		e.notify(connectionID, crmsync.UpdateEvents)
		return nil, e.callFailed(ctx, conn, err)
	}
	ev.Outcome, ev.CRMID = crmsync.OutcomeSuccess, res[0].CRMID
	if err := e.store.AppendSyncEvents(ctx, workspaceID, []*crmsync.SyncEvent{ev}); err != nil {
		return nil, err
	}
	now := e.cfg.Now().UTC()
	if _, err := e.store.UpdateConnection(ctx, workspaceID, connectionID, crmsync.ConnectionUpdate{TestContactSentAt: &now, TestContactCRMID: &res[0].CRMID}); err != nil {
		return nil, err
	}
	e.notify(connectionID, crmsync.UpdateEvents)
	return &crmsync.TestContactResult{
		CRMID: res[0].CRMID, Created: res[0].Created, Duration: took,
		URL: c.RecordURL(acct, crmsync.ObjectContact, "", res[0].CRMID),
	}, nil
}

// callFailed turns a failed interactive CRM call into an error for the
// page; a rejected login also disconnects the connection.
func (e *Engine) callFailed(ctx context.Context, conn *crmsync.Connection, err error) error {
	if crm.IsContextError(err) {
		return err
	}
	ce := crm.AsError(err)
	if ce.Problem == crmsync.ProblemAuthRevoked {
		if derr := e.markDisconnected(ctx, conn, ce); derr != nil {
			return derr
		}
	}
	return connectError(err)
}

// RetryFailed re-queues the connection's failed records (and activities
// that waited for a failed contact) and starts a sync now.
func (e *Engine) RetryFailed(ctx context.Context, workspaceID, connectionID int64) (int, error) {
	conn, err := e.connected(ctx, workspaceID, connectionID)
	if err != nil {
		return 0, err
	}
	n, err := e.store.RetryFailed(ctx, workspaceID, conn.ID)
	if err != nil {
		return 0, err
	}
	e.notify(connectionID, crmsync.UpdateStatus)
	return n, e.SyncNow(ctx, workspaceID, connectionID)
}

// Disconnect stops all pushes: queued syncs find the connection not
// connected and end; the token is revoked at the CRM when possible and
// deleted here. History and the CRM's records are kept.
func (e *Engine) Disconnect(ctx context.Context, workspaceID, connectionID int64) (*crmsync.Connection, error) {
	conn, err := e.store.FindConnectionByID(ctx, workspaceID, connectionID)
	if err != nil {
		return nil, err
	}
	if c, cerr := e.connector(conn.Provider); cerr == nil {
		if tok, _, terr := e.store.FindConnectionToken(ctx, workspaceID, connectionID); terr == nil {
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if rerr := c.Revoke(rctx, tok); rerr != nil {
				e.log.Warn("revoke token at CRM", "connection_id", connectionID, "provider", conn.Provider, "err", rerr)
			}
			cancel()
		}
	}
	if err := e.store.DeleteConnectionToken(ctx, workspaceID, connectionID); err != nil && crmsync.ErrorCode(err) != crmsync.ENOTFOUND {
		return nil, err
	}
	e.forgetTokens(connectionID)
	st, empty := crmsync.StatusNotConnected, ""
	upd := crmsync.ConnectionUpdate{Status: &st, LastError: &empty, DisconnectReason: &empty}
	if conn.Import.State == crmsync.ImportRunning {
		now := e.cfg.Now().UTC()
		run := conn.Import
		run.State, run.FinishedAt = crmsync.ImportCancelled, &now
		upd.Import = &run
	}
	if conn, err = e.store.UpdateConnection(ctx, workspaceID, connectionID, upd); err != nil {
		return nil, err
	}
	e.notify(connectionID, crmsync.UpdateStatus)
	return conn, nil
}

// DismissGuide hides the setup guide of a connection for good.
func (e *Engine) DismissGuide(ctx context.Context, workspaceID, connectionID int64) error {
	yes := true
	_, err := e.store.UpdateConnection(ctx, workspaceID, connectionID, crmsync.ConnectionUpdate{GuideDismissed: &yes})
	return err
}

// MarkFieldMappingReviewed ticks the guide's "Review your field mapping"
// step; the Field Mapping tab calls it when a client opens it.
func (e *Engine) MarkFieldMappingReviewed(ctx context.Context, workspaceID, connectionID int64) error {
	yes := true
	_, err := e.store.UpdateConnection(ctx, workspaceID, connectionID, crmsync.ConnectionUpdate{FieldMappingViewed: &yes})
	return err
}
