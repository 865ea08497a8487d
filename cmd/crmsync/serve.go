package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/saleshive/crmsync/ops"
	"github.com/saleshive/crmsync/syncer"
	"github.com/saleshive/crmsync/web"
)

// Shutdown budgets: in-flight requests get shutdownTimeout; running sync
// jobs get engineStopTimeout before they are cancelled (and safely retried
// by the next process, since every push is idempotent).
const (
	shutdownTimeout   = 15 * time.Second
	engineStopTimeout = 30 * time.Second
)

func setupServe(fs *flag.FlagSet) runFunc {
	return func(ctx context.Context, a *App, cfg Config) error {
		return runProcess(ctx, a, cfg, "serve", cfg.work(), true)
	}
}

func setupWorker(fs *flag.FlagSet) runFunc {
	return func(ctx context.Context, a *App, cfg Config) error {
		return runProcess(ctx, a, cfg, "worker", true, false)
	}
}

// runProcess is serve and worker: it opens and migrates the store, listens
// on cfg.Addr, starts the sync engine (running jobs when work is set) with
// the configured connectors, and serves HTTP — the pages and the ingest API
// when pages is set, else only /healthz, /readyz and /metrics — until ctx is
// cancelled. It then shuts down in reverse order of start: the HTTP server
// drains, the engine stops, the store closes.
func runProcess(ctx context.Context, a *App, cfg Config, name string, work, pages bool) (err error) {
	log := cfg.newLogger(a.Stderr)
	var cl ops.Closers
	defer func() {
		// Each closer bounds its own wait; ctx is already cancelled here.
		err = errors.Join(err, cl.Close(context.WithoutCancel(ctx)))
	}()

	db, keyring, err := ops.OpenStore(ctx, cfg.storeConfig(), log)
	if err != nil {
		return err
	}
	cl.Add(func(context.Context) error { return db.Close() })

	ln, err := ops.Listen(cfg.Addr)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	cl.Add(func(context.Context) error { ln.Close(); return nil }) // if serving never starts
	addr := ln.Addr().String()

	connectors := ops.Connectors(cfg.connectorConfig("http://" + addr))
	eng, stopEngine, err := ops.StartEngine(ctx, db, syncer.Config{
		Sealer:     keyring,
		Connectors: connectors,
		Interval:   cfg.syncInterval(),
		Work:       work,
		Alerts:     cfg.alertConfig(),
		Logger:     log,
	})
	if err != nil {
		return err
	}
	cl.Add(func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, engineStopTimeout)
		defer cancel()
		err := stopEngine(ctx)
		log.Info("sync engine stopped")
		return err
	})

	reg := ops.NewRegistry(eng, db.SQLDB())
	var next http.Handler
	if pages {
		wcfg := ops.WebConfig(db, eng, log)
		wcfg.SecureCookies = isHTTPS(cfg.PublicURL)
		next = web.NewServer(wcfg)
	}
	srv := ops.Serve(ln, ops.Handler(next, reg, db.Ping, log), log)
	cl.Add(func(ctx context.Context) error {
		log.Info("shutting down", slog.Duration("timeout", shutdownTimeout))
		ctx, cancel := context.WithTimeout(ctx, shutdownTimeout)
		defer cancel()
		err := srv.Shutdown(ctx)
		log.Info("http server stopped")
		return err
	})
	providers := make([]string, len(connectors))
	for i, c := range connectors {
		providers[i] = string(c.Provider())
	}
	log.Info("crmsync "+name+" serving", slog.String("url", srv.URL()), slog.String("database", db.Dialect()),
		slog.Bool("work", work), slog.Any("crms", providers), slog.Duration("sync_interval", cfg.syncInterval()))
	if a.OnListen != nil {
		a.OnListen(addr)
	}
	select {
	case err := <-srv.Err():
		return fmt.Errorf("%s: %w", name, err)
	case <-ctx.Done():
		return nil
	}
}

// isHTTPS reports whether the public URL is served over TLS (behind a
// proxy), so cookies must be Secure.
func isHTTPS(publicURL string) bool {
	return len(publicURL) >= 8 && publicURL[:8] == "https://"
}

func setupMigrate(fs *flag.FlagSet) runFunc {
	return func(ctx context.Context, a *App, cfg Config) error {
		log := cfg.newLogger(a.Stderr)
		db, _, err := ops.OpenStore(ctx, cfg.storeConfig(), log)
		if err != nil {
			return err
		}
		_, closeJobs, err := ops.OpenJobs(ctx, db) // River's tables too
		if err != nil {
			return errors.Join(err, db.Close())
		}
		closeJobs()
		fmt.Fprintf(a.Stdout, "database migrated (%s)\n", db.Dialect())
		return db.Close()
	}
}
