package salesforce

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
)

const testRedirect = "https://app.example/callback"

// authorize runs the consent flow up to the redirect and returns its query.
func (s *sandbox) authorize(t *testing.T, params url.Values, decision string) url.Values {
	t.Helper()
	u := s.base + "/services/oauth2/authorize?" + params.Encode()
	page := s.doToken("", "GET", strings.TrimPrefix(u, s.base), nil)
	wantStatus(t, page, http.StatusOK)
	for _, want := range []string{`id="allow"`, `id="deny"`, "Acme Demo (Salesforce)", "crmsync-salesforce"} {
		if !strings.Contains(string(page.body), want) {
			t.Fatalf("consent page lacks %q:\n%s", want, page.body)
		}
	}
	req, _ := http.NewRequest("POST", u, strings.NewReader(url.Values{"decision": {decision}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res := s.send(req)
	wantStatus(t, res, http.StatusFound)
	loc, err := url.Parse(res.header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), testRedirect) {
		t.Fatalf("redirect to %q", res.header.Get("Location"))
	}
	return loc.Query()
}

// tokenCall posts a form to the token endpoint.
func (s *sandbox) tokenCall(form url.Values) response {
	s.t.Helper()
	req, _ := http.NewRequest("POST", s.base+"/services/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.send(req)
}

func authParams(challenge string) url.Values {
	p := url.Values{"response_type": {"code"}, "client_id": {"crmsync-salesforce"}, "redirect_uri": {testRedirect},
		"scope": {"api refresh_token id"}, "state": {"st-123"}}
	if challenge != "" {
		p.Set("code_challenge", challenge)
	}
	return p
}

func codeForm(code, verifier string) url.Values {
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {"crmsync-salesforce"},
		"client_secret": {"crmsync-salesforce-secret"}, "redirect_uri": {testRedirect}}
	if verifier != "" {
		f.Set("code_verifier", verifier)
	}
	return f
}

func refreshForm(rt string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"crmsync-salesforce"},
		"client_secret": {"crmsync-salesforce-secret"}}
}

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

func challengeOf(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestOAuth_WebServerFlowWithPKCE(t *testing.T) {
	s := mustStart(t, emu.Config{})
	q := s.authorize(t, authParams(challengeOf(verifier)), "allow")
	if q.Get("state") != "st-123" || q.Get("code") == "" {
		t.Fatalf("callback query %v", q)
	}
	form := codeForm(q.Get("code"), verifier)
	r := s.tokenCall(form)
	wantStatus(t, r, http.StatusOK)
	golden(t, "oauth_token_code", nil, r)
	tok := decode[map[string]any](t, r)
	if _, ok := tok["expires_in"]; ok {
		t.Error("token response has expires_in; Salesforce sends none")
	}
	issued, ok := tok["issued_at"].(string)
	if !ok || issued != "1749556800000" {
		t.Errorf("issued_at = %#v, want the string of epoch milliseconds", tok["issued_at"])
	}
	if tok["instance_url"] != s.base {
		t.Errorf("instance_url = %v, want %s", tok["instance_url"], s.base)
	}
	wantID := s.base + "/id/" + s.crm.OrgID() + "/" + s.admin
	if tok["id"] != wantID {
		t.Errorf("id = %v, want %s", tok["id"], wantID)
	}
	mac := hmac.New(sha256.New, []byte("crmsync-salesforce-secret"))
	mac.Write([]byte(wantID + issued))
	if tok["signature"] != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
		t.Errorf("signature does not verify")
	}
	if tok["refresh_token"] == "" || tok["token_type"] != "Bearer" || tok["scope"] != "api refresh_token id" {
		t.Errorf("token fields %v", tok)
	}
	// The access token works on the instance.
	api := s.doToken(tok["access_token"].(string), "GET", data("/limits"), nil)
	wantStatus(t, api, http.StatusOK)

	t.Run("CodeReuse", func(t *testing.T) {
		r := s.tokenCall(form)
		wantStatus(t, r, http.StatusBadRequest)
		golden(t, "oauth_token_code_reused", nil, r)
	})
}

