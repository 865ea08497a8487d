package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/demo"
	"github.com/saleshive/crmsync/sandbox"
	"github.com/saleshive/crmsync/secret"
	"github.com/saleshive/crmsync/store/pgtest"
)

// waitFor polls cond every 200 ms until it holds or timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s (last: %s)", what, last)
}

// total is how many records of object the sandbox CRM holds.
func total(ctx context.Context, sb *sandbox.Client, crm, object string) int {
	l, err := sb.Records(ctx, crm, object, 0, 1)
	if err != nil {
		return -1
	}
	return l.Total
}

var pushesLine = regexp.MustCompile(`(?m)^crmsync_pushes_total\{outcome="success",provider="hubspot"\} (\d+)`)

// get fetches url and returns its status and body.
func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// signIn signs in to the pages over HTTP and returns a client holding the
// session cookie.
func signIn(t *testing.T, base, email, password string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	_, page := get(t, c, base+"/signin")
	form := url.Values{"email": {email}, "password": {password}}
	if m := csrfInput.FindStringSubmatch(page); m != nil {
		form.Set("csrf_token", m[1])
	}
	resp, err := c.PostForm(base+"/signin", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/integrations" {
		t.Fatalf("sign in as %s: %d %q", email, resp.StatusCode, resp.Header.Get("Location"))
	}
	return c
}

// TestRun_Demo runs `crmsync demo` on free ports: both printed logins sign
// in, a HubSpot connection made through the engine imports the demo
// contacts into the HubSpot sandbox, a generated activity follows on the
// next scheduled sync, /metrics counts the pushes, and a restart on the same
// data directory adds nothing.
func TestRun_Demo(t *testing.T) {
	const contacts = 300
	dir := t.TempDir()
	args := []string{"demo", "--addr", "127.0.0.1:0", "--sandbox-addr", "127.0.0.1:0", "--data-dir", dir,
		"--contacts", "300", "--sync-interval", "2s"}
	var st *demo.Stack
	app := startApp(t, env{}, &App{OnDemo: func(s *demo.Stack) { st = s }}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	out := app.stdout.String()
	for _, want := range []string{app.url + "/integrations", demo.ClientEmail, demo.StrategistEmail, st.Logins[0].Password,
		st.SandboxURL + "/hubspot", st.SandboxURL + "/salesforce", st.SandboxURL + "/pipedrive", st.SandboxURL + "/zoho", "crmsync-hubspot-secret"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	for _, l := range st.Logins {
		c := signIn(t, app.url, l.Email, l.Password)
		if code, body := get(t, c, app.url+"/integrations"); code != http.StatusOK || !strings.Contains(body, demo.WorkspaceName) {
			t.Errorf("integrations as %s: %d %.300s", l.Email, code, body)
		}
	}

	ws := st.Workspace
	authURL, err := st.Engine.StartConnect(ctx, ws.ID, crmsync.ProviderHubSpot, "")
	if err != nil {
		t.Fatal(err)
	}
	cb, err := st.Sandbox.Authorize(ctx, authURL, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != app.url+"/oauth/callback" {
		t.Errorf("OAuth redirect %s, want the demo's /oauth/callback", got)
	}
	params := map[string]string{}
	for k, v := range cb.Query() {
		params[k] = v[0]
	}
	conn, err := st.Engine.CompleteConnect(ctx, ws.ID, params["state"], params)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Engine.StartImport(ctx, ws.ID, conn.ID, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the demo contacts in HubSpot", 90*time.Second, func() (bool, string) {
		n := total(ctx, st.Sandbox, "hubspot", "contacts")
		return n == contacts, "contacts " + strconv.Itoa(n)
	})
	waitFor(t, "a generated activity in HubSpot", 90*time.Second, func() (bool, string) {
		n := total(ctx, st.Sandbox, "hubspot", "emails") + total(ctx, st.Sandbox, "hubspot", "calls") + total(ctx, st.Sandbox, "hubspot", "meetings")
		return n > 0, "activities " + strconv.Itoa(n)
	})

	code, metrics := get(t, http.DefaultClient, app.url+"/metrics")
	if m := pushesLine.FindStringSubmatch(metrics); code != http.StatusOK || m == nil || m[1] == "0" {
		t.Errorf("/metrics: %d, no HubSpot pushes counted:\n%.2000s", code, metrics)
	}
	for _, want := range []string{`crmsync_queue_jobs{state="available"}`, "go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	app.stop(t)

	// A restart on the same data directory finds everything it made.
	again := startApp(t, env{}, &App{OnDemo: func(s *demo.Stack) { st = s }}, args...)
	if !strings.Contains(again.stdout.String(), st.Logins[0].Password) {
		t.Errorf("the restart printed another password:\n%s", again.stdout.String())
	}
	wss, err := st.DB.FindWorkspaces(ctx)
	if err != nil || len(wss) != 1 {
		t.Errorf("workspaces after a restart: %d (%v), want 1", len(wss), err)
	}
	if n, err := st.DB.CountContacts(ctx, st.Workspace.ID); err != nil || n != contacts {
		t.Errorf("contacts after a restart: %d (%v), want %d", n, err, contacts)
	}
	again.stop(t)
}

// apiCall sends a JSON request with the API token and decodes the answer.
func apiCall(t *testing.T, method, url, token, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, data)
		}
	}
	return resp.StatusCode
}

