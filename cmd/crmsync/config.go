package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/smtp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/demo"
	"github.com/saleshive/crmsync/ops"
	"github.com/saleshive/crmsync/syncer"
)

// Config is every setting of the crmsync binary. Each field is filled from
// its built-in default, then its CRMSYNC_* environment variable, then its
// flag (options lists them all). Settings are kept as text; validate
// checks the ones that must parse, and the accessors below parse them.
type Config struct {
	Addr        string // HTTP listen address (serve, worker, demo)
	DataDir     string // holds the SQLite file and the key file
	DatabaseURL string // postgres://… selects PostgreSQL; empty selects SQLite
	SecretKey   string // base64 AES-256 key; empty uses the key file
	LogLevel    string // debug | info | warn | error
	LogFormat   string // text | json

	Work         string // serve: "true" runs jobs too; "false" only queues them
	SyncInterval string // between scheduled syncs of a connection (Go duration)
	PublicURL    string // crmsync's public base URL; OAuth redirects go to PublicURL/oauth/callback
	SandboxAddr  string // where demo and sandbox serve the sandbox CRMs
	Contacts     string // demo: how many demo contacts

	// CRMs holds each CRM's OAuth client and base-URL override.
	CRMs map[crmsync.Provider]*crmConfig

	AlertWebhookURL string // alerts are POSTed here as JSON
	SMTPAddr        string // host:port of the SMTP server alerts are mailed through
	SMTPFrom        string
	SMTPUsername    string
	SMTPPassword    string // environment only
}

// crmConfig is one CRM's settings.
type crmConfig struct {
	ClientID, ClientSecret, BaseURL string
}

// Names of the files crmsync keeps in its data directory.
const (
	sqliteFileName = ops.SQLiteFileName
	keyFileName    = ops.KeyFileName
)

// option describes one setting: its flag (empty when it must not be passed
// on the command line), environment variable, default and meaning.
type option struct {
	Flag    string
	Env     string
	Default string
	Usage   string
	// Commands lists the commands that have the flag; nil means every
	// command.
	Commands []string
	// Defaults overrides Default for some commands (demo keeps its own data
	// directory and a short sync interval).
	Defaults map[string]string
	// Bool makes the flag a boolean one (--work, --work=false).
	Bool  bool
	field func(*Config) *string
}

// Command groups that share flags.
var (
	httpCommands   = []string{"serve", "worker", "demo"}
	engineCommands = []string{"serve", "worker", "demo"}
	crmCommands    = []string{"serve", "worker"}
)

// options is the table of every setting, in the order help lists them.
var options = append([]option{
	{Flag: "addr", Env: "CRMSYNC_ADDR", Default: "127.0.0.1:8080", Commands: httpCommands,
		Defaults: map[string]string{"worker": "127.0.0.1:9090"},
		Usage:    "address the HTTP server listens on (a worker serves only /healthz, /readyz and /metrics there)",
		field:    func(c *Config) *string { return &c.Addr }},
	{Flag: "data-dir", Env: "CRMSYNC_DATA_DIR", Default: "./crmsync-data",
		Defaults: map[string]string{"demo": demo.DefaultDataDir},
		Usage:    "directory for the SQLite database (" + sqliteFileName + ") and the key file (" + keyFileName + "); created if missing",
		field:    func(c *Config) *string { return &c.DataDir }},
	{Flag: "database-url", Env: "CRMSYNC_DATABASE_URL", Default: "",
		Usage: "PostgreSQL URL (postgres://user:pass@host/db); empty uses SQLite in the data directory",
		field: func(c *Config) *string { return &c.DatabaseURL }},
	{Env: "CRMSYNC_SECRET_KEY", Default: "",
		Usage: "key that encrypts CRM tokens at rest: base64 of 32 bytes (openssl rand -base64 32); empty uses the key file in the data directory, created with mode 0600 on first run. Environment only, never a flag",
		field: func(c *Config) *string { return &c.SecretKey }},
	{Flag: "log-level", Env: "CRMSYNC_LOG_LEVEL", Default: "info",
		Usage: "debug, info, warn or error",
		field: func(c *Config) *string { return &c.LogLevel }},
	{Flag: "log-format", Env: "CRMSYNC_LOG_FORMAT", Default: "text",
		Usage: "text or json",
		field: func(c *Config) *string { return &c.LogFormat }},
	{Flag: "work", Env: "CRMSYNC_WORK", Default: "true", Commands: []string{"serve"}, Bool: true,
		Usage: "run sync jobs in this process too; --work=false makes a web-only process that queues jobs for crmsync worker processes",
		field: func(c *Config) *string { return &c.Work }},
	{Flag: "sync-interval", Env: "CRMSYNC_SYNC_INTERVAL", Default: "5m", Commands: engineCommands,
		Defaults: map[string]string{"demo": demo.DefaultSyncInterval.String()},
		Usage:    "how often each connected connection syncs (a Go duration: 30s, 5m)",
		field:    func(c *Config) *string { return &c.SyncInterval }},
	{Flag: "public-url", Env: "CRMSYNC_PUBLIC_URL", Default: "", Commands: crmCommands,
		Usage: "crmsync's public base URL; the CRMs send users back to {public-url}/oauth/callback. Empty uses http://{addr}",
		field: func(c *Config) *string { return &c.PublicURL }},
	{Flag: "sandbox-addr", Env: "CRMSYNC_SANDBOX_ADDR", Default: demo.DefaultSandboxAddr, Commands: []string{"demo", "sandbox"},
		Usage: "address the sandbox CRMs listen on",
		field: func(c *Config) *string { return &c.SandboxAddr }},
	{Flag: "contacts", Env: "CRMSYNC_DEMO_CONTACTS", Default: strconv.Itoa(demo.DefaultContacts), Commands: []string{"demo"},
		Usage: "how many demo contacts the demo workspace holds (0: none, and no generated activity)",
		field: func(c *Config) *string { return &c.Contacts }},
}, append(crmOptions(), alertOptions...)...)

