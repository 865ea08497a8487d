package store

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/saleshive/crmsync"
)

// DefaultPasswordIterations is the PBKDF2-SHA256 work factor for password
// hashes (OWASP's 2023 recommendation).
const DefaultPasswordIterations = 600_000

// MinPasswordLen is the shortest password CreateUser accepts.
const MinPasswordLen = 8

// APITokenPrefix starts every API token, so a leaked one is recognisable
// (secret scanners) and a malformed one is rejected without a lookup.
const APITokenPrefix = "crms_"

// apiTokenShownPrefix is how many characters of a token are kept in clear
// to tell tokens apart.
const apiTokenShownPrefix = 12

// lastUsedGranularity limits last_used_at writes to one per token per
// interval, so authenticating stays a read on the hot path.
const lastUsedGranularity = time.Minute

// CreateWorkspace validates w, stores it and sets its ID and CreatedAt.
func (db *DB) CreateWorkspace(ctx context.Context, w *crmsync.Workspace) error {
	if err := w.Validate(); err != nil {
		return err
	}
	now := db.nowUTC()
	err := db.write.QueryRowContext(ctx, db.q(`INSERT INTO workspaces (name, strategist_name, strategist_email, change_seq, created_at)
		VALUES (?, ?, ?, 0, ?) RETURNING id`), w.Name, w.StrategistName, w.StrategistEmail, db.t(now)).Scan(&w.ID)
	if err != nil {
		return wrap("create workspace", err)
	}
	w.CreatedAt = now
	return nil
}

const workspaceCols = "id, name, strategist_name, strategist_email, created_at"

func scanWorkspace(row interface{ Scan(...any) error }) (*crmsync.Workspace, error) {
	var w crmsync.Workspace
	err := row.Scan(&w.ID, &w.Name, &w.StrategistName, &w.StrategistEmail, timeScan{&w.CreatedAt})
	return &w, err
}

// FindWorkspaceByID returns the workspace, or ENOTFOUND.
func (db *DB) FindWorkspaceByID(ctx context.Context, id int64) (*crmsync.Workspace, error) {
	w, err := scanWorkspace(db.read.QueryRowContext(ctx, db.q("SELECT "+workspaceCols+" FROM workspaces WHERE id = ?"), id))
	if isNoRows(err) {
		return nil, notFound("Workspace %d not found.", id)
	}
	return w, wrap(fmt.Sprintf("find workspace %d", id), err)
}

// FindWorkspaces lists every workspace by id (an administrator's view).
func (db *DB) FindWorkspaces(ctx context.Context) ([]*crmsync.Workspace, error) {
	return db.queryWorkspaces(ctx, "find workspaces", "SELECT "+workspaceCols+" FROM workspaces ORDER BY id")
}

