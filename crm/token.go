package crm

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/saleshive/crmsync"
)

// TokenStore is where a connection's token lives between processes. The
// store is the truth: a process that lost a refresh race must adopt the
// winner's token rather than refresh again, because Salesforce revokes every
// token of the app when a rotated refresh token is reused.
type TokenStore interface {
	// LoadToken returns the current token and its version.
	LoadToken(ctx context.Context) (*crmsync.Token, int64, error)
	// SaveToken stores tok if the stored version is still prevVersion and
	// returns the new version; it fails with crmsync.ECONFLICT otherwise.
	SaveToken(ctx context.Context, tok *crmsync.Token, prevVersion int64) (int64, error)
}

// RefreshLocker is optionally implemented by a TokenStore shared by several
// processes (PostgreSQL): it holds a cross-process lock for one connection's
// refresh, so only one process calls the CRM's token endpoint at a time.
type RefreshLocker interface {
	LockRefresh(ctx context.Context) (unlock func(), err error)
}

// TokenSource hands out a connection's access token, refreshing it shortly
// before it expires and when the CRM says it is no longer valid. One
// TokenSource per connection per process; it is safe for concurrent use and
// makes at most one refresh call at a time.
type TokenSource struct {
	store   TokenStore
	refresh func(context.Context, *crmsync.Token) (*crmsync.Token, error)
	skew    time.Duration
	now     func() time.Time

	mu      sync.Mutex
	cur     *crmsync.Token
	version int64
}

// NewTokenSource returns a TokenSource that loads from store and refreshes
// through refresh (a Connector's Refresh method). Tokens are refreshed when
// they have less than skew left (a minute if skew is 0).
func NewTokenSource(store TokenStore, refresh func(context.Context, *crmsync.Token) (*crmsync.Token, error), skew time.Duration) *TokenSource {
	if skew == 0 {
		skew = time.Minute
	}
	return &TokenSource{store: store, refresh: refresh, skew: skew, now: time.Now}
}

// Token returns a token that is valid for at least the skew, refreshing it
// first if needed. A token without an expiry (Salesforce) is used until the
// CRM rejects it.
func (ts *TokenSource) Token(ctx context.Context) (*crmsync.Token, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.cur == nil {
		if err := ts.loadLocked(ctx); err != nil {
			return nil, err
		}
	}
	if ts.fresh(ts.cur) {
		return ts.cur, nil
	}
	return ts.refreshLocked(ctx, ts.cur)
}

// Refresh is called after the CRM rejected stale (an HTTP 401). If another
// goroutine or process already replaced stale, its token is returned without
// a new refresh call; otherwise the token is refreshed once.
func (ts *TokenSource) Refresh(ctx context.Context, stale *crmsync.Token) (*crmsync.Token, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.cur != nil && ts.cur.AccessToken != stale.AccessToken {
		return ts.cur, nil
	}
	return ts.refreshLocked(ctx, stale)
}

func (ts *TokenSource) fresh(t *crmsync.Token) bool {
	return t.Expiry.IsZero() || ts.now().Add(ts.skew).Before(t.Expiry)
}

func (ts *TokenSource) loadLocked(ctx context.Context) error {
	tok, v, err := ts.store.LoadToken(ctx)
	if err != nil {
		return fmt.Errorf("crm: load token: %w", err)
	}
	ts.cur, ts.version = tok, v
	return nil
}

// refreshLocked refreshes stale unless the store already holds a newer
// token. The new token is saved before it is handed out, so a crash cannot
// lose a rotated refresh token.
func (ts *TokenSource) refreshLocked(ctx context.Context, stale *crmsync.Token) (*crmsync.Token, error) {
	if l, ok := ts.store.(RefreshLocker); ok {
		unlock, err := l.LockRefresh(ctx)
		if err != nil {
			return nil, fmt.Errorf("crm: lock token refresh: %w", err)
		}
		defer unlock()
	}
	// Another process may have refreshed while we waited.
	if err := ts.loadLocked(ctx); err != nil {
		return nil, err
	}
	if ts.cur.AccessToken != stale.AccessToken && ts.fresh(ts.cur) {
		return ts.cur, nil
	}
	next, err := ts.refresh(ctx, ts.cur)
	if err != nil {
		return nil, err
	}
	if next.RefreshToken == "" {
		next.RefreshToken = ts.cur.RefreshToken // the CRM did not rotate it
	}
	if next.APIBase == "" {
		next.APIBase = ts.cur.APIBase
	}
	v, err := ts.store.SaveToken(ctx, next, ts.version)
	if crmsync.ErrorCode(err) == crmsync.ECONFLICT {
		// Lost the race: the winner's token is the truth.
		if err := ts.loadLocked(ctx); err != nil {
			return nil, err
		}
		return ts.cur, nil
	} else if err != nil {
		return nil, fmt.Errorf("crm: save refreshed token: %w", err)
	}
	ts.cur, ts.version = next, v
	return next, nil
}

// MemoryTokenStore is a TokenStore held in memory, for tests and for the
// moment between an OAuth exchange and the first save.
type MemoryTokenStore struct {
	mu      sync.Mutex
	tok     *crmsync.Token
	version int64
}

// NewMemoryTokenStore returns a store holding tok at version 1.
func NewMemoryTokenStore(tok *crmsync.Token) *MemoryTokenStore {
	return &MemoryTokenStore{tok: tok, version: 1}
}

// LoadToken implements TokenStore.
func (m *MemoryTokenStore) LoadToken(ctx context.Context) (*crmsync.Token, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tok == nil {
		return nil, 0, crmsync.Errorf(crmsync.ENOTFOUND, "No token.")
	}
	cp := *m.tok
	return &cp, m.version, nil
}

// SaveToken implements TokenStore.
func (m *MemoryTokenStore) SaveToken(ctx context.Context, tok *crmsync.Token, prevVersion int64) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if prevVersion != m.version {
		return 0, crmsync.Errorf(crmsync.ECONFLICT, "The token was replaced.")
	}
	cp := *tok
	m.tok = &cp
	m.version++
	return m.version, nil
}