// crmOptions are each CRM's client id, secret and base URL settings.
func crmOptions() []option {
	var out []option
	for _, p := range crmsync.Providers {
		name, env := string(p), "CRMSYNC_"+strings.ToUpper(string(p))
		get := func(c *Config) *crmConfig {
			if c.CRMs == nil {
				c.CRMs = map[crmsync.Provider]*crmConfig{}
			}
			if c.CRMs[p] == nil {
				c.CRMs[p] = &crmConfig{}
			}
			return c.CRMs[p]
		}
		out = append(out,
			option{Flag: name + "-client-id", Env: env + "_CLIENT_ID", Commands: crmCommands,
				Usage: "OAuth client id of crmsync's " + p.Name() + " app; empty: " + p.Name() + " is not offered",
				field: func(c *Config) *string { return &get(c).ClientID }},
			option{Env: env + "_CLIENT_SECRET",
				Usage: "OAuth client secret of crmsync's " + p.Name() + " app. Environment only, never a flag",
				field: func(c *Config) *string { return &get(c).ClientSecret }},
			option{Flag: name + "-base-url", Env: env + "_BASE_URL", Commands: crmCommands,
				Usage: "replaces every " + p.Name() + " host, e.g. a crmsync sandbox's {sandbox}/" + name + "; empty uses " + p.Name() + " itself",
				field: func(c *Config) *string { return &get(c).BaseURL }},
		)
	}
	return out
}

// alertOptions say where strategist alerts go; with none set they are only
// logged (and kept in the alert outbox).
var alertOptions = []option{
	{Flag: "alert-webhook-url", Env: "CRMSYNC_ALERT_WEBHOOK_URL", Commands: crmCommands,
		Usage: "URL strategist alerts are POSTed to as JSON; empty: no webhook",
		field: func(c *Config) *string { return &c.AlertWebhookURL }},
	{Flag: "smtp-addr", Env: "CRMSYNC_SMTP_ADDR", Commands: crmCommands,
		Usage: "host:port of the SMTP server strategist alerts are mailed through; empty: no mail",
		field: func(c *Config) *string { return &c.SMTPAddr }},
	{Flag: "smtp-from", Env: "CRMSYNC_SMTP_FROM", Commands: crmCommands,
		Usage: "sender address of alert mail",
		field: func(c *Config) *string { return &c.SMTPFrom }},
	{Flag: "smtp-username", Env: "CRMSYNC_SMTP_USERNAME", Commands: crmCommands,
		Usage: "SMTP user name (PLAIN auth); empty: no authentication",
		field: func(c *Config) *string { return &c.SMTPUsername }},
	{Env: "CRMSYNC_SMTP_PASSWORD",
		Usage: "SMTP password. Environment only, never a flag",
		field: func(c *Config) *string { return &c.SMTPPassword }},
}

// has reports whether command cmd has the option's flag.
func (o option) has(cmd string) bool {
	return o.Flag != "" && (o.Commands == nil || slices.Contains(o.Commands, cmd))
}

// defaultFor is the option's default in command cmd.
func (o option) defaultFor(cmd string) string {
	if d, ok := o.Defaults[cmd]; ok {
		return d
	}
	return o.Default
}

// bindConfig fills cfg from defaults and the environment and registers the
// flags that may override it when fs is parsed.
func bindConfig(fs *flag.FlagSet, cfg *Config, getenv func(string) string, cmd string) {
	for _, o := range options {
		p := o.field(cfg)
		*p = o.defaultFor(cmd)
		if v, ok := lookupEnv(getenv, o.Env); ok {
			*p = v
		}
		if !o.has(cmd) {
			continue
		}
		usage := fmt.Sprintf("%s (env %s)", o.Usage, o.Env)
		if o.Bool {
			fs.Var((*boolString)(p), o.Flag, usage)
		} else {
			fs.StringVar(p, o.Flag, *p, usage)
		}
	}
}

