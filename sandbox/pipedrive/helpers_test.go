package pipedrive

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
	"github.com/saleshive/crmsync/sandbox/emu/emutest"
)

// testEpoch is the fixed time of the test clock: tokens, windows and record
// times only move when a test advances the clock.
var testEpoch = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// sandbox is one Pipedrive sandbox behind a test server.
type sandbox struct {
	t     testing.TB
	crm   *CRM
	srv   *httptest.Server
	base  string // the api_domain: server URL + "/pipedrive"
	token string // a minted access token of the installing user
}

// mustStart serves a fresh Pipedrive sandbox under /pipedrive as the root
// package mounts it (emu.Mount + emu.Serve), with a fixed clock.
func mustStart(t testing.TB, opts Options) *sandbox {
	t.Helper()
	c := NewWithOptions(emu.Config{Clock: emu.NewClock(func() time.Time { return testEpoch })}, opts)
	mux := http.NewServeMux()
	mux.Handle("/pipedrive/", emu.Mount("/pipedrive", emu.Serve(c)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &sandbox{t: t, crm: c, srv: srv, base: srv.URL + "/pipedrive", token: c.MintToken().AccessToken}
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into v.
func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// do sends a request to the sandbox with the given bearer token ("" for none).
func (s *sandbox) do(method, path, token string, body any) response {
	s.t.Helper()
	req := emutest.NewRequest(s.t, method, s.base+path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return fromEmu(emutest.Send(s.t, req))
}

// fromEmu is r as the tests read it.
func fromEmu(r emutest.Response) response {
	return response{status: r.Status, header: r.Header, body: r.Body}
}

// api sends an authenticated API request with the minted token.
func (s *sandbox) api(method, path string, body any) response {
	s.t.Helper()
	return s.do(method, path, s.token, body)
}

// mustAPI sends an API request and fails unless the status is want.
func (s *sandbox) mustAPI(method, path string, body any, want int) response {
	s.t.Helper()
	r := s.api(method, path, body)
	if r.status != want {
		s.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	return r
}

// form posts a URL-encoded form with HTTP Basic client credentials ("" user: none).
func (s *sandbox) form(path string, values url.Values, user, pass string) response {
	s.t.Helper()
	req := emutest.NewFormRequest(s.t, s.base+path, values)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	return fromEmu(emutest.Send(s.t, req))
}

// golden compares an exchange with testdata/name.golden: the request body
// (if any), the status and the response body, JSON indented. -update rewrites it.
func golden(t *testing.T, name string, request any, r response) {
	t.Helper()
	var doc struct {
		Request  any             `json:"request,omitempty"`
		Status   int             `json:"status"`
		Response json.RawMessage `json:"response"`
	}
	doc.Request, doc.Status = request, r.status
	var compact bytes.Buffer
	if err := json.Compact(&compact, r.body); err != nil {
		t.Fatalf("golden %s: response is not JSON: %s", name, r.body)
	}
	doc.Response = compact.Bytes()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	emutest.CompareGolden(t, name, buf.Bytes())
}

// errorBody is Pipedrive's error envelope as the tests read it.
type errorBody struct {
	Success   bool   `json:"success"`
	Error     string `json:"error"`
	ErrorInfo string `json:"error_info"`
	ErrorCode int    `json:"errorCode"`
	Code      string `json:"code"`
}

// wantError fails unless r is status with Pipedrive's envelope and msg (a substring).
func wantError(t *testing.T, r response, status int, msg string) errorBody {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	var e errorBody
	r.json(t, &e)
	if e.Success || !strings.Contains(e.Error, msg) || e.ErrorInfo == "" {
		t.Fatalf("error body %s, want success=false, error containing %q and error_info", r.body, msg)
	}
	return e
}

// jsonBody encodes v as a request body.
func jsonBody(t *testing.T, v any) io.Reader {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(raw)
}
