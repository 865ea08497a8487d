package hubspot_test

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
	"github.com/saleshive/crmsync/sandbox/hubspot"
)

// epoch is the fixed time every fixture starts at.
var epoch = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// fixture is one HubSpot emulator behind a real HTTP server, with a token
// holding the connector's scopes.
type fixture struct {
	t      testing.TB
	crm    *hubspot.CRM
	srv    *httptest.Server
	base   string
	clock  *emu.Clock
	token  string
	client *emutest.Client
}

func newFixture(t testing.TB, configure ...func(*emu.Config)) *fixture {
	t.Helper()
	clock := emu.NewClock(func() time.Time { return epoch })
	cfg := emu.Config{Clock: clock}
	for _, f := range configure {
		f(&cfg)
	}
	c := hubspot.New(cfg)
	srv := httptest.NewServer(emu.Mount("/hubspot", emu.Serve(c)))
	t.Cleanup(srv.Close)
	f := &fixture{t: t, crm: c, srv: srv, base: srv.URL + "/hubspot", clock: clock}
	f.token = c.Env().OAuth.Mint(hubspot.DefaultScopes, "9586504", nil).AccessToken
	f.client = &emutest.Client{T: t, Base: f.base, Token: f.token}
	return f
}

// call sends a request with the fixture's token.
func (f *fixture) call(method, path string, body any) emutest.Response {
	f.t.Helper()
	return f.client.Do(method, path, body)
}

// callWith sends a request with another token ("" sends none).
func (f *fixture) callWith(token, method, path string, body any) emutest.Response {
	f.t.Helper()
	return f.client.DoToken(token, method, path, body)
}

func (f *fixture) form(path string, values url.Values) emutest.Response {
	f.t.Helper()
	return f.client.Form(path, values)
}

func (f *fixture) send(req *http.Request) emutest.Response {
	f.t.Helper()
	return emutest.Send(f.t, req)
}

func wantStatus(t testing.TB, r emutest.Response, want int) {
	t.Helper()
	r.WantStatus(t, want)
}

// tokenMask hides the emulator's random access tokens in golden files.
var tokenMask = emutest.Mask{RE: regexp.MustCompile(`CN[0-9a-f]{16}-na1-[0-9a-f]{56}`), With: "<access-token>"}

func golden(t testing.TB, name string, request any, r emutest.Response) {
	t.Helper()
	emutest.Golden(t, name, request, r, tokenMask)
}

// errorBody is HubSpot's error body as tests read it.
type errorBody struct {
	Status        string `json:"status"`
	Message       string `json:"message"`
	CorrelationID string `json:"correlationId"`
	Category      string `json:"category"`
	SubCategory   string `json:"subCategory"`
	ErrorType     string `json:"errorType"`
	PolicyName    string `json:"policyName"`
	Errors        []struct {
		Message string              `json:"message"`
		Code    string              `json:"code"`
		Context map[string][]string `json:"context"`
	} `json:"errors"`
	Context map[string][]string `json:"context"`
}

func wantError(t testing.TB, r emutest.Response, status int, category string) errorBody {
	t.Helper()
	wantStatus(t, r, status)
	var e errorBody
	r.Decode(t, &e)
	if e.Status != "error" || e.CorrelationID == "" || e.Category != category {
		t.Fatalf("error body = %s, want status error, a correlationId and category %q", r.Body, category)
	}
	return e
}

// contact is a created contact's id.
func (f *fixture) createContact(props map[string]any) string {
	f.t.Helper()
	r := f.call(http.MethodPost, "/crm/v3/objects/contacts", map[string]any{"properties": props})
	wantStatus(f.t, r, http.StatusCreated)
	var obj struct {
		ID string `json:"id"`
	}
	r.Decode(f.t, &obj)
	return obj.ID
}

// createUniqueProperty adds the SalesHive external id property.
func (f *fixture) createUniqueProperty() {
	f.t.Helper()
	r := f.call(http.MethodPost, "/crm/v3/properties/contacts", map[string]any{
		"name": "saleshive_external_id", "label": "SalesHive External ID", "type": "string",
		"fieldType": "text", "groupName": "contactinformation", "hasUniqueValue": true,
	})
	wantStatus(f.t, r, http.StatusCreated)
}

// issue is one entry embedded in "Property values were not valid: [...]".
type issue struct {
	IsValid bool   `json:"isValid"`
	Message string `json:"message"`
	Error   string `json:"error"`
	Name    string `json:"name"`
}

// embeddedIssues parses the JSON HubSpot embeds in a validation message.
func embeddedIssues(t testing.TB, msg string) []issue {
	t.Helper()
	const prefix = "Property values were not valid: "
	if !strings.HasPrefix(msg, prefix) {
		t.Fatalf("message %q lacks %q", msg, prefix)
	}
	var out []issue
	if err := json.Unmarshal([]byte(strings.TrimPrefix(msg, prefix)), &out); err != nil {
		t.Fatalf("embedded issues in %q: %v", msg, err)
	}
	return out
}

func emuWindow(max int, periodMS int64) emu.Window {
	return emu.Window{Max: max, PeriodMS: periodMS, Rolling: true}
}
