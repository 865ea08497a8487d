package pipedrive

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

const (
	testClientID     = "crmsync-pipedrive"
	testClientSecret = "crmsync-pipedrive-secret"
	testRedirect     = "https://app.example/callback/pipedrive"
)

// noRedirect is a client that stops at the first redirect.
func (s *sandbox) noRedirect() *http.Client {
	c := *s.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// authorize walks the consent page and returns the redirect it ends on.
func (s *sandbox) authorize(t *testing.T, decision string) *url.URL {
	t.Helper()
	q := url.Values{"client_id": {testClientID}, "redirect_uri": {testRedirect}, "state": {"st-42"}}
	authURL := s.base + "/oauth/authorize?" + q.Encode()
	res, err := s.srv.Client().Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("consent page: status %d: %s", res.StatusCode, page)
	}
	for _, want := range []string{"Acme Demo (Pipedrive)", `id="allow"`, `id="deny"`, testClientID} {
		if !strings.Contains(string(page), want) {
			t.Fatalf("consent page lacks %q:\n%s", want, page)
		}
	}
	// The form posts back to the same URL, as a browser would.
	res, err = s.noRedirect().PostForm(authURL, url.Values{"decision": {decision}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("consent decision: status %d", res.StatusCode)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != testRedirect {
		t.Fatalf("redirected to %s, want %s", got, testRedirect)
	}
	if loc.Query().Get("state") != "st-42" {
		t.Fatalf("state = %q, want st-42", loc.Query().Get("state"))
	}
	return loc
}

// oauthConfig is an unmodified golang.org/x/oauth2 client pointed at the sandbox.
func (s *sandbox) oauthConfig() *oauth2.Config {
	return &oauth2.Config{
		ClientID: testClientID, ClientSecret: testClientSecret, RedirectURL: testRedirect,
		Endpoint: oauth2.Endpoint{
			AuthURL: s.base + "/oauth/authorize", TokenURL: s.base + "/oauth/token",
			AuthStyle: oauth2.AuthStyleInHeader,
		},
	}
}

func TestOAuth_CodeFlowWithGoOAuth2(t *testing.T) {
	s := mustStart(t, Options{})
	loc := s.authorize(t, "allow")
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("no code in %s", loc)
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, s.srv.Client())
	tok, err := s.oauthConfig().Exchange(ctx, code)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if got := tok.Extra("api_domain"); got != s.base {
		t.Errorf("api_domain = %v, want %s", got, s.base)
	}
	if got := tok.Extra("scope"); got != strings.Join(DefaultScopes, ",") {
		t.Errorf("scope = %v", got)
	}
	if !strings.HasPrefix(tok.AccessToken, "v1u:") || !strings.HasPrefix(tok.RefreshToken, "13371337:") {
		t.Errorf("tokens %q / %q lack Pipedrive's look", tok.AccessToken, tok.RefreshToken)
	}
	if d := tok.Expiry.Sub(time.Now()); d < 55*time.Minute || d > 61*time.Minute {
		t.Errorf("expiry in %v, want about 3599 s", d)
	}
	// The token works on the API through the library's own transport.
	client := s.oauthConfig().Client(ctx, tok)
	res, err := client.Get(s.base + "/v1/users/me")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("users/me with exchanged token: %d", res.StatusCode)
	}
	// The code is single use.
	if _, err := s.oauthConfig().Exchange(ctx, code); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("second exchange: err = %v, want invalid_grant", err)
	}
}

