package syncer_test

import (
	"testing"
	"time"

	"github.com/saleshive/crmsync"
)

// TestEndToEnd walks the behaviour a client sees, for each CRM, over real
// HTTP against its sandbox and a real SQLite database.
func TestEndToEnd(t *testing.T) {
	for _, c := range crmCases {
		t.Run(c.name, func(t *testing.T) {
			t.Run("ImportThenNewActivity", func(t *testing.T) { testImportThenActivity(t, c) })
			t.Run("SkipOnlyNew", func(t *testing.T) { testSkipOnlyNew(t, c) })
			t.Run("Toggles", func(t *testing.T) { testToggles(t, c) })
			t.Run("OwnerOnCreateOnly", func(t *testing.T) { testOwner(t, c) })
			t.Run("TestContactTwice", func(t *testing.T) { testTestContact(t, c) })
			t.Run("RequiredFieldRetry", func(t *testing.T) { testRequiredFieldRetry(t, c) })
			t.Run("RevokedReconnect", func(t *testing.T) { testRevokedReconnect(t, c) })
		})
	}
}

func testImportThenActivity(t *testing.T, c crmCase) {
	e := newEnv(t, c, envOpts{})
	e.addContacts(120, "imp")
	conn := e.connect()
	if conn.ImportChoice != crmsync.ImportPending {
		t.Fatalf("import choice after connect = %s, want pending", conn.ImportChoice)
	}
	if _, err := e.eng.StartImport(e.ctx, e.ws.ID, e.connID, false); err != nil {
		t.Fatal(err)
	}
	e.waitFor("import done", func() bool { return e.conn().Import.State == crmsync.ImportDone })
	p, err := e.eng.Progress(e.ctx, e.conn())
	if err != nil || p.Percent != 100 || p.Done != 120 || p.Total != 120 {
		t.Fatalf("progress = %+v, %v; want 120/120 = 100%%", p, err)
	}
	if n := e.total(c.contactObject); n != 120 {
		t.Fatalf("CRM holds %d contacts, want 120", n)
	}
	// A second import is refused; a resync updates, never duplicates.
	if _, err := e.eng.StartImport(e.ctx, e.ws.ID, e.connID, false); crmsync.ErrorCode(err) != crmsync.ECONFLICT {
		t.Errorf("second import: %v, want conflict", err)
	}
	if _, err := e.eng.StartImport(e.ctx, e.ws.ID, e.connID, true); err != nil {
		t.Fatal(err)
	}
	e.waitFor("resync done", func() bool { return e.conn().Import.State == crmsync.ImportDone })
	if n := e.total(c.contactObject); n != 120 {
		t.Fatalf("after resync CRM holds %d contacts, want 120", n)
	}
	// New activity lands within one cycle, attached to its contact.
	e.addActivity("act-1", "imp-7", crmsync.ActivityCall)
	e.syncNow()
	if n := e.activities(crmsync.ActivityCall); n != 1 {
		t.Fatalf("CRM holds %d calls, want 1", n)
	}
	evs, err := e.db.FindSyncEvents(e.ctx, e.ws.ID, e.connID, crmsync.SyncEventFilter{})
	if err != nil || len(evs) == 0 || evs[0].Type != "call" || evs[0].Outcome != crmsync.OutcomeSuccess || evs[0].CRMID == "" {
		t.Fatalf("newest event = %+v (%v); want a successful call with its CRM id", evs, err)
	}
}

func testSkipOnlyNew(t *testing.T, c crmCase) {
	e := newEnv(t, c, envOpts{})
	e.addContacts(10, "old")
	e.connect()
	if _, err := e.eng.SkipImport(e.ctx, e.ws.ID, e.connID); err != nil {
		t.Fatal(err)
	}
	e.syncNow()
	if n := e.total(c.contactObject); n != 0 {
		t.Fatalf("after skip CRM holds %d contacts, want 0", n)
	}
	e.addContacts(1, "new")
	e.addActivity("new-email", "new-0", crmsync.ActivityEmail)
	e.syncNow()
	if n := e.total(c.contactObject); n != 1 {
		t.Fatalf("CRM holds %d contacts, want only the new one", n)
	}
	if n := e.activities(crmsync.ActivityEmail); n != 1 {
		t.Fatalf("CRM holds %d emails, want 1", n)
	}
	// An activity of an old contact pushes that contact first.
	e.addActivity("old-call", "old-3", crmsync.ActivityCall)
	e.syncNow()
	if n := e.total(c.contactObject); n != 2 {
		t.Fatalf("CRM holds %d contacts, want 2 (the old contact pushed for its call)", n)
	}
	if n := e.activities(crmsync.ActivityCall); n != 1 {
		t.Fatalf("CRM holds %d calls, want 1", n)
	}
}

