package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/saleshive/crmsync"
)

// sessionTokenLen is the length of a session token: 32 random bytes in
// unpadded base64url.
const sessionTokenLen = 43

// sessionPruneBatch bounds how many expired sessions one CreateSession
// deletes, so pruning never holds the writer for long.
const sessionPruneBatch = 100

// randomToken returns n random bytes in unpadded base64url.
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// sessionHash returns what the sessions table stores for a token, or false
// if token cannot be a session token (so it is rejected without a lookup).
func sessionHash(token string) ([]byte, bool) {
	if len(token) != sessionTokenLen {
		return nil, false
	}
	sum := sha256.Sum256([]byte(token))
	return sum[:], true
}

// errNoSession is FindSession's answer for an unknown, expired or deleted
// token.
func errNoSession() error {
	return crmsync.Errorf(crmsync.EUNAUTHORIZED, "Your session has expired; sign in again.")
}

// CreateSession starts a session of user userID viewing workspaceID for
// ttl and returns its token (32 random bytes, base64url; only its SHA-256
// is stored) and the session with a fresh random CSRF token. It checks that
// the user and workspace exist (ENOTFOUND), not that the user may view the
// workspace: the caller decides that. It also deletes a batch of expired
// sessions.
func (db *DB) CreateSession(ctx context.Context, userID, workspaceID int64, ttl time.Duration) (string, *crmsync.Session, error) {
	if ttl <= 0 {
		var v crmsync.Validation
		v.Add("ttl", "is %s; use a positive duration", ttl)
		return "", nil, v.Err("The session lifetime is invalid.")
	}
	op := fmt.Sprintf("create session (user %d, workspace %d)", userID, workspaceID)
	token, err := randomToken(32)
	if err != nil {
		return "", nil, wrap(op, err)
	}
	csrf, err := randomToken(32)
	if err != nil {
		return "", nil, wrap(op, err)
	}
	hash, _ := sessionHash(token)
	now := db.nowUTC()
	s := &crmsync.Session{UserID: userID, WorkspaceID: workspaceID, CSRFToken: csrf, CreatedAt: now, ExpiresAt: normTime(now.Add(ttl))}
	err = db.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, db.q("SELECT 1 FROM users WHERE id = ?"), userID).Scan(&one); isNoRows(err) {
			return notFound("User %d not found.", userID)
		} else if err != nil {
			return err
		}
		if err := db.workspaceExists(ctx, tx, workspaceID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q("DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at <= ? LIMIT ?)"),
			db.t(now), sessionPruneBatch); err != nil {
			return fmt.Errorf("prune expired sessions: %w", err)
		}
		return tx.QueryRowContext(ctx, db.q(`INSERT INTO sessions (user_id, workspace_id, token_hash, csrf_token, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), userID, workspaceID, hash, csrf, db.t(s.CreatedAt), db.t(s.ExpiresAt)).Scan(&s.ID)
	})
	if err != nil {
		return "", nil, wrap(op, err)
	}
	return token, s, nil
}

// FindSession returns the unexpired session of token, or EUNAUTHORIZED.
func (db *DB) FindSession(ctx context.Context, token string) (*crmsync.Session, error) {
	hash, ok := sessionHash(token)
	if !ok {
		return nil, errNoSession()
	}
	var s crmsync.Session
	err := db.read.QueryRowContext(ctx, db.q(`SELECT id, user_id, workspace_id, csrf_token, created_at, expires_at
		FROM sessions WHERE token_hash = ? AND expires_at > ?`), hash, db.t(db.nowUTC())).Scan(
		&s.ID, &s.UserID, &s.WorkspaceID, &s.CSRFToken, timeScan{&s.CreatedAt}, timeScan{&s.ExpiresAt})
	if isNoRows(err) {
		return nil, errNoSession()
	} else if err != nil {
		return nil, wrap("find session", err)
	}
	return &s, nil
}

// SwitchSessionWorkspace makes the session of token view workspaceID. An
// unknown or expired token is EUNAUTHORIZED, an unknown workspace
// ENOTFOUND. Whether the user may view the workspace is the caller's check.
func (db *DB) SwitchSessionWorkspace(ctx context.Context, token string, workspaceID int64) error {
	hash, ok := sessionHash(token)
	if !ok {
		return errNoSession()
	}
	err := db.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := db.workspaceExists(ctx, tx, workspaceID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.q("UPDATE sessions SET workspace_id = ? WHERE token_hash = ? AND expires_at > ?"),
			workspaceID, hash, db.t(db.nowUTC()))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errNoSession()
		}
		return nil
	})
	return wrap(fmt.Sprintf("switch session to workspace %d", workspaceID), err)
}

// DeleteSession ends the session of token (signing out). It is idempotent:
// an unknown token is not an error.
func (db *DB) DeleteSession(ctx context.Context, token string) error {
	hash, ok := sessionHash(token)
	if !ok {
		return nil
	}
	_, err := db.write.ExecContext(ctx, db.q("DELETE FROM sessions WHERE token_hash = ?"), hash)
	return wrap("delete session", err)
}
