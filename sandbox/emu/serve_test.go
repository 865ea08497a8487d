package emu_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// fakeCRM is the smallest emu.CRM: one write endpoint and one page.
type fakeCRM struct {
	env    *emu.Env
	writes atomic.Int64
}

func newFakeCRM() *fakeCRM {
	c := &fakeCRM{}
	c.env = emu.NewEnv(emu.Config{}, emu.EnvOptions{Name: "fake", Title: "Fake CRM", AccessTokenTTL: time.Hour})
	return c
}

func (c *fakeCRM) Name() string  { return "fake" }
func (c *fakeCRM) Env() *emu.Env { return c.env }
func (c *fakeCRM) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /write", func(w http.ResponseWriter, r *http.Request) {
		c.writes.Add(1)
		emu.WriteJSON(w, http.StatusCreated, map[string]string{"base": emu.BaseURL(r)})
	})
	mux.HandleFunc("GET /oauth/authorize", c.consent)
	mux.HandleFunc("POST /oauth/authorize", c.consent)
	return mux
}
func (c *fakeCRM) consent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	emu.ServeConsent(w, r, c.env.OAuth, emu.Consent{Vendor: "Fake", AccountName: c.env.Config.AccountName, AppName: "The App",
		CodeRequest: emu.CodeRequest{ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri")}, State: q.Get("state"),
		RedirectParams: url.Values{"location": {"us"}}})
}
func (c *fakeCRM) WriteFault(w http.ResponseWriter, r *http.Request, status int) {
	emu.WriteJSON(w, status, map[string]string{"fake_error": fmt.Sprint(status)})
}

func startFake(t *testing.T) (*fakeCRM, string) {
	t.Helper()
	c := newFakeCRM()
	srv := httptest.NewServer(emu.Mount("/fake", emu.Serve(c)))
	t.Cleanup(srv.Close)
	return c, srv.URL + "/fake"
}

func post(t *testing.T, url string) (*http.Response, string, error) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b), nil
}

func TestServe_FaultsAndLog(t *testing.T) {
	t.Parallel()
	c, base := startFake(t)
	resp, body, err := post(t, base+"/write")
	if err != nil || resp.StatusCode != http.StatusCreated || !strings.Contains(body, `"base":"http://127.0.0.1:`) || !strings.Contains(body, `/fake"`) {
		t.Fatalf("plain write = %v %s", err, body)
	}

	t.Run("Error", func(t *testing.T) {
		if err := c.env.Faults.Set(emu.FaultConfig{ErrorRate: 1, ErrorStatus: 503, Remaining: 1}); err != nil {
			t.Fatal(err)
		}
		before := c.writes.Load()
		resp, body, _ := post(t, base+"/write")
		if resp.StatusCode != 503 || !strings.Contains(body, `"fake_error":"503"`) || c.writes.Load() != before {
			t.Fatalf("injected error = %d %s (writes %d→%d)", resp.StatusCode, body, before, c.writes.Load())
		}
		if _, on := c.env.Faults.Get(); on {
			t.Fatal("fault with remaining 1 still in force")
		}
	})
	t.Run("DropAfterCommit", func(t *testing.T) {
		_ = c.env.Faults.Set(emu.FaultConfig{DropAfterCommitRate: 1, PathContains: "/write", Remaining: 1})
		before := c.writes.Load()
		if _, _, err := post(t, base+"/write"); err == nil {
			t.Fatal("dropped response reached the client")
		}
		if c.writes.Load() != before+1 {
			t.Fatal("dropped request was not handled (no commit)")
		}
	})
	t.Run("Latency", func(t *testing.T) {
		_ = c.env.Faults.Set(emu.FaultConfig{LatencyMS: 120, Remaining: 1})
		start := time.Now()
		post(t, base+"/write")
		if d := time.Since(start); d < 120*time.Millisecond {
			t.Fatalf("latency fault took %v", d)
		}
	})
	t.Run("Log", func(t *testing.T) {
		log := c.env.Requests.List(0)
		if len(log) != 4 || log[0].RequestBody != `{"a":1}` || log[1].Fault != "error" || log[1].Status != 503 || log[2].Fault != "drop" || log[2].Status != 0 || log[3].Fault != "latency" {
			t.Fatalf("log = %+v", log)
		}
		if got := c.env.Stats.Snapshot().Requests; got != 4 {
			t.Fatalf("requests = %d", got)
		}
	})
}

