package pipedrive

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// OAuth endpoints of oauth.pipedrive.com (crm-api-facts.md §3.1, the
// marketplace OAuth status-code page). Pipedrive does not document PKCE; the
// sandbox verifies a code_challenge when a client sends one.

// OAuth error messages, verbatim from the status-code page.
const (
	oauthMissingGrantType = "Missing parameter: grant_type"
	oauthUnsupportedGrant = "Unsupported grant type: grant_type is invalid"
	oauthCodeInvalid      = "Invalid grant: authorization_code is invalid"
	oauthCodeExpired      = "Invalid grant: authorization_code has expired"
	// The official Node client's test stubs the refresh failure with "refresh
	// token" (a space) while the docs table writes refresh_token; clients
	// match on error, not on the message.
	oauthRefreshInvalid = "Invalid grant: refresh token is invalid"
	oauthNoClientCreds  = "Invalid client: cannot retrieve client credentials"
	oauthClientInvalid  = "Invalid client: client is invalid"
	oauthRedirectBadURI = "Invalid request: redirect_uri is not a valid URI"
	oauthRedirectWrong  = "Invalid request: redirect_uri is invalid"
	oauthContentType    = "Invalid request: content must be application/x-www-form-urlencoded"
)

// isForm reports whether the request body is a URL-encoded form.
func isForm(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// handleAuthorize serves GET /oauth/authorize (the consent page).
func (c *CRM) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	consent, ok := c.consent(w, r)
	if !ok {
		return
	}
	emu.ServeConsent(w, r, c.env.OAuth, consent)
}

// handleAuthorizeDecision serves the consent form's POST. Pipedrive sends a
// denial back as error=user_denied (not RFC 6749's access_denied), so Deny is
// answered here and Allow goes to the shared consent flow.
func (c *CRM) handleAuthorizeDecision(w http.ResponseWriter, r *http.Request) {
	consent, ok := c.consent(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if r.PostForm.Get("decision") != "allow" {
		q := url.Values{"error": {"user_denied"}}
		if consent.State != "" {
			q.Set("state", consent.State)
		}
		http.Redirect(w, r, emu.AddQuery(consent.RedirectURI, q), http.StatusFound)
		return
	}
	emu.ServeConsent(w, r, c.env.OAuth, consent)
}

// consent parses the authorize query. Pipedrive shows an error page (not a
// redirect) for an unknown client or a missing redirect URI.
func (c *CRM) consent(w http.ResponseWriter, r *http.Request) (emu.Consent, bool) {
	q := r.URL.Query()
	if err := c.env.OAuth.CheckClientID(q.Get("client_id")); err != nil {
		http.Error(w, oauthClientInvalid, http.StatusBadRequest)
		return emu.Consent{}, false
	}
	redirect := q.Get("redirect_uri")
	if u, err := url.Parse(redirect); err != nil || redirect == "" || !u.IsAbs() {
		http.Error(w, oauthRedirectBadURI, http.StatusBadRequest)
		return emu.Consent{}, false
	}
	return emu.Consent{
		Vendor:      "Pipedrive",
		AccountName: c.env.Config.AccountName,
		AppName:     q.Get("client_id"),
		CodeRequest: emu.CodeRequest{
			ClientID:            q.Get("client_id"),
			RedirectURI:         redirect,
			Scopes:              c.scopes,
			UserID:              c.installingUser(),
			CodeChallenge:       q.Get("code_challenge"),
			CodeChallengeMethod: q.Get("code_challenge_method"),
		},
		State: q.Get("state"),
	}, true
}

// clientForm parses the form body of a token or revoke call and
// authenticates its client, which Pipedrive accepts through HTTP Basic only.
// It answers the 400 itself and reports false when either fails.
func (c *CRM) clientForm(w http.ResponseWriter, r *http.Request) (id, secret string, ok bool) {
	if !isForm(r) || r.ParseForm() != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", oauthContentType)
		return "", "", false
	}
	id, secret, ok = r.BasicAuth()
	if !ok {
		writeOAuthError(w, http.StatusBadRequest, "invalid_client", oauthNoClientCreds)
		return "", "", false
	}
	if err := c.env.OAuth.CheckClient(id, secret); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_client", oauthClientInvalid)
		return "", "", false
	}
	return id, secret, true
}

// handleToken serves POST /oauth/token: authorization_code and
// refresh_token grants, client authenticated with HTTP Basic only. Every
// failure is a 400, as the status-code page lists them (invalid_client too).
func (c *CRM) handleToken(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := c.clientForm(w, r)
	if !ok {
		return
	}
	var (
		tok emu.Token
		err error
	)
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", oauthMissingGrantType)
		return
	case "authorization_code":
		if u, perr := url.Parse(r.PostForm.Get("redirect_uri")); perr != nil || !u.IsAbs() {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", oauthRedirectBadURI)
			return
		}
		tok, err = c.env.OAuth.ExchangeCode(emu.CodeExchange{
			ClientID: id, ClientSecret: secret, Code: r.PostForm.Get("code"),
			RedirectURI: r.PostForm.Get("redirect_uri"), CodeVerifier: r.PostForm.Get("code_verifier"),
		})
		switch {
		case errors.Is(err, emu.ErrRedirectMismatch):
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", oauthRedirectWrong)
			return
		case errors.Is(err, emu.ErrInvalidGrant) && strings.Contains(err.Error(), "expired"):
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", oauthCodeExpired)
			return
		case err != nil:
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", oauthCodeInvalid)
			return
		}
	case "refresh_token":
		// Pipedrive returns the same refresh token (no rotation) unless the
		// sandbox is configured to rotate.
		tok, err = c.env.OAuth.Refresh(id, secret, r.PostForm.Get("refresh_token"))
		if err != nil {
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", oauthRefreshInvalid)
			return
		}
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", oauthUnsupportedGrant)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, TokenResponse{
		AccessToken: tok.AccessToken, TokenType: "Bearer", RefreshToken: tok.RefreshToken,
		Scope: strings.Join(tok.Scopes, ","), ExpiresIn: tok.ExpiresIn(), APIDomain: apiDomain(r),
	})
}

// handleRevoke serves POST /oauth/revoke (RFC 7009, Basic auth). Revoking the
// refresh token ends the installation: it and every access token of the
// grant stop working. Revoking an access token leaves the refresh token
// usable. Pipedrive answers 200 even for an unknown token.
func (c *CRM) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := c.clientForm(w, r); !ok {
		return
	}
	token := r.PostForm.Get("token")
	switch r.PostForm.Get("token_type_hint") {
	case "access_token":
		if !c.env.OAuth.RevokeAccess(token) {
			c.env.OAuth.RevokeRefresh(token, true)
		}
	default:
		if !c.env.OAuth.RevokeRefresh(token, true) {
			c.env.OAuth.RevokeAccess(token)
		}
	}
	w.WriteHeader(http.StatusOK)
}
