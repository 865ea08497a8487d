package zoho

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestOAuth_ConsentAndExchange(t *testing.T) {
	e := newEnv(t)
	page := e.do(http.MethodGet, e.base+"/us/accounts/oauth/v2/auth?"+authQuery("xyz").Encode(), "", nil)
	for _, want := range []string{`id="allow"`, `id="deny"`, "Acme Demo (Zoho CRM)", testClientID} {
		if !strings.Contains(string(page.body), want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	cb := e.authorize("us", authQuery("xyz"), "allow")
	if cb.Get("state") != "xyz" || cb.Get("code") == "" || cb.Get("location") != "us" || cb.Get("accounts-server") != e.base+"/us/accounts" {
		t.Fatalf("callback = %v", cb)
	}
	resp := e.postForm("us", "/oauth/v2/token", url.Values{
		"grant_type": {"authorization_code"}, "client_id": {testClientID}, "client_secret": {testSecret},
		"redirect_uri": {testRedirect}, "code": {cb.Get("code")},
	})
	if resp.status != http.StatusOK {
		t.Fatalf("status %d", resp.status)
	}
	var tr TokenResponse
	if err := json.Unmarshal(resp.body, &tr); err != nil {
		t.Fatal(err)
	}
	if !tokenPattern.MatchString(tr.AccessToken) || !tokenPattern.MatchString(tr.RefreshToken) {
		t.Errorf("tokens not in Zoho's 1000.x.y form: %+v", tr)
	}
	if tr.APIDomain != e.base+"/us/api" || tr.ExpiresIn != 3600 || tr.TokenType != "Bearer" {
		t.Errorf("token response = %+v", tr)
	}
	e.golden("token_authorization_code", resp.body)

	// The access token works on the API domain it came with.
	if r := e.api(http.MethodGet, "/org", tr.AccessToken, nil); r.status != http.StatusOK {
		t.Fatalf("org with new token: %d %s", r.status, r.body)
	}
}

func TestOAuth_MultiDCRedirect(t *testing.T) {
	e := newEnv(t)
	if err := e.crm.SetDatacenter("eu"); err != nil {
		t.Fatal(err)
	}
	// The flow starts at accounts.zoho.com; the callback names the org's datacenter.
	cb := e.authorize("us", authQuery("s"), "allow")
	if cb.Get("location") != "eu" || cb.Get("accounts-server") != e.base+"/eu/accounts" {
		t.Fatalf("callback = %v", cb)
	}
	form := url.Values{
		"grant_type": {"authorization_code"}, "client_id": {testClientID}, "client_secret": {testSecret},
		"redirect_uri": {testRedirect}, "code": {cb.Get("code")},
	}
	// Exchanging at the wrong accounts server fails the way Zoho fails, and
	// does not use the code up.
	if r := e.postForm("us", "/oauth/v2/token", form); r.json(t)["error"] != "invalid_client" || r.status != http.StatusOK {
		t.Fatalf("wrong dc exchange = %d %s", r.status, r.body)
	}
	r := e.postForm("eu", "/oauth/v2/token", form)
	var tr TokenResponse
	if err := json.Unmarshal(r.body, &tr); err != nil || tr.AccessToken == "" {
		t.Fatalf("eu exchange: %s", r.body)
	}
	if tr.APIDomain != e.base+"/eu/api" {
		t.Errorf("api_domain = %s", tr.APIDomain)
	}
	// The EU token is rejected by the US API and refresh at the US accounts server.
	wantError(t, e.do(http.MethodGet, e.base+"/us/api/crm/v8/org", "Zoho-oauthtoken "+tr.AccessToken, nil), http.StatusUnauthorized, "INVALID_TOKEN")
	if r := e.do(http.MethodGet, e.base+"/eu/api/crm/v8/org", "Zoho-oauthtoken "+tr.AccessToken, nil); r.status != http.StatusOK {
		t.Fatalf("eu api: %d %s", r.status, r.body)
	}
	refresh := url.Values{"grant_type": {"refresh_token"}, "client_id": {testClientID}, "client_secret": {testSecret}, "refresh_token": {tr.RefreshToken}}
	if r := e.postForm("us", "/oauth/v2/token", refresh); r.json(t)["error"] != "invalid_client" {
		t.Fatalf("refresh at us = %s", r.body)
	}
	if r := e.postForm("eu", "/oauth/v2/token", refresh); r.json(t)["access_token"] == nil {
		t.Fatalf("refresh at eu = %s", r.body)
	}
}

func TestOAuth_ChinaOutsideMultiDC(t *testing.T) {
	e := newEnv(t)
	page := e.do(http.MethodGet, e.base+"/cn/accounts/oauth/v2/auth?"+authQuery("s").Encode(), "", nil)
	if page.status != http.StatusBadRequest || !strings.Contains(string(page.body), "invalid_client") {
		t.Fatalf("cn authorize for a us org = %d %s", page.status, page.body)
	}
}

func TestOAuth_Deny(t *testing.T) {
	e := newEnv(t)
	cb := e.authorize("us", authQuery("st"), "deny")
	if cb.Get("error") != "access_denied" || cb.Get("state") != "st" || cb.Get("code") != "" {
		t.Fatalf("deny callback = %v", cb)
	}
}

func TestOAuth_AuthorizeErrors(t *testing.T) {
	e := newEnv(t)
	for name, mutate := range map[string]func(url.Values){
		"unknown client": func(q url.Values) { q.Set("client_id", "nope") },
		"response type":  func(q url.Values) { q.Set("response_type", "token") },
		"no redirect":    func(q url.Values) { q.Del("redirect_uri") },
		"no scope":       func(q url.Values) { q.Del("scope") },
	} {
		t.Run(name, func(t *testing.T) {
			q := authQuery("s")
			mutate(q)
			r := e.do(http.MethodGet, e.base+"/us/accounts/oauth/v2/auth?"+q.Encode(), "", nil)
			if r.status != http.StatusBadRequest || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
				t.Fatalf("status %d, type %s", r.status, r.header.Get("Content-Type"))
			}
		})
	}
}

func TestOAuth_TokenErrors(t *testing.T) {
	e := newEnv(t)
	cb := e.authorize("us", authQuery("s"), "allow")
	good := url.Values{
		"grant_type": {"authorization_code"}, "client_id": {testClientID}, "client_secret": {testSecret},
		"redirect_uri": {testRedirect}, "code": {cb.Get("code")},
	}
	with := func(k, v string) url.Values {
		q := url.Values{}
		for kk, vv := range good {
			q[kk] = vv
		}
		q.Set(k, v)
		return q
	}
	tests := []struct {
		name string
		dc   string
		form url.Values
		want string
	}{
		{"unknown code", "us", with("code", "1000.bogus"), "invalid_code"},
		{"unknown client", "us", with("client_id", "other"), "invalid_client"},
		{"wrong secret", "us", with("client_secret", "nope"), "invalid_client_secret"},
		{"wrong redirect", "us", with("redirect_uri", "http://elsewhere/cb"), "invalid_redirect_uri"},
		{"wrong datacenter", "in", good, "invalid_client"},
		{"grant type", "us", with("grant_type", "password"), "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.postForm(tt.dc, "/oauth/v2/token", tt.form)
			// Zoho answers token errors with HTTP 200.
			if r.status != http.StatusOK || r.json(t)["error"] != tt.want {
				t.Fatalf("= %d %s, want 200 %s", r.status, r.body, tt.want)
			}
		})
	}
	// The code still works once; a second use is invalid_code.
	if r := e.postForm("us", "/oauth/v2/token", good); r.json(t)["access_token"] == nil {
		t.Fatalf("exchange: %s", r.body)
	}
	r := e.postForm("us", "/oauth/v2/token", good)
	if r.json(t)["error"] != "invalid_code" {
		t.Fatalf("reuse: %s", r.body)
	}
	e.golden("token_error_invalid_code", r.body)
	// An expired code (2 minutes at Zoho; emu keeps it 10) is invalid_code too.
	cb2 := e.authorize("us", authQuery("s"), "allow")
	e.clock.Advance(11 * time.Minute)
	if r := e.postForm("us", "/oauth/v2/token", with("code", cb2.Get("code"))); r.json(t)["error"] != "invalid_code" {
		t.Fatalf("expired code: %s", r.body)
	}
}

