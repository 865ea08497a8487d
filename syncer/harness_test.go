package syncer_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
	"github.com/saleshive/crmsync/crm/hubspot"
	"github.com/saleshive/crmsync/crm/pipedrive"
	"github.com/saleshive/crmsync/crm/salesforce"
	"github.com/saleshive/crmsync/crm/zoho"
	"github.com/saleshive/crmsync/sandbox"
	"github.com/saleshive/crmsync/secret"
	"github.com/saleshive/crmsync/store"
	"github.com/saleshive/crmsync/store/pgtest"
	"github.com/saleshive/crmsync/syncer"
)

// crmCase describes one CRM for the end-to-end tests: how to build its
// connector against the sandbox and where to look for what it wrote.
type crmCase struct {
	name           string // sandbox name
	provider       crmsync.Provider
	connector      func(sandboxURL string) crm.Connector
	contactObject  string
	activityObject map[crmsync.ActivityKind]string
	ownerField     string // contact field holding the owner id
	requiredField  string // a contact field no default mapping fills
	// kindField names the field telling activity kinds apart where kinds
	// share an object (Salesforce Task, Pipedrive activities), with the
	// value of each kind.
	kindField string
	kindValue map[crmsync.ActivityKind]string
	// readField reads a stored contact field where the CRM keeps it in
	// another shape (Pipedrive phones); nil reads it as is.
	readField func(fields map[string]any, name string) string
}

var crmCases = []crmCase{
	{
		name:     "hubspot",
		provider: crmsync.ProviderHubSpot,
		connector: func(u string) crm.Connector {
			return hubspot.New(hubspot.Config{
				App:        crm.OAuthApp{ClientID: "crmsync-hubspot", ClientSecret: "crmsync-hubspot-secret", RedirectURL: "http://127.0.0.1/oauth/callback"},
				APIBaseURL: u + "/hubspot", AppBaseURL: u + "/hubspot",
			})
		},
		contactObject:  "contacts",
		activityObject: map[crmsync.ActivityKind]string{crmsync.ActivityEmail: "emails", crmsync.ActivityCall: "calls", crmsync.ActivityMeeting: "meetings"},
		ownerField:     "hubspot_owner_id",
		requiredField:  "zip",
	},
	{
		name:     "salesforce",
		provider: crmsync.ProviderSalesforce,
		connector: func(u string) crm.Connector {
			return salesforce.New(salesforce.Config{
				App:      crm.OAuthApp{ClientID: "crmsync-salesforce", ClientSecret: "crmsync-salesforce-secret", RedirectURL: "http://127.0.0.1/oauth/callback"},
				LoginURL: u + "/salesforce",
			})
		},
		contactObject:  "Contact",
		activityObject: map[crmsync.ActivityKind]string{crmsync.ActivityEmail: "Task", crmsync.ActivityCall: "Task", crmsync.ActivityMeeting: "Event"},
		ownerField:     "OwnerId",
		requiredField:  "Department",
		kindField:      "TaskSubtype",
		kindValue:      map[crmsync.ActivityKind]string{crmsync.ActivityEmail: "Email", crmsync.ActivityCall: "Call", crmsync.ActivityMeeting: ""},
	},
	{
		name:     "pipedrive",
		provider: crmsync.ProviderPipedrive,
		connector: func(u string) crm.Connector {
			return pipedrive.New(pipedrive.Config{
				App:          crm.OAuthApp{ClientID: "crmsync-pipedrive", ClientSecret: "crmsync-pipedrive-secret", RedirectURL: "http://127.0.0.1/oauth/callback"},
				OAuthBaseURL: u + "/pipedrive", APIBaseURL: u + "/pipedrive",
			})
		},
		contactObject:  "persons",
		activityObject: map[crmsync.ActivityKind]string{crmsync.ActivityEmail: "activities", crmsync.ActivityCall: "activities", crmsync.ActivityMeeting: "activities"},
		ownerField:     "owner_id",
		requiredField:  "phone", // mapped by default, empty on the test contacts
		kindField:      "type",
		kindValue:      map[crmsync.ActivityKind]string{crmsync.ActivityEmail: "email", crmsync.ActivityCall: "call", crmsync.ActivityMeeting: "meeting"},
		readField: func(f map[string]any, name string) string {
			if name == "phone" {
				if ps, ok := f["phones"].([]any); ok && len(ps) > 0 {
					return str(ps[0].(map[string]any)["value"])
				}
				return ""
			}
			return str(f[name])
		},
	},
	{
		name:     "zoho",
		provider: crmsync.ProviderZoho,
		connector: func(u string) crm.Connector {
			return zoho.New(zoho.Config{
				App:         crm.OAuthApp{ClientID: "crmsync-zoho", ClientSecret: "crmsync-zoho-secret", RedirectURL: "http://127.0.0.1/oauth/callback"},
				Datacenters: zoho.SandboxDatacenters(u + "/zoho"),
			})
		},
		contactObject:  "Contacts",
		activityObject: map[crmsync.ActivityKind]string{crmsync.ActivityEmail: "Emails", crmsync.ActivityCall: "Calls", crmsync.ActivityMeeting: "Events"},
		ownerField:     "Owner",
		requiredField:  "Mailing_Zip",
		readField: func(f map[string]any, name string) string {
			if o, ok := f[name].(map[string]any); ok { // lookups such as Owner
				return str(o["id"])
			}
			return str(f[name])
		},
	},
}

