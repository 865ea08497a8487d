package crmsync

import (
	"context"
	"time"
)

// Session is a signed-in user's browser session. Only a hash of the
// session token is stored; the token lives in an HttpOnly cookie.
type Session struct {
	ID          int64     `json:"id"`
	UserID      int64     `json:"user_id"`
	WorkspaceID int64     `json:"workspace_id"` // the workspace being viewed
	CSRFToken   string    `json:"-"`            // per-session token every form carries
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// SessionService keeps browser sessions.
//
// FindSession returns EUNAUTHORIZED for an unknown, expired or deleted token.
type SessionService interface {
	// CreateSession starts a session for the user, viewing workspaceID, and
	// returns the token to put in the cookie (shown once, stored hashed).
	CreateSession(ctx context.Context, userID, workspaceID int64, ttl time.Duration) (token string, s *Session, err error)
	FindSession(ctx context.Context, token string) (*Session, error)
	// SwitchSessionWorkspace changes the viewed workspace (strategists).
	SwitchSessionWorkspace(ctx context.Context, token string, workspaceID int64) error
	DeleteSession(ctx context.Context, token string) error
}