func TestOAuth_RefreshAndRevoke(t *testing.T) {
	e := newEnv(t)
	tr := e.connect()
	refresh := url.Values{"grant_type": {"refresh_token"}, "client_id": {testClientID}, "client_secret": {testSecret}, "refresh_token": {tr.RefreshToken}}

	// Access tokens expire after an hour: 401 INVALID_TOKEN, then refresh.
	e.clock.Advance(time.Hour)
	wantError(t, e.api(http.MethodGet, "/org", tr.AccessToken, nil), http.StatusUnauthorized, "INVALID_TOKEN")
	r := e.postForm("us", "/oauth/v2/token", refresh)
	m := r.json(t)
	if _, rotated := m["refresh_token"]; rotated || m["access_token"] == nil || m["api_domain"] != e.base+"/us/api" {
		t.Fatalf("refresh response = %s", r.body)
	}
	e.golden("token_refresh", r.body)
	fresh := m["access_token"].(string)
	if r := e.api(http.MethodGet, "/org", fresh, nil); r.status != http.StatusOK {
		t.Fatalf("refreshed token: %d", r.status)
	}
	if got := e.crm.Env().Stats.Snapshot().TokenRefreshes; got != 1 {
		t.Errorf("token_refreshes = %d", got)
	}

	// Revoking the refresh token revokes its access tokens too.
	rv := e.do(http.MethodPost, e.base+"/us/accounts/oauth/v2/token/revoke?token="+url.QueryEscape(tr.RefreshToken), "", nil)
	if rv.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", rv.status, rv.body)
	}
	wantError(t, e.api(http.MethodGet, "/org", fresh, nil), http.StatusUnauthorized, "INVALID_TOKEN")
	if r := e.postForm("us", "/oauth/v2/token", refresh); r.json(t)["error"] != "invalid_code" {
		t.Fatalf("refresh after revoke: %s", r.body)
	}
	// Revoking it again: Zoho answers 400 with an HTML page.
	if rv := e.do(http.MethodPost, e.base+"/us/accounts/oauth/v2/token/revoke?token="+url.QueryEscape(tr.RefreshToken), "", nil); rv.status != http.StatusBadRequest {
		t.Fatalf("second revoke: %d", rv.status)
	}
}

