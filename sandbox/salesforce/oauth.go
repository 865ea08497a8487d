package salesforce

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// knownScopes are the OAuth scopes a connected app may request.
var knownScopes = []string{"api", "refresh_token", "offline_access", "id", "openid", "profile", "email",
	"address", "phone", "full", "web", "chatter_api", "visualforce", "custom_permissions", "wave_api",
	"lightning", "content", "pardot_api", "eclair_api", "cdp_api"}

// defaultScopes are granted when the authorize call names none (the connected app's
// selected scopes).
var defaultScopes = []string{"api", "refresh_token", "id"}

// writeOAuthPage answers an authorize request whose client or redirect URI cannot be
// trusted: Salesforce shows an error page rather than redirecting.
func writeOAuthPage(w http.ResponseWriter, code, description string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte("OAuth Error\n\nerror=" + code + "\nerror_description=" + description + "\n"))
}

// consentingUser is the org user who approves the consent page: the first active user (the
// org's admin).
func (c *CRM) consentingUser() emu.Record {
	users, _ := c.env.Store.List(ObjectUser, 0, 0)
	for _, u := range users {
		if active, _ := u.Fields["IsActive"].(bool); active {
			return u
		}
	}
	if len(users) > 0 {
		return users[0]
	}
	return emu.Record{}
}

// handleAuthorize serves /services/oauth2/authorize: the consent page on GET, the
// Allow / Deny decision on POST. PKCE: code_challenge is always read as S256 (Salesforce
// documents no code_challenge_method).
func (c *CRM) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := c.env.OAuth.CheckClientID(q.Get("client_id")); err != nil {
		writeOAuthPage(w, "invalid_client_id", "client identifier invalid")
		return
	}
	redirect := q.Get("redirect_uri")
	if u, err := url.Parse(redirect); redirect == "" || err != nil || !u.IsAbs() {
		writeOAuthPage(w, "redirect_uri_mismatch", "redirect_uri must match configuration")
		return
	}
	fail := func(code, desc string) {
		v := url.Values{"error": {code}, "error_description": {desc}}
		if s := q.Get("state"); s != "" {
			v.Set("state", s)
		}
		http.Redirect(w, r, emu.AddQuery(redirect, v), http.StatusFound)
	}
	if q.Get("response_type") != "code" {
		fail("unsupported_response_type", "response type not supported")
		return
	}
	scopes := strings.Fields(q.Get("scope"))
	if len(scopes) == 0 {
		scopes = slices.Clone(defaultScopes)
	}
	for _, s := range scopes {
		if !slices.Contains(knownScopes, s) {
			fail("invalid_scope", "the requested scope is not allowed")
			return
		}
	}
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err == nil && r.PostForm.Get("decision") != "allow" {
			// Salesforce's own description ("end-user denied authorization"; UNCONFIRMED text).
			fail("access_denied", "end-user denied authorization")
			return
		}
	}
	req := emu.CodeRequest{ClientID: q.Get("client_id"), RedirectURI: redirect, Scopes: scopes,
		UserID: c.consentingUser().ID}
	if ch := q.Get("code_challenge"); ch != "" {
		req.CodeChallenge, req.CodeChallengeMethod = ch, "S256"
	}
	emu.ServeConsent(w, r, c.env.OAuth, emu.Consent{
		Vendor: "Salesforce", AccountName: c.env.Config.AccountName, AppName: q.Get("client_id"),
		CodeRequest: req, State: q.Get("state"),
	})
}

// clientCredentials reads client_id and client_secret from the form or HTTP Basic auth.
func clientCredentials(r *http.Request) (string, string) {
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok && id == "" {
		id, secret = u, p
	}
	return id, secret
}

