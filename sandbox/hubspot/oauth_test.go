package hubspot_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
	"github.com/saleshive/crmsync/sandbox/emu/emutest"
)

const redirect = "https://app.example/callback"

// authorize walks the consent page and returns the redirect's query.
func (f *fixture) authorize(extra url.Values, decision string) url.Values {
	f.t.Helper()
	q := url.Values{"client_id": {"crmsync-hubspot"}, "redirect_uri": {redirect}, "state": {"st-1"},
		"scope": {"oauth crm.objects.contacts.read crm.objects.contacts.write"}}
	for k, v := range extra {
		q[k] = v
	}
	page := f.callWith("", http.MethodGet, "/oauth/authorize?"+q.Encode(), nil)
	wantStatus(f.t, page, http.StatusOK)
	for _, want := range []string{`id="allow"`, `id="deny"`, "Acme Demo (HubSpot)", "crmsync-hubspot"} {
		if !strings.Contains(string(page.Body), want) {
			f.t.Fatalf("consent page lacks %q:\n%s", want, page.Body)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, f.base+"/oauth/authorize?"+q.Encode(), strings.NewReader("decision="+decision))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp := f.send(req)
	wantStatus(f.t, resp, http.StatusFound)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), redirect) {
		f.t.Fatalf("redirect to %q", resp.Header.Get("Location"))
	}
	return loc.Query()
}

type tokenBody struct {
	TokenType    string   `json:"token_type"`
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token"`
	ExpiresIn    int      `json:"expires_in"`
	HubID        int      `json:"hub_id"`
	Scopes       []string `json:"scopes"`
	Error        string   `json:"error"`
	Status       string   `json:"status"`
}

func (f *fixture) exchange(code string, extra url.Values) (emutest.Response, tokenBody) {
	f.t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {"crmsync-hubspot"},
		"client_secret": {"crmsync-hubspot-secret"}, "redirect_uri": {redirect}, "code": {code}}
	for k, v := range extra {
		form[k] = v
	}
	r := f.form("/oauth/v1/token", form)
	var tb tokenBody
	r.Decode(f.t, &tb)
	return r, tb
}

func TestOAuth_CodeFlow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	q := f.authorize(nil, "allow")
	if q.Get("state") != "st-1" || q.Get("code") == "" {
		t.Fatalf("callback query = %v", q)
	}
	r, tok := f.exchange(q.Get("code"), nil)
	wantStatus(t, r, http.StatusOK)
	r.Body = []byte(strings.Replace(string(r.Body), tok.RefreshToken, "<refresh-token>", 1))
	golden(t, "oauth_token", nil, r)
	if tok.TokenType != "bearer" || tok.ExpiresIn != 1800 || tok.HubID != 62515 || len(tok.Scopes) != 3 {
		t.Fatalf("token = %+v", tok)
	}
	// The token works on the API, and the code is single-use.
	wantStatus(t, f.callWith(tok.AccessToken, http.MethodGet, "/crm/v3/objects/contacts", nil), http.StatusOK)
	r, bad := f.exchange(q.Get("code"), nil)
	if r.Status != http.StatusBadRequest || bad.Error != "invalid_grant" || bad.Status != "BAD_AUTH_CODE" {
		t.Fatalf("reused code: %d %s", r.Status, r.Body)
	}

	t.Run("Refresh", func(t *testing.T) {
		r := f.form("/oauth/v1/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {"crmsync-hubspot"},
			"client_secret": {"crmsync-hubspot-secret"}, "refresh_token": {tok.RefreshToken}})
		wantStatus(t, r, http.StatusOK)
		var again tokenBody
		r.Decode(t, &again)
		// HubSpot returns the same refresh token; the access token is new.
		if again.RefreshToken != tok.RefreshToken || again.AccessToken == tok.AccessToken || again.HubID != 62515 {
			t.Fatalf("refresh = %+v", again)
		}
	})
	t.Run("TokenInfo", func(t *testing.T) {
		r := f.callWith("", http.MethodGet, "/oauth/v1/access-tokens/"+tok.AccessToken, nil)
		wantStatus(t, r, http.StatusOK)
		golden(t, "oauth_access_token_info", nil, r)
		var info struct {
			HubID     int    `json:"hub_id"`
			User      string `json:"user"`
			ExpiresIn int    `json:"expires_in"`
			TokenType string `json:"token_type"`
		}
		r.Decode(t, &info)
		if info.HubID != 62515 || info.User != "grace.hopper@acme.example" || info.ExpiresIn != 1800 || info.TokenType != "access" {
			t.Fatalf("info = %+v", info)
		}
		wantStatus(t, f.callWith("", http.MethodGet, "/oauth/v1/refresh-tokens/"+tok.RefreshToken, nil), http.StatusOK)
		wantStatus(t, f.callWith("", http.MethodGet, "/oauth/v1/access-tokens/nope", nil), http.StatusNotFound)
	})
	t.Run("Introspect", func(t *testing.T) {
		r := f.form("/oauth/v3/token/introspect", url.Values{"token": {tok.AccessToken}, "client_id": {"crmsync-hubspot"}, "client_secret": {"crmsync-hubspot-secret"}})
		if !strings.Contains(string(r.Body), `"active":true`) {
			t.Fatalf("introspect = %s", r.Body)
		}
		r = f.form("/oauth/v3/token/introspect", url.Values{"token": {"junk"}, "client_id": {"crmsync-hubspot"}, "client_secret": {"crmsync-hubspot-secret"}})
		if strings.TrimSpace(string(r.Body)) != `{"active":false}` {
			t.Fatalf("introspect junk = %s", r.Body)
		}
	})
}