func TestOAuth_TokenResponseShape(t *testing.T) {
	s := mustStart(t, Options{})
	code := s.authorize(t, "allow").Query().Get("code")
	r := s.form("/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect}}, testClientID, testClientSecret)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var tok map[string]any
	r.json(t, &tok)
	// Tokens are random; keep their shape out of the golden file.
	tok["access_token"], tok["refresh_token"] = "ACCESS_TOKEN", "REFRESH_TOKEN"
	tok["api_domain"] = strings.Replace(tok["api_domain"].(string), s.srv.URL, "http://sandbox", 1)
	norm, _ := json.Marshal(tok)
	golden(t, "oauth_token", map[string]string{"grant_type": "authorization_code", "code": "CODE", "redirect_uri": testRedirect}, response{status: r.status, body: norm})
}

func TestOAuth_Deny(t *testing.T) {
	s := mustStart(t, Options{})
	loc := s.authorize(t, "deny")
	if got := loc.Query().Get("error"); got != "user_denied" {
		t.Fatalf("error = %q, want user_denied (Pipedrive's denial code)", got)
	}
	if loc.Query().Get("code") != "" {
		t.Fatal("a denial carries no code")
	}
}

func TestOAuth_AuthorizeRejectsUnknownClient(t *testing.T) {
	s := mustStart(t, Options{})
	q := url.Values{"client_id": {"someone-else"}, "redirect_uri": {testRedirect}}
	res, err := s.srv.Client().Get(s.base + "/oauth/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), oauthClientInvalid) {
		t.Fatalf("status %d body %s", res.StatusCode, body)
	}
}

func TestOAuth_TokenErrors(t *testing.T) {
	s := mustStart(t, Options{})
	codeFor := func() string { return s.authorize(t, "allow").Query().Get("code") }
	expired := codeFor()
	s.crm.Env().Clock.Advance(11 * time.Minute)
	tests := []struct {
		name       string
		values     url.Values
		user, pass string
		json       bool
		code, msg  string
	}{
		{"NoClientCredentials", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, "", "", false, "invalid_client", oauthNoClientCreds},
		{"WrongSecret", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, testClientID, "nope", false, "invalid_client", oauthClientInvalid},
		{"MissingGrantType", url.Values{"code": {"x"}}, testClientID, testClientSecret, false, "invalid_request", oauthMissingGrantType},
		{"UnsupportedGrant", url.Values{"grant_type": {"password"}}, testClientID, testClientSecret, false, "unsupported_grant_type", oauthUnsupportedGrant},
		{"UnknownCode", url.Values{"grant_type": {"authorization_code"}, "code": {"nope"}, "redirect_uri": {testRedirect}}, testClientID, testClientSecret, false, "invalid_grant", oauthCodeInvalid},
		{"ExpiredCode", url.Values{"grant_type": {"authorization_code"}, "code": {expired}, "redirect_uri": {testRedirect}}, testClientID, testClientSecret, false, "invalid_grant", oauthCodeExpired},
		{"RedirectMismatch", url.Values{"grant_type": {"authorization_code"}, "code": {codeFor()}, "redirect_uri": {"https://evil.example/cb"}}, testClientID, testClientSecret, false, "invalid_request", oauthRedirectWrong},
		{"MissingRedirectURI", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, testClientID, testClientSecret, false, "invalid_request", oauthRedirectBadURI},
		{"UnknownRefreshToken", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"1:2:nope"}}, testClientID, testClientSecret, false, "invalid_grant", oauthRefreshInvalid},
		{"JSONBody", nil, testClientID, testClientSecret, true, "invalid_request", oauthContentType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r response
			if tt.json {
				r = s.do(http.MethodPost, "/oauth/token", "", map[string]string{"grant_type": "refresh_token"})
			} else {
				r = s.form("/oauth/token", tt.values, tt.user, tt.pass)
			}
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.status, r.body)
			}
			var e OAuthError
			r.json(t, &e)
			if e.Success || e.Error != tt.code || e.Message != tt.msg {
				t.Fatalf("body %s, want error %q message %q", r.body, tt.code, tt.msg)
			}
		})
	}
	r := s.form("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"1:2:nope"}}, testClientID, testClientSecret)
	golden(t, "oauth_refresh_invalid", map[string]string{"grant_type": "refresh_token", "refresh_token": "1:2:nope"}, r)
}

