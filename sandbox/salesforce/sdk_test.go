package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// TestGoOAuth2Library runs the web-server flow with PKCE through golang.org/x/oauth2, an
// unmodified client library, and uses its HTTP client on the instance_url it returns.
func TestGoOAuth2Library(t *testing.T) {
	s := mustStart(t, emu.Config{RotateRefreshTokens: true})
	cfg := &oauth2.Config{
		ClientID: "crmsync-salesforce", ClientSecret: "crmsync-salesforce-secret", RedirectURL: testRedirect,
		Scopes:   []string{"api", "refresh_token"},
		Endpoint: oauth2.Endpoint{AuthURL: s.base + "/services/oauth2/authorize", TokenURL: s.base + "/services/oauth2/token", AuthStyle: oauth2.AuthStyleInParams},
	}
	v := oauth2.GenerateVerifier()
	authURL, _ := url.Parse(cfg.AuthCodeURL("xyz", oauth2.S256ChallengeOption(v)))
	q := s.authorize(t, authURL.Query(), "allow")

	ctx := context.Background()
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	instance, _ := tok.Extra("instance_url").(string)
	if instance != s.base || tok.RefreshToken == "" || !tok.Expiry.IsZero() {
		t.Fatalf("token: instance_url %q refresh %q expiry %v", instance, tok.RefreshToken, tok.Expiry)
	}
	hc := cfg.Client(ctx, tok)
	res, err := hc.Get(instance + "/services/data/v60.0/query?q=" + url.QueryEscape("SELECT Id, Name FROM User WHERE IsActive = true"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var qr QueryResult
	if res.StatusCode != http.StatusOK || json.Unmarshal(body, &qr) != nil || qr.TotalSize != 3 {
		t.Fatalf("query through oauth2 client: %d %s", res.StatusCode, body)
	}

	// A refresh through the library picks up the rotated refresh token.
	src := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken})
	fresh, err := src.Token()
	if err != nil || fresh.RefreshToken == tok.RefreshToken || fresh.AccessToken == tok.AccessToken {
		t.Fatalf("refresh: %v %+v", err, fresh)
	}
	_, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	var re *oauth2.RetrieveError
	if err == nil || !strings.Contains(err.Error(), "invalid_grant") || !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("reusing a rotated refresh token: %v", err)
	}
}