func TestOAuth_Deny(t *testing.T) {
	t.Parallel()
	q := newFixture(t).authorize(nil, "deny")
	if q.Get("error") != "access_denied" || q.Get("state") != "st-1" || q.Get("code") != "" {
		t.Fatalf("deny callback = %v", q)
	}
}

func TestOAuth_PKCE(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	verifier := "a-verifier-that-is-long-enough-0123456789-abcdefghij"
	sum := sha256.Sum256([]byte(verifier))
	q := f.authorize(url.Values{"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}, "allow")
	if r, _ := f.exchange(q.Get("code"), url.Values{"code_verifier": {"wrong"}}); r.Status != http.StatusBadRequest {
		t.Fatalf("wrong verifier: %d %s", r.Status, r.Body)
	}
	if r, _ := f.exchange(q.Get("code"), url.Values{"code_verifier": {verifier}}); r.Status != http.StatusOK {
		t.Fatalf("right verifier: %d %s", r.Status, r.Body)
	}
}

func TestOAuth_TokenErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	code := f.authorize(nil, "allow").Get("code")
	tests := []struct {
		name       string
		form       url.Values
		wantError  string
		wantStatus string
	}{
		{"BadClientID", url.Values{"grant_type": {"authorization_code"}, "client_id": {"other"}, "client_secret": {"crmsync-hubspot-secret"}, "code": {code}, "redirect_uri": {redirect}}, "invalid_client", "BAD_CLIENT_ID"},
		{"BadSecret", url.Values{"grant_type": {"authorization_code"}, "client_id": {"crmsync-hubspot"}, "client_secret": {"nope"}, "code": {code}, "redirect_uri": {redirect}}, "invalid_client", "BAD_CLIENT_ID"},
		{"WrongRedirect", url.Values{"grant_type": {"authorization_code"}, "client_id": {"crmsync-hubspot"}, "client_secret": {"crmsync-hubspot-secret"}, "code": {code}, "redirect_uri": {"https://evil.example/cb"}}, "invalid_grant", "BAD_REDIRECT_URI"},
		{"UnknownRefresh", url.Values{"grant_type": {"refresh_token"}, "client_id": {"crmsync-hubspot"}, "client_secret": {"crmsync-hubspot-secret"}, "refresh_token": {"nope"}}, "invalid_grant", "BAD_REFRESH_TOKEN"},
		{"BadGrantType", url.Values{"grant_type": {"password"}}, "unsupported_grant_type", "BAD_GRANT_TYPE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.form("/oauth/v1/token", tt.form)
			var body tokenBody
			r.Decode(t, &body)
			if r.Status != http.StatusBadRequest || body.Error != tt.wantError || body.Status != tt.wantStatus {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
		})
	}
}

func TestOAuth_AuthorizeErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for name, q := range map[string]url.Values{
		"UnknownClient": {"client_id": {"other"}, "redirect_uri": {redirect}},
		"NoRedirect":    {"client_id": {"crmsync-hubspot"}},
		"UnknownScope":  {"client_id": {"crmsync-hubspot"}, "redirect_uri": {redirect}, "scope": {"oauth made.up.scope"}},
	} {
		t.Run(name, func(t *testing.T) {
			r := f.callWith("", http.MethodGet, "/oauth/authorize?"+q.Encode(), nil)
			if r.Status != http.StatusBadRequest || strings.Contains(string(r.Body), `id="allow"`) {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
		})
	}
}

func TestOAuth_RevokeRefreshTokenV1(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, tok := f.exchange(f.authorize(nil, "allow").Get("code"), nil)
	wantStatus(t, f.callWith("", http.MethodDelete, "/oauth/v1/refresh-tokens/"+tok.RefreshToken, nil), http.StatusNoContent)
	// The refresh token is dead, but HubSpot keeps already-issued access
	// tokens working until they expire.
	r := f.form("/oauth/v1/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {"crmsync-hubspot"},
		"client_secret": {"crmsync-hubspot-secret"}, "refresh_token": {tok.RefreshToken}})
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "BAD_REFRESH_TOKEN") {
		t.Fatalf("refresh after revoke: %d %s", r.Status, r.Body)
	}
	wantStatus(t, f.callWith(tok.AccessToken, http.MethodGet, "/crm/v3/objects/contacts", nil), http.StatusOK)
	wantStatus(t, f.callWith("", http.MethodDelete, "/oauth/v1/refresh-tokens/"+tok.RefreshToken+"x", nil), http.StatusNotFound)
}

