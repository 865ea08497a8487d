package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/web"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// pageRoutes are every page route with a request that would succeed for a
// signed-in client of workspace A whose HubSpot is connected.
var pageRoutes = []struct {
	method, path string
	form         url.Values
}{
	{"GET", "/integrations", nil},
	{"GET", "/integrations/crm/hubspot", nil},
	{"GET", "/integrations/crm/hubspot/disconnect", nil},
	{"GET", "/integrations/field-mapping?crm=hubspot", nil},
	{"GET", "/oauth/callback?code=x&state=1-1", nil},
	{"POST", "/signout", nil},
	{"POST", "/workspace", url.Values{"workspace_id": {"1"}}},
	{"POST", "/integrations/crm/hubspot/connect", nil},
	{"POST", "/integrations/crm/hubspot/import", nil},
	{"POST", "/integrations/crm/hubspot/skip", nil},
	{"POST", "/integrations/crm/hubspot/resync", nil},
	{"POST", "/integrations/crm/hubspot/cancel-import", nil},
	{"POST", "/integrations/crm/hubspot/toggles", url.Values{"contacts": {"on"}}},
	{"POST", "/integrations/crm/hubspot/owner", url.Values{"owner_id": {"u1"}}},
	{"POST", "/integrations/crm/hubspot/test-contact", nil},
	{"POST", "/integrations/crm/hubspot/retry", nil},
	{"POST", "/integrations/crm/hubspot/disconnect", nil},
	{"POST", "/integrations/crm/hubspot/dismiss-guide", nil},
	{"POST", "/integrations/field-mapping", url.Values{"crm": {"hubspot"}, "send": {"fixed"}, "fixed_value": {"SalesHive"}, "crm_field": {"hs_lead_source"}}},
	{"POST", "/integrations/field-mapping/1", url.Values{"crm": {"hubspot"}, "send": {"email"}, "crm_field": {"email"}}},
	{"POST", "/integrations/field-mapping/1/delete", url.Values{"crm": {"hubspot"}}},
}

// TestPages_SignInRequired checks that every page sends a visitor without
// a session to the sign-in page, keeping where they were going.
func TestPages_SignInRequired(t *testing.T) {
	e := newPagesEnv(t)
	b := e.browser()
	for _, rt := range pageRoutes {
		var p *page
		if rt.method == "GET" {
			p = b.get(rt.path)
		} else {
			p = b.post(rt.path, rt.form, false)
		}
		if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/signin?next=") {
			t.Errorf("%s %s: %d to %q, want 303 to /signin", rt.method, rt.path, p.Status, p.Location)
		}
	}
	if p := b.get("/integrations/crm/hubspot/events"); p.Status != http.StatusSeeOther {
		t.Errorf("events without a session: %d", p.Status)
	}
	// A forged or expired session cookie is no session.
	u, _ := url.Parse(e.srv.URL)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "crmsync_session", Value: "forged"}})
	if p := b.get("/integrations"); p.Status != http.StatusSeeOther {
		t.Errorf("forged session: %d", p.Status)
	}
}

// TestPages_Static checks the unauthenticated routes: the root, the
// stylesheet and script, and an unknown path.
func TestPages_Static(t *testing.T) {
	e := newPagesEnv(t)
	b := e.browser()
	if p := b.get("/"); p.Status != http.StatusSeeOther || p.Location != "/integrations" {
		t.Errorf("GET /: %d %q", p.Status, p.Location)
	}
	for path, want := range map[string]string{"/static/app.js": "EventSource", "/static/app.css": "@media (max-width: 480px)"} {
		p := b.get(path)
		if p.Status != http.StatusOK || !strings.Contains(p.Body, want) {
			t.Errorf("GET %s: %d", path, p.Status)
		}
	}
	if p := b.get("/no-such-page"); p.Status != http.StatusNotFound {
		t.Errorf("GET /no-such-page: %d", p.Status)
	}
	p := b.get("/signin")
	mustContain(t, "sign-in page", p.Body, `<label for="email">Email address</label>`, `<label for="password">Password</label>`, `name="csrf_token"`)
}

// TestPages_CSRF checks that every form POST without the session's CSRF
// token, or with another one, is refused with 403 and changes nothing.
func TestPages_CSRF(t *testing.T) {
	e := newPagesEnv(t)
	e.connect("A", crmsync.ProviderHubSpot)
	b := e.signIn("alice@acme.example")
	for _, rt := range pageRoutes {
		if rt.method != "POST" {
			continue
		}
		for name, form := range map[string]url.Values{"missing": clone(rt.form), "wrong": withCSRF(rt.form, "not-the-token")} {
			p := b.post(rt.path, form, false)
			if p.Status != http.StatusForbidden {
				t.Errorf("POST %s with %s CSRF token: %d, want 403", rt.path, name, p.Status)
			}
		}
	}
	for _, action := range []string{"SetToggles", "SetOwner", "Disconnect", "SendTestContact", "StartImport", "DismissGuide"} {
		if e.eng.called(action) {
			t.Errorf("%s ran despite the missing CSRF token", action)
		}
	}
	// The sign-in form has its own token.
	anon := e.browser()
	if p := anon.post("/signin", url.Values{"email": {"alice@acme.example"}, "password": {testPassword}}, false); p.Status != http.StatusForbidden {
		t.Errorf("sign-in without its CSRF token: %d", p.Status)
	}
}

