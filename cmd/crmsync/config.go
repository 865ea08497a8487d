package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
)

// Config is every setting of the crmsync binary. Each field is filled from
// its built-in default, then its CRMSYNC_* environment variable, then its
// flag (options lists them all).
type Config struct {
	Addr        string // HTTP listen address (serve)
	DataDir     string // holds the SQLite file and the key file
	DatabaseURL string // postgres://… selects PostgreSQL; empty selects SQLite
	SecretKey   string // base64 AES-256 key; empty uses the key file
	LogLevel    string // debug | info | warn | error
	LogFormat   string // text | json
}

// Names of the files crmsync keeps in its data directory.
const (
	sqliteFileName = "crmsync.db"
	keyFileName    = "secret.key"
)

// option describes one setting: its flag (empty when it must not be passed
// on the command line), environment variable, default and meaning.
type option struct {
	Flag      string
	Env       string
	Default   string
	Usage     string
	ServeOnly bool // only the serve command has this flag
	field     func(*Config) *string
}

// options is the table of every setting, in the order help lists them.
var options = []option{
	{Flag: "addr", Env: "CRMSYNC_ADDR", Default: "127.0.0.1:8080", ServeOnly: true,
		Usage: "address the HTTP server listens on",
		field: func(c *Config) *string { return &c.Addr }},
	{Flag: "data-dir", Env: "CRMSYNC_DATA_DIR", Default: "./crmsync-data",
		Usage: "directory for the SQLite database (" + sqliteFileName + ") and the key file (" + keyFileName + "); created if missing",
		field: func(c *Config) *string { return &c.DataDir }},
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
}

// bindConfig fills cfg from defaults and the environment and registers the
// flags that may override it when fs is parsed.
func bindConfig(fs *flag.FlagSet, cfg *Config, getenv func(string) string, serve bool) {
	for _, o := range options {
		p := o.field(cfg)
		*p = o.Default
		if v, ok := lookupEnv(getenv, o.Env); ok {
			*p = v
		}
		if o.Flag != "" && (serve || !o.ServeOnly) {
			fs.StringVar(p, o.Flag, *p, fmt.Sprintf("%s (env %s)", o.Usage, o.Env))
		}
	}
}

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
	return nil
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
		}
		if def == "" {
			def = "(empty)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", o.Env, flagName, def, o.Usage)
	}
	tw.Flush()
}
