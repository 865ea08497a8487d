package hubspot

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// knownScopes are the scopes the emulated app may be granted; others on the
// authorize URL get HubSpot's scope-mismatch page.
var knownScopes = append(slices.Clone(DefaultScopes),
	"crm.objects.companies.read", "crm.objects.companies.write",
	"crm.objects.deals.read", "crm.objects.deals.write",
	"crm.objects.users.read", "sales-email-read", "timeline",
)

// handleAuthorize serves app.hubspot.com/oauth/authorize: the consent page
// on GET, the Allow/Deny decision on POST (crm-api-facts §2.1). Scopes are
// space-separated; optional_scope ones are granted when known.
func (c *CRM) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if hub := r.PathValue("hubId"); hub != "" && hub != strconv.Itoa(HubID) {
		writeAuthorizePage(w, http.StatusBadRequest, "This app can't be installed in account "+hub+": you don't have access to it.")
		return
	}
	clientID, redirectURI := q.Get("client_id"), q.Get("redirect_uri")
	if c.env.OAuth.CheckClientID(clientID) != nil {
		writeAuthorizePage(w, http.StatusBadRequest, "Authorization failed because the client_id is missing or unknown.")
		return
	}
	if u, err := url.Parse(redirectURI); redirectURI == "" || err != nil || !u.IsAbs() {
		writeAuthorizePage(w, http.StatusBadRequest, "Authorization failed because the redirect_uri is missing or invalid.")
		return
	}
	scopes := strings.Fields(q.Get("scope"))
	for _, s := range scopes {
		if !slices.Contains(knownScopes, s) {
			writeAuthorizePage(w, http.StatusBadRequest, "Authorization failed because there is a mismatch between the scopes in the install URL and the app's configured scopes: "+s)
			return
		}
	}
	for _, s := range strings.Fields(q.Get("optional_scope")) {
		if slices.Contains(knownScopes, s) && !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	emu.ServeConsent(w, r, c.env.OAuth, emu.Consent{
		Vendor:      "HubSpot",
		AccountName: c.env.Config.AccountName,
		AppName:     clientID,
		CodeRequest: emu.CodeRequest{
			ClientID: clientID, RedirectURI: redirectURI, Scopes: scopes, UserID: c.installingUserID(),
			CodeChallenge: q.Get("code_challenge"), CodeChallengeMethod: q.Get("code_challenge_method"),
		},
		State: q.Get("state"),
	})
}

// installingUserID is the user who approves the install: the first active owner.
func (c *CRM) installingUserID() string {
	for _, o := range c.owners() {
		if !o.Archived {
			return strconv.FormatInt(o.UserID, 10)
		}
	}
	return ""
}

var authorizeErrorTmpl = template.Must(template.New("err").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>HubSpot · Authorization error</title></head>
<body><h1>Something went wrong</h1><p id="error">{{.}}</p></body></html>
`))

func writeAuthorizePage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = authorizeErrorTmpl.Execute(w, msg)
}

// tokenResponse is the token endpoint's 200 body (crm-api-facts §2.1).
type tokenResponse struct {
	TokenType    string   `json:"token_type"`
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token"`
	ExpiresIn    int      `json:"expires_in"`
	HubID        int      `json:"hub_id"`
	Scopes       []string `json:"scopes"`
	UserID       int64    `json:"user_id,omitempty"`
}

// readForm parses the form body of an OAuth call, answering HubSpot's
// BAD_REQUEST error when it does not parse.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "BAD_REQUEST", "could not parse the form body")
		return nil, false
	}
	return r.PostForm, true
}

// clientForm is readForm for the revoke and introspect calls, which also
// authenticate the client by the form's client_id and client_secret.
func (c *CRM) clientForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	f, ok := readForm(w, r)
	if !ok {
		return nil, false
	}
	if err := c.env.OAuth.CheckClient(f.Get("client_id"), f.Get("client_secret")); err != nil {
		writeTokenError(w, "", err)
		return nil, false
	}
	return f, true
}