func clone(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func withCSRF(v url.Values, token string) url.Values {
	out := clone(v)
	out.Set("csrf_token", token)
	return out
}

// TestPages_SignIn covers the sign-in form, the session cookie's flags
// and signing out.
func TestPages_SignIn(t *testing.T) {
	t.Run("WrongPassword", func(t *testing.T) {
		e := newPagesEnv(t)
		b := e.browser()
		b.get("/signin")
		p := b.post("/signin", url.Values{"email": {"alice@acme.example"}, "password": {"not the password"}}, true)
		if p.Status != http.StatusUnauthorized {
			t.Fatalf("status %d", p.Status)
		}
		mustContain(t, "sign-in page", p.Body, `id="signin-error"`, "do not match", `value="alice@acme.example"`, `aria-invalid="true"`)
	})
	t.Run("EmptyFields", func(t *testing.T) {
		e := newPagesEnv(t)
		b := e.browser()
		b.get("/signin")
		p := b.post("/signin", url.Values{"email": {""}, "password": {""}}, true)
		if p.Status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", p.Status)
		}
		mustContain(t, "sign-in page", p.Body, "Enter your email address and password.")
	})
	t.Run("CookieAndNext", func(t *testing.T) {
		e := newPagesEnv(t)
		b := e.browser()
		p := b.get("/integrations/crm/zoho")
		b.follow(p)
		p = b.post("/signin", url.Values{"email": {"alice@acme.example"}, "password": {testPassword}, "next": {"/integrations/crm/zoho"}}, true)
		if p.Status != http.StatusSeeOther || p.Location != "/integrations/crm/zoho" {
			t.Fatalf("sign in: %d %q", p.Status, p.Location)
		}
		c := sessionCookie(t, p)
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure {
			t.Errorf("session cookie over plain HTTP: HttpOnly=%v SameSite=%v Secure=%v", c.HttpOnly, c.SameSite, c.Secure)
		}
		// An off-site next is ignored.
		b2 := e.browser()
		b2.get("/signin")
		p = b2.post("/signin", url.Values{"email": {"alice@acme.example"}, "password": {testPassword}, "next": {"//evil.example/"}}, true)
		if p.Location != "/integrations" {
			t.Errorf("off-site next: redirected to %q", p.Location)
		}
	})
	t.Run("SecureCookies", func(t *testing.T) {
		e := newPagesEnv(t, func(c *web.Config) { c.SecureCookies = true })
		b := e.browser()
		b.get("/signin")
		p := b.post("/signin", url.Values{"email": {"alice@acme.example"}, "password": {testPassword}}, true)
		if c := sessionCookie(t, p); !c.Secure {
			t.Error("session cookie not Secure with SecureCookies")
		}
	})
	t.Run("SignOut", func(t *testing.T) {
		e := newPagesEnv(t)
		b := e.signIn("alice@acme.example")
		p := b.post("/signout", nil, true)
		if p.Status != http.StatusSeeOther || p.Location != "/signin" {
			t.Fatalf("sign out: %d %q", p.Status, p.Location)
		}
		if p := b.get("/integrations"); p.Status != http.StatusSeeOther {
			t.Errorf("after sign-out /integrations answered %d", p.Status)
		}
	})
}

func sessionCookie(t *testing.T, p *page) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		if c.Name == "crmsync_session" {
			return c
		}
	}
	t.Fatal("no session cookie set")
	return nil
}