// handleToken serves POST /services/oauth2/token for authorization_code and refresh_token.
func (c *CRM) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, "invalid_request", "invalid request body")
		return
	}
	f := r.PostForm
	clientID, secret := clientCredentials(r)
	var tok emu.Token
	var err error
	grant := f.Get("grant_type")
	switch grant {
	case "authorization_code":
		tok, err = c.env.OAuth.ExchangeCode(emu.CodeExchange{ClientID: clientID, ClientSecret: secret,
			Code: f.Get("code"), RedirectURI: f.Get("redirect_uri"), CodeVerifier: f.Get("code_verifier")})
	case "refresh_token":
		tok, err = c.env.OAuth.Refresh(clientID, secret, f.Get("refresh_token"))
	default:
		writeOAuthError(w, "unsupported_grant_type", "grant type not supported")
		return
	}
	switch {
	case errors.Is(err, emu.ErrInvalidClient) && c.env.OAuth.CheckClientID(clientID) != nil:
		writeOAuthError(w, "invalid_client_id", "client identifier invalid")
		return
	case errors.Is(err, emu.ErrInvalidClient):
		writeOAuthError(w, "invalid_client", "invalid client credentials")
		return
	case errors.Is(err, emu.ErrRedirectMismatch):
		writeOAuthError(w, "redirect_uri_mismatch", "redirect_uri must match configuration")
		return
	case errors.Is(err, emu.ErrPKCE) && f.Get("code_verifier") == "":
		// Challenge sent at authorize, verifier missing: invalid_grant (documented).
		writeOAuthError(w, "invalid_grant", "invalid code verifier")
		return
	case errors.Is(err, emu.ErrPKCE):
		// Verifier does not match: invalid_request (documented).
		writeOAuthError(w, "invalid_request", "invalid code verifier")
		return
	case errors.Is(err, emu.ErrInvalidGrant) && grant == "refresh_token":
		writeOAuthError(w, "invalid_grant", "expired access/refresh token")
		return
	case err != nil:
		writeOAuthError(w, "invalid_grant", "authentication failure")
		return
	}
	base := emu.BaseURL(r)
	issued := strconv.FormatInt(tok.IssuedAt.UnixMilli(), 10)
	idURL := base + "/id/" + c.orgID + "/" + tok.UserID
	res := TokenResponse{
		AccessToken: tok.AccessToken,
		Signature:   signature(c.env.Config.ClientSecret, idURL, issued),
		Scope:       strings.Join(tok.Scopes, " "),
		InstanceURL: base,
		ID:          idURL,
		TokenType:   "Bearer",
		IssuedAt:    issued,
	}
	offline := hasScope(tok.Scopes, "refresh_token", "offline_access", "full")
	// A refresh token comes back on the code exchange when the grant allows offline access,
	// and on refresh only with rotation on (then the old one is already revoked).
	if offline && (grant == "authorization_code" || c.env.Config.RotateRefreshTokens) {
		res.RefreshToken = tok.RefreshToken
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, res)
}

// signature is Salesforce's token signature: base64 HMAC-SHA256 of id + issued_at keyed
// with the client secret.
func signature(secret, id, issuedAt string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(id + issuedAt))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// handleRevoke serves /services/oauth2/revoke (POST form token=, or GET ?token=). Revoking
// a refresh token also revokes the access tokens issued from it.
func (c *CRM) handleRevoke(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	token := r.Form.Get("token")
	switch {
	case token == "":
		writeOAuthError(w, "unsupported_token_type", "this token type is not supported")
	case c.env.OAuth.RevokeRefresh(token, true), c.env.OAuth.RevokeAccess(token):
		w.WriteHeader(http.StatusOK)
	default:
		writeOAuthError(w, "invalid_token", "invalid token")
	}
}

// authenticateIdentity checks the bearer token of the identity resources; Salesforce
// answers a bad one with 403 "Bad_OAuth_Token" (plain text; UNCONFIRMED).
func (c *CRM) authenticateIdentity(w http.ResponseWriter, r *http.Request) (emu.Token, emu.Record, bool) {
	tok, err := c.env.OAuth.Authenticate(emu.BearerToken(r, "Bearer"))
	if err != nil {
		http.Error(w, "Bad_OAuth_Token", http.StatusForbidden)
		return emu.Token{}, emu.Record{}, false
	}
	user, ok := c.env.Store.Get(ObjectUser, tok.UserID)
	if !ok {
		http.Error(w, "Bad_OAuth_Token", http.StatusForbidden)
		return emu.Token{}, emu.Record{}, false
	}
	return tok, user, true
}

// identityURLs are the "urls" of the identity and userinfo bodies; {version} is literal,
// as Salesforce returns it.
func identityURLs(base, userID string) map[string]string {
	return map[string]string{
		"rest":          base + "/services/data/v{version}/",
		"sobjects":      base + "/services/data/v{version}/sobjects/",
		"query":         base + "/services/data/v{version}/query/",
		"tooling_rest":  base + "/services/data/v{version}/tooling/",
		"profile":       base + "/" + userID,
		"custom_domain": base,
	}
}