func (db *DB) queryWorkspaces(ctx context.Context, op, query string, args ...any) ([]*crmsync.Workspace, error) {
	rows, err := db.read.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	ws := []*crmsync.Workspace{}
	for rows.Next() {
		w, err := scanWorkspace(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		ws = append(ws, w)
	}
	return ws, wrap(op, rows.Err())
}

// CreateUser validates u and password, stores u with a PBKDF2 hash of the
// password, and sets its ID and CreatedAt. The email is stored lower-cased.
// An unknown workspace is ENOTFOUND; an email already in use is ECONFLICT.
func (db *DB) CreateUser(ctx context.Context, u *crmsync.User, password string) error {
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	var v crmsync.Validation
	v.Merge("", u.Validate())
	if n := utf8.RuneCountInString(password); n < MinPasswordLen {
		v.Add("password", "is %d characters long; use at least %d", n, MinPasswordLen)
	} else if n > 1000 {
		v.Add("password", "is longer than 1000 characters")
	}
	if err := v.Err("The user has invalid fields."); err != nil {
		return err
	}
	hash, err := hashPassword(password, db.iterations)
	if err != nil {
		return wrap("create user", err)
	}
	now := db.nowUTC()
	err = db.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := db.workspaceExists(ctx, tx, u.WorkspaceID); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, db.q(`INSERT INTO users (workspace_id, email, name, role, password_hash, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), u.WorkspaceID, u.Email, u.Name, string(u.Role), hash, db.t(now)).Scan(&u.ID)
		if db.d.isUniqueViolation(err) {
			return crmsync.Errorf(crmsync.ECONFLICT, "A user with email %s already exists.", u.Email)
		}
		return err
	})
	if err != nil {
		return wrap("create user", err)
	}
	u.CreatedAt = now
	return nil
}

// workspaceExists returns ENOTFOUND unless workspace id exists.
func (db *DB) workspaceExists(ctx context.Context, q queryer, id int64) error {
	var one int
	err := q.QueryRowContext(ctx, db.q("SELECT 1 FROM workspaces WHERE id = ?"), id).Scan(&one)
	if isNoRows(err) {
		return notFound("Workspace %d not found.", id)
	}
	return err
}

const userCols = "id, workspace_id, email, name, role, created_at"

func scanUser(row interface{ Scan(...any) error }, extra ...any) (*crmsync.User, error) {
	var u crmsync.User
	var role string
	err := row.Scan(append([]any{&u.ID, &u.WorkspaceID, &u.Email, &u.Name, &role, timeScan{&u.CreatedAt}}, extra...)...)
	u.Role = crmsync.Role(role)
	return &u, err
}

// AuthenticateUser returns the user with that email (case-insensitive) and
// password, or EUNAUTHORIZED.
func (db *DB) AuthenticateUser(ctx context.Context, email, password string) (*crmsync.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var hash string
	u, err := scanUser(db.read.QueryRowContext(ctx, db.q("SELECT "+userCols+", password_hash FROM users WHERE email = ?"), email), &hash)
	if err != nil && !isNoRows(err) {
		return nil, wrap("authenticate user", err)
	}
	if isNoRows(err) {
		checkPassword(db.dummyHash(), password)
		return nil, crmsync.Errorf(crmsync.EUNAUTHORIZED, "Wrong email or password.")
	}
	if !checkPassword(hash, password) {
		return nil, crmsync.Errorf(crmsync.EUNAUTHORIZED, "Wrong email or password.")
	}
	return u, nil
}

// FindUserByID returns the user, or ENOTFOUND.
func (db *DB) FindUserByID(ctx context.Context, id int64) (*crmsync.User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, db.q("SELECT "+userCols+" FROM users WHERE id = ?"), id))
	if isNoRows(err) {
		return nil, notFound("User %d not found.", id)
	}
	return u, wrap(fmt.Sprintf("find user %d", id), err)
}

// AssignStrategist lets strategist user userID open workspace workspaceID.
// It is idempotent. An unknown workspace or user is ENOTFOUND; a user who is
// not a strategist is EINVALID.
func (db *DB) AssignStrategist(ctx context.Context, workspaceID, userID int64) error {
	err := db.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := db.workspaceExists(ctx, tx, workspaceID); err != nil {
			return err
		}
		var role string
		err := tx.QueryRowContext(ctx, db.q("SELECT role FROM users WHERE id = ?"), userID).Scan(&role)
		if isNoRows(err) {
			return notFound("User %d not found.", userID)
		} else if err != nil {
			return err
		}
		if crmsync.Role(role) != crmsync.RoleStrategist {
			v := crmsync.Validation{}
			v.Add("user_id", "user %d is a %s; only a strategist can be assigned to a workspace", userID, role)
			return v.Err("The user is not a strategist.")
		}
		_, err = tx.ExecContext(ctx, db.q(`INSERT INTO workspace_strategists (workspace_id, user_id) VALUES (?, ?)
			ON CONFLICT (workspace_id, user_id) DO NOTHING`), workspaceID, userID)
		return err
	})
	return wrap(fmt.Sprintf("assign strategist %d to workspace %d", userID, workspaceID), err)
}

// FindWorkspacesForUser lists, by id, the user's own workspace and the
// workspaces assigned to them as a strategist. An unknown user is ENOTFOUND.
func (db *DB) FindWorkspacesForUser(ctx context.Context, userID int64) ([]*crmsync.Workspace, error) {
	if _, err := db.FindUserByID(ctx, userID); err != nil {
		return nil, err
	}
	return db.queryWorkspaces(ctx, fmt.Sprintf("find workspaces for user %d", userID),
		"SELECT "+workspaceCols+` FROM workspaces WHERE id IN (
			SELECT workspace_id FROM users WHERE id = ?
			UNION SELECT workspace_id FROM workspace_strategists WHERE user_id = ?) ORDER BY id`, userID, userID)
}

// CreateAPIToken creates a token for the workspace and returns its
// plaintext, which is never stored (only its SHA-256 is) and cannot be
// shown again. The name is required. An unknown workspace is ENOTFOUND.
func (db *DB) CreateAPIToken(ctx context.Context, workspaceID int64, name string) (string, *crmsync.APIToken, error) {
	var v crmsync.Validation
	if strings.TrimSpace(name) == "" {
		v.Add("name", "is required; say what the token is for, e.g. \"platform ingest\"")
	} else if utf8.RuneCountInString(name) > 200 {
		v.Add("name", "is longer than 200 characters")
	}
	if err := v.Err("The API token has invalid fields."); err != nil {
		return "", nil, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, wrap("create api token", err)
	}
	plaintext := APITokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	sum := sha256.Sum256([]byte(plaintext))
	tok := &crmsync.APIToken{WorkspaceID: workspaceID, Name: name, Prefix: plaintext[:apiTokenShownPrefix], CreatedAt: db.nowUTC()}
	err := db.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := db.workspaceExists(ctx, tx, workspaceID); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, db.q(`INSERT INTO api_tokens (workspace_id, name, prefix, token_hash, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`), workspaceID, name, tok.Prefix, sum[:], db.t(tok.CreatedAt)).Scan(&tok.ID)
	})
	if err != nil {
		return "", nil, wrap(fmt.Sprintf("create api token (workspace %d)", workspaceID), err)
	}
	return plaintext, tok, nil
}

// AuthenticateAPIToken returns the token whose plaintext this is, or
// EUNAUTHORIZED. It records the time of use at most once a minute.
func (db *DB) AuthenticateAPIToken(ctx context.Context, plaintext string) (*crmsync.APIToken, error) {
	unauthorized := crmsync.Errorf(crmsync.EUNAUTHORIZED, "Invalid API token.")
	if !strings.HasPrefix(plaintext, APITokenPrefix) || len(plaintext) != len(APITokenPrefix)+43 {
		return nil, unauthorized
	}
	sum := sha256.Sum256([]byte(plaintext))
	var tok crmsync.APIToken
	err := db.read.QueryRowContext(ctx, db.q(`SELECT id, workspace_id, name, prefix, created_at, last_used_at
		FROM api_tokens WHERE token_hash = ?`), sum[:]).Scan(&tok.ID, &tok.WorkspaceID, &tok.Name, &tok.Prefix,
		timeScan{&tok.CreatedAt}, nullTimeScan{&tok.LastUsedAt})
	if isNoRows(err) {
		return nil, unauthorized
	} else if err != nil {
		return nil, wrap("authenticate api token", err)
	}
	now := db.nowUTC()
	if tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) >= lastUsedGranularity {
		if _, err := db.write.ExecContext(ctx, db.q("UPDATE api_tokens SET last_used_at = ? WHERE id = ?"), db.t(now), tok.ID); err != nil {
			return nil, wrap(fmt.Sprintf("authenticate api token %d: record use", tok.ID), err)
		}
		tok.LastUsedAt = &now
	}
	return &tok, nil
}

// hashPassword returns "pbkdf2-sha256$<iterations>$<salt>$<hash>" with
// base64 salt and hash.
func hashPassword(password string, iterations int) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := pbkdf2.Key(sha256.New, password, salt, iterations, 32)
	if err != nil {
		return "", err
	}
	return "pbkdf2-sha256$" + strconv.Itoa(iterations) + "$" +
		base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key), nil
}

// checkPassword reports whether password matches a hashPassword result.
func checkPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iterations, err := strconv.Atoi(parts[1])
	if err != nil || iterations <= 0 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[2])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[3])
	if err1 != nil || err2 != nil {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iterations, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}