// boolString is a boolean flag kept as text in Config ("true", "false").
type boolString string

// String returns the value as text.
func (b *boolString) String() string { return string(*b) }

// Set parses a boolean and stores it as "true" or "false".
func (b *boolString) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*b = boolString(strconv.FormatBool(v))
	return nil
}

// IsBoolFlag lets --work stand alone, without =true.
func (b *boolString) IsBoolFlag() bool { return true }

// lookupEnv treats an empty variable as unset, so "CRMSYNC_ADDR= crmsync"
// keeps the default.
func lookupEnv(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

// validate checks the settings that can be checked without side effects.
func (c *Config) validate() error {
	if _, err := c.level(); err != nil {
		return err
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("config: log format %q: use text or json", c.LogFormat)
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return fmt.Errorf("config: CRMSYNC_DATABASE_URL must start with postgres:// (leave it empty for SQLite)")
	}
	if c.DatabaseURL == "" && c.DataDir == "" {
		return fmt.Errorf("config: the data directory is empty; set CRMSYNC_DATA_DIR or --data-dir")
	}
	if _, err := strconv.ParseBool(c.Work); err != nil {
		return fmt.Errorf("config: work %q: use true or false", c.Work)
	}
	if d, err := time.ParseDuration(c.SyncInterval); err != nil || d <= 0 {
		return fmt.Errorf("config: sync interval %q: use a positive duration such as 30s or 5m", c.SyncInterval)
	}
	if n, err := strconv.Atoi(c.Contacts); err != nil || n < 0 {
		return fmt.Errorf("config: contacts %q: use a whole number, 0 or more", c.Contacts)
	}
	for _, u := range append([]string{c.PublicURL, c.AlertWebhookURL}, c.baseURLs()...) {
		if u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return fmt.Errorf("config: %q is not an http:// or https:// URL", u)
		}
	}
	return nil
}

func (c *Config) baseURLs() []string {
	var out []string
	for _, cc := range c.CRMs {
		out = append(out, cc.BaseURL)
	}
	return out
}

// work reports whether this process runs jobs (validated).
func (c *Config) work() bool { w, _ := strconv.ParseBool(c.Work); return w }

// syncInterval is the validated sync interval.
func (c *Config) syncInterval() time.Duration { d, _ := time.ParseDuration(c.SyncInterval); return d }

// contacts is the validated demo contact count.
func (c *Config) contacts() int { n, _ := strconv.Atoi(c.Contacts); return n }

// storeConfig selects the database and key.
func (c *Config) storeConfig() ops.StoreConfig {
	return ops.StoreConfig{DataDir: c.DataDir, DatabaseURL: c.DatabaseURL, SecretKey: c.SecretKey}
}

// connectorConfig is the connector list's configuration; publicURL is used
// when CRMSYNC_PUBLIC_URL is empty.
func (c *Config) connectorConfig(publicURL string) ops.ConnectorConfig {
	if c.PublicURL != "" {
		publicURL = c.PublicURL
	}
	cc := ops.ConnectorConfig{PublicURL: publicURL, Clients: map[crmsync.Provider]ops.OAuthClient{}}
	for p, v := range c.CRMs {
		cc.Clients[p] = ops.OAuthClient{ClientID: v.ClientID, ClientSecret: v.ClientSecret, BaseURL: v.BaseURL}
	}
	return cc
}

// alertConfig says where the engine delivers strategist alerts.
func (c *Config) alertConfig() syncer.AlertConfig {
	a := syncer.AlertConfig{WebhookURL: c.AlertWebhookURL, SMTPAddr: c.SMTPAddr, SMTPFrom: c.SMTPFrom}
	if c.SMTPUsername != "" {
		host, _, _ := net.SplitHostPort(c.SMTPAddr)
		a.SMTPAuth = smtp.PlainAuth("", c.SMTPUsername, c.SMTPPassword, host)
	}
	return a
}

func (c *Config) level() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return l, fmt.Errorf("config: log level %q: use debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}

// newLogger returns the process logger, writing to w.
func (c *Config) newLogger(w io.Writer) *slog.Logger {
	level, _ := c.level()
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// printConfigTable writes the table of every setting.
func printConfigTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ENVIRONMENT\tFLAG\tDEFAULT\tMEANING")
	for _, o := range options {
		flagName, def := "-", o.Default
		if o.Flag != "" {
			flagName = "--" + o.Flag
			if o.Commands != nil {
				flagName += " (" + strings.Join(o.Commands, ", ") + ")"
			}
		}
		if def == "" {
			def = "(empty)"
		}
		for _, cmd := range slices.Sorted(maps.Keys(o.Defaults)) {
			def += fmt.Sprintf("; %s: %s", cmd, o.Defaults[cmd])
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", o.Env, flagName, def, o.Usage)
	}
	tw.Flush()
}