// env is one workspace connected (or about to be) to one sandbox CRM
// through a running engine on a real database.
type env struct {
	t      testing.TB
	ctx    context.Context
	c      crmCase
	db     *store.DB
	eng    *syncer.Engine
	sb     *sandbox.Client
	ws     *crmsync.Workspace
	connID int64

	dbURL      string // for child worker processes
	sandboxURL string
}

type envOpts struct {
	postgres bool
	interval time.Duration
	noWork   bool // jobs run in child worker processes, not in the test
	// unlimited turns crmsync's own rate limiters off (benchmarks that
	// measure crmsync, not the CRMs' documented allowances).
	unlimited bool
	// limited keeps the sandboxes' documented rate limits on (they are off
	// by default so tests do not wait on them).
	limited bool
	// sandboxURL, if set, is a sandbox already running (in another
	// process) to use instead of starting one in this process.
	sandboxURL string
}

func newEnv(t testing.TB, c crmCase, o envOpts) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	t.Cleanup(cancel)
	kr, err := secret.NewKeyring(testKey())
	if err != nil {
		t.Fatal(err)
	}
	url := filepath.Join(t.TempDir(), "crmsync.db")
	if o.postgres {
		url = pgtest.DSN(t)
	}
	db, err := store.Open(ctx, url, store.Options{Keyring: kr, PasswordIterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	jobsDB, closeJobs, err := syncer.OpenDatabase(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeJobs)
	if err := syncer.Migrate(ctx, jobsDB); err != nil {
		t.Fatal(err)
	}
	sbURL, sb := o.sandboxURL, sandbox.NewClient(o.sandboxURL)
	if sbURL == "" {
		var srv *httptest.Server
		srv, sb = sandbox.MustStart(t, sandbox.Config{RateLimitsDisabled: !o.limited})
		sbURL = srv.URL
	}
	interval := o.interval
	if interval == 0 {
		interval = time.Hour // tests drive syncs themselves
	}
	eng, err := syncer.New(syncer.Config{
		Store:      db,
		Database:   jobsDB,
		Sealer:     kr,
		Connectors: allConnectors(sbURL),
		RateLimits: rateLimits(o.unlimited),
		Interval:   interval,
		RunBudget:  5 * time.Second,
		Work:       !o.noWork,
		Logger:     testLogger(),
		HTTP:       &http.Client{Timeout: 20 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		_ = eng.Stop(sctx)
	})
	ws := &crmsync.Workspace{Name: "Acme Co", StrategistName: "Sam Strategist", StrategistEmail: "sam@saleshive.example"}
	if err := db.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, ctx: ctx, c: c, db: db, eng: eng, sb: sb, ws: ws, dbURL: url, sandboxURL: sbURL}
}

// testKey is the secret key of every test database, so child worker
// processes can open the tokens the test stored.
func testKey() []byte {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i + 7)
	}
	return key
}

