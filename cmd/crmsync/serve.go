package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/saleshive/crmsync/web"
)

// shutdownTimeout bounds how long serve waits for in-flight requests.
const shutdownTimeout = 15 * time.Second

func setupServe(fs *flag.FlagSet) runFunc {
	return runServe
}

// runServe opens and migrates the store, serves HTTP until ctx is
// cancelled, then shuts down gracefully: the server stops accepting and
// drains, then the store closes.
func runServe(ctx context.Context, a *App, cfg Config) (err error) {
	log := cfg.newLogger(a.Stderr)
	var cl closers
	defer func() { err = errors.Join(err, cl.close()) }()

	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	cl.add(db.Close)

	// The sync engine (web.Config.Engine: connect, import, test contact)
	// is wired here once the syncer's worker is part of the binary.
	handler := web.NewServer(web.Config{
		Workspaces:    db,
		Contacts:      db,
		Activities:    db,
		Sessions:      db,
		Connections:   db,
		FieldMappings: db,
		Sync:          db,
		ReadyFunc:     db.Ping,
		Logger:        log,
	})
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve: listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	addr := ln.Addr().String()
	log.Info("crmsync serving", slog.String("url", "http://"+addr), slog.String("database", db.Dialect()))
	if a.OnListen != nil {
		a.OnListen(addr)
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", slog.Duration("timeout", shutdownTimeout))
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	log.Info("http server stopped")
	return nil
}

func setupMigrate(fs *flag.FlagSet) runFunc {
	return func(ctx context.Context, a *App, cfg Config) error {
		log := cfg.newLogger(a.Stderr)
		db, err := openStore(ctx, cfg, log)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "database migrated (%s)\n", db.Dialect())
		return db.Close()
	}
}
