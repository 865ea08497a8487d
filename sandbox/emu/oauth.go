package emu

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// OAuth errors. CRMs translate them into their own documented error bodies.
var (
	// ErrInvalidClient: unknown client id, or the wrong secret.
	ErrInvalidClient = errors.New("emu: invalid client")
	// ErrInvalidGrant: unknown, expired or used code; unknown, expired or revoked refresh token.
	ErrInvalidGrant = errors.New("emu: invalid grant")
	// ErrRedirectMismatch: the token call's redirect_uri differs from the authorize call's.
	ErrRedirectMismatch = errors.New("emu: redirect_uri mismatch")
	// ErrPKCE: the code was issued with a code_challenge and the verifier is missing or wrong.
	ErrPKCE = errors.New("emu: code_verifier does not match code_challenge")
	// ErrTokenUnknown: the access token was never issued here.
	ErrTokenUnknown = errors.New("emu: unknown access token")
	// ErrTokenExpired: the access token is past its expiry.
	ErrTokenExpired = errors.New("emu: access token expired")
	// ErrTokenRevoked: the access token was revoked.
	ErrTokenRevoked = errors.New("emu: access token revoked")
)

// OAuthConfig configures an OAuth server.
type OAuthConfig struct {
	// ClientID and ClientSecret are the one registered client.
	ClientID, ClientSecret string
	// AccessTTL is the access-token lifetime (default 1 hour).
	AccessTTL time.Duration
	// RefreshTTL is the refresh-token lifetime; 0 means no expiry.
	RefreshTTL time.Duration
	// CodeTTL is the authorization-code lifetime (default 10 minutes).
	CodeTTL time.Duration
	// RotateRefresh makes every refresh issue a new refresh token and revoke the old one.
	RotateRefresh bool
	// NewAccessToken and NewRefreshToken make token strings; nil means 40 random hex digits.
	NewAccessToken, NewRefreshToken func() string
	// Clock is the time source.
	Clock *Clock
	// Stats, when set, counts issued tokens and refreshes.
	Stats *Stats
}

// Token is what the server knows about an issued access token (and the
// refresh token it came with or from).
type Token struct {
	// AccessToken is the bearer token.
	AccessToken string `json:"access_token"`
	// RefreshToken is the refresh token of this grant.
	RefreshToken string `json:"refresh_token,omitempty"`
	// ClientID is the client the token was issued to.
	ClientID string `json:"client_id"`
	// Scopes are the granted scopes.
	Scopes []string `json:"scopes"`
	// UserID is the user who approved the grant.
	UserID string `json:"user_id,omitempty"`
	// Extra is CRM data carried from the authorize call to every token of the
	// grant (a Zoho datacenter, say).
	Extra map[string]string `json:"extra,omitempty"`
	// IssuedAt is when the access token was issued.
	IssuedAt time.Time `json:"issued_at"`
	// ExpiresAt is when the access token stops working.
	ExpiresAt time.Time `json:"expires_at"`
}

// ExpiresIn is the access token's remaining life in whole seconds at issue.
func (t Token) ExpiresIn() int {
	return int(t.ExpiresAt.Sub(t.IssuedAt).Round(time.Second) / time.Second)
}

// CodeRequest is an approved authorization request.
type CodeRequest struct {
	ClientID    string
	RedirectURI string
	Scopes      []string
	UserID      string
	// CodeChallenge and CodeChallengeMethod ("S256" or "plain") enable PKCE.
	CodeChallenge, CodeChallengeMethod string
	// Extra is copied onto every token of the grant.
	Extra map[string]string
}

// CodeExchange is an authorization_code token request.
type CodeExchange struct {
	ClientID, ClientSecret string
	Code                   string
	RedirectURI            string
	CodeVerifier           string
}

// OAuth is an in-memory OAuth 2.0 authorization server for one client.
type OAuth struct {
	cfg OAuthConfig

	mu      sync.Mutex
	codes   map[string]*codeEntry
	access  map[string]*accessEntry
	refresh map[string]*refreshEntry
}

type codeEntry struct {
	req     CodeRequest
	expires time.Time
	used    bool
}

type accessEntry struct {
	tok     Token
	revoked bool
}

type refreshEntry struct {
	grant   Token // ClientID, Scopes, UserID, Extra
	expires time.Time
	revoked bool
	access  []string
}

// NewOAuth returns an OAuth server with no grants.
func NewOAuth(cfg OAuthConfig) *OAuth {
	if cfg.AccessTTL <= 0 {
		cfg.AccessTTL = time.Hour
	}
	if cfg.CodeTTL <= 0 {
		cfg.CodeTTL = 10 * time.Minute
	}
	if cfg.NewAccessToken == nil {
		cfg.NewAccessToken = func() string { return RandomHex(20) }
	}
	if cfg.NewRefreshToken == nil {
		cfg.NewRefreshToken = func() string { return RandomHex(20) }
	}
	o := &OAuth{cfg: cfg}
	o.Reset()
	return o
}