// connect signs in through the sandbox's consent page, as a user would.
func (e *env) connect() *crmsync.Connection {
	e.t.Helper()
	authURL, err := e.eng.StartConnect(e.ctx, e.ws.ID, e.c.provider, "us")
	if err != nil {
		e.t.Fatalf("StartConnect: %v", err)
	}
	cb, err := e.sb.Authorize(e.ctx, authURL, true)
	if err != nil {
		e.t.Fatalf("consent: %v", err)
	}
	params := map[string]string{}
	for k, v := range cb.Query() {
		params[k] = v[0]
	}
	conn, err := e.eng.CompleteConnect(e.ctx, e.ws.ID, params["state"], params)
	if err != nil {
		e.t.Fatalf("CompleteConnect: %v", err)
	}
	if conn.Status != crmsync.StatusConnected || conn.AccountLabel == "" {
		e.t.Fatalf("after connect: status %s, label %q", conn.Status, conn.AccountLabel)
	}
	e.connID = conn.ID
	return conn
}

func (e *env) addContacts(n int, prefix string) []*crmsync.Contact {
	e.t.Helper()
	cs := make([]*crmsync.Contact, n)
	for i := range cs {
		cs[i] = &crmsync.Contact{SourceID: fmt.Sprintf("%s-%d", prefix, i), FirstName: "Pat", LastName: fmt.Sprintf("Contact %s %d", prefix, i), Email: fmt.Sprintf("%s.%d@example.com", prefix, i), Title: "Buyer"}
	}
	for start := 0; start < n; start += 1000 {
		if _, err := e.db.UpsertContacts(e.ctx, e.ws.ID, cs[start:min(start+1000, n)]); err != nil {
			e.t.Fatal(err)
		}
	}
	return cs
}