func testToggles(t *testing.T, c crmCase) {
	e := newEnv(t, c, envOpts{})
	e.connect()
	if _, err := e.eng.SkipImport(e.ctx, e.ws.ID, e.connID); err != nil {
		t.Fatal(err)
	}
	tg := crmsync.DefaultSyncToggles
	tg.Calls = false
	if _, err := e.eng.SetToggles(e.ctx, e.ws.ID, e.connID, tg); err != nil {
		t.Fatal(err)
	}
	e.addContacts(1, "tg")
	e.addActivity("tg-call", "tg-0", crmsync.ActivityCall)
	e.addActivity("tg-email", "tg-0", crmsync.ActivityEmail)
	e.syncNow()
	if n := e.activities(crmsync.ActivityCall); n != 0 {
		t.Errorf("calls off: CRM holds %d calls", n)
	}
	if n := e.activities(crmsync.ActivityEmail); n != 1 {
		t.Errorf("emails on: CRM holds %d emails, want 1", n)
	}
	// Turned back on: new calls push from then on; the earlier one does not.
	tg.Calls = true
	if _, err := e.eng.SetToggles(e.ctx, e.ws.ID, e.connID, tg); err != nil {
		t.Fatal(err)
	}
	e.addActivity("tg-call-2", "tg-0", crmsync.ActivityCall)
	e.syncNow()
	if n := e.activities(crmsync.ActivityCall); n != 1 {
		t.Errorf("calls back on: CRM holds %d calls, want 1 (the new one)", n)
	}
	// Contacts off: an activity of an unsynced contact is skipped, with the reason.
	tg.Contacts = false
	if _, err := e.eng.SetToggles(e.ctx, e.ws.ID, e.connID, tg); err != nil {
		t.Fatal(err)
	}
	e.addContacts(1, "nc")
	e.addActivity("nc-email", "nc-0", crmsync.ActivityEmail)
	e.syncNow()
	evs, _ := e.db.FindSyncEvents(e.ctx, e.ws.ID, e.connID, crmsync.SyncEventFilter{Limit: 1})
	if len(evs) != 1 || evs[0].Outcome != crmsync.OutcomeSkipped || evs[0].Message != crmsync.ReasonContactNotSynced {
		t.Errorf("newest event = %+v, want skipped: contact not synced", evs)
	}
}

func testOwner(t *testing.T, c crmCase) {
	e := newEnv(t, c, envOpts{})
	e.connect()
	if _, err := e.eng.SkipImport(e.ctx, e.ws.ID, e.connID); err != nil {
		t.Fatal(err)
	}
	users, err := e.eng.Users(e.ctx, e.ws.ID, e.connID)
	if err != nil || len(users) < 2 {
		t.Fatalf("Users = %v, %v", users, err)
	}
	if _, err := e.eng.SetOwner(e.ctx, e.ws.ID, e.connID, "no-such-user"); crmsync.ErrorCode(err) != crmsync.EINVALID {
		t.Errorf("unknown owner: %v, want invalid", err)
	}
	if _, err := e.eng.SetOwner(e.ctx, e.ws.ID, e.connID, users[0].ID); err != nil {
		t.Fatal(err)
	}
	e.addContacts(1, "own")
	e.syncNow()
	if got := e.field("own-0", c.ownerField); got != users[0].ID {
		t.Fatalf("owner after create = %q, want %q", got, users[0].ID)
	}
	if _, err := e.eng.SetOwner(e.ctx, e.ws.ID, e.connID, users[1].ID); err != nil {
		t.Fatal(err)
	}
	e.addContacts(1, "own") // the same source id: an update
	e.syncNow()
	if got := e.field("own-0", c.ownerField); got != users[0].ID {
		t.Errorf("owner after update = %q, want %q kept", got, users[0].ID)
	}
}