// Reset forgets every code and token.
func (o *OAuth) Reset() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.codes = map[string]*codeEntry{}
	o.access = map[string]*accessEntry{}
	o.refresh = map[string]*refreshEntry{}
}

// ClientID is the registered client id.
func (o *OAuth) ClientID() string { return o.cfg.ClientID }

// AccessTTL is the access-token lifetime.
func (o *OAuth) AccessTTL() time.Duration { return o.cfg.AccessTTL }

// CheckClientID reports ErrInvalidClient unless id is the registered client.
func (o *OAuth) CheckClientID(id string) error {
	if id != o.cfg.ClientID {
		return fmt.Errorf("client id %q: %w", id, ErrInvalidClient)
	}
	return nil
}

// CheckClient reports ErrInvalidClient unless id and secret are the registered pair.
func (o *OAuth) CheckClient(id, secret string) error {
	if err := o.CheckClientID(id); err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(o.cfg.ClientSecret)) != 1 {
		return fmt.Errorf("client secret for %q: %w", id, ErrInvalidClient)
	}
	return nil
}

// IssueCode records an approved authorization and returns its one-time code.
func (o *OAuth) IssueCode(req CodeRequest) (string, error) {
	if err := o.CheckClientID(req.ClientID); err != nil {
		return "", fmt.Errorf("issue code: %w", err)
	}
	code := RandomHex(16)
	req.Scopes = slices.Clone(req.Scopes)
	req.Extra = maps.Clone(req.Extra)
	o.mu.Lock()
	o.codes[code] = &codeEntry{req: req, expires: o.cfg.Clock.Now().Add(o.cfg.CodeTTL)}
	o.mu.Unlock()
	return code, nil
}

// ExchangeCode trades a code for tokens after checking the client, the
// code (known, unused, unexpired), the redirect URI and PKCE.
func (o *OAuth) ExchangeCode(x CodeExchange) (Token, error) {
	if err := o.CheckClient(x.ClientID, x.ClientSecret); err != nil {
		return Token{}, fmt.Errorf("exchange code: %w", err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	c, ok := o.codes[x.Code]
	now := o.cfg.Clock.Now()
	switch {
	case !ok || c.req.ClientID != x.ClientID:
		return Token{}, fmt.Errorf("exchange code: unknown code: %w", ErrInvalidGrant)
	case c.used:
		return Token{}, fmt.Errorf("exchange code: code already used: %w", ErrInvalidGrant)
	case !now.Before(c.expires):
		return Token{}, fmt.Errorf("exchange code: code expired: %w", ErrInvalidGrant)
	case c.req.RedirectURI != "" && x.RedirectURI != c.req.RedirectURI:
		return Token{}, fmt.Errorf("exchange code: %w", ErrRedirectMismatch)
	}
	if c.req.CodeChallenge != "" && !pkceMatches(c.req.CodeChallenge, c.req.CodeChallengeMethod, x.CodeVerifier) {
		return Token{}, fmt.Errorf("exchange code: %w", ErrPKCE)
	}
	c.used = true
	grant := Token{ClientID: c.req.ClientID, Scopes: c.req.Scopes, UserID: c.req.UserID, Extra: c.req.Extra}
	rt := o.newRefreshLocked(grant, now)
	return o.newAccessLocked(rt, now), nil
}

func pkceMatches(challenge, method, verifier string) bool {
	if verifier == "" {
		return false
	}
	if method == "plain" {
		return verifier == challenge
	}
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:]) == challenge
}

