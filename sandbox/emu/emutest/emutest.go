// Package emutest holds the test helpers every CRM sandbox's tests share:
// an HTTP client that never follows redirects and records the answer, and
// golden files of wire exchanges (request body, status, response body) with
// random values masked. Run a package's tests with -update to rewrite its
// testdata/*.golden files.
package emutest

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// Response is one recorded HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decode unmarshals the body into v or fails the test.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// WantStatus fails the test unless the answer has status want.
func (r Response) WantStatus(t testing.TB, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status = %d, want %d; body %s", r.Status, want, r.Body)
	}
}

// Client sends requests to one sandbox base URL.
type Client struct {
	// T is the test the requests belong to.
	T testing.TB
	// Base is the CRM's base URL ("http://127.0.0.1:4321/hubspot").
	Base string
	// Token is sent by Do as "Authorization: {AuthScheme} {Token}".
	Token string
	// AuthScheme is the Authorization scheme; "" means "Bearer".
	AuthScheme string
}

// Do sends a request with the client's token. body may be nil, a string
// (sent as is) or a value marshalled to JSON.
func (c *Client) Do(method, path string, body any) Response {
	c.T.Helper()
	return c.DoToken(c.Token, method, path, body)
}

// DoToken is Do with another token ("" sends no Authorization header).
func (c *Client) DoToken(token, method, path string, body any) Response {
	c.T.Helper()
	req := NewRequest(c.T, method, c.Base+path, body)
	if token != "" {
		scheme := c.AuthScheme
		if scheme == "" {
			scheme = "Bearer"
		}
		req.Header.Set("Authorization", scheme+" "+token)
	}
	return Send(c.T, req)
}

// NewRequest builds a request to rawURL. body may be nil, a string or []byte
// (sent as is) or a value marshalled to JSON; a request with a body is
// sent as application/json.
func NewRequest(t testing.TB, method, rawURL string, body any) *http.Request {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, rawURL, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// Form posts an application/x-www-form-urlencoded body.
func (c *Client) Form(path string, values url.Values) Response {
	c.T.Helper()
	return Send(c.T, NewFormRequest(c.T, c.Base+path, values))
}

// NewFormRequest builds a POST of values, URL-encoded, to rawURL.
func NewFormRequest(t testing.TB, rawURL string, values url.Values) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(values.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// Send sends req without following redirects and records the answer.
func Send(t testing.TB, req *http.Request) Response {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Mask replaces every match of RE with With in golden output.
type Mask struct {
	RE   *regexp.Regexp
	With string
}

// DefaultMasks hide what changes between runs in every CRM: UUIDs
// (correlation ids) and the loopback address of the test server.
var DefaultMasks = []Mask{
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "<uuid>"},
	{regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+`), "http://sandbox"},
}

// Golden compares a wire exchange with testdata/name.golden: the request
// body (when not nil; []byte is taken as JSON text, anything else is
// marshalled), the status and the response body, both indented in wire
// order, with DefaultMasks and masks applied. -update rewrites the file.
func Golden(t testing.TB, name string, request any, r Response, masks ...Mask) {
	t.Helper()
	var buf bytes.Buffer
	if request != nil {
		raw, ok := request.([]byte)
		if !ok {
			var err error
			if raw, err = json.Marshal(request); err != nil {
				t.Fatal(err)
			}
		}
		buf.WriteString("-- request --\n")
		writeIndented(t, &buf, raw)
	}
	fmt.Fprintf(&buf, "-- response %d --\n", r.Status)
	writeIndented(t, &buf, r.Body)
	got := buf.Bytes()
	for _, m := range append(DefaultMasks, masks...) {
		got = m.RE.ReplaceAll(got, []byte(m.With))
	}
	CompareGolden(t, name, got)
}

// CompareGolden compares got with testdata/name.golden, or with -update
// (re)writes the file.
func CompareGolden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run the tests with -update)", name, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (run with -update to accept):\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

// writeIndented writes a JSON body indented, or the raw text when it is not JSON.
func writeIndented(t testing.TB, buf *bytes.Buffer, raw []byte) {
	t.Helper()
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		buf.WriteString("(empty)\n")
		return
	}
	if err := json.Indent(buf, raw, "", "  "); err != nil {
		buf.Write(raw)
	}
	buf.WriteByte('\n')
}