func testTestContact(t *testing.T, c crmCase) {
	e := newEnv(t, c, envOpts{})
	e.connect()
	r1, err := e.eng.SendTestContact(e.ctx, e.ws.ID, e.connID)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := e.eng.SendTestContact(e.ctx, e.ws.ID, e.connID)
	if err != nil {
		t.Fatal(err)
	}
	if r1.CRMID == "" || r1.CRMID != r2.CRMID || !r1.Created || r2.Created {
		t.Fatalf("test contacts %+v then %+v; want one record, created then updated", r1, r2)
	}
	if n := e.total(c.contactObject); n != 1 {
		t.Fatalf("CRM holds %d contacts, want 1", n)
	}
	if r1.Duration <= 0 || r1.URL == "" {
		t.Errorf("result %+v lacks a duration or link", r1)
	}
	resp, err := httpGet(r1.URL)
	if err != nil || resp.status != 200 || !contains(resp.body, "Sync Test") {
		t.Errorf("record link %s: %v %v; want a page showing the record", r1.URL, resp.status, err)
	}
	evs, _ := e.db.FindSyncEvents(e.ctx, e.ws.ID, e.connID, crmsync.SyncEventFilter{})
	if len(evs) != 2 || evs[0].Type != "test contact" || evs[0].CRMID != r1.CRMID {
		t.Errorf("events = %+v, want two test contact events", evs)
	}
}

func testRequiredFieldRetry(t *testing.T, c crmCase) {
	e := newEnv(t, c, envOpts{})
	e.connect()
	if _, err := e.eng.SkipImport(e.ctx, e.ws.ID, e.connID); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.SetRequiredField(e.ctx, c.name, c.contactObject, c.requiredField); err != nil {
		t.Fatal(err)
	}
	e.addContacts(3, "req")
	e.syncNow()
	h, err := e.db.Health(e.ctx, e.ws.ID, e.connID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if h.Failed != 3 || len(h.Problems) != 1 || h.Problems[0].Problem != crmsync.ProblemRequiredFieldMissing {
		t.Fatalf("health = %+v, want 3 failed with one required_field_missing card", h)
	}
	// The client supplies the field with a fixed value (replacing the
	// mapping that fed it, if any), then retries.
	if err := e.supplyFixedValue(c.requiredField, "94105"); err != nil {
		t.Fatal(err)
	}
	n, err := e.eng.RetryFailed(e.ctx, e.ws.ID, e.connID)
	if err != nil || n != 3 {
		t.Fatalf("RetryFailed = %d, %v; want 3", n, err)
	}
	e.syncNow()
	h, _ = e.db.Health(e.ctx, e.ws.ID, e.connID, time.Now())
	if h.Synced != 3 || h.Failed != 0 {
		t.Errorf("after retry health = %+v, want 3 synced", h)
	}
	items, _ := e.db.FindSyncItems(e.ctx, e.ws.ID, e.connID, crmsync.ObjectContact, []int64{e.contactID("req-0")})
	if len(items) != 1 || items[0].State != crmsync.SyncSynced {
		t.Errorf("item after retry = %+v, want synced", items)
	}
	if got := e.field("req-1", c.requiredField); got != "94105" {
		t.Errorf("required field in CRM = %q, want the fixed value", got)
	}
}

func testRevokedReconnect(t *testing.T, c crmCase) {
	e := newEnv(t, c, envOpts{})
	e.connect()
	if _, err := e.eng.SkipImport(e.ctx, e.ws.ID, e.connID); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.RevokeAllTokens(e.ctx, c.name); err != nil {
		t.Fatal(err)
	}
	e.addContacts(2, "rev")
	if err := e.eng.SyncNow(e.ctx, e.ws.ID, e.connID); err != nil {
		t.Fatal(err)
	}
	e.waitFor("disconnected", func() bool { return e.conn().Status == crmsync.StatusDisconnected })
	if r := e.conn().DisconnectReason; r == "" {
		t.Error("disconnected without a reason")
	}
	// More failing runs must not alert again.
	if err := e.eng.SyncNow(e.ctx, e.ws.ID, e.connID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	alerts, err := e.db.FindAlerts(e.ctx, e.ws.ID, 10)
	if err != nil || len(alerts) != 1 || alerts[0].Kind != crmsync.AlertDisconnected || alerts[0].Recipient != e.ws.StrategistEmail {
		t.Fatalf("alerts = %+v (%v), want exactly one disconnect alert to the strategist", alerts, err)
	}
	if n := e.total(c.contactObject); n != 0 {
		t.Fatalf("CRM holds %d contacts while disconnected", n)
	}
	// Reconnect resumes where it stopped: the pending contacts land.
	e.connect()
	e.syncNow()
	if n := e.total(c.contactObject); n != 2 {
		t.Fatalf("after reconnect CRM holds %d contacts, want 2", n)
	}
	alerts, _ = e.db.FindAlerts(e.ctx, e.ws.ID, 10)
	if len(alerts) != 2 || alerts[0].Kind != crmsync.AlertRecovered {
		t.Errorf("alerts = %+v, want a recovery alert after the disconnect alert", alerts)
	}
	for _, a := range alerts {
		if a.Subject == "" || a.Body == "" {
			t.Errorf("alert %d has no text", a.ID)
		}
	}
}