// Refresh issues a new access token for a refresh token after checking the
// client. With rotation on, it also issues a new refresh token and revokes
// the old one. The returned Token's RefreshToken is always set.
func (o *OAuth) Refresh(clientID, clientSecret, refreshToken string) (Token, error) {
	if err := o.CheckClient(clientID, clientSecret); err != nil {
		return Token{}, fmt.Errorf("refresh: %w", err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.cfg.Clock.Now()
	r, ok := o.refresh[refreshToken]
	switch {
	case !ok || r.grant.ClientID != clientID:
		return Token{}, fmt.Errorf("refresh: unknown refresh token: %w", ErrInvalidGrant)
	case r.revoked:
		return Token{}, fmt.Errorf("refresh: refresh token revoked: %w", ErrInvalidGrant)
	case !r.expires.IsZero() && !now.Before(r.expires):
		return Token{}, fmt.Errorf("refresh: refresh token expired: %w", ErrInvalidGrant)
	}
	if o.cfg.Stats != nil {
		o.cfg.Stats.tokenRefreshes.Add(1)
	}
	rt := refreshToken
	if o.cfg.RotateRefresh {
		r.revoked = true
		rt = o.newRefreshLocked(r.grant, now)
	}
	return o.newAccessLocked(rt, now), nil
}

func (o *OAuth) newRefreshLocked(grant Token, now time.Time) string {
	rt := o.cfg.NewRefreshToken()
	e := &refreshEntry{grant: grant}
	if o.cfg.RefreshTTL > 0 {
		e.expires = now.Add(o.cfg.RefreshTTL)
	}
	o.refresh[rt] = e
	return rt
}

func (o *OAuth) newAccessLocked(refreshToken string, now time.Time) Token {
	r := o.refresh[refreshToken]
	tok := Token{
		AccessToken:  o.cfg.NewAccessToken(),
		RefreshToken: refreshToken,
		ClientID:     r.grant.ClientID,
		Scopes:       slices.Clone(r.grant.Scopes),
		UserID:       r.grant.UserID,
		Extra:        maps.Clone(r.grant.Extra),
		IssuedAt:     now,
		ExpiresAt:    now.Add(o.cfg.AccessTTL),
	}
	o.access[tok.AccessToken] = &accessEntry{tok: tok}
	r.access = append(r.access, tok.AccessToken)
	if o.cfg.Stats != nil {
		o.cfg.Stats.tokensIssued.Add(1)
	}
	return tok
}

// Mint issues a grant directly, as if the registered client had completed
// the consent flow: for tests that do not exercise OAuth.
func (o *OAuth) Mint(scopes []string, userID string, extra map[string]string) Token {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.cfg.Clock.Now()
	grant := Token{ClientID: o.cfg.ClientID, Scopes: slices.Clone(scopes), UserID: userID, Extra: maps.Clone(extra)}
	return o.newAccessLocked(o.newRefreshLocked(grant, now), now)
}

// Authenticate checks a bearer access token. On ErrTokenExpired and
// ErrTokenRevoked the returned Token is filled in (ExpiresAt tells how long
// ago it expired).
func (o *OAuth) Authenticate(accessToken string) (Token, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	a, ok := o.access[accessToken]
	if !ok || accessToken == "" {
		return Token{}, ErrTokenUnknown
	}
	tok := cloneToken(a.tok)
	if a.revoked {
		return tok, ErrTokenRevoked
	}
	if !o.cfg.Clock.Now().Before(a.tok.ExpiresAt) {
		return tok, ErrTokenExpired
	}
	return tok, nil
}

func cloneToken(t Token) Token {
	t.Scopes = slices.Clone(t.Scopes)
	t.Extra = maps.Clone(t.Extra)
	return t
}

// RefreshInfo returns the grant behind a live refresh token (AccessToken
// empty), or ErrInvalidGrant.
func (o *OAuth) RefreshInfo(refreshToken string) (Token, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	r, ok := o.refresh[refreshToken]
	if !ok || r.revoked || (!r.expires.IsZero() && !o.cfg.Clock.Now().Before(r.expires)) {
		return Token{}, fmt.Errorf("refresh token info: %w", ErrInvalidGrant)
	}
	t := cloneToken(r.grant)
	t.RefreshToken = refreshToken
	return t, nil
}

// RevokeRefresh revokes a refresh token; with alsoAccess, every access
// token issued from it too (Salesforce), else those keep working until they
// expire (HubSpot v1). It reports whether the token was known.
func (o *OAuth) RevokeRefresh(refreshToken string, alsoAccess bool) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	r, ok := o.refresh[refreshToken]
	if !ok {
		return false
	}
	r.revoked = true
	if alsoAccess {
		for _, at := range r.access {
			o.access[at].revoked = true
		}
	}
	return true
}

// RevokeAccess revokes one access token and reports whether it was known.
func (o *OAuth) RevokeAccess(accessToken string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	a, ok := o.access[accessToken]
	if ok {
		a.revoked = true
	}
	return ok
}

// RevokeAll revokes every access and refresh token (the user uninstalled
// the app or an admin revoked access).
func (o *OAuth) RevokeAll() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, a := range o.access {
		a.revoked = true
	}
	for _, r := range o.refresh {
		r.revoked = true
	}
}

// ExpireAll makes every access token expired now; refresh tokens still work.
func (o *OAuth) ExpireAll() {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.cfg.Clock.Now()
	for _, a := range o.access {
		if a.tok.ExpiresAt.After(now) {
			a.tok.ExpiresAt = now
		}
	}
}

// RandomHex returns 2n random hex digits.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NewUUID returns a random (version 4) UUID string.
func NewUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
