package emu_test

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
)

func newOAuth(rotate bool) (*emu.OAuth, *emu.Clock, *emu.Stats) {
	clock := emu.NewClock(func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) })
	stats := &emu.Stats{}
	return emu.NewOAuth(emu.OAuthConfig{ClientID: "app", ClientSecret: "secret", AccessTTL: time.Hour, RotateRefresh: rotate, Clock: clock, Stats: stats}), clock, stats
}

func TestOAuth_CodeExchange(t *testing.T) {
	t.Parallel()
	o, clock, stats := newOAuth(false)
	code, err := o.IssueCode(emu.CodeRequest{ClientID: "app", RedirectURI: "https://cb", Scopes: []string{"a"}, Extra: map[string]string{"dc": "eu"}})
	if err != nil {
		t.Fatal(err)
	}
	x := emu.CodeExchange{ClientID: "app", ClientSecret: "secret", Code: code, RedirectURI: "https://cb"}
	for _, tt := range []struct {
		name string
		mod  func(emu.CodeExchange) emu.CodeExchange
		want error
	}{
		{"WrongSecret", func(x emu.CodeExchange) emu.CodeExchange { x.ClientSecret = "no"; return x }, emu.ErrInvalidClient},
		{"WrongClient", func(x emu.CodeExchange) emu.CodeExchange { x.ClientID = "other"; return x }, emu.ErrInvalidClient},
		{"WrongRedirect", func(x emu.CodeExchange) emu.CodeExchange { x.RedirectURI = "https://evil"; return x }, emu.ErrRedirectMismatch},
		{"UnknownCode", func(x emu.CodeExchange) emu.CodeExchange { x.Code = "nope"; return x }, emu.ErrInvalidGrant},
	} {
		if _, err := o.ExchangeCode(tt.mod(x)); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	tok, err := o.ExchangeCode(x)
	if err != nil || tok.ExpiresIn() != 3600 || tok.Extra["dc"] != "eu" || tok.RefreshToken == "" {
		t.Fatalf("token = %+v, %v", tok, err)
	}
	if _, err := o.ExchangeCode(x); !errors.Is(err, emu.ErrInvalidGrant) {
		t.Fatalf("reused code = %v", err)
	}
	if got, err := o.Authenticate(tok.AccessToken); err != nil || got.Scopes[0] != "a" {
		t.Fatalf("authenticate = %+v, %v", got, err)
	}
	clock.Advance(time.Hour)
	if got, err := o.Authenticate(tok.AccessToken); !errors.Is(err, emu.ErrTokenExpired) || !got.ExpiresAt.Equal(clock.Now()) {
		t.Fatalf("expired = %+v, %v", got, err)
	}
	if _, err := o.Authenticate("junk"); !errors.Is(err, emu.ErrTokenUnknown) {
		t.Fatalf("junk = %v", err)
	}
	if s := stats.Snapshot(); s.TokensIssued != 1 {
		t.Fatalf("stats = %+v", s)
	}

	t.Run("CodeExpires", func(t *testing.T) {
		code, _ := o.IssueCode(emu.CodeRequest{ClientID: "app"})
		clock.Advance(11 * time.Minute)
		if _, err := o.ExchangeCode(emu.CodeExchange{ClientID: "app", ClientSecret: "secret", Code: code}); !errors.Is(err, emu.ErrInvalidGrant) {
			t.Fatalf("expired code = %v", err)
		}
	})
}

func TestOAuth_PKCE(t *testing.T) {
	t.Parallel()
	o, _, _ := newOAuth(false)
	sum := sha256.Sum256([]byte("verifier-123"))
	for _, tt := range []struct {
		method, challenge, verifier string
		ok                          bool
	}{
		{"S256", base64.RawURLEncoding.EncodeToString(sum[:]), "verifier-123", true},
		{"S256", base64.RawURLEncoding.EncodeToString(sum[:]), "other", false},
		{"S256", base64.RawURLEncoding.EncodeToString(sum[:]), "", false},
		{"plain", "verifier-123", "verifier-123", true},
	} {
		code, _ := o.IssueCode(emu.CodeRequest{ClientID: "app", CodeChallenge: tt.challenge, CodeChallengeMethod: tt.method})
		_, err := o.ExchangeCode(emu.CodeExchange{ClientID: "app", ClientSecret: "secret", Code: code, CodeVerifier: tt.verifier})
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, emu.ErrPKCE)) {
			t.Errorf("%s %q: err = %v", tt.method, tt.verifier, err)
		}
	}
}