// TestPages_Workspaces checks who may open which workspace: a client only
// their own (another workspace → 404), a strategist those assigned.
func TestPages_Workspaces(t *testing.T) {
	e := newPagesEnv(t)
	e.connect("B", crmsync.ProviderHubSpot)
	bWS := e.ws["B"].ID
	cWS := e.ws["C"].ID

	alice := e.signIn("alice@acme.example")
	for _, path := range []string{
		"/integrations/crm/hubspot?workspace=" + itoa(bWS),
		"/integrations?workspace=" + itoa(cWS),
		"/integrations/field-mapping?crm=hubspot&workspace=" + itoa(bWS),
	} {
		if p := alice.get(path); p.Status != http.StatusNotFound {
			t.Errorf("client GET %s: %d, want 404", path, p.Status)
		}
	}
	if p := alice.post("/workspace", url.Values{"workspace_id": {itoa(bWS)}}, true); p.Status != http.StatusNotFound {
		t.Errorf("client switching to another workspace: %d, want 404", p.Status)
	}
	// Still in A: B's connection is not shown.
	p := alice.get("/integrations/crm/hubspot")
	mustNotContain(t, "Alice's HubSpot page", p.Body, "Acme Demo (HubSpot)")
	mustContain(t, "Alice's HubSpot page", p.Body, "Not connected")
	mustNotContain(t, "Alice's header", p.Body, `id="workspace-switch"`)

	sam := e.signIn("sam@saleshive.example")
	p = sam.get("/integrations")
	mustContain(t, "strategist header", p.Body, `id="workspace-switch"`, ">Acme A<", ">Acme B<")
	mustNotContain(t, "strategist header", p.Body, ">Acme C<")
	p = sam.get("/integrations/crm/hubspot?workspace=" + itoa(bWS))
	if p.Status != http.StatusOK {
		t.Fatalf("strategist opening B: %d", p.Status)
	}
	mustContain(t, "strategist on B", p.Body, "Connected to", "Acme Demo (HubSpot)")
	if p := sam.get("/integrations?workspace=" + itoa(cWS)); p.Status != http.StatusNotFound {
		t.Errorf("strategist opening an unassigned workspace: %d, want 404", p.Status)
	}
	// The switch sticks to the session, and the form switches back.
	mustContain(t, "strategist still on B", sam.get("/integrations").Body, "Acme Demo (HubSpot)")
	p = sam.post("/workspace", url.Values{"workspace_id": {itoa(e.ws["A"].ID)}}, true)
	mustNotContain(t, "strategist back on A", sam.follow(p).Body, "Acme Demo (HubSpot)")

	if p := alice.get("/integrations/crm/not-a-crm"); p.Status != http.StatusNotFound {
		t.Errorf("unknown CRM: %d", p.Status)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestConnectionShow checks the detail page's sections in each state.
func TestConnectionShow(t *testing.T) {
	t.Run("NotConnected", func(t *testing.T) {
		e := newPagesEnv(t)
		b := e.signIn("alice@acme.example")
		p := b.get("/integrations/crm/hubspot")
		if p.Status != http.StatusOK {
			t.Fatalf("status %d", p.Status)
		}
		mustContain(t, "page", p.Body, "Not connected", `id="connect"`, ">Connect</button>", "Setup guide", `aria-current="step"`,
			"Connect the CRM", "Choose your starting point", "Review your field mapping", "Prove it works with a test contact",
			"Open Field Mapping", `href="/integrations/field-mapping?crm=hubspot"`, `aria-label="Dismiss setup guide"`,
			"What gets synced", "Common questions", "Recent sync activity", "No sync activity yet", "Last 24 hours", "All clean")
		mustNotContain(t, "page", p.Body, `id="datacenter"`, "Record owner", `id="import-contacts"`, `id="disconnect"`)
		z := b.get("/integrations/crm/zoho")
		mustContain(t, "Zoho page", z.Body, `<label for="datacenter">Datacenter</label>`, ">United States<", ">Europe<", ">India<", ">Australia<", ">Japan<")
	})
	t.Run("Connected", func(t *testing.T) {
		e := newPagesEnv(t)
		e.connect("A", crmsync.ProviderHubSpot)
		addContacts(t, e, "A", 3)
		b := e.signIn("alice@acme.example")
		p := b.get("/integrations/crm/hubspot")
		mustContain(t, "page", p.Body, "<strong>Connected</strong>", "Connected to <strong id=\"account-label\">Acme Demo (HubSpot)</strong>",
			"Import 3 contacts", "Skip, only sync new activity", `id="toggle-calls" name="calls" checked`,
			"Assign new records to", "Use my CRM's assignment rules", ">Avery Owner (avery@acme.example)<", "applies to new records only",
			`id="send-test-contact">`, "Resync existing contacts", `id="disconnect"`, `<span class="step-title">Connect the CRM</span>`)
		mustNotContain(t, "page", p.Body, `id="connect"`)
		// Step 1 is done (marked in text too), step 2 is current.
		if !regexp.MustCompile(`(?s)<li class="step done">.*?Connect the CRM.*?Done</span>`).MatchString(p.Body) {
			t.Error("step 1 not marked done")
		}
		if !regexp.MustCompile(`(?s)<li class="step current" aria-current="step">.*?Choose your starting point.*?Current step`).MatchString(p.Body) {
			t.Error("step 2 not current")
		}
	})
	t.Run("UsersUnsupported", func(t *testing.T) {
		e := newPagesEnv(t)
		e.connect("A", crmsync.ProviderHubSpot)
		e.eng.usersUnsupport = true
		p := e.signIn("alice@acme.example").get("/integrations/crm/hubspot")
		mustNotContain(t, "page", p.Body, "Record owner", "Assign new records to")
	})
	t.Run("Disconnected", func(t *testing.T) {
		e := newPagesEnv(t)
		c := e.connect("A", crmsync.ProviderHubSpot)
		st, reason := crmsync.StatusDisconnected, "HubSpot said the refresh token was revoked."
		if _, err := e.db.UpdateConnection(e.ctx, c.WorkspaceID, c.ID, crmsync.ConnectionUpdate{Status: &st, DisconnectReason: &reason}); err != nil {
			t.Fatal(err)
		}
		p := e.signIn("alice@acme.example").get("/integrations/crm/hubspot")
		mustContain(t, "page", p.Body, "<strong>Disconnected</strong>", "Reason: "+reason, ">Reconnect</button>")
	})
	t.Run("Error", func(t *testing.T) {
		e := newPagesEnv(t)
		c := e.connect("A", crmsync.ProviderHubSpot)
		st, last := crmsync.StatusError, "HubSpot kept answering 500 for an hour."
		if _, err := e.db.UpdateConnection(e.ctx, c.WorkspaceID, c.ID, crmsync.ConnectionUpdate{Status: &st, LastError: &last}); err != nil {
			t.Fatal(err)
		}
		p := e.signIn("alice@acme.example").get("/integrations/crm/hubspot")
		mustContain(t, "page", p.Body, "<strong>Error</strong>", "Last error: "+last, ">Reconnect</button>", "Resync existing contacts")
	})
	t.Run("ImportRunning", func(t *testing.T) {
		e := newPagesEnv(t)
		e.connect("A", crmsync.ProviderHubSpot)
		addContacts(t, e, "A", 4)
		b := e.signIn("alice@acme.example")
		p := b.follow(b.post("/integrations/crm/hubspot/import", nil, true))
		mustContain(t, "page", p.Body, "Importing 4 contacts", `<progress id="import-progress" max="100" value="50">50%</progress>`,
			"<strong>50%</strong>: 2 of 4 contacts pushed, 10 per second, about 2 minutes left", `id="cancel-import"`,
			`id="resync" disabled`, "Resync is disabled while an import is running.")
		mustNotContain(t, "page", p.Body, `id="import-contacts"`)
		// Starting it again is refused with a message, not an error page.
		p = b.follow(b.post("/integrations/crm/hubspot/resync", nil, true))
		mustContain(t, "page", p.Body, "An import is already running")
		p = b.follow(b.post("/integrations/crm/hubspot/cancel-import", nil, true))
		mustContain(t, "page", p.Body, "Import cancelled", "cancelled after 2 of 4 contacts")
	})
	t.Run("CommonQuestions", func(t *testing.T) {
		e := newPagesEnv(t)
		p := e.signIn("alice@acme.example").get("/integrations/crm/hubspot")
		answers := specAnswers(t)
		if n := strings.Count(p.Body, "<details>\n    <summary>"); n != len(answers) {
			t.Errorf("%d questions, want one per answer in the spec (%d)", n, len(answers))
		}
		for _, a := range answers {
			if !strings.Contains(htmlUnescape(p.Body), a) {
				t.Errorf("answer not on the page verbatim: %.80s…", a)
			}
		}
	})
}

// specAnswers reads the help page's Common questions answers (testdata is a
// copy of spec/crm-connection-detail.txt's section).
func specAnswers(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "spec-answers.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

var htmlEntities = strings.NewReplacer("&#34;", `"`, "&#39;", "'", "&amp;", "&", "&lt;", "<", "&gt;", ">")

func htmlUnescape(s string) string { return htmlEntities.Replace(s) }

func addContacts(t *testing.T, e *pagesEnv, ws string, n int) []*crmsync.Contact {
	t.Helper()
	cs := make([]*crmsync.Contact, n)
	for i := range cs {
		cs[i] = &crmsync.Contact{SourceID: "c" + itoa(int64(i)), FirstName: "Pat", LastName: "Contact " + itoa(int64(i)), Email: "pat" + itoa(int64(i)) + "@example.com"}
	}
	if _, err := e.db.UpsertContacts(e.ctx, e.ws[ws].ID, cs); err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestConnectionActions walks each form of the detail page: POST →
// redirect → GET with a flash message and the change visible.
func TestConnectionActions(t *testing.T) {
	e := newPagesEnv(t)
	addContacts(t, e, "A", 2)
	b := e.signIn("alice@acme.example")

	// Connect redirects to the CRM's sign-in; the callback connects.
	p := b.post("/integrations/crm/hubspot/connect", nil, true)
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "https://crm.example/hubspot/authorize") {
		t.Fatalf("connect: %d %q", p.Status, p.Location)
	}
	state := mustQuery(t, p.Location, "state")
	p = b.get("/oauth/callback?code=abc&state=" + url.QueryEscape(state))
	if p.Location != "/integrations/crm/hubspot" {
		t.Fatalf("callback: %d %q", p.Status, p.Location)
	}
	p = b.follow(p)
	mustContain(t, "after connect", p.Body, "Connected to Acme Demo (HubSpot).", "<strong>Connected</strong>")
	// A refused consent comes back with a message.
	p = b.follow(b.get("/oauth/callback?error=access_denied&state=" + url.QueryEscape(state)))
	mustContain(t, "denied consent", p.Body, "You did not allow SalesHive access")

	p = b.follow(b.post("/integrations/crm/hubspot/skip", nil, true))
	mustContain(t, "after skip", p.Body, "Skipped the import")
	mustNotContain(t, "after skip", p.Body, `id="import-contacts"`)

	p = b.follow(b.post("/integrations/crm/hubspot/toggles", url.Values{"contacts": {"on"}, "emails": {"on"}, "meetings": {"on"}}, true))
	mustContain(t, "after toggles", p.Body, "Saved what gets synced: contacts, emails, meetings.", `id="toggle-calls" name="calls">`, `id="toggle-emails" name="emails" checked`)
	if c := e.conn("A", crmsync.ProviderHubSpot); c.Toggles.Calls || !c.Toggles.Emails {
		t.Errorf("toggles stored: %+v", c.Toggles)
	}

	p = b.follow(b.post("/integrations/crm/hubspot/owner", url.Values{"owner_id": {"u2"}}, true))
	mustContain(t, "after owner", p.Body, "New records will be assigned to Blake Seller.", `<option value="u2" selected>`)

	p = b.follow(b.post("/integrations/crm/hubspot/test-contact", nil, true))
	mustContain(t, "after test contact", p.Body, "Test contact created in 0.4 seconds (record id 9001).",
		`<a id="test-contact-link" href="https://app.crm.example/contacts/1/record/0-1/9001">`)
	// The flash is shown once.
	mustNotContain(t, "reload", b.get("/integrations/crm/hubspot").Body, "test-contact-link")
	p = b.follow(b.post("/integrations/crm/hubspot/test-contact", nil, true))
	mustContain(t, "second test contact", p.Body, "Test contact updated in")

	p = b.follow(b.post("/integrations/crm/hubspot/retry", nil, true))
	mustContain(t, "after retry", p.Body, "Re-queued 0 records")

	p = b.follow(b.post("/integrations/crm/hubspot/dismiss-guide", nil, true))
	mustContain(t, "after dismiss", p.Body, `<section id="guide" class="card guide" aria-labelledby="guide-h" hidden>`)
	mustNotContain(t, "after dismiss", b.get("/integrations/crm/hubspot").Body, `id="open-field-mapping"`)

	p = b.get("/integrations/crm/hubspot/disconnect")
	mustContain(t, "confirm page", p.Body, "Disconnect HubSpot?", "existing CRM records are not deleted", `id="confirm-disconnect"`, "Cancel, stay connected")
	if e.eng.called("Disconnect") {
		t.Fatal("the confirmation page disconnected")
	}
	p = b.follow(b.post("/integrations/crm/hubspot/disconnect", nil, true))
	mustContain(t, "after disconnect", p.Body, "Disconnected HubSpot.", "Not connected", ">Connect</button>")

	hub := b.get("/integrations")
	mustContain(t, "hub", hub.Body, "Salesforce", "HubSpot", "Pipedrive", "Zoho CRM", `aria-label="Manage HubSpot"`, `aria-current="page">CRMs`)
}

func mustQuery(t *testing.T, raw, key string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get(key)
}

// TestConnectionActions_BadForm checks that invalid values come back as
// the page with an inline error next to the control.
func TestConnectionActions_BadForm(t *testing.T) {
	e := newPagesEnv(t)
	e.connect("A", crmsync.ProviderHubSpot)
	b := e.signIn("alice@acme.example")

	p := b.post("/integrations/crm/zoho/connect", url.Values{"datacenter": {"mars"}}, true)
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad datacenter: %d", p.Status)
	}
	mustContain(t, "bad datacenter", p.Body, `id="datacenter-error"`, "choose United States, Europe, India, Australia or Japan",
		`aria-describedby="datacenter-error"`, "Pick your Zoho datacenter before signing in.")
	if e.eng.called("StartConnect") {
		t.Error("StartConnect ran with a bad datacenter")
	}
	p = b.post("/integrations/crm/zoho/connect", url.Values{"datacenter": {"eu"}}, true)
	if got := mustQuery(t, p.Location, "dc"); got != "eu" {
		t.Errorf("sign-in went to datacenter %q, want eu", got)
	}

	p = b.post("/integrations/crm/hubspot/owner", url.Values{"owner_id": {"someone-else"}}, true)
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad owner: %d", p.Status)
	}
	mustContain(t, "bad owner", p.Body, `id="owner_id-error"`, "choose a user from the list")

	// A refusal the client can act on is flashed, not an error page.
	p = b.follow(b.post("/integrations/crm/pipedrive/test-contact", nil, true))
	mustContain(t, "test contact while not connected", p.Body, "Problem:", "not connected yet")
}

// TestFieldMapping covers the Field Mapping tab: marking the guide step,
// adding a fixed value, editing, removing, and every inline error.
func TestFieldMapping(t *testing.T) {
	e := newPagesEnv(t)
	c := e.connect("A", crmsync.ProviderHubSpot)
	ws := e.ws["A"].ID
	for _, m := range []*crmsync.FieldMapping{{ConnectionID: c.ID, SourceField: "email", CRMField: "email"}, {ConnectionID: c.ID, SourceField: "first_name", CRMField: "firstname"}} {
		if err := e.db.CreateFieldMapping(e.ctx, ws, m); err != nil {
			t.Fatal(err)
		}
	}
	b := e.signIn("alice@acme.example")
	p := b.get("/integrations/field-mapping?crm=hubspot")
	if p.Status != http.StatusOK {
		t.Fatalf("status %d", p.Status)
	}
	mustContain(t, "tab", p.Body, `aria-current="page">Field Mapping`, "Email <code>email</code>", "First name", "First Name <code>firstname</code>",
		"Add a field", `<option value="fixed" selected>A fixed value</option>`, ">Lead Source (hs_lead_source)<", "saleshive_external_id")
	mustNotContain(t, "tab", p.Body, "(hs_object_id)") // read-only
	if !e.conn("A", crmsync.ProviderHubSpot).FieldMappingViewed {
		t.Error("opening the tab did not mark the guide step reviewed")
	}

	bad := []struct {
		name  string
		form  url.Values
		field string
		want  string
	}{
		{"UnknownCRMField", url.Values{"send": {"fixed"}, "fixed_value": {"x"}, "crm_field": {"no_such_field"}}, "crm_field", "is not a contact field in your HubSpot"},
		{"EmptyValue", url.Values{"send": {"fixed"}, "fixed_value": {"  "}, "crm_field": {"hs_lead_source"}}, "fixed_value", "is required"},
		{"ExternalID", url.Values{"send": {"phone"}, "crm_field": {"saleshive_external_id"}}, "crm_field", "SalesHive External ID"},
		{"TwoIntoOne", url.Values{"send": {"last_name"}, "crm_field": {"email"}}, "crm_field", "already receives SalesHive&#39;s Email"},
		{"NoCRMField", url.Values{"send": {"fixed"}, "fixed_value": {"x"}, "crm_field": {""}}, "crm_field", "is required"},
		{"ReadOnly", url.Values{"send": {"fixed"}, "fixed_value": {"x"}, "crm_field": {"hs_object_id"}}, "crm_field", "is read-only"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			form := clone(tc.form)
			form.Set("crm", "hubspot")
			p := b.post("/integrations/field-mapping", form, true)
			if p.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", p.Status)
			}
			errID := "add-" + tc.field + "-error"
			if tc.field == "fixed_value" {
				errID = "add-fixed_value-error"
			}
			re := regexp.MustCompile(`id="` + errID + `"><span aria-hidden="true">⚠ </span>[^<]*` + regexp.QuoteMeta(tc.want))
			if !re.MatchString(p.Body) {
				t.Errorf("no inline error %q at #%s:\n%s", tc.want, errID, excerpt(p.Body, "add-mapping"))
			}
			mustContain(t, "form keeps the input", p.Body, `aria-describedby="`+errID+`"`)
		})
	}
	ms, _ := e.db.FindFieldMappings(e.ctx, ws, c.ID)
	if len(ms) != 2 {
		t.Fatalf("invalid forms saved mappings: %d", len(ms))
	}

	p = b.follow(b.post("/integrations/field-mapping", url.Values{"crm": {"hubspot"}, "send": {"fixed"}, "fixed_value": {"SalesHive"}, "crm_field": {"hs_lead_source"}}, true))
	mustContain(t, "after add", p.Body, `Added: the fixed value &#34;SalesHive&#34; → hs_lead_source.`, `A fixed value: &#34;SalesHive&#34;`)
	ms, _ = e.db.FindFieldMappings(e.ctx, ws, c.ID)
	var fixed *crmsync.FieldMapping
	for _, m := range ms {
		if m.CRMField == "hs_lead_source" {
			fixed = m
		}
	}
	if fixed == nil || fixed.FixedValue != "SalesHive" || fixed.SourceField != "" {
		t.Fatalf("fixed value not stored: %+v", ms)
	}
	id := itoa(fixed.ID)

	// Edit: an invalid edit shows the row's form open with the error.
	p = b.post("/integrations/field-mapping/"+id, url.Values{"crm": {"hubspot"}, "send": {"fixed"}, "fixed_value": {""}, "crm_field": {"hs_lead_source"}}, true)
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad edit: %d", p.Status)
	}
	mustContain(t, "bad edit", p.Body, `id="edit-`+id+`-fixed_value-error"`, "<details open>")
	p = b.follow(b.post("/integrations/field-mapping/"+id, url.Values{"crm": {"hubspot"}, "send": {"fixed"}, "fixed_value": {"SalesHive Outbound"}, "crm_field": {"hs_lead_source"}}, true))
	mustContain(t, "after edit", p.Body, "Saved: the fixed value &#34;SalesHive Outbound&#34;")

	// Another workspace's mapping is not found.
	other := e.connect("B", crmsync.ProviderHubSpot)
	om := &crmsync.FieldMapping{ConnectionID: other.ID, SourceField: "email", CRMField: "email"}
	if err := e.db.CreateFieldMapping(e.ctx, e.ws["B"].ID, om); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/integrations/field-mapping/" + itoa(om.ID), "/integrations/field-mapping/" + itoa(om.ID) + "/delete"} {
		if p := b.post(path, url.Values{"crm": {"hubspot"}, "send": {"phone"}, "crm_field": {"zip"}}, true); p.Status != http.StatusNotFound {
			t.Errorf("POST %s (workspace B's mapping) as A: %d, want 404", path, p.Status)
		}
	}

	p = b.follow(b.post("/integrations/field-mapping/"+id+"/delete", url.Values{"crm": {"hubspot"}}, true))
	mustContain(t, "after remove", p.Body, "Removed the field mapping.")
	mustNotContain(t, "after remove", p.Body, "SalesHive Outbound")
}