func TestOAuth_RevokeV3(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, tok := f.exchange(f.authorize(nil, "allow").Get("code"), nil)
	r := f.form("/oauth/v3/token/revoke", url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"},
		"client_id": {"crmsync-hubspot"}, "client_secret": {"crmsync-hubspot-secret"}})
	wantStatus(t, r, http.StatusNoContent)
	wantError(t, f.callWith(tok.AccessToken, http.MethodGet, "/crm/v3/objects/contacts", nil), http.StatusUnauthorized, "INVALID_AUTHENTICATION")
}

func TestOAuth_RotationWhenConfigured(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *emu.Config) { c.RotateRefreshTokens = true })
	_, tok := f.exchange(f.authorize(nil, "allow").Get("code"), nil)
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {"crmsync-hubspot"}, "client_secret": {"crmsync-hubspot-secret"}, "refresh_token": {tok.RefreshToken}}
	var next tokenBody
	f.form("/oauth/v1/token", form).Decode(t, &next)
	if next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken {
		t.Fatalf("rotated refresh token = %q", next.RefreshToken)
	}
	wantStatus(t, f.form("/oauth/v1/token", form), http.StatusBadRequest)
}

func TestAPI_Authentication(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	t.Run("Missing", func(t *testing.T) {
		e := wantError(t, f.callWith("", http.MethodGet, "/crm/v3/objects/contacts", nil), http.StatusUnauthorized, "INVALID_AUTHENTICATION")
		if !strings.HasPrefix(e.Message, "Authentication credentials not found.") {
			t.Fatalf("message = %q", e.Message)
		}
	})
	t.Run("Wrong", func(t *testing.T) {
		wantError(t, f.callWith("bogus", http.MethodGet, "/crm/v3/objects/contacts", nil), http.StatusUnauthorized, "INVALID_AUTHENTICATION")
	})
	t.Run("Expired", func(t *testing.T) {
		tok := f.crm.Env().OAuth.Mint([]string{"crm.objects.contacts.read"}, "", nil)
		f.clock.Advance(35 * time.Minute)
		r := f.callWith(tok.AccessToken, http.MethodGet, "/crm/v3/objects/contacts", nil)
		e := wantError(t, r, http.StatusUnauthorized, "EXPIRED_AUTHENTICATION")
		if e.Message != "The OAuth token used to make this call expired 5 minute(s) ago." {
			t.Fatalf("message = %q", e.Message)
		}
		golden(t, "error_expired_token", nil, r)
	})
	t.Run("MissingScope", func(t *testing.T) {
		tok := f.crm.Env().OAuth.Mint([]string{"crm.objects.contacts.read"}, "", nil)
		r := f.callWith(tok.AccessToken, http.MethodPost, "/crm/v3/objects/contacts", map[string]any{"properties": map[string]any{}})
		e := wantError(t, r, http.StatusForbidden, "MISSING_SCOPES")
		if len(e.Errors) != 1 || e.Errors[0].Context["requiredGranularScopes"][0] != "crm.objects.contacts.write" {
			t.Fatalf("errors = %+v", e.Errors)
		}
	})
}
