package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
	"github.com/saleshive/crmsync/store"
	"github.com/saleshive/crmsync/web"
)

// testPassword is every test user's password.
const testPassword = "correct horse battery staple"

// fakeEngine isolates the page handlers from the sync engine and the CRM:
// it keeps connection state in the real store the way the engine does,
// answers CRM questions (users, fields) from fixed lists, and records
// which actions ran. Failing a method is a matter of setting errs[name].
type fakeEngine struct {
	db *store.DB

	mu              sync.Mutex
	calls           []string
	errs            map[string]error
	usersUnsupport  bool
	subs            []chan crmsync.LiveUpdate
	testContactSent int
}

var fakeUsers = []crm.User{{ID: "u1", Name: "Avery Owner", Email: "avery@acme.example"}, {ID: "u2", Name: "Blake Seller", Email: "blake@acme.example"}}

var fakeFields = []crm.Field{
	{Name: "email", Label: "Email", Type: "string"},
	{Name: "firstname", Label: "First Name", Type: "string"},
	{Name: "lastname", Label: "Last Name", Type: "string"},
	{Name: "hs_lead_source", Label: "Lead Source", Type: "string"},
	{Name: "zip", Label: "Postal Code", Type: "string"},
	{Name: "saleshive_external_id", Label: crm.ExternalIDLabel, Type: "string"},
	{Name: "hs_object_id", Label: "Record ID", Type: "number", ReadOnly: true},
}

func newFakeEngine(db *store.DB) *fakeEngine {
	return &fakeEngine{db: db, errs: map[string]error{}}
}

func (f *fakeEngine) record(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
	return f.errs[name]
}

// called reports whether the action ran.
func (f *fakeEngine) called(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if c == name {
			return true
		}
	}
	return false
}

func (f *fakeEngine) update(ctx context.Context, ws, id int64, upd crmsync.ConnectionUpdate) (*crmsync.Connection, error) {
	c, err := f.db.UpdateConnection(ctx, ws, id, upd)
	if err == nil {
		f.notify(id)
	}
	return c, err
}

func (f *fakeEngine) notify(id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ch := range f.subs {
		select {
		case ch <- crmsync.LiveUpdate{ConnectionID: id, Kind: crmsync.UpdateStatus}:
		default:
		}
	}
}

