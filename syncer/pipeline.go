package syncer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// errMore ends a run that used its time budget with work left; the job is
// snoozed for zero seconds so it runs again at once without using an attempt.
var errMore = errors.New("syncer: more to do")

// changeBatch is how many change-log entries one collect step reads.
const changeBatch = 5000

// transientRetries is how often a push that hit a passing CRM failure is
// repeated within a run before the run gives up and River retries it.
const transientRetries = 3

func (e *Engine) workSync(ctx context.Context, job *river.Job[SyncArgs]) error {
	start := time.Now()
	err := e.runLocked(ctx, job.Args.WorkspaceID, job.Args.ConnectionID, "job-"+itoa(job.ID))
	e.metrics.jobDuration.WithLabelValues("sync").Observe(time.Since(start).Seconds())
	return jobResult(ctx, err)
}

// runLocked runs syncs of a connection while holding its sync lock, so two
// never overlap in any process. A job that finds the lock held leaves a
// request with the holder and ends; the holder, before releasing, runs
// again if a request arrived. Request and release touch one row atomically,
// so no request falls between them.
func (e *Engine) runLocked(ctx context.Context, workspaceID, connectionID int64, owner string) error {
	// A run cannot outlive its job's timeout, so the lock need not either.
	lease := func() time.Time { return e.cfg.Now().Add(e.cfg.JobTimeout + 10*time.Second) }
	ok, err := e.store.AcquireSyncLock(ctx, workspaceID, connectionID, owner, lease())
	if err != nil {
		return err
	}
	if !ok {
		held, err := e.store.RequestSync(ctx, workspaceID, connectionID)
		if err != nil || held {
			return err // the holder runs again for us
		}
		// Released between the two calls: take it ourselves.
		if ok, err = e.store.AcquireSyncLock(ctx, workspaceID, connectionID, owner, lease()); err != nil {
			return err
		} else if !ok {
			return river.JobSnooze(time.Second)
		}
	}
	release := func() (bool, error) {
		// Release even when the job's context ended (shutdown).
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return e.store.ReleaseSyncLock(rctx, workspaceID, connectionID, owner)
	}
	for {
		e.runHook(connectionID, true)
		err := e.RunSync(ctx, workspaceID, connectionID)
		e.runHook(connectionID, false)
		released, rerr := release()
		if err != nil {
			// The job is retried or snoozed; its next run serves any request.
			return err
		}
		if rerr != nil || released {
			return rerr
		}
		if _, err := e.store.AcquireSyncLock(ctx, workspaceID, connectionID, owner, lease()); err != nil {
			return err
		}
	}
}

// runHook reports the start and end of a sync run to Config.OnRun.
func (e *Engine) runHook(connectionID int64, start bool) {
	if e.cfg.OnRun != nil {
		e.cfg.OnRun(connectionID, start)
	}
}

// jobResult turns a run's outcome into what River should do next.
func jobResult(ctx context.Context, err error) error {
	var ce *crm.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errMore):
		return river.JobSnooze(0)
	case ctx.Err() != nil:
		// Shutdown or timeout mid-run: what was recorded stays recorded, the
		// rest runs again without using an attempt.
		return river.JobSnooze(0)
	case crmsync.ErrorCode(err) == crmsync.ENOTFOUND:
		return river.JobCancel(err)
	case errors.As(err, &ce) && ce.Problem == crmsync.ProblemRateLimited:
		return river.JobSnooze(max(ce.RetryAfter, time.Second))
	}
	return err
}

