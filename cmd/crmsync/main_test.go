package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saleshive/crmsync/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is a fake environment for App.Getenv.
type env map[string]string

func (e env) get(name string) string { return e[name] }

// run runs one command line in-process and returns its stdout and stderr.
func run(t *testing.T, e env, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	app := &App{Getenv: e.get, Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr}
	err := app.Run(context.Background(), args)
	return stdout.String(), stderr.String(), err
}

// mustRun is run that fails the test on error.
func mustRun(t *testing.T, e env, stdin string, args ...string) string {
	t.Helper()
	stdout, stderr, err := run(t, e, stdin, args...)
	if err != nil {
		t.Fatalf("crmsync %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr)
	}
	return stdout
}

func TestConfig_Precedence(t *testing.T) {
	tests := []struct {
		name string
		env  env
		args []string
		cmd  string
		want Config
	}{
		{name: "Defaults", cmd: "serve",
			want: Config{Addr: "127.0.0.1:8080", DataDir: "./crmsync-data", LogLevel: "info", LogFormat: "text"}},
		{name: "EnvOverridesDefault", cmd: "serve",
			env:  env{"CRMSYNC_ADDR": ":9000", "CRMSYNC_DATA_DIR": "/var/lib/crmsync", "CRMSYNC_DATABASE_URL": "postgres://db/crmsync", "CRMSYNC_SECRET_KEY": "k", "CRMSYNC_LOG_LEVEL": "debug", "CRMSYNC_LOG_FORMAT": "json"},
			want: Config{Addr: ":9000", DataDir: "/var/lib/crmsync", DatabaseURL: "postgres://db/crmsync", SecretKey: "k", LogLevel: "debug", LogFormat: "json"}},
		{name: "FlagOverridesEnv", cmd: "serve",
			env:  env{"CRMSYNC_ADDR": ":9000", "CRMSYNC_LOG_LEVEL": "debug"},
			args: []string{"--addr", ":7000", "--log-level=warn", "--data-dir", "d"},
			want: Config{Addr: ":7000", DataDir: "d", LogLevel: "warn", LogFormat: "text"}},
		{name: "EmptyEnvKeepsDefault", cmd: "serve",
			env:  env{"CRMSYNC_ADDR": ""},
			want: Config{Addr: "127.0.0.1:8080", DataDir: "./crmsync-data", LogLevel: "info", LogFormat: "text"}},
		{name: "AddrNotForMigrate", cmd: "migrate",
			env:  env{"CRMSYNC_ADDR": ":9000"},
			want: Config{Addr: ":9000", DataDir: "./crmsync-data", LogLevel: "info", LogFormat: "text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var got Config
			bindConfig(fs, &got, tt.env.get, tt.cmd)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			// The settings of every command; the others have their own tests.
			got = Config{Addr: got.Addr, DataDir: got.DataDir, DatabaseURL: got.DatabaseURL, SecretKey: got.SecretKey, LogLevel: got.LogLevel, LogFormat: got.LogFormat}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
			if serve := tt.cmd == "serve"; fs.Lookup("addr") != nil != serve {
				t.Errorf("--addr registered = %v, want %v", fs.Lookup("addr") != nil, serve)
			}
			if fs.Lookup("secret-key") != nil {
				t.Error("the secret key must not be a flag")
			}
		})
	}
}

func TestConfig_Invalid(t *testing.T) {
	for name, e := range map[string]env{
		"LogLevel":    {"CRMSYNC_LOG_LEVEL": "loud"},
		"LogFormat":   {"CRMSYNC_LOG_FORMAT": "xml"},
		"DatabaseURL": {"CRMSYNC_DATABASE_URL": "mysql://db"},
	} {
		t.Run(name, func(t *testing.T) {
			e["CRMSYNC_DATA_DIR"] = t.TempDir()
			if _, _, err := run(t, e, "", "migrate"); err == nil || !strings.Contains(err.Error(), "config") {
				t.Errorf("migrate with %v: err = %v, want a config error", e, err)
			}
		})
	}
}

func TestRun_Help(t *testing.T) {
	out := mustRun(t, nil, "", "help")
	for _, want := range []string{"serve", "migrate", "workspace create", "user create", "token create"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks command %q", want)
		}
	}
	for _, o := range options {
		if !strings.Contains(out, o.Env) {
			t.Errorf("help lacks the configuration %s", o.Env)
		}
	}
	for _, c := range commands {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			out := mustRun(t, nil, "", append(strings.Fields(c.name), "-h")...)
			if !strings.Contains(out, "Usage: crmsync "+c.name) || !strings.Contains(out, "CRMSYNC_DATA_DIR") || !strings.Contains(out, "CRMSYNC_SECRET_KEY") {
				t.Errorf("%s -h:\n%s", c.name, out)
			}
			if got := mustRun(t, nil, "", append([]string{"help"}, strings.Fields(c.name)...)...); got != out {
				t.Errorf("help %s differs from %s -h", c.name, c.name)
			}
		})
	}
	if _, _, err := run(t, nil, "", "frobnicate"); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("unknown command: err = %v", err)
	}
	if _, _, err := run(t, nil, "", "workspace"); err == nil || !strings.Contains(err.Error(), "create") {
		t.Errorf("group without a verb: err = %v, want the verbs listed", err)
	}
	if _, _, err := run(t, nil, ""); err == nil {
		t.Error("no command: want an error")
	}
	if _, _, err := run(t, nil, "", "migrate", "--no-such-flag"); err == nil {
		t.Error("unknown flag: want an error")
	}
}