// handleToken serves POST /oauth/v1/token (and the identical v3 and
// 2026-03 paths): authorization_code and refresh_token grants, form body.
func (c *CRM) handleToken(w http.ResponseWriter, r *http.Request) {
	f, ok := readForm(w, r)
	if !ok {
		return
	}
	var (
		tok emu.Token
		err error
	)
	switch f.Get("grant_type") {
	case "authorization_code":
		tok, err = c.env.OAuth.ExchangeCode(emu.CodeExchange{
			ClientID: f.Get("client_id"), ClientSecret: f.Get("client_secret"), Code: f.Get("code"),
			RedirectURI: f.Get("redirect_uri"), CodeVerifier: f.Get("code_verifier"),
		})
	case "refresh_token":
		tok, err = c.env.OAuth.Refresh(f.Get("client_id"), f.Get("client_secret"), f.Get("refresh_token"))
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "BAD_GRANT_TYPE", "grant_type must be authorization_code or refresh_token")
		return
	}
	if err != nil {
		writeTokenError(w, f.Get("grant_type"), err)
		return
	}
	userID, _ := strconv.ParseInt(tok.UserID, 10, 64)
	emu.WriteJSON(w, http.StatusOK, tokenResponse{
		TokenType: "bearer", AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken,
		ExpiresIn: tok.ExpiresIn(), HubID: HubID, Scopes: tok.Scopes, UserID: userID,
	})
}

// writeTokenError maps emu's OAuth errors to HubSpot's statuses.
// BAD_REFRESH_TOKEN and its text are documented; the rest are UNCONFIRMED.
func writeTokenError(w http.ResponseWriter, grant string, err error) {
	switch {
	case errors.Is(err, emu.ErrInvalidClient):
		writeOAuthError(w, http.StatusBadRequest, "invalid_client", "BAD_CLIENT_ID", "missing or unknown client id, or the client secret does not match")
	case errors.Is(err, emu.ErrRedirectMismatch):
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "BAD_REDIRECT_URI", "redirect_uri does not match initial auth code URL")
	case errors.Is(err, emu.ErrPKCE):
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "BAD_AUTH_CODE", "code_verifier does not match the code_challenge")
	case grant == "refresh_token":
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "BAD_REFRESH_TOKEN", "refresh token is invalid, expired or revoked")
	default:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "BAD_AUTH_CODE", "missing or unknown auth code")
	}
}

// accessTokenInfo is GET /oauth/v1/access-tokens/{token} (field list
// UNCONFIRMED beyond hub_id, user, scopes, expires_in).
type accessTokenInfo struct {
	Token     string   `json:"token"`
	User      string   `json:"user"`
	HubDomain string   `json:"hub_domain"`
	Scopes    []string `json:"scopes"`
	HubID     int      `json:"hub_id"`
	AppID     int      `json:"app_id"`
	ExpiresIn int      `json:"expires_in"`
	UserID    int64    `json:"user_id"`
	TokenType string   `json:"token_type"`
}

// refreshTokenInfo is GET /oauth/v1/refresh-tokens/{token}.
type refreshTokenInfo struct {
	Token     string   `json:"token"`
	User      string   `json:"user"`
	HubDomain string   `json:"hub_domain"`
	Scopes    []string `json:"scopes"`
	HubID     int      `json:"hub_id"`
	ClientID  string   `json:"client_id"`
	UserID    int64    `json:"user_id"`
	TokenType string   `json:"token_type"`
}

// appID is the emulated app's id.
const appID = 1234567

func (c *CRM) hubDomain() string {
	return strings.ToLower(strings.ReplaceAll(c.env.Config.AccountName, " ", "-")) + ".hubspot.com"
}

// userEmail is the login email of owner user id uid.
func (c *CRM) userEmail(uid string) string {
	for _, o := range c.owners() {
		if strconv.FormatInt(o.UserID, 10) == uid {
			return o.Email
		}
	}
	return ""
}

func (c *CRM) handleAccessTokenInfo(w http.ResponseWriter, r *http.Request) {
	tok, err := c.env.OAuth.Authenticate(r.PathValue("token"))
	if err != nil {
		// UNCONFIRMED: the body HubSpot gives an unknown or expired token here.
		writeError(w, http.StatusNotFound, apiError{Message: "access token not found, expired or revoked", Category: "OBJECT_NOT_FOUND"})
		return
	}
	uid, _ := strconv.ParseInt(tok.UserID, 10, 64)
	emu.WriteJSON(w, http.StatusOK, accessTokenInfo{
		Token: tok.AccessToken, User: c.userEmail(tok.UserID), HubDomain: c.hubDomain(), Scopes: tok.Scopes,
		HubID: HubID, AppID: appID, ExpiresIn: int(tok.ExpiresAt.Sub(c.env.Now()) / time.Second), UserID: uid, TokenType: "access",
	})
}

