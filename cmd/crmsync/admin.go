package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/ops"
	"github.com/saleshive/crmsync/store"
)

// passwordEnv is where user create reads a password when --password is not
// given, so that it stays out of the process list and shell history.
const passwordEnv = "CRMSYNC_USER_PASSWORD"

// withStore opens the configured store, runs f and closes the store.
func withStore(ctx context.Context, a *App, cfg Config, f func(db *store.DB) error) (err error) {
	db, _, err := ops.OpenStore(ctx, cfg.storeConfig(), cfg.newLogger(a.Stderr))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	return f(db)
}

func setupWorkspaceCreate(fs *flag.FlagSet) runFunc {
	var w crmsync.Workspace
	fs.StringVar(&w.Name, "name", "", "the client's account name (required)")
	fs.StringVar(&w.StrategistName, "strategist-name", "", "the assigned SalesHive strategist's name")
	fs.StringVar(&w.StrategistEmail, "strategist-email", "", "where connection alerts go")
	return func(ctx context.Context, a *App, cfg Config) error {
		return withStore(ctx, a, cfg, func(db *store.DB) error {
			if err := db.CreateWorkspace(ctx, &w); err != nil {
				return fmt.Errorf("workspace create: %w", err)
			}
			fmt.Fprintf(a.Stdout, "workspace %d created: %s\n", w.ID, w.Name)
			return nil
		})
	}
}

func setupUserCreate(fs *flag.FlagSet) runFunc {
	var u crmsync.User
	var role, password string
	fs.Int64Var(&u.WorkspaceID, "workspace", 0, "id of the user's workspace (required)")
	fs.StringVar(&u.Email, "email", "", "sign-in email (required)")
	fs.StringVar(&u.Name, "name", "", "display name")
	fs.StringVar(&role, "role", string(crmsync.RoleClient), "client or strategist")
	fs.StringVar(&password, "password", "", "sign-in password; if empty, read from $"+passwordEnv+", else from the first line of standard input")
	return func(ctx context.Context, a *App, cfg Config) error {
		u.Role = crmsync.Role(role)
		pw, err := a.password(password)
		if err != nil {
			return fmt.Errorf("user create: %w", err)
		}
		return withStore(ctx, a, cfg, func(db *store.DB) error {
			if _, err := db.FindWorkspaceByID(ctx, u.WorkspaceID); err != nil {
				return fmt.Errorf("user create: workspace %d: %w", u.WorkspaceID, err)
			}
			if err := db.CreateUser(ctx, &u, pw); err != nil {
				return fmt.Errorf("user create: %w", err)
			}
			fmt.Fprintf(a.Stdout, "user %d created: %s (%s) in workspace %d\n", u.ID, u.Email, u.Role, u.WorkspaceID)
			return nil
		})
	}
}

// password returns the flag value, else the environment's, else the first
// line of standard input.
func (a *App) password(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if v := a.Getenv(passwordEnv); v != "" {
		return v, nil
	}
	if a.Stdin == nil {
		return "", fmt.Errorf("no password: pass --password, set %s, or pipe it on standard input", passwordEnv)
	}
	line, err := bufio.NewReader(a.Stdin).ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password from standard input: %w", err)
		}
		return "", fmt.Errorf("no password: pass --password, set %s, or pipe it on standard input", passwordEnv)
	}
	return line, nil
}

func setupTokenCreate(fs *flag.FlagSet) runFunc {
	var workspaceID int64
	var name string
	fs.Int64Var(&workspaceID, "workspace", 0, "id of the workspace the token writes to (required)")
	fs.StringVar(&name, "name", "", "what the token is for, e.g. platform-prod (required)")
	return func(ctx context.Context, a *App, cfg Config) error {
		if strings.TrimSpace(name) == "" {
			return errors.New("token create: --name is required")
		}
		return withStore(ctx, a, cfg, func(db *store.DB) error {
			if _, err := db.FindWorkspaceByID(ctx, workspaceID); err != nil {
				return fmt.Errorf("token create: workspace %d: %w", workspaceID, err)
			}
			plaintext, tok, err := db.CreateAPIToken(ctx, workspaceID, name)
			if err != nil {
				return fmt.Errorf("token create: %w", err)
			}
			// The token goes alone on stdout so scripts can capture it; it
			// is not stored in plaintext anywhere and cannot be shown again.
			fmt.Fprintln(a.Stdout, plaintext)
			fmt.Fprintf(a.Stderr, "API token %d (%s) created for workspace %d. It is shown only this once: store it now.\n", tok.ID, tok.Name, workspaceID)
			return nil
		})
	}
}
