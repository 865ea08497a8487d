package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/demo"
	"github.com/saleshive/crmsync/sandbox"
	"github.com/saleshive/crmsync/store"
	"github.com/saleshive/crmsync/syncer"
	"github.com/saleshive/crmsync/web"
)

// *syncer.Engine is the engine the pages are served with.
var _ web.Engine = (*syncer.Engine)(nil)

// demoStack is the demo (package demo) in process: a real SQLite store,
// the sandboxes over HTTP, the sync engine with every connector, and the
// web server, with the demo workspace and its client login. The demo's own
// contacts and generator are off so the test controls what exists.
type demoStack struct {
	ctx  context.Context
	db   *store.DB
	eng  *syncer.Engine
	sb   *sandbox.Client
	url  string
	ws   *crmsync.Workspace
	user *crmsync.User
}

func startDemoStack(t *testing.T) *demoStack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	st, err := demo.Start(ctx, demo.Config{
		DataDir:                   t.TempDir(),
		Addr:                      "127.0.0.1:0",
		SandboxAddr:               "127.0.0.1:0",
		SyncInterval:              time.Hour, // the test drives syncs itself
		Contacts:                  -1,
		GeneratorPeriod:           -1,
		Password:                  testPassword,
		SandboxRateLimitsDisabled: true,
		LivePollInterval:          time.Second,
		PasswordIterations:        1000,
		Logger:                    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		_ = st.Close(sctx)
	})
	return &demoStack{ctx: ctx, db: st.DB, eng: st.Engine, sb: st.Sandbox, url: st.URL, ws: st.Workspace, user: st.Client}
}

func (s *demoStack) addContacts(t *testing.T, prefix string, n int) {
	t.Helper()
	cs := make([]*crmsync.Contact, n)
	for i := range cs {
		cs[i] = &crmsync.Contact{SourceID: fmt.Sprintf("%s-%d", prefix, i), FirstName: "Pat", LastName: fmt.Sprintf("%s %d", prefix, i),
			Email: fmt.Sprintf("%s.%d@example.com", prefix, i), Title: "Buyer", Company: "Acme"}
	}
	for start := 0; start < n; start += 1000 {
		if _, err := s.db.UpsertContacts(s.ctx, s.ws.ID, cs[start:min(start+1000, n)]); err != nil {
			t.Fatal(err)
		}
	}
}

// chromiumPath finds Chromium. Without it the browser tests skip loudly,
// or fail under CRMSYNC_REQUIRE_BROWSER=1.
func chromiumPath(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("CRMSYNC_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			candidates = append(candidates, p)
		}
	}
	for _, p := range candidates {
		if p == "" {
			continue
		}
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	msg := "\n*****************************************************************\n" +
		"*** BROWSER TESTS NOT RUN: Chromium not found (/usr/bin/chromium).\n" +
		"*** Install it: apt-get install -y chromium\n" +
		"*** Set CRMSYNC_REQUIRE_BROWSER=1 to make this a failure.\n" +
		"*****************************************************************"
	if os.Getenv("CRMSYNC_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// browserTab is one headless Chromium tab with a fresh profile, saving
// numbered screenshots into dir.
type browserTab struct {
	t    *testing.T
	ctx  context.Context
	dir  string
	shot int
}

func newBrowserTab(t *testing.T) *browserTab {
	t.Helper()
	path := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first run starts the browser; it lives as long as ctx.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	dir := os.Getenv("CRMSYNC_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	} else {
		dir = filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_"))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return &browserTab{t: t, ctx: ctx, dir: dir}
}

// do runs chromedp actions, failing the test with the step that broke.
func (b *browserTab) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(step, err)
	}
}

func (b *browserTab) fail(step string, err error) {
	b.t.Helper()
	b.screenshot("FAILED-" + step)
	body, _ := runFor(b.ctx, 5*time.Second, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	b.t.Fatalf("%s: %v\npage text: %.3000s", step, err, body)
}

func runFor[T any](ctx context.Context, d time.Duration, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return chromedp.Run(ctx, a)
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *browserTab, expr string) T {
	b.t.Helper()
	v, err := runFor(b.ctx, 20*time.Second, chromedp.Evaluate[T](expr))
	if err != nil {
		b.fail("evaluate "+expr, err)
	}
	return v
}

// screenshot saves the whole page as NN-name.png.
func (b *browserTab) screenshot(name string) {
	b.t.Helper()
	b.shot++
	png, err := runFor(b.ctx, 20*time.Second, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.shot, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// text is the rendered text of the first element matching the CSS
// selector, or "" if there is none.
func (b *browserTab) text(sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%q) || {innerText: ""}).innerText`, sel))
}

func (b *browserTab) attr(sel, name string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%q) || {getAttribute: () => ""}).getAttribute(%q) || ""`, sel, name))
}

