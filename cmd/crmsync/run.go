package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/demo"
)

// Run runs the crmsync command line args (without the program name) with
// the process environment and standard input. It returns when the command
// is done or, for serve, when ctx is cancelled and the server has shut down.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	app := &App{Getenv: os.Getenv, Stdin: os.Stdin, Stdout: stdout, Stderr: stderr}
	return app.Run(ctx, args)
}

// App is one invocation of the binary: where it reads its environment and
// input and writes its output. Tests construct it directly.
type App struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// OnListen, if set, is called with the address serve, worker, demo or
	// sandbox listens on once it accepts connections (with --addr
	// 127.0.0.1:0, the chosen port; for sandbox, --sandbox-addr).
	OnListen func(addr string)
	// OnDemo, if set, is given the running demo before OnListen is called
	// (tests drive its engine and sandbox).
	OnDemo func(*demo.Stack)
}

// command is one subcommand. setup registers the command's own flags on fs
// and returns the function that runs it once fs is parsed.
type command struct {
	name    string // "serve", or "group verb" such as "workspace create"
	summary string
	setup   func(fs *flag.FlagSet) runFunc
}

// runFunc runs a parsed command.
type runFunc func(ctx context.Context, a *App, cfg Config) error

// commands is the dispatch table: adding a subcommand (demo, sandbox,
// worker) is one line here plus its setup function.
var commands = []command{
	{name: "demo", summary: "run the whole product with zero configuration: the app, the four sandbox CRMs, a demo workspace with contacts and live activity", setup: setupDemo},
	{name: "serve", summary: "run the HTTP server (ingest API, pages, /metrics, /healthz, /readyz) and, unless --work=false, the sync jobs", setup: setupServe},
	{name: "worker", summary: "run only the sync jobs, with /healthz, /readyz and /metrics on --addr", setup: setupWorker},
	{name: "sandbox", summary: "serve only the four sandbox CRMs and print each one's base URL and OAuth client", setup: setupSandbox},
	{name: "migrate", summary: "create or upgrade the database schema", setup: setupMigrate},
	{name: "workspace create", summary: "create a workspace (a SalesHive client account)", setup: setupWorkspaceCreate},
	{name: "user create", summary: "create a user who signs in to the pages", setup: setupUserCreate},
	{name: "token create", summary: "create a workspace API token and print it once", setup: setupTokenCreate},
}

// Run runs one command line.
func (a *App) Run(ctx context.Context, args []string) error {
	if a.Getenv == nil {
		a.Getenv = func(string) string { return "" }
	}
	if len(args) == 0 {
		a.printUsage(a.Stderr)
		return errors.New("no command given; run crmsync help")
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 { // "crmsync help serve" is "crmsync serve -h"
			return a.Run(ctx, append(args[1:], "-h"))
		}
		a.printUsage(a.Stdout)
		return nil
	}
	cmd, rest, ok := findCommand(args)
	if !ok {
		a.printUsage(a.Stderr)
		if verbs := groupVerbs(args[0]); len(verbs) > 0 {
			return fmt.Errorf("crmsync %s needs one of: %s", args[0], strings.Join(verbs, ", "))
		}
		return fmt.Errorf("unknown command %q; run crmsync help", args[0])
	}

	fs := flag.NewFlagSet("crmsync "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(a.Stderr)
	var cfg Config
	bindConfig(fs, &cfg, a.Getenv, cmd.name)
	run := cmd.setup(fs)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: crmsync %s [flags]\n\n%s.\n\nFlags (a flag overrides its CRMSYNC_* environment variable, which overrides the default):\n", cmd.name, capitalize(cmd.summary))
		fs.PrintDefaults()
		fmt.Fprintln(w, "\nEnvironment only:")
		for _, o := range options {
			if o.Flag == "" {
				fmt.Fprintf(w, "  %s\n    \t%s\n", o.Env, o.Usage)
			}
		}
	}
	if err := fs.Parse(rest); errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(a.Stdout)
		fs.Usage()
		return nil
	} else if err != nil {
		return fmt.Errorf("%s: %w", cmd.name, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected arguments %q; run crmsync %s -h", cmd.name, fs.Args(), cmd.name)
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	return run(ctx, a, cfg)
}

// findCommand matches "serve …" or "workspace create …".
func findCommand(args []string) (command, []string, bool) {
	for _, c := range commands {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			return c, args[len(words):], true
		}
	}
	return command{}, nil, false
}

// groupVerbs lists the verbs of a command group such as "workspace".
func groupVerbs(group string) []string {
	var verbs []string
	for _, c := range commands {
		if g, verb, ok := strings.Cut(c.name, " "); ok && g == group {
			verbs = append(verbs, verb)
		}
	}
	return verbs
}

func (a *App) printUsage(w io.Writer) {
	fmt.Fprint(w, `crmsync mirrors SalesHive contacts and activity one way into a client's CRM.

Usage: crmsync <command> [flags]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-18s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-18s %s\n", "help", "show this help; crmsync <command> -h explains a command's flags")
	fmt.Fprint(w, "\nConfiguration: built-in default, overridden by the environment, overridden by flags.\n\n")
	printConfigTable(w)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// describeError renders an error for the terminal: the client-safe message
// and the fields of a crmsync error, or the full chain of any other.
func describeError(err error) string {
	var e *crmsync.Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	var b strings.Builder
	b.WriteString(e.Message)
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Message)
	}
	return b.String()
}