// RunSync runs one sync of a connection: collect, then push pending items
// until none are left or the run's time budget is spent (errMore).
func (e *Engine) RunSync(ctx context.Context, workspaceID, connectionID int64) error {
	started := time.Now()
	conn, err := e.store.FindConnectionByID(ctx, workspaceID, connectionID)
	if err != nil {
		return err
	}
	if !syncable(conn) {
		return nil
	}
	if err := e.collect(ctx, conn); err != nil {
		return err
	}
	step := min(firstStep, e.cfg.PendingBatch)
	for {
		if time.Since(started) > e.cfg.RunBudget {
			return errMore
		}
		// Re-read each step so toggles, owner and disconnects apply at once.
		if conn, err = e.store.FindConnectionByID(ctx, workspaceID, connectionID); err != nil {
			return err
		}
		if !syncable(conn) {
			return nil
		}
		begun := time.Now()
		items, err := e.store.FindPendingItems(ctx, workspaceID, connectionID, step)
		if err != nil {
			return fmt.Errorf("syncer: find pending (connection %d): %w", connectionID, err)
		}
		if len(items) == 0 {
			break
		}
		progressed, err := e.push(ctx, conn, items)
		if err != nil {
			return e.runFailed(ctx, conn, err)
		}
		e.notify(conn.ID, crmsync.UpdateEvents)
		if !progressed {
			break
		}
		step = nextStep(len(items), time.Since(begun), e.cfg.StepTime, e.cfg.PendingBatch)
	}
	if err := e.finishRun(ctx, conn); err != nil {
		return err
	}
	// Changes that arrived during the run are picked up straight away.
	latest, err := e.store.LatestChangeSeq(ctx, workspaceID)
	if err != nil {
		return err
	}
	if latest > conn.SyncCursor {
		return errMore
	}
	return nil
}

// firstStep is the items a run's first step reads, before it knows the
// connection's rate; minStep the fewest any step reads.
const (
	firstStep = 1000
	minStep   = 100
)

// nextStep sizes a run's next step: the items that take about target at
// the rate the last step ran (n items in took), between minStep and
// most.
func nextStep(n int, took, target time.Duration, most int) int {
	size := float64(most)
	if took > 0 {
		size = min(size, float64(n)*target.Seconds()/took.Seconds())
	}
	return max(int(size), min(minStep, most))
}

// syncable reports whether a connection pushes: it is connected (or showing
// an error that the next run may clear) and the import choice was made.
func syncable(c *crmsync.Connection) bool {
	return (c.Status == crmsync.StatusConnected || c.Status == crmsync.StatusError) && c.ImportChoice != crmsync.ImportPending
}

// collect turns the change log since the cursor into pending items for the
// enabled types and advances the cursor past what it queued. Queuing is
// idempotent, so a crash between the two steps only re-queues.
func (e *Engine) collect(ctx context.Context, conn *crmsync.Connection) error {
	cursor := conn.SyncCursor
	for {
		changes, err := e.store.FindChanges(ctx, conn.WorkspaceID, cursor, changeBatch)
		if err != nil {
			return fmt.Errorf("syncer: read changes (connection %d): %w", conn.ID, err)
		}
		if len(changes) == 0 {
			break
		}
		objs := make([]crmsync.SyncObject, 0, len(changes))
		for _, ch := range changes {
			switch {
			case ch.ObjectType == crmsync.ObjectContact && conn.Toggles.Contacts,
				ch.ObjectType == crmsync.ObjectActivity && conn.Toggles.Allows(ch.Kind):
				objs = append(objs, crmsync.SyncObject{Type: ch.ObjectType, ID: ch.ObjectID, Kind: ch.Kind})
			}
		}
		if len(objs) > 0 {
			if err := e.store.EnqueueItems(ctx, conn.WorkspaceID, conn.ID, objs); err != nil {
				return fmt.Errorf("syncer: queue changes (connection %d): %w", conn.ID, err)
			}
		}
		cursor = changes[len(changes)-1].Seq
		if _, err := e.store.UpdateConnection(ctx, conn.WorkspaceID, conn.ID, crmsync.ConnectionUpdate{SyncCursor: &cursor}); err != nil {
			return err
		}
		conn.SyncCursor = cursor
		if len(changes) < changeBatch {
			break
		}
	}
	return nil
}

