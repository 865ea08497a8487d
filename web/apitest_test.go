package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/web"
)

// backend is what the API tests need from a store: the services the server
// uses plus the change log, to prove that a rejected batch wrote nothing.
type backend interface {
	crmsync.WorkspaceService
	crmsync.ContactService
	crmsync.ActivityService
	crmsync.ChangeLog
}

// testAPI is a web.Server on a real loopback listener over a backend, with
// two workspaces and a token for each. Every /api/v1 response its client
// receives is validated against the OpenAPI document.
type testAPI struct {
	t      *testing.T
	db     backend
	srv    *httptest.Server
	client *http.Client
	ws     [2]int64  // two workspaces
	tokens [2]string // their API tokens
	logs   *lockedWriter
}

func newTestAPI(t *testing.T, db backend) *testAPI {
	t.Helper()
	ctx := context.Background()
	a := &testAPI{t: t, db: db, logs: &lockedWriter{w: new(bytes.Buffer)}}
	for i := range a.ws {
		w := &crmsync.Workspace{Name: "Acme " + string(rune('A'+i)), StrategistName: "Sam Strategist", StrategistEmail: "sam@saleshive.example"}
		if err := db.CreateWorkspace(ctx, w); err != nil {
			t.Fatalf("create workspace: %v", err)
		}
		tok, _, err := db.CreateAPIToken(ctx, w.ID, "test")
		if err != nil {
			t.Fatalf("create token: %v", err)
		}
		a.ws[i], a.tokens[i] = w.ID, tok
	}
	logger := slog.New(slog.NewJSONHandler(a.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	handler := web.NewServer(web.Config{Workspaces: db, Contacts: db, Activities: db, Logger: logger})
	a.srv = httptest.NewServer(handler)
	t.Cleanup(a.srv.Close)
	a.client = &http.Client{Transport: &validatingTransport{t: t, router: openAPIRouter(t), base: http.DefaultTransport}}
	return a
}

// response is a received HTTP response with its body read.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// decode unmarshals the body into v, failing the test on error.
func (r *response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// apiError decodes an error body.
func (r *response) apiError(t *testing.T) errorResponse {
	t.Helper()
	var e errorResponse
	r.decode(t, &e)
	return e
}

type errorResponse struct {
	Error struct {
		Code    string               `json:"code"`
		Message string               `json:"message"`
		Fields  []crmsync.FieldError `json:"fields"`
	} `json:"error"`
}

// fieldNames lists the fields of an error, in order.
func (e errorResponse) fieldNames() []string {
	var names []string
	for _, f := range e.Error.Fields {
		names = append(names, f.Field)
	}
	return names
}

// do sends a request with the given bearer token ("" for none). body may
// be nil, a string or []byte sent verbatim, or any value sent as JSON. It
// fails the test on a transport error, so call it from the test goroutine.
func (a *testAPI) do(method, path, token string, body any) *response {
	a.t.Helper()
	resp, err := a.tryDo(method, path, token, body)
	if err != nil {
		a.t.Fatal(err)
	}
	return resp
}

// tryDo is do that returns transport errors, for use from other goroutines.
func (a *testAPI) tryDo(method, path, token string, body any) (*response, error) {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, a.srv.URL+path, r)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// snapshot is what a workspace holds, to prove a rejected write changed nothing.
type snapshot struct {
	Contacts  int
	LatestSeq int64
	List      []*crmsync.Contact
}

func (a *testAPI) snapshot(ws int64) snapshot {
	a.t.Helper()
	ctx := context.Background()
	n, err := a.db.CountContacts(ctx, ws)
	if err != nil {
		a.t.Fatal(err)
	}
	seq, err := a.db.LatestChangeSeq(ctx, ws)
	if err != nil {
		a.t.Fatal(err)
	}
	list, err := a.db.FindContacts(ctx, ws, crmsync.ContactFilter{Limit: 1000})
	if err != nil {
		a.t.Fatal(err)
	}
	return snapshot{Contacts: n, LatestSeq: seq, List: list}
}

var (
	openAPIOnce sync.Once
	openAPIDoc  *openapi3.T
	openAPIErr  error
)

// loadOpenAPI loads and validates the embedded OpenAPI document once.
func loadOpenAPI(t testing.TB) *openapi3.T {
	t.Helper()
	openAPIOnce.Do(func() {
		loader := openapi3.NewLoader()
		openAPIDoc, openAPIErr = loader.LoadFromData(web.OpenAPI)
		if openAPIErr == nil {
			openAPIErr = openAPIDoc.Validate(loader.Context)
		}
	})
	if openAPIErr != nil {
		t.Fatalf("OpenAPI document: %v", openAPIErr)
	}
	return openAPIDoc
}

func openAPIRouter(t testing.TB) routers.Router {
	t.Helper()
	router, err := gorillamux.NewRouter(loadOpenAPI(t))
	if err != nil {
		t.Fatalf("OpenAPI router: %v", err)
	}
	return router
}

// validatingTransport checks every /api/v1 response against the OpenAPI
// document: its status must be documented for the operation and its body
// must match the documented schema.
type validatingTransport struct {
	t      *testing.T
	router routers.Router
	base   http.RoundTripper
}

func (v *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := v.base.RoundTrip(req)
	if err != nil || !strings.HasPrefix(req.URL.Path, "/api/v1/") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		v.t.Errorf("%s %s: not in the OpenAPI document: %v", req.Method, req.URL.Path, err)
		return resp, nil
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                opts,
	}
	input.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(req.Context(), input); err != nil {
		v.t.Errorf("%s %s: %d response does not match the OpenAPI document: %v\nbody: %.500s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
	return resp, nil
}

// lockedWriter collects log output from concurrent handlers.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