func TestOAuth_TokenErrors(t *testing.T) {
	s := mustStart(t, emu.Config{})
	tests := []struct {
		name      string
		challenge string
		mutate    func(url.Values)
		wantError string
	}{
		{"WrongVerifier", challengeOf(verifier), func(f url.Values) { f.Set("code_verifier", "x"+verifier) }, "invalid_request"},
		{"MissingVerifier", challengeOf(verifier), func(f url.Values) { f.Del("code_verifier") }, "invalid_grant"},
		{"WrongSecret", "", func(f url.Values) { f.Set("client_secret", "nope") }, "invalid_client"},
		{"UnknownClient", "", func(f url.Values) { f.Set("client_id", "someone-else") }, "invalid_client_id"},
		{"RedirectMismatch", "", func(f url.Values) { f.Set("redirect_uri", "https://evil.example/cb") }, "redirect_uri_mismatch"},
		{"UnsupportedGrant", "", func(f url.Values) { f.Set("grant_type", "password") }, "unsupported_grant_type"},
		{"UnknownCode", "", func(f url.Values) { f.Set("code", "bogus") }, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := s.authorize(t, authParams(tt.challenge), "allow")
			f := codeForm(q.Get("code"), verifier)
			tt.mutate(f)
			r := s.tokenCall(f)
			wantStatus(t, r, http.StatusBadRequest)
			if got := decode[OAuthError](t, r); got.Error != tt.wantError || got.ErrorDescription == "" {
				t.Errorf("error = %+v, want %s", got, tt.wantError)
			}
		})
	}
}

func TestOAuth_ConsentDenied(t *testing.T) {
	s := mustStart(t, emu.Config{})
	q := s.authorize(t, authParams(""), "deny")
	if q.Get("error") != "access_denied" || q.Get("state") != "st-123" || q.Get("code") != "" {
		t.Fatalf("callback query %v", q)
	}
}

func TestOAuth_AuthorizeErrors(t *testing.T) {
	s := mustStart(t, emu.Config{})
	bad := authParams("")
	bad.Set("client_id", "unknown")
	r := s.doToken("", "GET", "/services/oauth2/authorize?"+bad.Encode(), nil)
	wantStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(string(r.body), "invalid_client_id") {
		t.Errorf("body %s", r.body)
	}
	scope := authParams("")
	scope.Set("scope", "api launch_missiles")
	r = s.doToken("", "GET", "/services/oauth2/authorize?"+scope.Encode(), nil)
	wantStatus(t, r, http.StatusFound)
	loc, _ := url.Parse(r.header.Get("Location"))
	if loc.Query().Get("error") != "invalid_scope" || loc.Query().Get("state") != "st-123" {
		t.Errorf("redirect %s", loc)
	}
}

// connect runs the whole flow and returns the token response.
func (s *sandbox) connect(t *testing.T) TokenResponse {
	t.Helper()
	q := s.authorize(t, authParams(challengeOf(verifier)), "allow")
	r := s.tokenCall(codeForm(q.Get("code"), verifier))
	wantStatus(t, r, http.StatusOK)
	return decode[TokenResponse](t, r)
}

func TestOAuth_RefreshWithoutRotation(t *testing.T) {
	s := mustStart(t, emu.Config{})
	tok := s.connect(t)
	r := s.tokenCall(refreshForm(tok.RefreshToken))
	wantStatus(t, r, http.StatusOK)
	golden(t, "oauth_token_refresh", nil, r)
	got := decode[TokenResponse](t, r)
	if got.RefreshToken != "" || got.AccessToken == tok.AccessToken || got.InstanceURL != s.base {
		t.Errorf("refresh response %+v", got)
	}
	// Without rotation the refresh token stays valid.
	wantStatus(t, s.tokenCall(refreshForm(tok.RefreshToken)), http.StatusOK)
	if st := s.crm.Env().Stats.Snapshot(); st.TokenRefreshes != 2 {
		t.Errorf("token_refreshes = %d, want 2", st.TokenRefreshes)
	}
}

func TestOAuth_RefreshWithRotation(t *testing.T) {
	s := mustStart(t, emu.Config{RotateRefreshTokens: true})
	tok := s.connect(t)
	got := decode[TokenResponse](t, s.tokenCall(refreshForm(tok.RefreshToken)))
	if got.RefreshToken == "" || got.RefreshToken == tok.RefreshToken {
		t.Fatalf("rotation: refresh_token %q", got.RefreshToken)
	}
	old := s.tokenCall(refreshForm(tok.RefreshToken))
	wantStatus(t, old, http.StatusBadRequest)
	golden(t, "oauth_token_refresh_invalid_grant", nil, old)
	wantStatus(t, s.tokenCall(refreshForm(got.RefreshToken)), http.StatusOK)
}