// finishRun records a clean run: last sync time, error cleared, and a
// finished import marked done.
func (e *Engine) finishRun(ctx context.Context, conn *crmsync.Connection) error {
	now := e.cfg.Now().UTC()
	upd := crmsync.ConnectionUpdate{LastSyncAt: &now}
	if conn.Status == crmsync.StatusError {
		st, empty := crmsync.StatusConnected, ""
		upd.Status, upd.LastError = &st, &empty
	}
	if conn.Import.State == crmsync.ImportRunning && conn.Import.Queued {
		n, err := e.store.CountPendingItems(ctx, conn.WorkspaceID, conn.ID, crmsync.ObjectContact)
		if err != nil {
			return err
		}
		if n == 0 {
			run := conn.Import
			run.State, run.FinishedAt = crmsync.ImportDone, &now
			upd.Import = &run
		}
	}
	if _, err := e.store.UpdateConnection(ctx, conn.WorkspaceID, conn.ID, upd); err != nil {
		return err
	}
	if upd.Import != nil || upd.Status != nil {
		e.notify(conn.ID, crmsync.UpdateStatus)
	}
	return nil
}

// runFailed handles an error that stopped a run: a rejected login
// disconnects the connection; a permanent failure shows as the
// connection's error state; rate limits and passing failures go back to
// River (snooze or retry).
func (e *Engine) runFailed(ctx context.Context, conn *crmsync.Connection, err error) error {
	ce := crm.AsError(err)
	switch {
	case crm.IsContextError(err):
		return err
	case ce.Problem == crmsync.ProblemAuthRevoked:
		return e.markDisconnected(ctx, conn, ce)
	case ce.Problem == crmsync.ProblemRateLimited:
		e.metrics.rateLimitWaits.WithLabelValues(string(conn.Provider)).Inc()
		return err
	case ce.Temporary():
		// A passing failure: River retries with backoff; the page keeps
		// showing Connected rather than flashing an error.
		e.log.Info("sync run paused by a passing CRM failure", "workspace_id", conn.WorkspaceID, "connection_id", conn.ID, "provider", conn.Provider, "problem", ce.Problem)
		return err
	}
	msg := ce.Problem.Info().Meaning
	if ce.CRMMessage != "" {
		msg += " The CRM said: " + ce.CRMMessage
	}
	st := crmsync.StatusError
	if _, uerr := e.store.UpdateConnection(ctx, conn.WorkspaceID, conn.ID, crmsync.ConnectionUpdate{Status: &st, LastError: &msg}); uerr != nil {
		return errors.Join(err, uerr)
	}
	e.notify(conn.ID, crmsync.UpdateStatus)
	e.log.Warn("sync run failed", "workspace_id", conn.WorkspaceID, "connection_id", conn.ID, "provider", conn.Provider, "problem", ce.Problem, "err", err)
	return err
}

// push sends one step's pending items, contacts first, and records every
// outcome. It reports whether anything changed, so a step that can only
// wait ends the run instead of spinning.
func (e *Engine) push(ctx context.Context, conn *crmsync.Connection, items []*crmsync.SyncItem) (bool, error) {
	var contacts, activities []*crmsync.SyncItem
	for _, it := range items {
		if it.ObjectType == crmsync.ObjectContact {
			contacts = append(contacts, it)
		} else {
			activities = append(activities, it)
		}
	}
	connector, acct, err := e.account(conn)
	if err != nil {
		return false, err
	}
	progressed := false
	if len(contacts) > 0 {
		if err := e.pushContacts(ctx, conn, connector, acct, contacts); err != nil {
			return progressed, err
		}
		progressed = true
	}
	if len(activities) > 0 {
		moved, err := e.pushActivities(ctx, conn, connector, acct, activities)
		if err != nil {
			return progressed, err
		}
		progressed = progressed || moved
	}
	return progressed, nil
}

