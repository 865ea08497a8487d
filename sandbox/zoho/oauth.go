package zoho

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// accountsURL is the absolute accounts-server URL of dc as the client sees
// it ({root}/zoho/{dc}/accounts), the `accounts-server` callback parameter.
func accountsURL(r *http.Request, dc Datacenter) string {
	return emu.BaseURL(r) + "/" + dc.Code + "/accounts"
}

// apiDomain is the absolute API domain of dc ({root}/zoho/{dc}/api), the
// token response's `api_domain`.
func apiDomain(r *http.Request, dc Datacenter) string {
	return emu.BaseURL(r) + "/" + dc.Code + "/api"
}

// splitScopes splits Zoho's comma-separated scope list (spaces tolerated).
func splitScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// handleAuthorize serves GET/POST {dc}/accounts/oauth/v2/auth: the consent
// page, then a redirect carrying code, state, location and accounts-server
// (the org's datacenter, whichever accounts server the flow started at —
// Zoho's multi-DC redirect). China is outside multi-DC: a flow must start
// and end at accounts.zoho.com.cn for a China org, and a China accounts
// server knows no client of the other datacenters.
func (c *CRM) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	dc, ok := LookupDatacenter(r.PathValue("dc"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	home := c.Datacenter()
	q := r.URL.Query()
	clientID := q.Get("client_id")
	switch {
	case c.env.OAuth.CheckClientID(clientID) != nil || dc.MultiDC != home.MultiDC:
		writeAuthError(w, "invalid_client", "The client id is not registered for this accounts server.")
		return
	case q.Get("response_type") != "code":
		writeAuthError(w, "unsupported_response_type", "response_type must be code.")
		return
	case q.Get("redirect_uri") == "":
		writeAuthError(w, "invalid_redirect_uri", "redirect_uri is missing.")
		return
	case strings.TrimSpace(q.Get("scope")) == "":
		writeAuthError(w, "invalid_scope", "scope is missing.")
		return
	}
	if u, err := url.Parse(q.Get("redirect_uri")); err != nil || u.Scheme == "" || u.Host == "" {
		writeAuthError(w, "invalid_redirect_uri", "redirect_uri is not an absolute URL.")
		return
	}
	accessType := q.Get("access_type")
	if accessType == "" {
		accessType = "online"
	}
	emu.ServeConsent(w, r, c.env.OAuth, emu.Consent{
		Vendor:      "Zoho CRM",
		AccountName: c.env.Config.AccountName,
		AppName:     clientID,
		CodeRequest: emu.CodeRequest{
			ClientID:            clientID,
			RedirectURI:         q.Get("redirect_uri"),
			Scopes:              splitScopes(q.Get("scope")),
			UserID:              c.primaryUser().ID,
			CodeChallenge:       q.Get("code_challenge"),
			CodeChallengeMethod: q.Get("code_challenge_method"),
			Extra:               map[string]string{"dc": home.Code, "access_type": accessType},
		},
		State: q.Get("state"),
		RedirectParams: url.Values{
			"location":        {home.Code},
			"accounts-server": {accountsURL(r, home)},
		},
	})
}

var authErrorTmpl = template.Must(template.New("autherr").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Zoho Accounts · {{.Code}}</title></head>
<body><h1>An error occurred</h1><p id="error">{{.Code}}</p><p>{{.Description}}</p></body></html>
`))

// writeAuthError shows the accounts server's HTML error page (Zoho does not
// redirect back for a bad client or redirect URI).
func writeAuthError(w http.ResponseWriter, code, description string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_ = authErrorTmpl.Execute(w, map[string]string{"Code": code, "Description": description})
}

// tokenParam reads a token-endpoint parameter from the form body or the
// query string (Zoho accepts both).
func tokenParam(r *http.Request, name string) string {
	if v := r.PostFormValue(name); v != "" {
		return v
	}
	return r.URL.Query().Get(name)
}

// writeTokenError answers a failed token call the way Zoho does: HTTP 200
// with {"error": code} (CONFIRMED: crm-api-facts.md §4.1).
func writeTokenError(w http.ResponseWriter, code, description string) {
	emu.WriteJSON(w, http.StatusOK, TokenError{Error: code, ErrorDescription: description})
}

// handleToken serves POST {dc}/accounts/oauth/v2/token for the
// authorization_code and refresh_token grants. Wrong datacenter, unknown
// client: invalid_client; wrong secret: invalid_client_secret; bad, used or
// expired code, or unknown/revoked refresh token: invalid_code.
func (c *CRM) handleToken(w http.ResponseWriter, r *http.Request) {
	dc, ok := LookupDatacenter(r.PathValue("dc"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		writeTokenError(w, "invalid_request", "")
		return
	}
	clientID, secret := tokenParam(r, "client_id"), tokenParam(r, "client_secret")
	if c.env.OAuth.CheckClientID(clientID) != nil {
		writeTokenError(w, "invalid_client", "")
		return
	}
	home := c.Datacenter()
	switch tokenParam(r, "grant_type") {
	case "authorization_code":
		// The code belongs to the org's datacenter; any other accounts
		// server does not know it and answers invalid_client.
		if dc.Code != home.Code {
			writeTokenError(w, "invalid_client", "")
			return
		}
		tok, err := c.env.OAuth.ExchangeCode(emu.CodeExchange{
			ClientID: clientID, ClientSecret: secret, Code: tokenParam(r, "code"),
			RedirectURI: tokenParam(r, "redirect_uri"), CodeVerifier: tokenParam(r, "code_verifier"),
		})
		if err != nil {
			writeTokenError(w, tokenErrorCode(err), "")
			return
		}
		resp := c.tokenResponse(r, tok)
		if tok.Extra["access_type"] == "offline" {
			resp.RefreshToken = tok.RefreshToken
		}
		emu.WriteJSON(w, http.StatusOK, resp)
	case "refresh_token":
		rt := tokenParam(r, "refresh_token")
		grant, err := c.env.OAuth.RefreshInfo(rt)
		if err == nil && c.tokenDC(grant) != dc.Code {
			writeTokenError(w, "invalid_client", "")
			return
		}
		if err := c.env.OAuth.CheckClient(clientID, secret); err != nil {
			writeTokenError(w, "invalid_client_secret", "")
			return
		}
		if err != nil {
			writeTokenError(w, "invalid_code", "")
			return
		}
		if d := c.env.Limits.Take(rt, 1, WindowTokenRefresh); !d.Allowed {
			// Zoho's token throttle: HTTP 200 with "Access Denied" and no status key.
			writeTokenError(w, "Access Denied", "You have made too many requests continuously. Please try again after some time.")
			return
		}
		tok, err := c.env.OAuth.Refresh(clientID, secret, rt)
		if err != nil {
			writeTokenError(w, tokenErrorCode(err), "")
			return
		}
		// Zoho does not rotate: the refresh response has no refresh_token.
		emu.WriteJSON(w, http.StatusOK, c.tokenResponse(r, tok))
	case "":
		writeTokenError(w, "invalid_request", "")
	default:
		writeTokenError(w, "unsupported_grant_type", "")
	}
}

func (c *CRM) tokenResponse(r *http.Request, tok emu.Token) TokenResponse {
	dc, _ := LookupDatacenter(c.tokenDC(tok))
	return TokenResponse{
		AccessToken: tok.AccessToken,
		Scope:       strings.Join(tok.Scopes, " "),
		APIDomain:   apiDomain(r, dc),
		TokenType:   "Bearer",
		ExpiresIn:   tok.ExpiresIn(),
	}
}

// tokenErrorCode maps emu's OAuth errors to Zoho's token error codes.
func tokenErrorCode(err error) string {
	switch {
	case errors.Is(err, emu.ErrInvalidClient):
		return "invalid_client_secret"
	case errors.Is(err, emu.ErrRedirectMismatch):
		return "invalid_redirect_uri"
	default: // ErrInvalidGrant, ErrPKCE
		return "invalid_code"
	}
}

// handleRevoke serves POST {dc}/accounts/oauth/v2/token/revoke?token= (and
// the newer /oauth/v2/revoke/token). Revoking a refresh token revokes its
// access tokens. The success body is UNCONFIRMED ({"status":"success"}); a
// token Zoho does not know answers HTTP 400 with an HTML page (third-party
// probe, crm-api-facts.md §4.1).
func (c *CRM) handleRevoke(w http.ResponseWriter, r *http.Request) {
	dc, ok := LookupDatacenter(r.PathValue("dc"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	_ = r.ParseForm()
	token := tokenParam(r, "token")
	revoked := false
	if grant, err := c.env.OAuth.RefreshInfo(token); err == nil && c.tokenDC(grant) == dc.Code {
		revoked = c.env.OAuth.RevokeRefresh(token, true)
	} else if tok, err := c.env.OAuth.Authenticate(token); err == nil && c.tokenDC(tok) == dc.Code {
		revoked = c.env.OAuth.RevokeAccess(token)
	}
	if !revoked {
		writeAuthError(w, "invalid_token", "The token is invalid or already revoked.")
		return
	}
	emu.WriteJSON(w, http.StatusOK, map[string]string{"status": "success"})
}

// handleServerInfo serves GET {dc}/accounts/oauth/serverinfo: the
// datacenter locations and their accounts servers.
func (c *CRM) handleServerInfo(w http.ResponseWriter, r *http.Request) {
	locations := map[string]string{}
	for _, dc := range Datacenters() {
		if dc.MultiDC {
			locations[dc.Code] = accountsURL(r, dc)
		}
	}
	emu.WriteJSON(w, http.StatusOK, map[string]any{"result": "success", "locations": locations})
}
