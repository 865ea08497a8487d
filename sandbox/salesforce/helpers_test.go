package salesforce

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
	"github.com/saleshive/crmsync/sandbox/emu/emutest"
)

// testEpoch is the fixed start of every test clock, so ids, dates and golden files repeat.
var testEpoch = time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)

// sandbox is one Salesforce sandbox behind an httptest server, with a minted token.
type sandbox struct {
	t     *testing.T
	crm   *CRM
	srv   *httptest.Server
	base  string // instance_url
	token string
	admin string // the token's user id
}

// mustStart starts a sandbox mounted at /salesforce as the root package mounts it.
func mustStart(t *testing.T, cfg emu.Config) *sandbox {
	t.Helper()
	if cfg.Clock == nil {
		cfg.Clock = emu.NewClock(func() time.Time { return testEpoch })
	}
	c := New(cfg)
	srv := httptest.NewServer(emu.Mount("/salesforce", emu.Serve(c)))
	t.Cleanup(srv.Close)
	s := &sandbox{t: t, crm: c, srv: srv, base: srv.URL + "/salesforce"}
	users, _ := c.env.Store.List(ObjectUser, 0, 0)
	s.admin = users[0].ID
	s.token = c.env.OAuth.Mint([]string{"api", "refresh_token", "id"}, s.admin, nil).AccessToken
	return s
}

// response is a recorded HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with the sandbox's token (token "" sends none). body may be a string
// or a value to marshal.
func (s *sandbox) do(method, path string, body any) response {
	s.t.Helper()
	return s.doToken(s.token, method, path, body)
}

func (s *sandbox) doToken(token, method, path string, body any) response {
	s.t.Helper()
	c := emutest.Client{T: s.t, Base: s.base}
	return fromEmu(c.DoToken(token, method, path, body))
}

// send sends req without following redirects.
func (s *sandbox) send(req *http.Request) response {
	s.t.Helper()
	return fromEmu(emutest.Send(s.t, req))
}

// fromEmu is r as the tests read it.
func fromEmu(r emutest.Response) response {
	return response{status: r.Status, header: r.Header, body: r.Body}
}

// data prefixes a REST path with /services/data/v60.0.
func data(path string) string { return "/services/data/v60.0" + path }

// decode unmarshals a response body.
func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %T from %q: %v", v, r.body, err)
	}
	return v
}

// wantStatus fails unless r has the status.
func wantStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
}

// volatile matches values that change between runs: the server's port, tokens, signatures.
var volatile = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`http://127\.0\.0\.1:\d+`), "http://sandbox"},
	{regexp.MustCompile(`00D[0-9A-Za-z]{12}![0-9A-Za-z]+`), "<access_token>"},
	{regexp.MustCompile(`5Aep861[0-9a-f]+`), "<refresh_token>"},
	{regexp.MustCompile(`"signature":\s*"[^"]+"`), `"signature": "<signature>"`},
}

// golden compares a request/response exchange with testdata/{name}.golden (rewritten with
// -update). JSON bodies are indented; volatile values are replaced by placeholders.
func golden(t *testing.T, name string, request any, r response) {
	t.Helper()
	var b strings.Builder
	if request != nil {
		b.WriteString("request:\n")
		raw, ok := request.(string)
		if !ok {
			j, _ := json.Marshal(request)
			raw = string(j)
		}
		b.WriteString(pretty(raw))
		b.WriteString("\n")
	}
	b.WriteString("response " + http.StatusText(r.status) + " (" + itoa(r.status) + "):\n")
	if lim := r.header.Get("Sforce-Limit-Info"); lim != "" {
		b.WriteString("Sforce-Limit-Info: " + lim + "\n")
	}
	b.WriteString(pretty(string(r.body)))
	got := b.String()
	for _, v := range volatile {
		got = v.re.ReplaceAllString(got, v.repl)
	}
	emutest.CompareGolden(t, name, []byte(got))
}

func pretty(s string) string {
	var out bytes.Buffer
	if err := json.Indent(&out, []byte(s), "", "  "); err != nil {
		return strings.TrimRight(s, "\n")
	}
	return out.String()
}

func itoa(n int) string { return strconv.Itoa(n) }

// createExtField creates the Contact external id field used by most tests.
func (s *sandbox) createExtField(name string, unique bool) {
	s.t.Helper()
	r := s.do("POST", data("/tooling/sobjects/CustomField"), CustomFieldRequest{
		FullName: "Contact." + name,
		Metadata: CustomFieldMetadata{Label: "SalesHive External ID", Type: "Text", Length: 255, ExternalID: true, Unique: unique},
	})
	wantStatus(s.t, r, http.StatusCreated)
	s.grantFLS("Contact", name, true)
}

// permissionSet returns the id of the admin profile's permission set.
func (s *sandbox) permissionSet() string {
	s.t.Helper()
	r := s.do("GET", data("/query?q=SELECT+Id+FROM+PermissionSet+WHERE+IsOwnedByProfile+=+true"), nil)
	wantStatus(s.t, r, http.StatusOK)
	res := decode[struct {
		Records []struct {
			ID string `json:"Id"`
		} `json:"records"`
	}](s.t, r)
	if len(res.Records) != 1 {
		s.t.Fatalf("permission sets: %s", r.body)
	}
	return res.Records[0].ID
}

// grantFLS grants read (and edit) on object.field to the admin profile.
func (s *sandbox) grantFLS(object, field string, edit bool) {
	s.t.Helper()
	r := s.do("POST", data("/sobjects/FieldPermissions"), map[string]any{"ParentId": s.permissionSet(), "SobjectType": object,
		"Field": object + "." + field, "PermissionsRead": true, "PermissionsEdit": edit})
	wantStatus(s.t, r, http.StatusCreated)
}