// TestRun_WorkerAndWebOnly runs `crmsync worker` and `crmsync serve
// --work=false` on one PostgreSQL database, with HubSpot configured from
// the environment and pointed at a `crmsync sandbox`: the import and the
// sync the web process queues are executed by the worker.
func TestRun_WorkerAndWebOnly(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sbApp := startApp(t, env{}, nil, "sandbox", "--sandbox-addr", "127.0.0.1:0")
	sb := sandbox.NewClient(sbApp.url)
	if out := sbApp.stdout.String(); !strings.Contains(out, sbApp.url+"/hubspot") || !strings.Contains(out, "crmsync-zoho-secret") {
		t.Errorf("sandbox output:\n%s", out)
	}
	key, err := secret.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	e := env{
		"CRMSYNC_DATA_DIR":                t.TempDir(),
		"CRMSYNC_DATABASE_URL":            dsn,
		"CRMSYNC_SECRET_KEY":              base64.StdEncoding.EncodeToString(key),
		"CRMSYNC_HUBSPOT_CLIENT_ID":       "crmsync-hubspot",
		"CRMSYNC_HUBSPOT_CLIENT_SECRET":   "crmsync-hubspot-secret",
		"CRMSYNC_HUBSPOT_BASE_URL":        sbApp.url + "/hubspot",
		"CRMSYNC_SYNC_INTERVAL":           "1h", // only syncs the web process queues run
		"CRMSYNC_SALESFORCE_CLIENT_ID":    "",   // not offered
		"CRMSYNC_PIPEDRIVE_CLIENT_SECRET": "ignored without a client id",
	}
	mustRun(t, e, "", "migrate") // once, before several processes start
	worker := startApp(t, e, nil, "worker", "--addr", "127.0.0.1:0")
	web := startServe(t, e, "--work=false")
	if !strings.Contains(web.stderr.String(), "work=false") || !strings.Contains(web.stderr.String(), "crms=[hubspot]") {
		t.Errorf("serve log:\n%s", web.stderr.String())
	}

	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/api/v1/contacts": 404} {
		if code, _ := get(t, http.DefaultClient, worker.url+path); code != want {
			t.Errorf("worker %s = %d, want %d", path, code, want)
		}
	}

	wsID := workspaceLine.FindStringSubmatch(mustRun(t, e, "", "workspace", "create", "--name", "Acme", "--strategist-name", "Sam Lee", "--strategist-email", "sam@saleshive.example"))[1]
	token := strings.TrimSpace(mustRun(t, e, "", "token", "create", "--workspace", wsID, "--name", "platform"))
	apiCall(t, "POST", web.url+"/api/v1/contacts/batch", token,
		`{"contacts":[{"source_id":"c-1","first_name":"Ada","last_name":"Lovelace","email":"ada@example.com"},{"source_id":"c-2","first_name":"Alan","last_name":"Turing","email":"alan@example.com"}]}`, nil)

	var connect struct {
		AuthorizeURL string `json:"authorize_url"`
	}
	apiCall(t, "POST", web.url+"/api/v1/connections/hubspot/connect", token, `{}`, &connect)
	cb, err := sb.Authorize(ctx, connect.AuthorizeURL, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != web.url+"/oauth/callback" {
		t.Errorf("OAuth redirect %s, want serve's /oauth/callback", got)
	}
	params := map[string]string{}
	for k, v := range cb.Query() {
		params[k] = v[0]
	}
	body, _ := json.Marshal(map[string]any{"params": params})
	apiCall(t, "POST", web.url+"/api/v1/oauth/callback", token, string(body), nil)
	apiCall(t, "POST", web.url+"/api/v1/connections/hubspot/import", token, `{}`, nil)
	waitFor(t, "the import, run by the worker", 60*time.Second, func() (bool, string) {
		n := total(ctx, sb, "hubspot", "contacts")
		return n == 2, "contacts " + strconv.Itoa(n)
	})

	// A sync the web process queues (retry enqueues one now) is run by the
	// worker: the new email reaches HubSpot.
	apiCall(t, "POST", web.url+"/api/v1/activities", token,
		`{"source_id":"a-1","contact_source_id":"c-1","kind":"email","subject":"Hello","direction":"outbound","occurred_at":"2026-01-02T15:04:05Z"}`, nil)
	apiCall(t, "POST", web.url+"/api/v1/connections/hubspot/retry", token, `{}`, nil)
	waitFor(t, "the email, synced by the worker", 60*time.Second, func() (bool, string) {
		n := total(ctx, sb, "hubspot", "emails")
		return n == 1, "emails " + strconv.Itoa(n)
	})

	_, wm := get(t, http.DefaultClient, worker.url+"/metrics")
	if m := pushesLine.FindStringSubmatch(wm); m == nil || m[1] == "0" {
		t.Errorf("worker /metrics counts no HubSpot pushes:\n%.2000s", wm)
	}
	_, sm := get(t, http.DefaultClient, web.url+"/metrics")
	if pushesLine.MatchString(sm) {
		t.Error("the web-only process pushed records itself")
	}
	if !strings.Contains(sm, "crmsync_queue_jobs") {
		t.Error("serve /metrics lacks the queue depth")
	}
}