var workspaceLine = regexp.MustCompile(`^workspace (\d+) created: `)

func TestRun_AdminCommands(t *testing.T) {
	dir := t.TempDir()
	e := env{"CRMSYNC_DATA_DIR": dir}

	out := mustRun(t, e, "", "workspace", "create", "--name", "Acme", "--strategist-name", "Sam", "--strategist-email", "sam@saleshive.example")
	m := workspaceLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("workspace create printed %q", out)
	}
	ws := m[1]

	t.Run("UserPasswordFromStdin", func(t *testing.T) {
		out := mustRun(t, e, "correct horse battery\n", "user", "create", "--workspace", ws, "--email", "ada@example.com", "--name", "Ada")
		if !strings.Contains(out, "ada@example.com (client)") {
			t.Errorf("user create printed %q", out)
		}
	})
	t.Run("UserPasswordFromEnv", func(t *testing.T) {
		e2 := env{"CRMSYNC_DATA_DIR": dir, passwordEnv: "from-env-pw"}
		out := mustRun(t, e2, "", "user", "create", "--workspace", ws, "--email", "sam@example.com", "--role", "strategist")
		if !strings.Contains(out, "(strategist)") {
			t.Errorf("user create printed %q", out)
		}
	})
	t.Run("ErrNoPassword", func(t *testing.T) {
		if _, _, err := run(t, e, "", "user", "create", "--workspace", ws, "--email", "x@example.com"); err == nil {
			t.Error("want an error without a password")
		}
	})
	t.Run("ErrInvalidUser", func(t *testing.T) {
		_, _, err := run(t, e, "pw\n", "user", "create", "--workspace", ws, "--email", "not-an-email")
		if err == nil || !strings.Contains(describeError(err), "email") {
			t.Errorf("invalid email: err = %v", err)
		}
	})
	t.Run("ErrUnknownWorkspace", func(t *testing.T) {
		if _, _, err := run(t, e, "", "token", "create", "--workspace", "999", "--name", "x"); err == nil {
			t.Error("token for an unknown workspace: want an error")
		}
	})

	// The token is printed alone on stdout, once; it authenticates against
	// the same data directory.
	stdout, stderr, err := run(t, e, "", "token", "create", "--workspace", ws, "--name", "platform")
	if err != nil {
		t.Fatalf("token create: %v %s", err, stderr)
	}
	token := strings.TrimSpace(stdout)
	if token == "" || strings.Contains(token, "\n") || !strings.Contains(stderr, "only this once") {
		t.Fatalf("token create: stdout %q stderr %q", stdout, stderr)
	}
	srv := startServe(t, e)
	resp := srv.call(t, "GET", "/api/v1/contacts", token, "")
	if resp.status != http.StatusOK {
		t.Errorf("the new token does not authenticate: %d %s", resp.status, resp.body)
	}

	if out := mustRun(t, e, "", "migrate"); !strings.Contains(out, "database migrated (sqlite)") {
		t.Errorf("migrate printed %q", out)
	}
}

// servedApp is a serve command running in the background.
type servedApp struct {
	url    string
	cancel context.CancelFunc
	done   chan error
	stderr *lockedBuffer
	stdout *lockedBuffer
}

// startServe runs "crmsync serve --addr 127.0.0.1:0" with e and stops it
// (checking a clean shutdown) when t ends.
func startServe(t *testing.T, e env, extraArgs ...string) *servedApp {
	t.Helper()
	return startApp(t, e, nil, append([]string{"serve", "--addr", "127.0.0.1:0"}, extraArgs...)...)
}

