package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/saleshive/crmsync/demo"
	"github.com/saleshive/crmsync/ops"
	"github.com/saleshive/crmsync/sandbox"
)

func setupDemo(fs *flag.FlagSet) runFunc {
	return runDemo
}

// runDemo starts the whole demo (package demo), prints where to click and
// how to sign in, and runs until ctx is cancelled.
func runDemo(ctx context.Context, a *App, cfg Config) error {
	log := cfg.newLogger(a.Stderr)
	if cfg.DatabaseURL != "" {
		log.Warn("the demo always uses SQLite in its data directory; CRMSYNC_DATABASE_URL is ignored")
	}
	contacts := cfg.contacts()
	if contacts == 0 {
		contacts = -1 // demo.Config: negative means none
	}
	st, err := demo.Start(ctx, demo.Config{
		DataDir:      cfg.DataDir,
		Addr:         cfg.Addr,
		SandboxAddr:  cfg.SandboxAddr,
		SyncInterval: cfg.syncInterval(),
		Contacts:     contacts,
		Logger:       log,
	})
	if err != nil {
		return err
	}
	printDemo(a.Stdout, st)
	if a.OnDemo != nil {
		a.OnDemo(st)
	}
	if a.OnListen != nil {
		a.OnListen(st.URL[len("http://"):])
	}
	<-ctx.Done()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout+engineStopTimeout)
	defer cancel()
	return st.Close(sctx)
}

// printDemo tells a newcomer where to click.
func printDemo(w io.Writer, st *demo.Stack) {
	fmt.Fprintf(w, "crmsync demo is running.\n\n")
	fmt.Fprintf(w, "  Open %s/integrations and sign in:\n", st.URL)
	for _, l := range st.Logins {
		fmt.Fprintf(w, "    %-10s %s  password %s\n", l.Role, l.Email, l.Password)
	}
	fmt.Fprintf(w, "\n  Workspace %q: %d contacts; new emails, calls and meetings arrive every few seconds.\n", st.Workspace.Name, mustCount(st))
	fmt.Fprintf(w, "  Connect a CRM, then watch records land in its sandbox:\n")
	printSandboxes(w, st.SandboxURL, st.Sandboxes)
	fmt.Fprintf(w, "\n  Metrics: %s/metrics   Health: %s/readyz\n  Ctrl-C stops it; the data directory keeps everything for the next start.\n", st.URL, st.URL)
}

// mustCount is the demo workspace's contact count, or -1 if it cannot be read.
func mustCount(st *demo.Stack) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := st.DB.CountContacts(ctx, st.Workspace.ID)
	if err != nil {
		return -1
	}
	return n
}

// printSandboxes lists each sandbox CRM's base URL and OAuth client.
func printSandboxes(w io.Writer, root string, infos []sandbox.CRMInfo) {
	for _, in := range infos {
		base := in.BaseURL
		if in.Name == "zoho" {
			base += "/{us|eu|in|au|jp}/accounts | /api"
		}
		fmt.Fprintf(w, "    %-11s %s   client %s / %s\n", in.Title, base, in.ClientID, in.ClientSecret)
	}
	fmt.Fprintf(w, "    (the CRM list: %s/; the control API: %s/_sandbox/)\n", root, root)
}

func setupSandbox(fs *flag.FlagSet) runFunc {
	return runSandbox
}

// runSandbox serves only the four sandbox CRMs, for a serve process pointed
// at them with CRMSYNC_{CRM}_BASE_URL.
func runSandbox(ctx context.Context, a *App, cfg Config) error {
	log := cfg.newLogger(a.Stderr)
	ln, err := ops.Listen(cfg.SandboxAddr)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	sb := sandbox.New(sandbox.Config{})
	srv := ops.Serve(ln, sb.Handler(), log)
	fmt.Fprintf(a.Stdout, "crmsync sandbox is running at %s\n\n", srv.URL())
	printSandboxes(a.Stdout, srv.URL(), sb.Infos(srv.URL()))
	fmt.Fprintf(a.Stdout, "\n  Point serve at it: CRMSYNC_HUBSPOT_CLIENT_ID=crmsync-hubspot CRMSYNC_HUBSPOT_CLIENT_SECRET=crmsync-hubspot-secret CRMSYNC_HUBSPOT_BASE_URL=%s/hubspot (likewise for the others)\n", srv.URL())
	if a.OnListen != nil {
		a.OnListen(srv.Addr())
	}
	select {
	case err := <-srv.Err():
		return fmt.Errorf("sandbox: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", slog.Duration("timeout", shutdownTimeout))
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	return srv.Shutdown(sctx)
}