// handleIdentity serves GET /id/{org}/{user}, the token response's identity URL.
func (c *CRM) handleIdentity(w http.ResponseWriter, r *http.Request) {
	tok, _, ok := c.authenticateIdentity(w, r)
	if !ok {
		return
	}
	org, _ := NormalizeID(r.PathValue("org"))
	uid, _ := NormalizeID(r.PathValue("user"))
	target, found := c.env.Store.Get(ObjectUser, uid)
	if org != c.orgID || !found {
		http.Error(w, "Bad_Id", http.StatusNotFound)
		return
	}
	base := emu.BaseURL(r)
	s := emu.Record.String
	writeJSON(w, http.StatusOK, Identity{
		ID: base + "/id/" + c.orgID + "/" + target.ID, AssertedUser: target.ID == tok.UserID, UserID: target.ID, OrganizationID: c.orgID,
		Username: s(target, "Username"), NickName: strings.Split(s(target, "Username"), "@")[0],
		DisplayName: s(target, "Name"), Email: s(target, "Email"), EmailVerified: true,
		FirstName: s(target, "FirstName"), LastName: s(target, "LastName"), Timezone: "GMT",
		Active: target.Fields["IsActive"] == true, UserType: "STANDARD", Language: "en_US", Locale: "en_US",
		LastModifiedDate: formatDateTime(target.UpdatedAt), IsAppInstalled: true,
		URLs: identityURLs(base, target.ID),
	})
}

// handleUserInfo serves /services/oauth2/userinfo: the OpenID Connect claims of the token's
// user, with the org.
func (c *CRM) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	_, user, ok := c.authenticateIdentity(w, r)
	if !ok {
		return
	}
	base := emu.BaseURL(r)
	s := emu.Record.String
	writeJSON(w, http.StatusOK, UserInfo{
		Sub: base + "/id/" + c.orgID + "/" + user.ID, UserID: user.ID, OrganizationID: c.orgID,
		PreferredUsername: s(user, "Username"), Nickname: strings.Split(s(user, "Username"), "@")[0],
		Name: s(user, "Name"), Email: s(user, "Email"), EmailVerified: true,
		GivenName: s(user, "FirstName"), FamilyName: s(user, "LastName"), Zoneinfo: "GMT",
		Active: user.Fields["IsActive"] == true, UserType: "STANDARD", Language: "en_US", Locale: "en_US",
		UpdatedAt: formatDateTime(user.UpdatedAt), IsAppInstalled: true, URLs: identityURLs(base, user.ID),
	})
}

// handleIntrospect serves POST /services/oauth2/introspect (RFC 7662 shape).
func (c *CRM) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, "invalid_request", "invalid request body")
		return
	}
	id, secret := clientCredentials(r)
	if err := c.env.OAuth.CheckClient(id, secret); err != nil {
		writeOAuthError(w, "invalid_client", "invalid client credentials")
		return
	}
	token := r.PostForm.Get("token")
	base := emu.BaseURL(r)
	if tok, err := c.env.OAuth.Authenticate(token); err == nil {
		user, _ := c.env.Store.Get(ObjectUser, tok.UserID)
		writeJSON(w, http.StatusOK, map[string]any{
			"active": true, "scope": strings.Join(tok.Scopes, " "), "client_id": tok.ClientID,
			"username": user.String("Username"), "sub": base + "/id/" + c.orgID + "/" + tok.UserID,
			"token_type": "access_token", "exp": tok.ExpiresAt.Unix(), "iat": tok.IssuedAt.Unix(), "nbf": tok.IssuedAt.Unix(),
		})
		return
	}
	if g, err := c.env.OAuth.RefreshInfo(token); err == nil {
		user, _ := c.env.Store.Get(ObjectUser, g.UserID)
		writeJSON(w, http.StatusOK, map[string]any{
			"active": true, "scope": strings.Join(g.Scopes, " "), "client_id": g.ClientID,
			"username": user.String("Username"), "sub": base + "/id/" + c.orgID + "/" + g.UserID,
			"token_type": "refresh_token",
		})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"active": false})
}
