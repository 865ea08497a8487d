package demo

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/ops"
	"github.com/saleshive/crmsync/sandbox"
	"github.com/saleshive/crmsync/store"
	"github.com/saleshive/crmsync/syncer"
	"github.com/saleshive/crmsync/web"
)

// Defaults of Config's zero values.
const (
	DefaultDataDir         = "./crmsync-demo"
	DefaultAddr            = "127.0.0.1:8080"
	DefaultSandboxAddr     = "127.0.0.1:8081"
	DefaultSyncInterval    = 30 * time.Second
	DefaultContacts        = 2000
	DefaultGeneratorPeriod = 5 * time.Second
)

// The demo workspace and its two logins.
const (
	WorkspaceName   = "Acme Demo Co"
	StrategistName  = "Sam Rivera"
	StrategistEmail = "sam.rivera@saleshive.example"
	ClientName      = "Casey Morgan"
	ClientEmail     = "casey@acme-demo.example"
	passwordFile    = "demo-password"
)

// Config configures the demo. The zero value is the zero-configuration demo.
type Config struct {
	DataDir      string        // SQLite file, key file and demo-password; default DefaultDataDir
	Addr         string        // the app's listen address; default DefaultAddr ("127.0.0.1:0" picks a port)
	SandboxAddr  string        // the sandboxes' listen address; default DefaultSandboxAddr
	SyncInterval time.Duration // between scheduled syncs of a connection; default 30 s
	// Contacts is how many demo contacts the workspace holds (default
	// 2,000); negative means none.
	Contacts int
	// GeneratorPeriod is how often the generator adds an email, call or
	// meeting for random demo contacts (default 5 s); negative turns it off.
	// It runs only when there are demo contacts.
	GeneratorPeriod time.Duration
	// Password is both logins' password. Empty uses the data directory's
	// demo-password file, created with a random password on first start.
	Password string
	// SandboxRateLimitsDisabled starts the sandbox CRMs without rate limits.
	SandboxRateLimitsDisabled bool
	// LivePollInterval is how often open pages re-read their connection;
	// default 1 s so the demo feels live.
	LivePollInterval time.Duration
	// PasswordIterations overrides the store's password hashing cost (tests).
	PasswordIterations int
	// Logger receives every log line; nil discards them.
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.SandboxAddr == "" {
		c.SandboxAddr = DefaultSandboxAddr
	}
	if c.SyncInterval <= 0 {
		c.SyncInterval = DefaultSyncInterval
	}
	if c.Contacts == 0 {
		c.Contacts = DefaultContacts
	} else if c.Contacts < 0 {
		c.Contacts = 0
	}
	if c.GeneratorPeriod == 0 {
		c.GeneratorPeriod = DefaultGeneratorPeriod
	}
	if c.LivePollInterval <= 0 {
		c.LivePollInterval = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// Login is one way into the pages.
type Login struct {
	Name, Email, Password string
	Role                  crmsync.Role
}

// Stack is the running demo. Close it to shut everything down.
type Stack struct {
	URL        string             // the app: sign in at URL + "/integrations"
	SandboxURL string             // the sandbox root; each CRM is under SandboxURL/{crm}
	Sandboxes  []sandbox.CRMInfo  // each CRM's base URL and OAuth client
	Logins     []Login            // the client's, then the strategist's
	Workspace  *crmsync.Workspace // "Acme Demo Co"
	Client     *crmsync.User
	Strategist *crmsync.User
	DB         *store.DB
	Engine     *syncer.Engine
	Sandbox    *sandbox.Client
	Registry   *prometheus.Registry // what /metrics serves

	closers ops.Closers
	once    sync.Once
	err     error
}

// Start builds and starts the whole demo. On a data directory used before
// it reuses the workspace, logins and contacts instead of adding them again.
func Start(ctx context.Context, cfg Config) (s *Stack, err error) {
	cfg.setDefaults()
	log := cfg.Logger
	s = &Stack{}
	defer func() {
		if err != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
			defer cancel()
			err = errors.Join(err, s.closers.Close(cctx))
		}
	}()

	db, keyring, err := ops.OpenStore(ctx, ops.StoreConfig{DataDir: cfg.DataDir, PasswordIterations: cfg.PasswordIterations}, log)
	if err != nil {
		return nil, err
	}
	s.DB = db
	s.closers.Add(func(context.Context) error { return db.Close() })

	// The sandboxes first: the connectors need their URL.
	sbLn, err := ops.Listen(cfg.SandboxAddr)
	if err != nil {
		return nil, fmt.Errorf("demo: sandbox: %w", err)
	}
	sb := sandbox.New(sandbox.Config{RateLimitsDisabled: cfg.SandboxRateLimitsDisabled})
	sbSrv := ops.Serve(sbLn, sb.Handler(), log)
	s.closers.Add(sbSrv.Shutdown)
	s.SandboxURL = sbSrv.URL()
	s.Sandbox = sandbox.NewClient(s.SandboxURL)
	s.Sandboxes = sb.Infos(s.SandboxURL)

	// The app's address before the connectors: it is their OAuth redirect.
	ln, err := ops.Listen(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	s.URL = "http://" + ln.Addr().String()
	closeLn := func(context.Context) error { ln.Close(); return nil }

	eng, stopEngine, err := ops.StartEngine(ctx, db, syncer.Config{
		Sealer:     keyring,
		Connectors: ops.Connectors(ops.SandboxConnectors(s.SandboxURL, s.URL)),
		Interval:   cfg.SyncInterval,
		Work:       true,
		Logger:     log,
	})
	if err != nil {
		closeLn(ctx)
		return nil, err
	}
	s.Engine = eng
	s.closers.Add(stopEngine)

	if err := s.seed(ctx, cfg); err != nil {
		closeLn(ctx)
		return nil, err
	}

	s.Registry = ops.NewRegistry(eng, db.SQLDB())
	wcfg := ops.WebConfig(db, eng, log)
	wcfg.LivePollInterval = cfg.LivePollInterval
	handler := web.NewServer(wcfg)
	webSrv := ops.Serve(ln, ops.Handler(handler, s.Registry, db.Ping, log), log)
	s.closers.Add(webSrv.Shutdown)

	if cfg.Contacts > 0 && cfg.GeneratorPeriod > 0 {
		genCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.generate(genCtx, db, cfg.Contacts, cfg.GeneratorPeriod, log)
		}()
		s.closers.Add(func(context.Context) error { stop(); <-done; return nil })
	}
	log.Info("demo started", slog.String("url", s.URL), slog.String("sandbox_url", s.SandboxURL),
		slog.String("data_dir", cfg.DataDir), slog.Duration("sync_interval", cfg.SyncInterval), slog.Int("contacts", cfg.Contacts))
	return s, nil
}

// Close shuts the demo down in reverse order of start: the generator, the
// web server, the engine (running jobs get until ctx ends), the sandboxes,
// the store. Later calls return the first call's result.
func (s *Stack) Close(ctx context.Context) error {
	s.once.Do(func() { s.err = s.closers.Close(ctx) })
	return s.err
}

// seed creates the workspace, its logins and its contacts, or finds the
// ones an earlier start created.
func (s *Stack) seed(ctx context.Context, cfg Config) error {
	password, err := demoPassword(cfg)
	if err != nil {
		return err
	}
	wss, err := s.DB.FindWorkspaces(ctx)
	if err != nil {
		return fmt.Errorf("demo: find workspace: %w", err)
	}
	for _, w := range wss {
		if w.Name == WorkspaceName {
			s.Workspace = w
			break
		}
	}
	if s.Workspace == nil {
		s.Workspace = &crmsync.Workspace{Name: WorkspaceName, StrategistName: StrategistName, StrategistEmail: StrategistEmail}
		if err := s.DB.CreateWorkspace(ctx, s.Workspace); err != nil {
			return fmt.Errorf("demo: create workspace: %w", err)
		}
	}
	s.Logins = []Login{
		{Name: ClientName, Email: ClientEmail, Password: password, Role: crmsync.RoleClient},
		{Name: StrategistName, Email: StrategistEmail, Password: password, Role: crmsync.RoleStrategist},
	}
	if s.Client, err = s.ensureUser(ctx, s.Logins[0]); err != nil {
		return err
	}
	if s.Strategist, err = s.ensureUser(ctx, s.Logins[1]); err != nil {
		return err
	}
	if err := s.DB.AssignStrategist(ctx, s.Workspace.ID, s.Strategist.ID); err != nil && crmsync.ErrorCode(err) != crmsync.ECONFLICT {
		return fmt.Errorf("demo: assign strategist: %w", err)
	}

	if n, err := s.DB.CountContacts(ctx, s.Workspace.ID); err != nil {
		return fmt.Errorf("demo: count contacts: %w", err)
	} else if n >= cfg.Contacts {
		return nil
	}
	cs := Contacts(cfg.Contacts)
	for start := 0; start < len(cs); start += web.MaxBatchSize {
		if _, err := s.DB.UpsertContacts(ctx, s.Workspace.ID, cs[start:min(start+web.MaxBatchSize, len(cs))]); err != nil {
			return fmt.Errorf("demo: add contacts: %w", err)
		}
	}
	return nil
}

// ensureUser creates the login's user, or signs in as the one an earlier
// start created.
func (s *Stack) ensureUser(ctx context.Context, l Login) (*crmsync.User, error) {
	u := &crmsync.User{WorkspaceID: s.Workspace.ID, Email: l.Email, Name: l.Name, Role: l.Role}
	err := s.DB.CreateUser(ctx, u, l.Password)
	if crmsync.ErrorCode(err) == crmsync.ECONFLICT {
		if u, err = s.DB.AuthenticateUser(ctx, l.Email, l.Password); err != nil {
			return nil, fmt.Errorf("demo: %s exists with another password (delete the data directory to start over): %w", l.Email, err)
		}
		return u, nil
	}
	if err != nil {
		return nil, fmt.Errorf("demo: create user %s: %w", l.Email, err)
	}
	return u, nil
}

// demoPassword is cfg.Password, or the data directory's demo password,
// created on first start so that restarts keep the same logins.
func demoPassword(cfg Config) (string, error) {
	if cfg.Password != "" {
		return cfg.Password, nil
	}
	path := filepath.Join(cfg.DataDir, passwordFile)
	if b, err := os.ReadFile(path); err == nil {
		if pw := strings.TrimSpace(string(b)); pw != "" {
			return pw, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("demo: read password: %w", err)
	}
	raw := make([]byte, 10)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	pw := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw))
	if err := os.WriteFile(path, []byte(pw+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("demo: save password: %w", err)
	}
	return pw, nil
}

// generate adds one to three activities for random demo contacts every
// period, through the same validation and store call as the ingest API,
// until ctx ends.
func (s *Stack) generate(ctx context.Context, acts crmsync.ActivityService, contacts int, period time.Duration, log *slog.Logger) {
	r := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 7))
	companyOf := make([]string, contacts)
	for i, c := range Contacts(contacts) {
		companyOf[i] = c.Company
	}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n := 1 + r.IntN(3)
		batch := make([]*crmsync.Activity, 0, n)
		for range n {
			i := r.IntN(contacts)
			a := newActivity(r, i, time.Now(), companyOf[i])
			if err := a.Validate(); err != nil {
				log.Error("demo generator: invalid activity", slog.String("error", err.Error()))
				continue
			}
			batch = append(batch, a)
		}
		if _, err := acts.UpsertActivities(ctx, s.Workspace.ID, batch); err != nil {
			if ctx.Err() == nil {
				log.Warn("demo generator: add activities", slog.String("error", err.Error()))
			}
			continue
		}
		log.Debug("demo generator added activities", slog.Int("activities", len(batch)), slog.Int64("workspace_id", s.Workspace.ID))
	}
}
