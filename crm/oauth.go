package crm

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/saleshive/crmsync"
)

// OAuthApp is crmsync's registration with one CRM: the client credentials
// and where the CRM sends the user back. Secrets come from configuration.
type OAuthApp struct {
	ClientID     string
	ClientSecret string
	RedirectURL  string
	Scopes       []string
}

// OAuthFlow runs the OAuth 2.0 authorization-code flow with golang.org/x/oauth2
// for one CRM endpoint. Connectors embed the parts that are the same for all
// four CRMs here and add their own fields (instance_url, api_domain).
type OAuthFlow struct {
	App      OAuthApp
	Endpoint oauth2.Endpoint
	PKCE     bool   // send an S256 code challenge
	BaseKey  string // token-response field holding the per-account API root ("instance_url", "api_domain"), or ""
	HTTP     *http.Client
}

func (f *OAuthFlow) config() *oauth2.Config {
	return &oauth2.Config{
		ClientID:     f.App.ClientID,
		ClientSecret: f.App.ClientSecret,
		RedirectURL:  f.App.RedirectURL,
		Scopes:       f.App.Scopes,
		Endpoint:     f.Endpoint,
	}
}

func (f *OAuthFlow) ctx(ctx context.Context) context.Context {
	if f.HTTP != nil {
		return context.WithValue(ctx, oauth2.HTTPClient, f.HTTP)
	}
	return ctx
}

// AuthCodeURL returns the sign-in URL with state, and the PKCE challenge for
// verifier when the flow uses PKCE; extra adds CRM-specific parameters.
func (f *OAuthFlow) AuthCodeURL(state, verifier string, extra map[string]string) string {
	var opts []oauth2.AuthCodeOption
	if f.PKCE && verifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	for k, v := range extra {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	return f.config().AuthCodeURL(state, opts...)
}

// Exchange trades an authorization code for a token.
func (f *OAuthFlow) Exchange(ctx context.Context, code, verifier string) (*crmsync.Token, error) {
	var opts []oauth2.AuthCodeOption
	if f.PKCE && verifier != "" {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	t, err := f.config().Exchange(f.ctx(ctx), code, opts...)
	if err != nil {
		return nil, oauthError("exchange code", err)
	}
	return f.token(t), nil
}

// Refresh returns a new token for tok's refresh token.
func (f *OAuthFlow) Refresh(ctx context.Context, tok *crmsync.Token) (*crmsync.Token, error) {
	if tok.RefreshToken == "" {
		return nil, &Error{Problem: crmsync.ProblemAuthRevoked, CRMMessage: "No refresh token is stored; sign in again."}
	}
	src := f.config().TokenSource(f.ctx(ctx), &oauth2.Token{RefreshToken: tok.RefreshToken})
	t, err := src.Token()
	if err != nil {
		return nil, oauthError("refresh token", err)
	}
	out := f.token(t)
	if out.APIBase == "" {
		out.APIBase = tok.APIBase
	}
	return out, nil
}

func (f *OAuthFlow) token(t *oauth2.Token) *crmsync.Token {
	out := &crmsync.Token{
		AccessToken:  t.AccessToken,
		RefreshToken: t.RefreshToken,
		TokenType:    t.TokenType,
		Expiry:       t.Expiry.UTC(),
	}
	if f.BaseKey != "" {
		if s, ok := t.Extra(f.BaseKey).(string); ok {
			out.APIBase = s
		}
	}
	return out
}

// oauthError classifies a token-endpoint failure: a rejected grant means the
// user must sign in again; anything else may pass.
func oauthError(op string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		msg := re.ErrorDescription
		if msg == "" {
			msg = re.ErrorCode
		}
		p := crmsync.ProblemUnknown
		switch {
		case re.ErrorCode == "invalid_grant" || re.ErrorCode == "invalid_code" || re.ErrorCode == "invalid_token":
			p = crmsync.ProblemAuthRevoked
		case re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client":
			p = crmsync.ProblemPermissionDenied
		case re.Response != nil && re.Response.StatusCode >= 500:
			p = crmsync.ProblemCRMUnavailable
		case re.Response != nil && re.Response.StatusCode == http.StatusTooManyRequests:
			p = crmsync.ProblemRateLimited
		}
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return &Error{Problem: p, StatusCode: status, Code: re.ErrorCode, CRMMessage: msg, Err: fmt.Errorf("oauth %s: %w", op, err)}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &Error{Problem: crmsync.ProblemCRMUnavailable, CRMMessage: "The CRM's sign-in service did not answer.", Err: fmt.Errorf("oauth %s: %w", op, err)}
}

// NewAccount assembles an Account for a connection: a TokenSource over store
// refreshing through conn, the account's shared limiter, and conn's protocol.
func NewAccount(conn Connector, connectionID int64, accountID string, schema Schema, store TokenStore, lim *Limiter, hc *http.Client) *Account {
	return &Account{
		ConnectionID: connectionID,
		AccountID:    accountID,
		Schema:       schema,
		Client: &Client{
			HTTP:     hc,
			Protocol: conn.Protocol(),
			Tokens:   NewTokenSource(store, conn.Refresh, 0),
			Limiter:  lim,
		},
	}
}