func (f *fakeEngine) connected(ctx context.Context, ws, id int64) (*crmsync.Connection, error) {
	c, err := f.db.FindConnectionByID(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	if c.Status != crmsync.StatusConnected && c.Status != crmsync.StatusError {
		return nil, crmsync.Errorf(crmsync.ECONFLICT, "%s is not connected yet: click Connect first.", c.Provider.Name())
	}
	return c, nil
}

func (f *fakeEngine) StartConnect(ctx context.Context, ws int64, p crmsync.Provider, dc crmsync.ZohoDatacenter) (string, error) {
	if err := f.record("StartConnect"); err != nil {
		return "", err
	}
	c, err := f.db.EnsureConnection(ctx, ws, p)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("https://crm.example/%s/authorize?dc=%s&state=%d-%d", p, dc, ws, c.ID), nil
}

func (f *fakeEngine) CompleteConnect(ctx context.Context, ws int64, state string, params map[string]string) (*crmsync.Connection, error) {
	if err := f.record("CompleteConnect"); err != nil {
		return nil, err
	}
	var stateWS, id int64
	if _, err := fmt.Sscanf(state, "%d-%d", &stateWS, &id); err != nil {
		return nil, crmsync.Errorf(crmsync.EINVALID, "This sign-in link is invalid or has expired; click Connect to start again.")
	}
	if stateWS != ws {
		return nil, crmsync.Errorf(crmsync.EFORBIDDEN, "This sign-in was started in another workspace.")
	}
	if params["error"] != "" {
		return nil, crmsync.Errorf(crmsync.EUNPROCESSABLE, "You did not allow SalesHive access to your CRM, so nothing was connected.")
	}
	st, label, acct := crmsync.StatusConnected, "Acme Demo (HubSpot)", "hub-1"
	now := time.Now().UTC()
	schema := crmsync.CRMSchema{ContactExternalID: "saleshive_external_id"}
	return f.update(ctx, ws, id, crmsync.ConnectionUpdate{Status: &st, AccountLabel: &label, AccountID: &acct, ConnectedAt: &now, Schema: &schema})
}

func (f *fakeEngine) StartImport(ctx context.Context, ws, id int64, resync bool) (*crmsync.Connection, error) {
	if err := f.record(map[bool]string{false: "StartImport", true: "Resync"}[resync]); err != nil {
		return nil, err
	}
	c, err := f.connected(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	if c.Import.State == crmsync.ImportRunning {
		return nil, crmsync.Errorf(crmsync.ECONFLICT, "An import is already running; wait for it to finish or cancel it.")
	}
	n, err := f.db.CountContacts(ctx, ws)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	run := crmsync.ImportRun{State: crmsync.ImportRunning, Resync: resync, Total: n, StartedAt: &now}
	upd := crmsync.ConnectionUpdate{Import: &run}
	if !resync {
		choice := crmsync.ImportImported
		upd.ImportChoice = &choice
	}
	return f.update(ctx, ws, id, upd)
}

func (f *fakeEngine) SkipImport(ctx context.Context, ws, id int64) (*crmsync.Connection, error) {
	if err := f.record("SkipImport"); err != nil {
		return nil, err
	}
	if _, err := f.connected(ctx, ws, id); err != nil {
		return nil, err
	}
	choice := crmsync.ImportSkipped
	return f.update(ctx, ws, id, crmsync.ConnectionUpdate{ImportChoice: &choice})
}

func (f *fakeEngine) CancelImport(ctx context.Context, ws, id int64) (*crmsync.Connection, error) {
	if err := f.record("CancelImport"); err != nil {
		return nil, err
	}
	c, err := f.db.FindConnectionByID(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	if c.Import.State != crmsync.ImportRunning {
		return nil, crmsync.Errorf(crmsync.ECONFLICT, "No import is running.")
	}
	run := c.Import
	run.State = crmsync.ImportCancelled
	return f.update(ctx, ws, id, crmsync.ConnectionUpdate{Import: &run})
}

func (f *fakeEngine) Progress(ctx context.Context, c *crmsync.Connection) (crmsync.ImportProgress, error) {
	p := crmsync.ImportProgress{State: c.Import.State, Resync: c.Import.Resync, Total: c.Import.Total}
	switch c.Import.State {
	case crmsync.ImportCancelled:
		p.Done = c.Import.Total / 2
	case crmsync.ImportRunning:
		p.Done = c.Import.Total / 2
		p.Percent = 50
		p.PerSec, p.ETA = 10, 90*time.Second
	case crmsync.ImportDone:
		p.Done, p.Percent = p.Total, 100
	}
	return p, nil
}

func (f *fakeEngine) SetToggles(ctx context.Context, ws, id int64, t crmsync.SyncToggles) (*crmsync.Connection, error) {
	if err := f.record("SetToggles"); err != nil {
		return nil, err
	}
	return f.update(ctx, ws, id, crmsync.ConnectionUpdate{Toggles: &t})
}

func (f *fakeEngine) Users(ctx context.Context, ws, id int64) ([]crm.User, error) {
	if _, err := f.connected(ctx, ws, id); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.usersUnsupport {
		return nil, crm.ErrUsersUnsupported
	}
	return fakeUsers, nil
}

func (f *fakeEngine) SetOwner(ctx context.Context, ws, id int64, ownerID string) (*crmsync.Connection, error) {
	if err := f.record("SetOwner"); err != nil {
		return nil, err
	}
	name := ""
	for _, u := range fakeUsers {
		if u.ID == ownerID {
			name = u.Name
		}
	}
	if ownerID != "" && name == "" {
		return nil, &crmsync.Error{Code: crmsync.EINVALID, Message: "That owner is not an active user in your CRM.",
			Fields: []crmsync.FieldError{{Field: "owner_id", Message: "choose a user from the list, or leave it unset to use your CRM's assignment rules"}}}
	}
	return f.update(ctx, ws, id, crmsync.ConnectionUpdate{OwnerID: &ownerID, OwnerName: &name})
}

func (f *fakeEngine) ContactFields(ctx context.Context, ws, id int64) ([]crm.Field, error) {
	if err := f.record("ContactFields"); err != nil {
		return nil, err
	}
	if _, err := f.connected(ctx, ws, id); err != nil {
		return nil, err
	}
	return fakeFields, nil
}

func (f *fakeEngine) SendTestContact(ctx context.Context, ws, id int64) (*crmsync.TestContactResult, error) {
	if err := f.record("SendTestContact"); err != nil {
		return nil, err
	}
	if _, err := f.connected(ctx, ws, id); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.testContactSent++
	created := f.testContactSent == 1
	f.mu.Unlock()
	now, crmID := time.Now().UTC(), "9001"
	if _, err := f.update(ctx, ws, id, crmsync.ConnectionUpdate{TestContactSentAt: &now, TestContactCRMID: &crmID}); err != nil {
		return nil, err
	}
	return &crmsync.TestContactResult{CRMID: crmID, URL: "https://app.crm.example/contacts/1/record/0-1/9001", Created: created, Duration: 420 * time.Millisecond}, nil
}

func (f *fakeEngine) RetryFailed(ctx context.Context, ws, id int64) (int, error) {
	if err := f.record("RetryFailed"); err != nil {
		return 0, err
	}
	if _, err := f.connected(ctx, ws, id); err != nil {
		return 0, err
	}
	return f.db.RetryFailed(ctx, ws, id)
}

func (f *fakeEngine) Disconnect(ctx context.Context, ws, id int64) (*crmsync.Connection, error) {
	if err := f.record("Disconnect"); err != nil {
		return nil, err
	}
	st := crmsync.StatusNotConnected
	return f.update(ctx, ws, id, crmsync.ConnectionUpdate{Status: &st})
}

func (f *fakeEngine) DismissGuide(ctx context.Context, ws, id int64) error {
	if err := f.record("DismissGuide"); err != nil {
		return err
	}
	yes := true
	_, err := f.update(ctx, ws, id, crmsync.ConnectionUpdate{GuideDismissed: &yes})
	return err
}

func (f *fakeEngine) MarkFieldMappingReviewed(ctx context.Context, ws, id int64) error {
	if err := f.record("MarkFieldMappingReviewed"); err != nil {
		return err
	}
	yes := true
	_, err := f.update(ctx, ws, id, crmsync.ConnectionUpdate{FieldMappingViewed: &yes})
	return err
}

func (f *fakeEngine) Subscribe() (<-chan crmsync.LiveUpdate, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan crmsync.LiveUpdate, 16)
	f.subs = append(f.subs, ch)
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for i, c := range f.subs {
			if c == ch {
				f.subs = append(f.subs[:i], f.subs[i+1:]...)
			}
		}
	}
}

// pagesEnv is the web server over a real SQLite store and a fake engine,
// with three workspaces: A (client Alice, and strategist Sam assigned to
// A and B), B (client Bob) and C (nobody of the above).
type pagesEnv struct {
	t      *testing.T
	ctx    context.Context
	db     *store.DB
	eng    *fakeEngine
	srv    *httptest.Server
	ws     map[string]*crmsync.Workspace
	tokens map[string]string // API token per workspace name
}

func newPagesEnv(t *testing.T, opts ...func(*web.Config)) *pagesEnv {
	t.Helper()
	ctx := context.Background()
	db := mustOpenDB(t, filepath.Join(t.TempDir(), "crmsync.db"))
	e := &pagesEnv{t: t, ctx: ctx, db: db, eng: newFakeEngine(db), ws: map[string]*crmsync.Workspace{}, tokens: map[string]string{}}
	for _, name := range []string{"A", "B", "C"} {
		w := &crmsync.Workspace{Name: "Acme " + name, StrategistName: "Sam Strategist", StrategistEmail: "sam@saleshive.example"}
		if err := db.CreateWorkspace(ctx, w); err != nil {
			t.Fatal(err)
		}
		e.ws[name] = w
		tok, _, err := db.CreateAPIToken(ctx, w.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[name] = tok
	}
	for _, u := range []*crmsync.User{
		{WorkspaceID: e.ws["A"].ID, Email: "alice@acme.example", Name: "Alice Client", Role: crmsync.RoleClient},
		{WorkspaceID: e.ws["B"].ID, Email: "bob@acme.example", Name: "Bob Client", Role: crmsync.RoleClient},
		{WorkspaceID: e.ws["A"].ID, Email: "sam@saleshive.example", Name: "Sam Strategist", Role: crmsync.RoleStrategist},
	} {
		if err := db.CreateUser(ctx, u, testPassword); err != nil {
			t.Fatal(err)
		}
		if u.Role == crmsync.RoleStrategist {
			if err := db.AssignStrategist(ctx, e.ws["B"].ID, u.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	cfg := web.Config{
		Workspaces: db, Contacts: db, Activities: db,
		Sessions: db, Connections: db, FieldMappings: db, Sync: db, Engine: e.eng,
		LivePollInterval: 100 * time.Millisecond,
		Logger:           slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	e.srv = httptest.NewServer(web.NewServer(cfg))
	t.Cleanup(e.srv.Close)
	return e
}

// connect makes workspace name's connection to p Connected, as the OAuth
// callback would.
func (e *pagesEnv) connect(name string, p crmsync.Provider) *crmsync.Connection {
	e.t.Helper()
	c, err := e.db.EnsureConnection(e.ctx, e.ws[name].ID, p)
	if err != nil {
		e.t.Fatal(err)
	}
	c, err = e.eng.CompleteConnect(e.ctx, e.ws[name].ID, fmt.Sprintf("%d-%d", e.ws[name].ID, c.ID), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *pagesEnv) conn(name string, p crmsync.Provider) *crmsync.Connection {
	e.t.Helper()
	c, err := e.db.FindConnectionByProvider(e.ctx, e.ws[name].ID, p)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// browser is an HTTP client with its own cookies that does not follow
// redirects, so tests see every 303.
type browser struct {
	t    *testing.T
	e    *pagesEnv
	c    *http.Client
	csrf string // the last CSRF token seen on a page
}

func (e *pagesEnv) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is a received response with its body.
type page struct {
	Status   int
	Location string
	Header   http.Header
	Body     string
}

var csrfPattern = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	p := &page{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Header: resp.Header, Body: string(data)}
	if m := csrfPattern.FindStringSubmatch(p.Body); m != nil {
		b.csrf = m[1]
	}
	return p
}

func (b *browser) get(path string) *page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post submits a form with the browser's CSRF token (unless form already
// sets csrf_token, or withCSRF is false).
func (b *browser) post(path string, form url.Values, withCSRF bool) *page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if withCSRF && !form.Has("csrf_token") {
		form.Set("csrf_token", b.csrf)
	}
	req, err := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// follow GETs a redirect's target.
func (b *browser) follow(p *page) *page {
	b.t.Helper()
	if p.Status != http.StatusSeeOther {
		b.t.Fatalf("want a 303 redirect, got %d:\n%.2000s", p.Status, p.Body)
	}
	return b.get(strings.TrimPrefix(p.Location, b.e.srv.URL))
}

// signIn signs in as email and returns the browser.
func (e *pagesEnv) signIn(email string) *browser {
	e.t.Helper()
	b := e.browser()
	b.get("/signin")
	p := b.post("/signin", url.Values{"email": {email}, "password": {testPassword}}, true)
	if p.Status != http.StatusSeeOther || p.Location != "/integrations" {
		e.t.Fatalf("sign in as %s: %d %q\n%.1000s", email, p.Status, p.Location, p.Body)
	}
	b.get("/integrations") // picks up the session's CSRF token
	return b
}

// mustContain fails unless body has every want.
func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: missing %q", what, w)
		}
	}
}

func mustNotContain(t *testing.T, what, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("%s: unexpectedly contains %q", what, w)
		}
	}
}