func (e *Engine) pushContacts(ctx context.Context, conn *crmsync.Connection, connector crm.Connector, acct *crm.Account, items []*crmsync.SyncItem) error {
	if !conn.Toggles.Contacts {
		return e.skipAll(ctx, conn, items, "contacts sync is turned off")
	}
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ObjectID
	}
	found, err := e.store.FindContactsByIDs(ctx, conn.WorkspaceID, ids)
	if err != nil {
		return err
	}
	byID := make(map[int64]*crmsync.Contact, len(found))
	for _, c := range found {
		byID[c.ID] = c
	}
	mappings, err := e.store.FindFieldMappings(ctx, conn.WorkspaceID, conn.ID)
	if err != nil {
		return err
	}
	var ready []*crmsync.SyncItem
	var inputs []crm.ContactInput
	var missing []*crmsync.SyncItem
	for _, it := range items {
		c, ok := byID[it.ObjectID]
		if !ok {
			missing = append(missing, it)
			continue
		}
		ready = append(ready, it)
		in := contactInput(c, mappings, it.CRMID)
		in.Retry = retried(it)
		inputs = append(inputs, in)
	}
	if err := e.skipAll(ctx, conn, missing, "the contact no longer exists in SalesHive"); err != nil {
		return err
	}
	return e.inBatches(ctx, len(inputs), connector.BatchSize(), func(start, end int) error {
		begun := time.Now()
		results, err := e.withRetries(ctx, func() ([]crm.Result, error) {
			return connector.UpsertContacts(ctx, acct, inputs[start:end], conn.OwnerID)
		})
		if err != nil {
			if !permanent(err) {
				return err
			}
			results = failAll(inputs[start:end], err)
		}
		return e.record(ctx, conn, ready[start:end], results, time.Since(begun))
	})
}

// inBatches runs push for each batch [start, end) of n records, up to
// Config.PushConcurrency at a time, so one batch's CRM round trip overlaps
// another's ledger write. Every record is pushed by one batch only, so the
// order between batches does not matter. It returns the first error; the
// batches after it are not started.
func (e *Engine) inBatches(ctx context.Context, n, size int, push func(start, end int) error) error {
	sem := make(chan struct{}, e.cfg.PushConcurrency)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return firstErr != nil
	}
	for start := 0; start < n && !failed(); start += size {
		end := min(start+size, n)
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := push(start, end); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return firstErr
}

func (e *Engine) pushActivities(ctx context.Context, conn *crmsync.Connection, connector crm.Connector, acct *crm.Account, items []*crmsync.SyncItem) (bool, error) {
	var off, wanted []*crmsync.SyncItem
	for _, it := range items {
		if conn.Toggles.Allows(it.Kind) {
			wanted = append(wanted, it)
		} else {
			off = append(off, it)
		}
	}
	for _, it := range off {
		if err := e.skipAll(ctx, conn, []*crmsync.SyncItem{it}, string(it.Kind)+"s sync is turned off"); err != nil {
			return false, err
		}
	}
	progressed := len(off) > 0
	if len(wanted) == 0 {
		return progressed, nil
	}
	ids := make([]int64, len(wanted))
	for i, it := range wanted {
		ids[i] = it.ObjectID
	}
	acts, err := e.store.FindActivitiesByIDs(ctx, conn.WorkspaceID, ids)
	if err != nil {
		return progressed, err
	}
	byID := make(map[int64]*crmsync.Activity, len(acts))
	contactIDs := make([]int64, 0, len(acts))
	for _, a := range acts {
		byID[a.ID] = a
		contactIDs = append(contactIDs, a.ContactID)
	}
	contactItems, err := e.store.FindSyncItems(ctx, conn.WorkspaceID, conn.ID, crmsync.ObjectContact, contactIDs)
	if err != nil {
		return progressed, err
	}
	contactItem := make(map[int64]*crmsync.SyncItem, len(contactItems))
	for _, ci := range contactItems {
		contactItem[ci.ObjectID] = ci
	}

	var ready []*crmsync.SyncItem
	var inputs []crm.ActivityInput
	var notSynced, gone []*crmsync.SyncItem
	var needContacts []crmsync.SyncObject
	for _, it := range wanted {
		a, ok := byID[it.ObjectID]
		if !ok {
			gone = append(gone, it)
			continue
		}
		ci := contactItem[a.ContactID]
		switch {
		case ci != nil && ci.State == crmsync.SyncSynced && ci.CRMID != "":
			ready = append(ready, it)
			in := activityInput(a, ci.CRMID, it.CRMID)
			in.Retry = retried(it)
			inputs = append(inputs, in)
		case conn.Toggles.Contacts && (ci == nil || ci.State == crmsync.SyncSkipped):
			// Push the contact first; the activity waits for the next step.
			needContacts = append(needContacts, crmsync.SyncObject{Type: crmsync.ObjectContact, ID: a.ContactID})
		case conn.Toggles.Contacts && ci.State == crmsync.SyncPending:
			// Its contact is queued and goes first in the next step.
		default:
			// Contacts sync is off, or the contact's push failed.
			notSynced = append(notSynced, it)
		}
	}
	if len(needContacts) > 0 {
		if err := e.store.EnqueueItems(ctx, conn.WorkspaceID, conn.ID, needContacts); err != nil {
			return progressed, err
		}
		progressed = true
	}
	if err := e.skipAll(ctx, conn, gone, "the activity no longer exists in SalesHive"); err != nil {
		return progressed, err
	}
	if err := e.skipAll(ctx, conn, notSynced, crmsync.ReasonContactNotSynced); err != nil {
		return progressed, err
	}
	progressed = progressed || len(gone) > 0 || len(notSynced) > 0
	size := connector.BatchSize()
	for start := 0; start < len(inputs); start += size {
		end := min(start+size, len(inputs))
		begun := time.Now()
		results, err := e.withRetries(ctx, func() ([]crm.Result, error) {
			return connector.LogActivities(ctx, acct, inputs[start:end], conn.OwnerID)
		})
		if err != nil {
			if !permanent(err) {
				return progressed, err
			}
			results = failAllActivities(inputs[start:end], err)
		}
		if err := e.record(ctx, conn, ready[start:end], results, time.Since(begun)); err != nil {
			return progressed, err
		}
		progressed = true
	}
	return progressed, nil
}