func TestOAuth_RefreshAndRevoke(t *testing.T) {
	t.Parallel()
	t.Run("NoRotation", func(t *testing.T) {
		o, _, stats := newOAuth(false)
		g := o.Mint([]string{"x"}, "u1", nil)
		t2, err := o.Refresh("app", "secret", g.RefreshToken)
		if err != nil || t2.RefreshToken != g.RefreshToken || t2.AccessToken == g.AccessToken || t2.UserID != "u1" {
			t.Fatalf("refresh = %+v, %v", t2, err)
		}
		if _, err := o.Refresh("app", "wrong", g.RefreshToken); !errors.Is(err, emu.ErrInvalidClient) {
			t.Fatalf("wrong secret = %v", err)
		}
		if stats.Snapshot().TokenRefreshes != 1 {
			t.Fatalf("refreshes = %d", stats.Snapshot().TokenRefreshes)
		}
		// Revoking only the refresh token leaves access tokens working.
		o.RevokeRefresh(g.RefreshToken, false)
		if _, err := o.Authenticate(t2.AccessToken); err != nil {
			t.Fatalf("access after refresh revoke = %v", err)
		}
		if _, err := o.Refresh("app", "secret", g.RefreshToken); !errors.Is(err, emu.ErrInvalidGrant) {
			t.Fatalf("revoked refresh = %v", err)
		}
	})
	t.Run("Rotation", func(t *testing.T) {
		o, _, _ := newOAuth(true)
		g := o.Mint(nil, "", nil)
		t2, err := o.Refresh("app", "secret", g.RefreshToken)
		if err != nil || t2.RefreshToken == g.RefreshToken {
			t.Fatalf("rotated = %+v, %v", t2, err)
		}
		if _, err := o.Refresh("app", "secret", g.RefreshToken); !errors.Is(err, emu.ErrInvalidGrant) {
			t.Fatalf("old refresh token after rotation = %v", err)
		}
		// Revoking with alsoAccess kills the access tokens issued from it.
		o.RevokeRefresh(t2.RefreshToken, true)
		if _, err := o.Authenticate(t2.AccessToken); !errors.Is(err, emu.ErrTokenRevoked) {
			t.Fatalf("access after full revoke = %v", err)
		}
	})
	t.Run("RevokeAllExpireAll", func(t *testing.T) {
		o, _, _ := newOAuth(false)
		a, b := o.Mint(nil, "", nil), o.Mint(nil, "", nil)
		o.ExpireAll()
		if _, err := o.Authenticate(a.AccessToken); !errors.Is(err, emu.ErrTokenExpired) {
			t.Fatalf("after ExpireAll = %v", err)
		}
		fresh, err := o.Refresh("app", "secret", a.RefreshToken)
		if err != nil {
			t.Fatalf("refresh after ExpireAll = %v", err)
		}
		o.RevokeAll()
		if _, err := o.Authenticate(fresh.AccessToken); !errors.Is(err, emu.ErrTokenRevoked) {
			t.Fatalf("after RevokeAll = %v", err)
		}
		if _, err := o.RefreshInfo(b.RefreshToken); !errors.Is(err, emu.ErrInvalidGrant) {
			t.Fatalf("refresh info after RevokeAll = %v", err)
		}
	})
}
