package syncer

import (
	"context"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// connectionTokens is the crm.TokenStore of one connection, over the store's
// versioned, encrypted token row.
type connectionTokens struct {
	store        crmsync.ConnectionService
	workspaceID  int64
	connectionID int64
}

// LoadToken implements crm.TokenStore.
func (t *connectionTokens) LoadToken(ctx context.Context) (*crmsync.Token, int64, error) {
	tok, v, err := t.store.FindConnectionToken(ctx, t.workspaceID, t.connectionID)
	if crmsync.ErrorCode(err) == crmsync.ENOTFOUND {
		// No token means the client must sign in again.
		return nil, 0, &crm.Error{Problem: crmsync.ProblemAuthRevoked, CRMMessage: "No CRM login is stored for this connection.", Err: err}
	}
	return tok, v, err
}

// SaveToken implements crm.TokenStore.
func (t *connectionTokens) SaveToken(ctx context.Context, tok *crmsync.Token, prevVersion int64) (int64, error) {
	return t.store.SaveConnectionToken(ctx, t.workspaceID, t.connectionID, tok, prevVersion, false)
}

// tokenSource returns the connection's TokenSource, one per connection per
// process so concurrent refreshes collapse into one.
func (e *Engine) tokenSource(conn *crmsync.Connection, c crm.Connector) *crm.TokenSource {
	e.mu.Lock()
	defer e.mu.Unlock()
	ts, ok := e.tokens[conn.ID]
	if !ok {
		ts = crm.NewTokenSource(&connectionTokens{store: e.store, workspaceID: conn.WorkspaceID, connectionID: conn.ID}, c.Refresh, 0)
		e.tokens[conn.ID] = ts
	}
	return ts
}

// forgetTokens drops the cached TokenSource after a reconnect or
// disconnect, so the next use reads the new token from the store.
func (e *Engine) forgetTokens(connectionID int64) {
	e.mu.Lock()
	delete(e.tokens, connectionID)
	e.mu.Unlock()
}

// account builds the crm.Account of a connection.
func (e *Engine) account(conn *crmsync.Connection) (crm.Connector, *crm.Account, error) {
	c, err := e.connector(conn.Provider)
	if err != nil {
		return nil, nil, err
	}
	limit := c.RateLimit()
	if l, ok := e.cfg.RateLimits[conn.Provider]; ok {
		limit = l
	}
	key := string(conn.Provider) + ":" + conn.AccountID
	if conn.AccountID == "" {
		key = string(conn.Provider) + ":connection:" + itoa(conn.ID)
	}
	return c, &crm.Account{
		ConnectionID: conn.ID,
		AccountID:    conn.AccountID,
		Schema:       conn.Schema,
		Client: &crm.Client{
			HTTP:     e.cfg.HTTP,
			Protocol: c.Protocol(),
			Tokens:   e.tokenSource(conn, c),
			Limiter:  e.limiters.Get(key, limit, e.cfg.MaxRateWait),
		},
	}, nil
}