func (b *browserTab) location() string {
	b.t.Helper()
	return eval[string](b, `location.href`)
}

// waitText waits until the element's text contains want; live updates
// arrive without a reload.
func (b *browserTab) waitText(step, sel, want string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		if last = b.text(sel); strings.Contains(last, want) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.screenshot("FAILED-" + step)
	b.t.Fatalf("%s: %s never contained %q (last: %q)", step, sel, want, last)
}

func (b *browserTab) exists(sel string) bool {
	b.t.Helper()
	return eval[bool](b, fmt.Sprintf(`document.querySelector(%q) !== null`, sel))
}

func (b *browserTab) signIn(base, email string) {
	b.t.Helper()
	b.do("sign in",
		chromedp.Navigate(base+"/integrations"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
	)
	b.screenshot("sign-in")
	b.do("submit sign-in", chromedp.Click(chromedp.ID("sign-in")), chromedp.WaitVisible(chromedp.CSS(`a[aria-label="Manage HubSpot"]`)))
}

// TestBrowser_HubSpot walks the help page's nine steps in headless
// Chromium against the demo stack, as a new client would.
func TestBrowser_HubSpot(t *testing.T) {
	s := startDemoStack(t)
	s.addContacts(t, "seed", 1500)
	b := newBrowserTab(t)
	base := s.url

	b.signIn(base, s.user.Email)
	b.screenshot("integrations-hub")

	// Open HubSpot from its card.
	b.do("open HubSpot", chromedp.Click(chromedp.CSS(`a[aria-label="Manage HubSpot"]`)), chromedp.WaitVisible(chromedp.ID("status-text")))
	if got := b.text("#status-text"); !strings.Contains(got, "Not connected") {
		t.Fatalf("status before connecting: %q", got)
	}
	b.screenshot("hubspot-not-connected")

	// Step 2: connect through the sandbox's consent page.
	b.do("connect", chromedp.Click(chromedp.ID("connect")), chromedp.WaitVisible(chromedp.ID("allow")))
	if u := b.location(); !strings.Contains(u, "/hubspot/oauth/authorize") {
		t.Errorf("Connect went to %s", u)
	}
	b.screenshot("hubspot-consent")
	b.do("allow", chromedp.Click(chromedp.ID("allow")), chromedp.WaitVisible(chromedp.ID("account-label")))
	if got := b.text("#status"); !strings.Contains(got, "Connected to "+b.text("#account-label")) || b.text("#account-label") == "" {
		t.Errorf("status after connecting: %q", got)
	}
	b.screenshot("hubspot-connected")

	// Step 3: import, watching the progress bar reach 100% without reload.
	if got := b.text("#import-contacts"); got != "Import 1500 contacts" {
		t.Errorf("import button reads %q", got)
	}
	b.do("import", chromedp.Click(chromedp.ID("import-contacts")), chromedp.WaitVisible(chromedp.ID("import-progress")))
	b.screenshot("import-running")
	b.waitText("import reaches 100%", "#import-text", "100%", 90*time.Second)
	if n := b.attr("html", "data-live-updates"); n == "" || n == "0" {
		t.Error("the progress reached 100% without a live update")
	}
	if v := b.attr("#import-progress", "value"); v != "100" {
		t.Errorf("progress bar value %q", v)
	}
	b.screenshot("import-done")
	if l, err := s.sb.Records(s.ctx, "hubspot", "contacts", 0, 1); err != nil || l.Total != 1500 {
		t.Errorf("HubSpot holds %d contacts after the import (%v), want 1500", l.Total, err)
	}

	// Step 4: turn calls off.
	b.do("calls off", chromedp.Click(chromedp.ID("toggle-calls")), chromedp.Click(chromedp.ID("save-toggles")), chromedp.WaitVisible(chromedp.ID("flash")))
	b.waitText("toggles saved", "#flash", "contacts, emails, meetings", 5*time.Second)
	if eval[bool](b, `document.getElementById("toggle-calls").checked`) {
		t.Error("calls still checked after saving")
	}
	b.screenshot("calls-off")

	// Step 5: pick an owner.
	ownerID := eval[string](b, `document.querySelector("#owner_id").options[1].value`)
	ownerName, _, _ := strings.Cut(eval[string](b, `document.querySelector("#owner_id").options[1].text`), " (")
	b.do("pick owner", chromedp.SetValue(chromedp.ID("owner_id"), ownerID), chromedp.Click(chromedp.ID("save-owner")), chromedp.WaitVisible(chromedp.ID("flash")))
	b.waitText("owner saved", "#flash", "New records will be assigned to "+ownerName, 5*time.Second)
	b.screenshot("owner-picked")

	// Step 6: send a test contact and follow its link.
	b.do("test contact", chromedp.Click(chromedp.ID("send-test-contact")), chromedp.WaitVisible(chromedp.ID("test-contact-link")))
	if got := b.text("#test-contact-result"); !strings.Contains(got, "Test contact created in") || !strings.Contains(got, "seconds") {
		t.Errorf("test contact result: %q", got)
	}
	b.screenshot("test-contact-sent")
	href := b.attr("#test-contact-link", "href")
	if !strings.HasPrefix(href, strings.TrimSuffix(s.sb.BaseURL, "/")+"/hubspot/contacts/") {
		t.Errorf("record link %q is not the sandbox's record page", href)
	}
	b.do("follow link", chromedp.Click(chromedp.ID("test-contact-link")), chromedp.WaitReady(chromedp.CSS("body")))
	if page := b.text("body"); !strings.Contains(page, "Sync Test") {
		t.Errorf("record page does not show the test contact: %.500s", page)
	}
	b.screenshot("test-contact-in-crm")
	b.do("back", chromedp.Navigate(base+"/integrations/crm/hubspot"), chromedp.WaitVisible(chromedp.ID("status")))

	// The guide's Open Field Mapping jumps to the tab with HubSpot chosen;
	// add a fixed value there.
	b.do("open field mapping", chromedp.Click(chromedp.ID("open-field-mapping")), chromedp.WaitVisible(chromedp.ID("add-mapping")))
	if u := b.location(); !strings.HasSuffix(u, "/integrations/field-mapping?crm=hubspot") {
		t.Errorf("Open Field Mapping went to %s", u)
	}
	// HubSpot has no writable lead-source property; a fixed lifecycle stage
	// is the usual stamp.
	stageField, stage := "lifecyclestage", "lead"
	if !b.exists(`#add-crm_field option[value="` + stageField + `"]`) {
		t.Fatalf("HubSpot's field list lacks %s", stageField)
	}
	b.addFixedValue(stage, stageField)
	b.screenshot("fixed-value-added")

	// Step 7: a field becomes required in the CRM; new contacts fail and a
	// card explains it; supplying the field and retrying clears it.
	if err := s.sb.SetRequiredField(s.ctx, "hubspot", "contacts", "zip"); err != nil {
		t.Fatal(err)
	}
	conn, err := s.db.FindConnectionByProvider(s.ctx, s.ws.ID, crmsync.ProviderHubSpot)
	if err != nil {
		t.Fatal(err)
	}
	b.do("back to HubSpot", chromedp.Navigate(base+"/integrations/crm/hubspot"), chromedp.WaitVisible(chromedp.ID("health")))
	s.addContacts(t, "late", 3)
	if err := s.eng.SyncNow(s.ctx, s.ws.ID, conn.ID); err != nil {
		t.Fatal(err)
	}
	b.waitText("failure card", "#health", "Your CRM requires a field SalesHive did not send", 60*time.Second)
	if got := b.text("#count-failed"); got != "3" {
		t.Errorf("failed count %q, want 3", got)
	}
	b.screenshot("failure-card")
	b.do("supply the field", chromedp.Navigate(base+"/integrations/field-mapping?crm=hubspot"), chromedp.WaitVisible(chromedp.ID("add-mapping")))
	b.addFixedValue("00000", "zip")
	b.do("retry", chromedp.Navigate(base+"/integrations/crm/hubspot"), chromedp.WaitVisible(chromedp.ID("retry-failed")), chromedp.Click(chromedp.ID("retry-failed")))
	b.waitText("problem clears", "#health", "All clean", 60*time.Second)
	if n, err := s.sb.Count(s.ctx, "hubspot", "contacts", "zip", "00000"); err != nil || n != 3 {
		t.Errorf("contacts with the supplied zip: %d (%v), want 3", n, err)
	}
	if n, err := s.sb.Count(s.ctx, "hubspot", "contacts", stageField, stage); err != nil || n < 3 {
		t.Errorf("contacts stamped with the fixed value: %d (%v)", n, err)
	}
	b.screenshot("all-clean-after-retry")

	// Step 1: the guide is complete; dismiss it and reload: it stays hidden.
	if got := b.text("#guide-h"); got != "Setup complete" {
		t.Errorf("guide heading %q, want Setup complete", got)
	}
	// Wait for the page after the POST (the one before it had a flash too):
	// it no longer has the guide's X.
	b.do("dismiss guide", chromedp.Click(chromedp.ID("dismiss-guide")),
		chromedp.WaitNotPresent(chromedp.ID("dismiss-guide")), chromedp.WaitVisible(chromedp.ID("flash")),
		chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("status")))
	if b.exists("#dismiss-guide") || b.exists("#open-field-mapping") {
		t.Error("the guide came back after a reload")
	}
	b.screenshot("guide-dismissed")

	// Step 9: recent activity lists the pushes.
	if got := b.text("#activity"); !strings.Contains(got, "test contact") || !strings.Contains(got, "Failed") || !strings.Contains(got, "Success") {
		t.Errorf("recent activity: %.500s", got)
	}

	// Disconnect after confirming.
	b.do("disconnect", chromedp.Click(chromedp.ID("disconnect")), chromedp.WaitVisible(chromedp.ID("confirm-disconnect")))
	b.screenshot("disconnect-confirm")
	b.do("confirm", chromedp.Click(chromedp.ID("confirm-disconnect")), chromedp.WaitVisible(chromedp.ID("connect")))
	if got := b.text("#status-text"); !strings.Contains(got, "Not connected") {
		t.Errorf("status after disconnecting: %q", got)
	}
	b.screenshot("disconnected")

	// Phone width: nothing wider than the screen.
	b.do("phone width", chromedp.EmulateViewport(375, 800), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("status")))
	if eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth`) {
		t.Error("the page scrolls sideways at 375px")
	}
	b.screenshot("phone-width")
}

// addFixedValue adds an "A fixed value" mapping on the Field Mapping tab.
func (b *browserTab) addFixedValue(value, crmField string) {
	b.t.Helper()
	b.do("add fixed value "+value,
		chromedp.SetValue(chromedp.ID("add-send"), "fixed"),
		chromedp.SendKeys(chromedp.ID("add-fixed_value"), value),
		chromedp.SetValue(chromedp.ID("add-crm_field"), crmField),
		chromedp.Submit(chromedp.ID("add-fixed_value")),
		chromedp.WaitVisible(chromedp.ID("flash")))
	b.waitText("fixed value added", "#flash", "Added: the fixed value", 5*time.Second)
}

// TestBrowser_ZohoDatacenter checks that the chosen datacenter is where
// the Zoho sign-in goes, and that the connection remembers it.
func TestBrowser_ZohoDatacenter(t *testing.T) {
	s := startDemoStack(t)
	b := newBrowserTab(t)
	base := s.url
	b.signIn(base, s.user.Email)
	b.do("open Zoho", chromedp.Navigate(base+"/integrations/crm/zoho"), chromedp.WaitVisible(chromedp.ID("datacenter")))
	options := eval[[]string](b, `Array.from(document.querySelectorAll("#datacenter option")).map(o => o.text)`)
	if strings.Join(options, ",") != "United States,Europe,India,Australia,Japan" {
		t.Errorf("datacenter options: %v", options)
	}
	b.do("pick Europe", chromedp.SetValue(chromedp.ID("datacenter"), "eu"))
	b.screenshot("zoho-datacenter")
	b.do("connect", chromedp.Click(chromedp.ID("connect")), chromedp.WaitVisible(chromedp.ID("allow")))
	if u := b.location(); !strings.Contains(u, "/zoho/eu/accounts/") {
		t.Errorf("Zoho sign-in went to %s, want the Europe accounts server", u)
	}
	b.screenshot("zoho-consent-eu")
	b.do("allow", chromedp.Click(chromedp.ID("allow")), chromedp.WaitVisible(chromedp.ID("account-label")))
	if got := b.text("#status"); !strings.Contains(got, "Europe datacenter") {
		t.Errorf("status: %q", got)
	}
	b.screenshot("zoho-connected")
}
