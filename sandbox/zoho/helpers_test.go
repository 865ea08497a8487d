package zoho

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
	"github.com/saleshive/crmsync/sandbox/emu/emutest"
)

// testStart is the fixed clock start of every test, so golden bodies are stable.
var testStart = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

// env is one running Zoho sandbox for a test.
type env struct {
	t      testing.TB
	crm    *CRM
	srv    *httptest.Server
	base   string // {root}/zoho
	clock  *emu.Clock
	client *http.Client
}

func newEnv(t testing.TB) *env {
	t.Helper()
	clock := emu.NewClock(func() time.Time { return testStart })
	c := New(emu.Config{Clock: clock})
	mux := http.NewServeMux()
	mux.Handle("/zoho/", emu.Mount("/zoho", emu.Serve(c)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{
		t: t, crm: c, srv: srv, base: srv.URL + "/zoho", clock: clock,
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return m
}

// do sends a request with an optional JSON body and Authorization header.
func (e *env) do(method, u, auth string, body any) response {
	e.t.Helper()
	req := emutest.NewRequest(e.t, method, u, body)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return fromEmu(emutest.Send(e.t, req))
}

// fromEmu is r as the tests read it.
func fromEmu(r emutest.Response) response {
	return response{status: r.Status, header: r.Header, body: r.Body}
}

// api calls {base}/{dc}/api/crm/v8{path} with a Zoho-oauthtoken.
func (e *env) api(method, path, token string, body any) response {
	e.t.Helper()
	return e.do(method, e.base+"/us/api/crm/v8"+path, "Zoho-oauthtoken "+token, body)
}

// postForm posts a form to the accounts server of dc.
func (e *env) postForm(dc, path string, form url.Values) response {
	e.t.Helper()
	c := emutest.Client{T: e.t, Base: e.base + "/" + dc + "/accounts"}
	return fromEmu(c.Form(path, form))
}

const (
	testClientID = "crmsync-zoho"
	testSecret   = "crmsync-zoho-secret"
	testRedirect = "http://localhost:9999/oauth/zoho/callback"
	testScopes   = "ZohoCRM.modules.contacts.ALL,ZohoCRM.modules.calls.ALL,ZohoCRM.modules.events.ALL,ZohoCRM.modules.emails.ALL,ZohoCRM.settings.fields.ALL,ZohoCRM.users.READ,ZohoCRM.org.READ"
)

// authorize runs the consent page at dc's accounts server and returns the
// callback query.
func (e *env) authorize(dc string, q url.Values, decision string) url.Values {
	e.t.Helper()
	u := e.base + "/" + dc + "/accounts/oauth/v2/auth?" + q.Encode()
	page := e.do(http.MethodGet, u, "", nil)
	if page.status != http.StatusOK {
		e.t.Fatalf("consent page: %d %s", page.status, page.body)
	}
	resp, err := e.client.PostForm(u, url.Values{"decision": {decision}})
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		e.t.Fatalf("consent post: status %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	return loc.Query()
}

func authQuery(state string) url.Values {
	return url.Values{
		"scope": {testScopes}, "client_id": {testClientID}, "response_type": {"code"},
		"access_type": {"offline"}, "redirect_uri": {testRedirect}, "prompt": {"consent"}, "state": {state},
	}
}

// connect runs the whole OAuth flow and returns the token response.
func (e *env) connect() TokenResponse {
	e.t.Helper()
	cb := e.authorize("us", authQuery("s1"), "allow")
	resp := e.postForm("us", "/oauth/v2/token", url.Values{
		"grant_type": {"authorization_code"}, "client_id": {testClientID}, "client_secret": {testSecret},
		"redirect_uri": {testRedirect}, "code": {cb.Get("code")},
	})
	var tr TokenResponse
	if err := json.Unmarshal(resp.body, &tr); err != nil || tr.AccessToken == "" {
		e.t.Fatalf("token exchange: %s", resp.body)
	}
	return tr
}

// token mints an access token with every scope, skipping the consent flow.
func (e *env) token() string {
	return e.crm.Env().OAuth.Mint(splitScopes(testScopes), e.crm.primaryUser().ID, map[string]string{"dc": "us", "access_type": "offline"}).AccessToken
}

var tokenPattern = regexp.MustCompile(`1000\.[0-9a-f]{32}\.[0-9a-f]{32}`)

// normalize makes a body stable for golden files: tokens and the test
// server's address are replaced, JSON is indented.
func (e *env) normalize(body []byte) []byte {
	s := strings.ReplaceAll(string(body), e.srv.URL, "http://sandbox")
	s = tokenPattern.ReplaceAllString(s, "1000.TOKEN")
	var v any
	if json.Unmarshal([]byte(s), &v) == nil {
		out, _ := json.MarshalIndent(v, "", "  ")
		return append(out, '\n')
	}
	return []byte(s)
}

// golden compares got (normalized) with testdata/{name}.golden.
func (e *env) golden(name string, got []byte) {
	e.t.Helper()
	emutest.CompareGolden(e.t, name, e.normalize(got))
}

// wantError checks a request-level Zoho error.
func wantError(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if got := r.json(t)["code"]; got != code {
		t.Fatalf("code = %v, want %s; body %s", got, code, r.body)
	}
}
