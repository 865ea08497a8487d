package crmsync

import (
	"context"
	"time"
)

// Workspace is one SalesHive client account: the tenant boundary. Nothing in
// one workspace is ever visible to or changed by another.
type Workspace struct {
	ID              int64     `json:"id"`
	Name            string    `json:"name"`
	StrategistName  string    `json:"strategist_name"`  // the SalesHive strategist assigned to this client
	StrategistEmail string    `json:"strategist_email"` // where connection alerts go
	CreatedAt       time.Time `json:"created_at"`
}

// Validate reports every invalid field of w.
func (w *Workspace) Validate() error {
	var v Validation
	checkRequired(&v, "name", w.Name, 200)
	checkLen(&v, "strategist_name", w.StrategistName, 200)
	checkEmail(&v, "strategist_email", w.StrategistEmail)
	return v.Err("The workspace has invalid fields.")
}

// Role is what a user may do.
type Role string

// Roles. A client belongs to one workspace; a strategist is SalesHive staff
// who may open the workspaces assigned to them.
const (
	RoleClient     Role = "client"
	RoleStrategist Role = "strategist"
)

// User is a person who signs in to the pages.
type User struct {
	ID          int64     `json:"id"`
	WorkspaceID int64     `json:"workspace_id"` // home workspace
	Email       string    `json:"email"`
	Name        string    `json:"name"`
	Role        Role      `json:"role"`
	CreatedAt   time.Time `json:"created_at"`
}

// Validate reports every invalid field of u.
func (u *User) Validate() error {
	var v Validation
	if u.WorkspaceID <= 0 {
		v.Add("workspace_id", "must name an existing workspace")
	}
	checkRequired(&v, "email", u.Email, 254)
	checkEmail(&v, "email", u.Email)
	checkLen(&v, "name", u.Name, 200)
	if u.Role != RoleClient && u.Role != RoleStrategist {
		v.Add("role", "must be %q or %q", RoleClient, RoleStrategist)
	}
	return v.Err("The user has invalid fields.")
}

// APIToken is a per-workspace credential for the JSON API. Only a hash of the
// secret is stored; the plaintext is shown once, when it is created.
type APIToken struct {
	ID          int64      `json:"id"`
	WorkspaceID int64      `json:"workspace_id"`
	Name        string     `json:"name"`
	Prefix      string     `json:"prefix"` // first characters of the token, to tell tokens apart
	CreatedAt   time.Time  `json:"created_at"`
	LastUsedAt  *time.Time `json:"last_used_at,omitempty"`
}

// WorkspaceService manages workspaces, users and API tokens.
//
// Workspaces and users are created by administrators (the crmsync command).
// FindWorkspaceByID returns ENOTFOUND for an unknown id. AuthenticateAPIToken
// returns EUNAUTHORIZED for an unknown or malformed token.
type WorkspaceService interface {
	CreateWorkspace(ctx context.Context, w *Workspace) error
	FindWorkspaceByID(ctx context.Context, id int64) (*Workspace, error)
	FindWorkspaces(ctx context.Context) ([]*Workspace, error)

	CreateUser(ctx context.Context, u *User, password string) error
	// AuthenticateUser returns the user with that email and password, or
	// EUNAUTHORIZED.
	AuthenticateUser(ctx context.Context, email, password string) (*User, error)
	FindUserByID(ctx context.Context, id int64) (*User, error)
	// AssignStrategist lets a strategist user open a workspace's pages.
	AssignStrategist(ctx context.Context, workspaceID, userID int64) error
	// FindWorkspacesForUser lists the workspaces a user may open: their own,
	// and for a strategist, those assigned to them.
	FindWorkspacesForUser(ctx context.Context, userID int64) ([]*Workspace, error)

	// CreateAPIToken creates a token and returns its plaintext once.
	CreateAPIToken(ctx context.Context, workspaceID int64, name string) (plaintext string, tok *APIToken, err error)
	AuthenticateAPIToken(ctx context.Context, plaintext string) (*APIToken, error)
}