// exchange runs the consent flow and returns the token response.
func (s *sandbox) exchange(t *testing.T) TokenResponse {
	t.Helper()
	code := s.authorize(t, "allow").Query().Get("code")
	r := s.form("/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect}}, testClientID, testClientSecret)
	if r.status != http.StatusOK {
		t.Fatalf("exchange: %d %s", r.status, r.body)
	}
	var tok TokenResponse
	r.json(t, &tok)
	return tok
}

func TestOAuth_RefreshKeepsRefreshToken(t *testing.T) {
	s := mustStart(t, Options{})
	first := s.exchange(t)
	s.crm.Env().Clock.Advance(time.Hour) // the access token has expired
	wantError(t, s.do(http.MethodGet, "/v1/users/me", first.AccessToken, nil), http.StatusUnauthorized, msgInvalidToken)

	r := s.form("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}}, testClientID, testClientSecret)
	if r.status != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	var second TokenResponse
	r.json(t, &second)
	if second.RefreshToken != first.RefreshToken {
		t.Errorf("refresh token changed: Pipedrive returns the same one")
	}
	if second.AccessToken == first.AccessToken || second.ExpiresIn != 3599 || second.APIDomain != s.base {
		t.Errorf("refreshed token %+v", second)
	}
	if r := s.do(http.MethodGet, "/v1/users/me", second.AccessToken, nil); r.status != http.StatusOK {
		t.Fatalf("refreshed token rejected: %d %s", r.status, r.body)
	}
	if got := s.crm.Env().Stats.Snapshot().TokenRefreshes; got != 1 {
		t.Errorf("token_refreshes = %d, want 1", got)
	}
}

func TestOAuth_Revoke(t *testing.T) {
	t.Run("AccessTokenOnly", func(t *testing.T) {
		s := mustStart(t, Options{})
		tok := s.exchange(t)
		r := s.form("/oauth/revoke", url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}}, testClientID, testClientSecret)
		if r.status != http.StatusOK {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		wantError(t, s.do(http.MethodGet, "/v1/users/me", tok.AccessToken, nil), http.StatusUnauthorized, msgInvalidToken)
		// The refresh token still works.
		r = s.form("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, testClientID, testClientSecret)
		if r.status != http.StatusOK {
			t.Fatalf("refresh after access revoke: %d %s", r.status, r.body)
		}
	})
	t.Run("RefreshTokenUninstalls", func(t *testing.T) {
		s := mustStart(t, Options{})
		tok := s.exchange(t)
		r := s.form("/oauth/revoke", url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}}, testClientID, testClientSecret)
		if r.status != http.StatusOK {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		wantError(t, s.do(http.MethodGet, "/v1/users/me", tok.AccessToken, nil), http.StatusUnauthorized, msgInvalidToken)
		r = s.form("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, testClientID, testClientSecret)
		var e OAuthError
		r.json(t, &e)
		if r.status != http.StatusBadRequest || e.Error != "invalid_grant" {
			t.Fatalf("refresh after revoke: %d %s", r.status, r.body)
		}
	})
	t.Run("UnknownTokenIs200", func(t *testing.T) {
		s := mustStart(t, Options{})
		r := s.form("/oauth/revoke", url.Values{"token": {"nope"}}, testClientID, testClientSecret)
		if r.status != http.StatusOK {
			t.Fatalf("status %d, want 200 for an unknown token", r.status)
		}
	})
	t.Run("NeedsClient", func(t *testing.T) {
		s := mustStart(t, Options{})
		r := s.form("/oauth/revoke", url.Values{"token": {"nope"}}, testClientID, "wrong")
		if r.status != http.StatusBadRequest {
			t.Fatalf("status %d, want 400", r.status)
		}
	})
}

func TestAPI_AuthErrors(t *testing.T) {
	s := mustStart(t, Options{})
	t.Run("NoCredentials", func(t *testing.T) {
		r := s.do(http.MethodGet, "/api/v2/persons", "", nil)
		e := wantError(t, r, http.StatusUnauthorized, msgUnauthorized)
		if e.ErrorCode != 401 {
			t.Errorf("errorCode = %d, want 401", e.ErrorCode)
		}
		golden(t, "api_unauthorized", nil, r)
	})
	t.Run("MalformedHeader", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, s.base+"/api/v2/persons", nil)
		req.Header.Set("Authorization", "Token abc")
		res, err := s.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		wantError(t, response{status: res.StatusCode, body: body}, http.StatusBadRequest, msgMalformedAuth)
	})
	t.Run("UnknownToken", func(t *testing.T) {
		r := s.do(http.MethodGet, "/api/v2/persons", "v1u:nope", nil)
		wantError(t, r, http.StatusUnauthorized, msgInvalidToken)
		golden(t, "api_invalid_token", nil, r)
	})
	t.Run("ExpireAll", func(t *testing.T) {
		s := mustStart(t, Options{})
		s.crm.Env().OAuth.ExpireAll()
		wantError(t, s.api(http.MethodGet, "/api/v2/persons", nil), http.StatusUnauthorized, msgInvalidToken)
	})
	t.Run("RevokeAll", func(t *testing.T) {
		s := mustStart(t, Options{})
		s.crm.Env().OAuth.RevokeAll()
		wantError(t, s.api(http.MethodGet, "/api/v2/persons", nil), http.StatusUnauthorized, msgInvalidToken)
	})
	t.Run("ScopeMismatch", func(t *testing.T) {
		s := mustStart(t, Options{Scopes: []string{"base", "contacts:read"}})
		r := s.api(http.MethodPost, "/api/v2/personFields", map[string]string{"field_name": "X", "field_type": "varchar"})
		wantError(t, r, http.StatusForbidden, "Scope and URL mismatch")
		if r := s.api(http.MethodGet, "/api/v2/persons", nil); r.status != http.StatusOK {
			t.Fatalf("contacts:read should grant the list: %d", r.status)
		}
	})
}