func TestOAuth_OnlineAccessHasNoRefreshToken(t *testing.T) {
	e := newEnv(t)
	q := authQuery("s")
	q.Set("access_type", "online")
	cb := e.authorize("us", q, "allow")
	r := e.postForm("us", "/oauth/v2/token", url.Values{
		"grant_type": {"authorization_code"}, "client_id": {testClientID}, "client_secret": {testSecret},
		"redirect_uri": {testRedirect}, "code": {cb.Get("code")},
	})
	if m := r.json(t); m["access_token"] == nil || m["refresh_token"] != nil {
		t.Fatalf("online grant = %s", r.body)
	}
}

func TestOAuth_RefreshThrottle(t *testing.T) {
	e := newEnv(t)
	tr := e.connect()
	refresh := url.Values{"grant_type": {"refresh_token"}, "client_id": {testClientID}, "client_secret": {testSecret}, "refresh_token": {tr.RefreshToken}}
	for i := range DefaultTokenRefreshes {
		if r := e.postForm("us", "/oauth/v2/token", refresh); r.json(t)["access_token"] == nil {
			t.Fatalf("refresh %d: %s", i, r.body)
		}
	}
	r := e.postForm("us", "/oauth/v2/token", refresh)
	if r.status != http.StatusOK || r.json(t)["error"] != "Access Denied" {
		t.Fatalf("11th refresh = %d %s", r.status, r.body)
	}
	e.golden("token_error_throttled", r.body)
	e.clock.Advance(10 * time.Minute)
	if r := e.postForm("us", "/oauth/v2/token", refresh); r.json(t)["access_token"] == nil {
		t.Fatalf("after the window: %s", r.body)
	}
}

func TestOAuth_ServerInfo(t *testing.T) {
	e := newEnv(t)
	r := e.do(http.MethodGet, e.base+"/us/accounts/oauth/serverinfo", "", nil)
	locs, _ := r.json(t)["locations"].(map[string]any)
	if locs["eu"] != e.base+"/eu/accounts" || locs["cn"] != nil || len(locs) != 7 {
		t.Fatalf("serverinfo = %s", r.body)
	}
}