// startApp runs a long-running command (serve, worker, demo, sandbox) with
// e until it listens, and stops it (checking a clean shutdown) when t ends.
// app, if not nil, supplies the hooks; its Getenv and outputs are set here.
func startApp(t *testing.T, e env, app *App, args ...string) *servedApp {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	s := &servedApp{cancel: cancel, done: make(chan error, 1), stderr: &lockedBuffer{}, stdout: &lockedBuffer{}}
	if app == nil {
		app = &App{}
	}
	app.Getenv, app.Stdout, app.Stderr, app.OnListen = e.get, s.stdout, s.stderr, func(addr string) { addrc <- addr }
	go func() { s.done <- app.Run(ctx, args) }()
	select {
	case addr := <-addrc:
		s.url = "http://" + addr
	case err := <-s.done:
		cancel()
		t.Fatalf("%s exited early: %v\n%s", args[0], err, s.stderr.String())
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatalf("%s did not start\n%s", args[0], s.stderr.String())
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop cancels serve and checks that it shut down cleanly.
func (s *servedApp) stop(t *testing.T) {
	t.Helper()
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("the command returned %v\n%s", err, s.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Error("the command did not shut down")
	}
}

type httpResult struct {
	status int
	body   string
}

func (s *servedApp) call(t *testing.T, method, path, token, body string) httpResult {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return httpResult{status: resp.StatusCode, body: string(data)}
}

// TestRun_Serve runs the binary's serve command against SQLite and against
// PostgreSQL and uses the ingest API through it.
func TestRun_Serve(t *testing.T) {
	backends := map[string]func(t *testing.T) env{
		"sqlite": func(t *testing.T) env { return env{"CRMSYNC_DATA_DIR": t.TempDir()} },
		"postgres": func(t *testing.T) env {
			return env{"CRMSYNC_DATA_DIR": t.TempDir(), "CRMSYNC_DATABASE_URL": pgtest.DSN(t)}
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			e := backends[name](t)
			ws := workspaceLine.FindStringSubmatch(mustRun(t, e, "", "workspace", "create", "--name", "Acme"))[1]
			token := strings.TrimSpace(mustRun(t, e, "", "token", "create", "--workspace", ws, "--name", "platform"))

			srv := startServe(t, e)
			if !strings.Contains(srv.stderr.String(), "database="+name) {
				t.Errorf("serve log does not name the %s database:\n%s", name, srv.stderr.String())
			}
			for _, path := range []string{"/healthz", "/readyz"} {
				if r := srv.call(t, "GET", path, "", ""); r.status != http.StatusOK {
					t.Errorf("%s = %d %s", path, r.status, r.body)
				}
			}
			body := `{"contacts":[{"source_id":"s-1","email":"ada@example.com"},{"source_id":"s-2","last_name":"Hopper"}]}`
			r := srv.call(t, "POST", "/api/v1/contacts/batch", token, body)
			if r.status != http.StatusOK || !strings.Contains(r.body, `"created":2`) {
				t.Fatalf("batch: %d %s", r.status, r.body)
			}
			var page struct {
				Contacts []struct {
					SourceID string `json:"source_id"`
				} `json:"contacts"`
			}
			r = srv.call(t, "GET", "/api/v1/contacts", token, "")
			if err := json.Unmarshal([]byte(r.body), &page); err != nil || len(page.Contacts) != 2 {
				t.Errorf("list: %d %s (%v)", r.status, r.body, err)
			}
			if r := srv.call(t, "GET", "/api/v1/contacts", "wrong-token", ""); r.status != http.StatusUnauthorized {
				t.Errorf("wrong token: %d", r.status)
			}
			srv.stop(t)
			if !strings.Contains(srv.stderr.String(), "shutting down") {
				t.Errorf("no graceful shutdown logged:\n%s", srv.stderr.String())
			}
			if strings.Contains(srv.stderr.String(), token) {
				t.Error("serve logged the API token")
			}
		})
	}
}

// TestRun_ServeEmptyDirectory runs serve with no configuration at all in an
// empty working directory: it must create its SQLite file and a 0600 key
// file under ./crmsync-data and answer the API.
func TestRun_ServeEmptyDirectory(t *testing.T) {
	t.Chdir(t.TempDir())
	srv := startServe(t, env{})
	if r := srv.call(t, "GET", "/api/v1/contacts", "", ""); r.status != http.StatusUnauthorized || !strings.Contains(r.body, `"unauthorized"`) {
		t.Errorf("API without token: %d %s", r.status, r.body)
	}
	if r := srv.call(t, "GET", "/api/v1/openapi.json", "", ""); r.status != http.StatusOK {
		t.Errorf("openapi.json: %d", r.status)
	}
	srv.stop(t)
	db, err := os.Stat(filepath.Join("crmsync-data", sqliteFileName))
	if err != nil || db.Size() == 0 {
		t.Errorf("SQLite file: %v", err)
	}
	key, err := os.Stat(filepath.Join("crmsync-data", keyFileName))
	if err != nil {
		t.Fatalf("key file: %v", err)
	}
	if perm := key.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode %04o, want 0600", perm)
	}
}

// TestRun_ServeAddrInUse checks that a listen failure is reported and the
// store is closed again.
func TestRun_ServeAddrInUse(t *testing.T) {
	e := env{"CRMSYNC_DATA_DIR": t.TempDir()}
	first := startServe(t, e)
	addr := strings.TrimPrefix(first.url, "http://")
	_, _, err := run(t, env{"CRMSYNC_DATA_DIR": t.TempDir()}, "", "serve", "--addr", addr)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("listen on %s", addr)) {
		t.Errorf("second serve on %s: err = %v", addr, err)
	}
}

// lockedBuffer is a bytes.Buffer safe for the server goroutine and the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