func (e *env) addActivity(sourceID, contactSourceID string, kind crmsync.ActivityKind) {
	e.t.Helper()
	a := &crmsync.Activity{SourceID: sourceID, ContactSourceID: contactSourceID, Kind: kind, Subject: "Touch " + sourceID, OccurredAt: time.Now().UTC().Truncate(time.Second), DurationSeconds: 120}
	if kind != crmsync.ActivityMeeting {
		a.Direction = crmsync.DirectionOutbound
	}
	if _, err := e.db.UpsertActivities(e.ctx, e.ws.ID, []*crmsync.Activity{a}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) conn() *crmsync.Connection {
	e.t.Helper()
	c, err := e.db.FindConnectionByID(e.ctx, e.ws.ID, e.connID)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// syncNow queues a sync and waits until the ledger has nothing pending.
func (e *env) syncNow() {
	e.t.Helper()
	if err := e.eng.SyncNow(e.ctx, e.ws.ID, e.connID); err != nil {
		e.t.Fatal(err)
	}
	e.waitFor("no pending items", func() bool {
		// Cursor first: the sync queues items before it advances the
		// cursor, so once the cursor is current, no pending means pushed.
		latest, _ := e.db.LatestChangeSeq(e.ctx, e.ws.ID)
		if e.conn().SyncCursor < latest {
			return false
		}
		n1, _ := e.db.CountPendingItems(e.ctx, e.ws.ID, e.connID, crmsync.ObjectContact)
		n2, _ := e.db.CountPendingItems(e.ctx, e.ws.ID, e.connID, crmsync.ObjectActivity)
		return n1 == 0 && n2 == 0
	})
}

func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			c := e.conn()
			pc, _ := e.db.CountPendingItems(e.ctx, e.ws.ID, e.connID, crmsync.ObjectContact)
			pa, _ := e.db.CountPendingItems(e.ctx, e.ws.ID, e.connID, crmsync.ObjectActivity)
			latest, _ := e.db.LatestChangeSeq(e.ctx, e.ws.ID)
			e.t.Fatalf("timed out waiting for %s: status %s, import %+v, cursor %d of %d, pending %d contacts %d activities, last error %q",
				what, c.Status, c.Import, c.SyncCursor, latest, pc, pa, c.LastError)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// count is how many CRM records of object carry value in field.
func (e *env) count(object, field, value string) int {
	e.t.Helper()
	n, err := e.sb.Count(e.ctx, e.c.name, object, field, value)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) total(object string) int {
	e.t.Helper()
	l, err := e.sb.Records(e.ctx, e.c.name, object, 0, 1)
	if err != nil {
		e.t.Fatal(err)
	}
	return l.Total
}

// contactRecord finds the CRM contact holding a SalesHive external id.
func (e *env) contactRecord(sourceID string) map[string]any {
	e.t.Helper()
	items, err := e.db.FindSyncItems(e.ctx, e.ws.ID, e.connID, crmsync.ObjectContact, []int64{e.contactID(sourceID)})
	if err != nil || len(items) != 1 || items[0].CRMID == "" {
		e.t.Fatalf("contact %s has no synced item: %v %v", sourceID, items, err)
	}
	rec, err := e.sb.Record(e.ctx, e.c.name, e.c.contactObject, items[0].CRMID)
	if err != nil {
		e.t.Fatal(err)
	}
	return rec.Fields
}

func (e *env) contactID(sourceID string) int64 {
	e.t.Helper()
	c, err := e.db.FindContactBySourceID(e.ctx, e.ws.ID, sourceID)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.ID
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return strings.TrimSpace(fmt.Sprint(v))
}

// supplyFixedValue makes every contact carry value in crmField: it turns
// the mapping into crmField (if any) into a fixed value, or adds one.
func (e *env) supplyFixedValue(crmField, value string) error {
	ms, err := e.db.FindFieldMappings(e.ctx, e.ws.ID, e.connID)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.CRMField == crmField {
			m.SourceField, m.FixedValue = "", value
			return e.db.UpdateFieldMapping(e.ctx, e.ws.ID, m)
		}
	}
	return e.db.CreateFieldMapping(e.ctx, e.ws.ID, &crmsync.FieldMapping{ConnectionID: e.connID, FixedValue: value, CRMField: crmField})
}

// testLogger discards logs unless CRMSYNC_TEST_LOG=1.
func testLogger() *slog.Logger {
	if os.Getenv("CRMSYNC_TEST_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// activities is how many CRM records of one activity kind exist.
func (e *env) activities(kind crmsync.ActivityKind) int {
	e.t.Helper()
	obj := e.c.activityObject[kind]
	if e.c.kindField == "" || e.c.kindValue[kind] == "" {
		return e.total(obj)
	}
	return e.count(obj, e.c.kindField, e.c.kindValue[kind])
}

// field reads one field of the CRM contact holding a SalesHive source id.
func (e *env) field(sourceID, name string) string {
	e.t.Helper()
	f := e.contactRecord(sourceID)
	if e.c.readField != nil {
		return e.c.readField(f, name)
	}
	return str(f[name])
}

// allConnectors returns a connector for every CRM, pointed at the sandbox.
func allConnectors(sandboxURL string) []crm.Connector {
	out := make([]crm.Connector, len(crmCases))
	for i, c := range crmCases {
		out[i] = c.connector(sandboxURL)
	}
	return out
}

// rateLimits overrides every connector's allowance with "unlimited" when
// asked to.
func rateLimits(unlimited bool) map[crmsync.Provider]crm.RateLimit {
	if !unlimited {
		return nil
	}
	m := map[crmsync.Provider]crm.RateLimit{}
	for _, c := range crmCases {
		m[c.provider] = crm.RateLimit{}
	}
	return m
}