// withRetries repeats a push that met a passing CRM failure a few times
// with growing pauses. Pushes are idempotent (upsert by external id, or
// update by the CRM id the ledger holds), so a repeat never duplicates.
func (e *Engine) withRetries(ctx context.Context, push func() ([]crm.Result, error)) ([]crm.Result, error) {
	pause := 200 * time.Millisecond
	for attempt := 0; ; attempt++ {
		res, err := push()
		ce := crm.AsError(err)
		if err == nil || attempt >= transientRetries || crm.IsContextError(err) ||
			(ce.Problem != crmsync.ProblemCRMUnavailable && ce.Problem != crmsync.ProblemRecordLocked) {
			return res, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		pause *= 3
	}
}

// permanent reports whether a whole-call error belongs to the records (they
// fail, visibly) rather than to the moment (the run stops and is retried).
func permanent(err error) bool {
	if crm.IsContextError(err) {
		return false
	}
	switch crm.ProblemOf(err) {
	case crmsync.ProblemAuthRevoked, crmsync.ProblemRateLimited, crmsync.ProblemCRMUnavailable, crmsync.ProblemRecordLocked:
		return false
	}
	var ae *crmsync.Error
	return !errors.As(err, &ae) // a store or config error is not the records' fault
}

func failAll(inputs []crm.ContactInput, err error) []crm.Result {
	ce := crm.AsError(err)
	out := make([]crm.Result, len(inputs))
	for i, in := range inputs {
		out[i] = crm.Result{ExternalID: in.ExternalID, Err: ce}
	}
	return out
}

func failAllActivities(inputs []crm.ActivityInput, err error) []crm.Result {
	ce := crm.AsError(err)
	out := make([]crm.Result, len(inputs))
	for i, in := range inputs {
		out[i] = crm.Result{ExternalID: in.ExternalID, Err: ce}
	}
	return out
}

// maxTemporaryAttempts is how many passing failures (the CRM unavailable,
// a record locked) an item rides out as pending before it is shown failed.
const maxTemporaryAttempts = 8

// record stores the outcome of one push call: each item's new state and one
// event per item, in one transaction. A record that met a passing failure
// stays pending for the next run, without an event, until it has done so
// maxTemporaryAttempts times. If every record of the call did, record
// returns that failure so the run stops and River retries it with backoff.
func (e *Engine) record(ctx context.Context, conn *crmsync.Connection, items []*crmsync.SyncItem, results []crm.Result, took time.Duration) error {
	if len(results) != len(items) {
		return fmt.Errorf("syncer: connector returned %d results for %d records (connection %d)", len(results), len(items), conn.ID)
	}
	now := e.cfg.Now().UTC()
	per := int(took.Milliseconds()) / max(1, len(items))
	rs := make([]crmsync.ItemResult, len(items))
	evs := make([]*crmsync.SyncEvent, 0, len(items))
	var passing *crm.Error
	temporary := 0
	for i, it := range items {
		r := results[i]
		if r.Err != nil && r.Err.Temporary() && it.Attempts+1 < maxTemporaryAttempts {
			rs[i] = crmsync.ItemResult{ItemID: it.ID, State: crmsync.SyncPending, CRMID: it.CRMID, Problem: r.Err.Problem, CRMMessage: r.Err.CRMMessage}
			passing = r.Err
			temporary++
			continue
		}
		ev := &crmsync.SyncEvent{ConnectionID: conn.ID, At: now, ObjectType: it.ObjectType, Type: eventType(it.ObjectType, it.Kind), ObjectID: it.ObjectID, DurationMS: per}
		if r.Err != nil {
			rs[i] = crmsync.ItemResult{ItemID: it.ID, State: crmsync.SyncFailed, CRMID: it.CRMID, Problem: r.Err.Problem, CRMMessage: r.Err.CRMMessage}
			ev.Outcome, ev.Problem, ev.Message, ev.CRMID = crmsync.OutcomeFailed, r.Err.Problem, failureMessage(r.Err), it.CRMID
			e.metrics.pushes.WithLabelValues(string(conn.Provider), string(crmsync.OutcomeFailed)).Inc()
		} else {
			rs[i] = crmsync.ItemResult{ItemID: it.ID, State: crmsync.SyncSynced, CRMID: r.CRMID}
			ev.Outcome, ev.CRMID = crmsync.OutcomeSuccess, r.CRMID
			e.metrics.pushes.WithLabelValues(string(conn.Provider), string(crmsync.OutcomeSuccess)).Inc()
		}
		evs = append(evs, ev)
	}
	if err := e.store.RecordResults(ctx, conn.WorkspaceID, conn.ID, rs, evs); err != nil {
		return fmt.Errorf("syncer: record results (connection %d): %w", conn.ID, err)
	}
	if temporary == len(items) {
		return passing
	}
	return nil
}

// failureMessage is the Error column: the CRM's own words when it gave any.
func failureMessage(ce *crm.Error) string {
	if ce.CRMMessage != "" {
		return ce.CRMMessage
	}
	return ce.Problem.Info().Title
}

// skipAll marks items skipped with reason and logs one event each.
func (e *Engine) skipAll(ctx context.Context, conn *crmsync.Connection, items []*crmsync.SyncItem, reason string) error {
	if len(items) == 0 {
		return nil
	}
	now := e.cfg.Now().UTC()
	rs := make([]crmsync.ItemResult, len(items))
	evs := make([]*crmsync.SyncEvent, len(items))
	for i, it := range items {
		rs[i] = crmsync.ItemResult{ItemID: it.ID, State: crmsync.SyncSkipped, CRMID: it.CRMID, Reason: reason}
		evs[i] = &crmsync.SyncEvent{ConnectionID: conn.ID, At: now, ObjectType: it.ObjectType, Type: eventType(it.ObjectType, it.Kind), ObjectID: it.ObjectID, Outcome: crmsync.OutcomeSkipped, Message: reason}
		e.metrics.pushes.WithLabelValues(string(conn.Provider), string(crmsync.OutcomeSkipped)).Inc()
	}
	return e.store.RecordResults(ctx, conn.WorkspaceID, conn.ID, rs, evs)
}

// retried reports whether an item without a CRM id was pushed before: its
// create may have landed in the CRM with the answer lost.
func retried(it *crmsync.SyncItem) bool {
	return it.CRMID == "" && it.Attempts > 0
}