func excerpt(body, id string) string {
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		return body
	}
	return body[i:min(len(body), i+3000)]
}

// TestLastHours checks the Last 24 hours card: counts, the all-clean
// message, a card per problem type with the CRM's message, Retry and the
// chart's text alternative.
func TestLastHours(t *testing.T) {
	e := newPagesEnv(t)
	c := e.connect("A", crmsync.ProviderHubSpot)
	ws := e.ws["A"].ID
	cs := addContacts(t, e, "A", 3)
	objs := make([]crmsync.SyncObject, len(cs))
	for i, ct := range cs {
		found, err := e.db.FindContactBySourceID(e.ctx, ws, ct.SourceID)
		if err != nil {
			t.Fatal(err)
		}
		objs[i] = crmsync.SyncObject{Type: crmsync.ObjectContact, ID: found.ID}
	}
	if err := e.db.EnqueueItems(e.ctx, ws, c.ID, objs); err != nil {
		t.Fatal(err)
	}
	items, err := e.db.FindPendingItems(e.ctx, ws, c.ID, 10)
	if err != nil || len(items) != 3 {
		t.Fatalf("pending items: %d, %v", len(items), err)
	}
	now := time.Now().UTC()
	results := []crmsync.ItemResult{
		{ItemID: items[0].ID, State: crmsync.SyncSynced, CRMID: "501"},
		{ItemID: items[1].ID, State: crmsync.SyncFailed, Problem: crmsync.ProblemRequiredFieldMissing, CRMMessage: "Property zip is required"},
		{ItemID: items[2].ID, State: crmsync.SyncFailed, Problem: crmsync.ProblemRequiredFieldMissing, CRMMessage: "Property zip is required"},
	}
	events := []*crmsync.SyncEvent{
		{ConnectionID: c.ID, At: now, ObjectType: crmsync.ObjectContact, Type: "contact", ObjectID: objs[0].ID, Outcome: crmsync.OutcomeSuccess, CRMID: "501"},
		{ConnectionID: c.ID, At: now, ObjectType: crmsync.ObjectContact, Type: "contact", ObjectID: objs[1].ID, Outcome: crmsync.OutcomeFailed, Problem: crmsync.ProblemRequiredFieldMissing, Message: "Property zip is required"},
		{ConnectionID: c.ID, At: now, ObjectType: crmsync.ObjectContact, Type: "contact", ObjectID: objs[2].ID, Outcome: crmsync.OutcomeFailed, Problem: crmsync.ProblemRequiredFieldMissing, Message: "Property zip is required"},
	}
	if err := e.db.RecordResults(e.ctx, ws, c.ID, results, events); err != nil {
		t.Fatal(err)
	}
	b := e.signIn("alice@acme.example")
	p := b.get("/integrations/crm/hubspot")
	info := crmsync.ProblemRequiredFieldMissing.Info()
	mustContain(t, "page", htmlUnescape(p.Body), `<strong id="count-synced">1</strong> Synced`, `<strong id="count-failed">2</strong> Failed`,
		`<article class="problem" data-problem="required_field_missing">`, info.Title, info.Meaning, info.Fix,
		"2 records failed.", `Your CRM said:</strong> <q>Property zip is required</q>`, `id="retry-failed"`,
		`<svg role="img" aria-labelledby="chart-caption"`, "3 records pushed in the last 24 hours, 2 failed",
		`<td>501</td>`, "Property zip is required</td>", "✕ </span>Failed", "✓ </span>Success")
	mustNotContain(t, "page", p.Body, `id="all-clean"`)
	if strings.Count(p.Body, `<rect class="bar-failed"`) != 1 || strings.Count(p.Body, "<g><title>") != 24 {
		t.Errorf("chart: %d failed bars, %d hour titles", strings.Count(p.Body, `<rect class="bar-failed"`), strings.Count(p.Body, "<g><title>"))
	}
	p = b.follow(b.post("/integrations/crm/hubspot/retry", nil, true))
	mustContain(t, "after retry", p.Body, "Re-queued 2 records", `id="all-clean"`)
	mustNotContain(t, "after retry", p.Body, `data-problem="required_field_missing"`, `id="retry-failed"`)
}