func (c *CRM) handleRefreshTokenInfo(w http.ResponseWriter, r *http.Request) {
	tok, err := c.env.OAuth.RefreshInfo(r.PathValue("token"))
	if err != nil {
		writeError(w, http.StatusNotFound, apiError{Message: "refresh token not found or revoked", Category: "OBJECT_NOT_FOUND"})
		return
	}
	uid, _ := strconv.ParseInt(tok.UserID, 10, 64)
	emu.WriteJSON(w, http.StatusOK, refreshTokenInfo{
		Token: tok.RefreshToken, User: c.userEmail(tok.UserID), HubDomain: c.hubDomain(), Scopes: tok.Scopes,
		HubID: HubID, ClientID: tok.ClientID, UserID: uid, TokenType: "refresh",
	})
}

// handleRefreshTokenDelete is the v1 revoke: only the refresh token dies;
// access tokens already issued from it work until they expire
// (crm-api-facts §2.1).
func (c *CRM) handleRefreshTokenDelete(w http.ResponseWriter, r *http.Request) {
	if !c.env.OAuth.RevokeRefresh(r.PathValue("token"), false) {
		writeError(w, http.StatusNotFound, apiError{Message: "refresh token not found", Category: "OBJECT_NOT_FOUND"})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleTokenRevoke is the v3 / 2026-03 revoke: form token, client_id,
// client_secret, token_type_hint. The success body is UNCONFIRMED; it
// answers 204, which clients treat as success.
func (c *CRM) handleTokenRevoke(w http.ResponseWriter, r *http.Request) {
	f, ok := c.clientForm(w, r)
	if !ok {
		return
	}
	token := f.Get("token")
	if f.Get("token_type_hint") == "access_token" {
		c.env.OAuth.RevokeAccess(token)
	} else if !c.env.OAuth.RevokeRefresh(token, false) {
		c.env.OAuth.RevokeAccess(token)
	}
	w.WriteHeader(http.StatusNoContent)
}

// introspection is the RFC 7662-style answer of the v3 introspect endpoint.
type introspection struct {
	Active    bool     `json:"active"`
	ClientID  string   `json:"client_id,omitempty"`
	HubID     int      `json:"hub_id,omitempty"`
	UserID    int64    `json:"user_id,omitempty"`
	Scopes    []string `json:"scopes,omitempty"`
	Scope     string   `json:"scope,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	Exp       int64    `json:"exp,omitempty"`
	Iat       int64    `json:"iat,omitempty"`
}

func (c *CRM) handleTokenIntrospect(w http.ResponseWriter, r *http.Request) {
	f, ok := c.clientForm(w, r)
	if !ok {
		return
	}
	token := f.Get("token")
	if tok, err := c.env.OAuth.Authenticate(token); err == nil && f.Get("token_type_hint") != "refresh_token" {
		uid, _ := strconv.ParseInt(tok.UserID, 10, 64)
		emu.WriteJSON(w, http.StatusOK, introspection{Active: true, ClientID: tok.ClientID, HubID: HubID, UserID: uid,
			Scopes: tok.Scopes, Scope: strings.Join(tok.Scopes, " "), TokenType: "access_token", Exp: tok.ExpiresAt.Unix(), Iat: tok.IssuedAt.Unix()})
		return
	}
	if tok, err := c.env.OAuth.RefreshInfo(token); err == nil {
		uid, _ := strconv.ParseInt(tok.UserID, 10, 64)
		emu.WriteJSON(w, http.StatusOK, introspection{Active: true, ClientID: tok.ClientID, HubID: HubID, UserID: uid,
			Scopes: tok.Scopes, Scope: strings.Join(tok.Scopes, " "), TokenType: "refresh_token"})
		return
	}
	emu.WriteJSON(w, http.StatusOK, introspection{Active: false})
}