func TestOAuth_Revoke(t *testing.T) {
	s := mustStart(t, emu.Config{})
	tok := s.connect(t)
	revoke := func(token string) response {
		req, _ := http.NewRequest("POST", s.base+"/services/oauth2/revoke", strings.NewReader(url.Values{"token": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return s.send(req)
	}
	wantStatus(t, revoke(tok.RefreshToken), http.StatusOK)
	// Revoking the refresh token revokes the access tokens issued from it.
	wantStatus(t, s.doToken(tok.AccessToken, "GET", data("/limits"), nil), http.StatusUnauthorized)
	wantStatus(t, s.tokenCall(refreshForm(tok.RefreshToken)), http.StatusBadRequest)
	bad := revoke("no-such-token")
	wantStatus(t, bad, http.StatusBadRequest)
	golden(t, "oauth_revoke_invalid_token", nil, bad)

	// An access token alone can be revoked too (GET form).
	tok2 := s.connect(t)
	wantStatus(t, s.doToken("", "GET", "/services/oauth2/revoke?token="+url.QueryEscape(tok2.AccessToken), nil), http.StatusOK)
	wantStatus(t, s.doToken(tok2.AccessToken, "GET", data("/limits"), nil), http.StatusUnauthorized)
}

func TestAPI_InvalidSession(t *testing.T) {
	s := mustStart(t, emu.Config{})
	t.Run("Missing", func(t *testing.T) {
		r := s.doToken("", "GET", data("/sobjects/Contact/describe"), nil)
		wantStatus(t, r, http.StatusUnauthorized)
		golden(t, "error_invalid_session", nil, r)
	})
	t.Run("Unknown", func(t *testing.T) {
		wantStatus(t, s.doToken("00Dbogus!AQbogus", "GET", data("/limits"), nil), http.StatusUnauthorized)
	})
	t.Run("ExpiredAfterSessionTimeout", func(t *testing.T) {
		tok := s.crm.Env().OAuth.Mint([]string{"api"}, s.admin, nil)
		wantStatus(t, s.doToken(tok.AccessToken, "GET", data("/limits"), nil), http.StatusOK)
		s.crm.Env().Clock.Advance(DefaultSessionTimeout + time.Second)
		r := s.doToken(tok.AccessToken, "GET", data("/limits"), nil)
		wantStatus(t, r, http.StatusUnauthorized)
		if string(r.body) != `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`+"\n" {
			t.Errorf("body %s", r.body)
		}
	})
	t.Run("ExpireAll", func(t *testing.T) {
		tok := s.crm.Env().OAuth.Mint([]string{"api"}, s.admin, nil)
		s.crm.Env().OAuth.ExpireAll()
		wantStatus(t, s.doToken(tok.AccessToken, "GET", data("/limits"), nil), http.StatusUnauthorized)
	})
	t.Run("NoAPIScope", func(t *testing.T) {
		tok := s.crm.Env().OAuth.Mint([]string{"id"}, s.admin, nil)
		r := s.doToken(tok.AccessToken, "GET", data("/limits"), nil)
		wantStatus(t, r, http.StatusForbidden)
		if !strings.Contains(string(r.body), "not valid for use with the REST API") {
			t.Errorf("body %s", r.body)
		}
	})
	t.Run("OAuthScheme", func(t *testing.T) {
		req, _ := http.NewRequest("GET", s.base+data("/limits"), nil)
		req.Header.Set("Authorization", "OAuth "+s.crm.Env().OAuth.Mint([]string{"api"}, s.admin, nil).AccessToken)
		wantStatus(t, s.send(req), http.StatusOK)
	})
}

func TestIdentity(t *testing.T) {
	s := mustStart(t, emu.Config{})
	tok := s.connect(t)
	r := s.doToken(tok.AccessToken, "GET", "/services/oauth2/userinfo", nil)
	wantStatus(t, r, http.StatusOK)
	golden(t, "oauth_userinfo", nil, r)
	info := decode[UserInfo](t, r)
	if info.OrganizationID != s.crm.OrgID() || info.UserID != s.admin || info.Email != "grace.hopper@acme.example" {
		t.Errorf("userinfo %+v", info)
	}
	id := s.doToken(tok.AccessToken, "GET", strings.TrimPrefix(tok.ID, s.base), nil)
	wantStatus(t, id, http.StatusOK)
	golden(t, "oauth_identity", nil, id)
	if got := decode[Identity](t, id); got.OrganizationID != s.crm.OrgID() || got.DisplayName != "Grace Hopper" {
		t.Errorf("identity %+v", got)
	}
	wantStatus(t, s.doToken("bogus", "GET", "/services/oauth2/userinfo", nil), http.StatusForbidden)

	form := url.Values{"token": {tok.AccessToken}, "client_id": {"crmsync-salesforce"}, "client_secret": {"crmsync-salesforce-secret"}}
	req, _ := http.NewRequest("POST", s.base+"/services/oauth2/introspect", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	in := decode[map[string]any](t, s.send(req))
	if in["active"] != true || in["token_type"] != "access_token" {
		t.Errorf("introspect %v", in)
	}
}