func TestFaults_SeededRates(t *testing.T) {
	t.Parallel()
	draw := func() string {
		f := emu.NewFaults(7)
		_ = f.Set(emu.FaultConfig{ErrorRate: 0.3, DropAfterCommitRate: 0.3, PathContains: "/x"})
		var sb strings.Builder
		req := httptest.NewRequest(http.MethodGet, "/x", nil)
		for range 200 {
			d := f.Decide(req)
			switch {
			case d.ErrorStatus != 0:
				sb.WriteByte('E')
			case d.Drop:
				sb.WriteByte('D')
			default:
				sb.WriteByte('.')
			}
		}
		if d := f.Decide(httptest.NewRequest(http.MethodGet, "/other", nil)); d != (emu.FaultDecision{}) {
			t.Fatalf("path filter ignored: %+v", d)
		}
		return sb.String()
	}
	a, b := draw(), draw()
	if a != b {
		t.Fatal("same seed gave different fault sequences")
	}
	errs, drops := strings.Count(a, "E"), strings.Count(a, "D")
	if errs < 35 || errs > 85 || drops < 20 || drops > 70 {
		t.Fatalf("shares off: %d errors, %d drops of 200", errs, drops)
	}
	if err := emu.NewFaults(1).Set(emu.FaultConfig{ErrorRate: 2}); err == nil {
		t.Fatal("error_rate 2 accepted")
	}
}

func TestRequestLog_Bounded(t *testing.T) {
	t.Parallel()
	l := emu.NewRequestLog(3)
	for i := range 5 {
		l.Add(emu.LoggedRequest{Path: fmt.Sprint(i)})
	}
	got := l.List(0)
	if len(got) != 3 || got[0].Path != "2" || got[2].Path != "4" {
		t.Fatalf("log = %+v", got)
	}
	if last := l.List(1); len(last) != 1 || last[0].Path != "4" {
		t.Fatalf("last = %+v", last)
	}
	l.Clear()
	if len(l.List(0)) != 0 {
		t.Fatal("clear kept entries")
	}
}

func TestServeConsent(t *testing.T) {
	t.Parallel()
	_, base := startFake(t)
	q := url.Values{"client_id": {"crmsync-fake"}, "redirect_uri": {"https://app.example/cb?x=1"}, "state": {"s1"}}
	resp, err := http.Get(base + "/oauth/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`id="allow"`, `id="deny"`, "Acme Demo (Fake CRM)", "The App"} {
		if !strings.Contains(string(page), want) {
			t.Fatalf("consent page lacks %q", want)
		}
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for decision, want := range map[string][]string{"allow": {"code=", "state=s1", "location=us", "x=1"}, "deny": {"error=access_denied", "state=s1"}} {
		resp, err := client.PostForm(base+"/oauth/authorize?"+q.Encode(), url.Values{"decision": {decision}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		for _, w := range want {
			if resp.StatusCode != http.StatusFound || !strings.Contains(loc, w) {
				t.Fatalf("%s: %d %q lacks %q", decision, resp.StatusCode, loc, w)
			}
		}
	}
}

func TestEnv_Reset(t *testing.T) {
	t.Parallel()
	seeded := 0
	e := emu.NewEnv(emu.Config{}, emu.EnvOptions{Name: "x", Title: "X", Seed: func(e *emu.Env) {
		seeded++
		e.Limits.Define("w", emu.Window{Max: 1, PeriodMS: 1000})
		_, _ = e.Store.Create("users", map[string]any{"n": seeded})
	}})
	if e.Config.ClientID != "crmsync-x" || e.Config.ClientSecret != "crmsync-x-secret" || e.Config.AccountName != "Acme Demo (X)" || len(e.Config.Users) != 4 {
		t.Fatalf("defaults = %+v", e.Config)
	}
	tok := e.OAuth.Mint(nil, "", nil)
	_ = e.Limits.Set("w", emu.Window{Max: 9, PeriodMS: 1000})
	_ = e.Faults.Set(emu.FaultConfig{ErrorRate: 1})
	e.Reset()
	if seeded != 2 || e.Store.Len("users") != 1 || e.Limits.Windows()["w"].Max != 1 {
		t.Fatalf("after reset: seeded %d, users %d, windows %+v", seeded, e.Store.Len("users"), e.Limits.Windows())
	}
	if _, err := e.OAuth.Authenticate(tok.AccessToken); err == nil {
		t.Fatal("token survived reset")
	}
	if _, on := e.Faults.Get(); on {
		t.Fatal("faults survived reset")
	}
}

func TestBaseURL_Forwarded(t *testing.T) {
	t.Parallel()
	var got string
	h := emu.Mount("/zoho", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = emu.BaseURL(r) }))
	req := httptest.NewRequest(http.MethodGet, "http://internal:8080/zoho/x", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("X-Forwarded-Host", "sandbox.example")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if got != "https://sandbox.example/zoho" {
		t.Fatalf("BaseURL = %q", got)
	}
}