// TestGuideFragment compares the rendered setup guide with a golden file.
func TestGuideFragment(t *testing.T) {
	e := newPagesEnv(t)
	c := e.connect("A", crmsync.ProviderHubSpot)
	yes, skipped := true, crmsync.ImportSkipped
	if _, err := e.db.UpdateConnection(e.ctx, c.WorkspaceID, c.ID, crmsync.ConnectionUpdate{FieldMappingViewed: &yes, ImportChoice: &skipped}); err != nil {
		t.Fatal(err)
	}
	b := e.signIn("alice@acme.example")
	body := b.get("/integrations/crm/hubspot").Body
	start := strings.Index(body, `<section id="guide"`)
	end := strings.Index(body[start:], "</section>")
	got := csrfPattern.ReplaceAllString(body[start:start+end+len("</section>")], `name="csrf_token" value="CSRF"`)
	golden := filepath.Join("testdata", "guide.golden.html")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("setup guide differs from %s (run with -update if intended):\n%s", golden, got)
	}
}

// TestConnectionEvents checks the live updates: the stream sends the
// sections, and an engine update sends the sections that changed.
func TestConnectionEvents(t *testing.T) {
	e := newPagesEnv(t)
	c := e.connect("A", crmsync.ProviderHubSpot)
	b := e.signIn("alice@acme.example")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/integrations/crm/hubspot/events", nil)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	events := readEvents(resp)
	first := <-events
	for _, id := range []string{"guide", "status", "import", "health", "activity"} {
		if !strings.Contains(first[id], `id="`+id+`"`) {
			t.Errorf("first event lacks section %s", id)
		}
	}
	// Skip the import through the engine: only what changed is sent.
	if _, err := e.eng.SkipImport(e.ctx, c.WorkspaceID, c.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-events:
		if _, ok := got["import"]; !ok {
			t.Errorf("update without the import section: %v", keys(got))
		}
		if _, ok := got["activity"]; ok {
			t.Error("unchanged activity section was sent again")
		}
		if !strings.Contains(got["guide"], `<li class="step done">`) {
			t.Error("guide not updated")
		}
	case <-ctx.Done():
		t.Fatal("no update after the import choice")
	}
	// Another process's change arrives by polling (no engine hint).
	now := time.Now().UTC()
	if err := e.db.AppendSyncEvents(e.ctx, c.WorkspaceID, []*crmsync.SyncEvent{{ConnectionID: c.ID, At: now, ObjectType: crmsync.ObjectContact, Type: "test contact", Outcome: crmsync.OutcomeSuccess, CRMID: "77"}}); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-events:
		if !strings.Contains(got["activity"], "<td>77</td>") {
			t.Errorf("polled update lacks the new event: %v", keys(got))
		}
	case <-ctx.Done():
		t.Fatal("no polled update")
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// readEvents parses "update" events from an SSE stream.
func readEvents(resp *http.Response) <-chan map[string]string {
	out := make(chan map[string]string, 16)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 8<<20)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "update":
				var msg struct {
					Sections map[string]string `json:"sections"`
				}
				if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &msg) == nil {
					out <- msg.Sections
				}
			case line == "":
				event = ""
			}
		}
	}()
	return out
}
