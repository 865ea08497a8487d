package hubspot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// Default hosts of HubSpot's API and web app.
const (
	DefaultAPIBaseURL = "https://api.hubapi.com"
	DefaultAppBaseURL = "https://app.hubspot.com"
)

// DefaultScopes are the OAuth scopes crmsync asks for: contacts and their
// engagements (calls, emails and meetings are governed by the contact
// scopes), contact properties (to create the external-id property) and
// owners (for the record-owner picker).
var DefaultScopes = []string{
	"oauth",
	"crm.objects.contacts.read",
	"crm.objects.contacts.write",
	"crm.schemas.contacts.read",
	"crm.schemas.contacts.write",
	"crm.objects.owners.read",
}

// MaxBatch is the most inputs HubSpot accepts in one batch call.
const MaxBatch = 100

// Config configures a Connector.
type Config struct {
	// App is crmsync's OAuth app registration; Scopes default to DefaultScopes.
	App crm.OAuthApp
	// APIBaseURL is api.hubapi.com (default DefaultAPIBaseURL); the sandbox's
	// is "{root}/hubspot".
	APIBaseURL string
	// AppBaseURL is app.hubspot.com, which serves the sign-in page and record
	// pages (default DefaultAppBaseURL); the sandbox's is "{root}/hubspot".
	AppBaseURL string
	// HTTP is used for the OAuth token endpoint and revocation; nil means
	// http.DefaultClient. Account calls use the Account's client.
	HTTP *http.Client
	// RateLimit overrides the documented allowance returned by RateLimit.
	RateLimit crm.RateLimit
}

// Connector is the HubSpot crm.Connector. It holds no per-account state and
// is safe for concurrent use.
type Connector struct {
	api, app string
	flow     crm.OAuthFlow
	http     *http.Client
	limit    crm.RateLimit
}

var _ crm.Connector = (*Connector)(nil)

// New returns a Connector for cfg.
func New(cfg Config) *Connector {
	api := strings.TrimRight(cfg.APIBaseURL, "/")
	if api == "" {
		api = DefaultAPIBaseURL
	}
	app := strings.TrimRight(cfg.AppBaseURL, "/")
	if app == "" {
		app = DefaultAppBaseURL
	}
	oa := cfg.App
	if len(oa.Scopes) == 0 {
		oa.Scopes = DefaultScopes
	}
	limit := cfg.RateLimit
	if limit.Requests == 0 {
		limit = DefaultRateLimit
	}
	return &Connector{
		api: api,
		app: app,
		flow: crm.OAuthFlow{
			App: oa,
			Endpoint: oauth2.Endpoint{
				AuthURL:  app + "/oauth/authorize",
				TokenURL: api + "/oauth/v1/token",
				// HubSpot reads client_id and client_secret from the form body.
				AuthStyle: oauth2.AuthStyleInParams,
			},
			// HubSpot's authorize page documents no code_challenge parameter;
			// confidential apps authenticate with the client secret.
			PKCE: false,
			HTTP: cfg.HTTP,
		},
		http:  cfg.HTTP,
		limit: limit,
	}
}

// Provider implements crm.Connector.
func (c *Connector) Provider() crmsync.Provider { return crmsync.ProviderHubSpot }

// AuthCodeURL implements crm.Connector. HubSpot documents no PKCE challenge
// on its authorize URL, so verifier is not sent.
func (c *Connector) AuthCodeURL(state, verifier string, opts crm.AuthOptions) (string, error) {
	if state == "" {
		return "", fmt.Errorf("hubspot: auth code url: state is required")
	}
	return c.flow.AuthCodeURL(state, verifier, nil), nil
}

// Exchange implements crm.Connector.
func (c *Connector) Exchange(ctx context.Context, code, verifier string, opts crm.AuthOptions, callback map[string]string) (*crmsync.Token, error) {
	tok, err := c.flow.Exchange(ctx, code, verifier)
	if err != nil {
		return nil, fmt.Errorf("hubspot: exchange code: %w", err)
	}
	return tok, nil
}

// Refresh implements crm.Connector. HubSpot returns the same refresh token
// again; whatever comes back is kept.
func (c *Connector) Refresh(ctx context.Context, tok *crmsync.Token) (*crmsync.Token, error) {
	next, err := c.flow.Refresh(ctx, tok)
	if err != nil {
		return nil, fmt.Errorf("hubspot: refresh token: %w", err)
	}
	return next, nil
}

// Revoke implements crm.Connector: DELETE /oauth/v1/refresh-tokens/{token}.
// HubSpot deletes only the refresh token; access tokens issued from it keep
// working until they expire (at most 30 minutes). A token HubSpot no longer
// knows counts as revoked.
func (c *Connector) Revoke(ctx context.Context, tok *crmsync.Token) error {
	if tok == nil || tok.RefreshToken == "" {
		return nil
	}
	u := c.api + "/oauth/v1/refresh-tokens/" + url.PathEscape(tok.RefreshToken)
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, u, nil)
	if err != nil {
		return fmt.Errorf("hubspot: revoke token: %w", err)
	}
	resp, err := crm.Send(ctx, c.http, req)
	if err != nil {
		return fmt.Errorf("hubspot: revoke token: %w", err)
	}
	if resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusNotFound {
		return nil
	}
	return fmt.Errorf("hubspot: revoke token: %w", classify(resp.StatusCode, resp.Header, resp.Body))
}

// tokenInfo is the answer of GET /oauth/v1/access-tokens/{token}.
type tokenInfo struct {
	Token     string   `json:"token"`
	User      string   `json:"user"`
	HubDomain string   `json:"hub_domain"`
	HubID     int64    `json:"hub_id"`
	UserID    int64    `json:"user_id"`
	AppID     int64    `json:"app_id"`
	Scopes    []string `json:"scopes"`
	ExpiresIn int      `json:"expires_in"`
	TokenType string   `json:"token_type"`
}

// Identity implements crm.Connector from the access-token info endpoint:
// the portal's domain and Hub ID, and the user who installed the app.
func (c *Connector) Identity(ctx context.Context, a *crm.Account) (crm.Identity, error) {
	tok, err := a.Client.Tokens.Token(ctx)
	if err != nil {
		return crm.Identity{}, fmt.Errorf("hubspot: identity (connection %d): %w", a.ConnectionID, err)
	}
	var info tokenInfo
	err = c.getJSON(ctx, a, "/oauth/v1/access-tokens/"+url.PathEscape(tok.AccessToken), &info)
	if ce := crm.AsError(err); err != nil && ce.StatusCode == http.StatusNotFound {
		// The token-info endpoint answers an expired token with 404, not
		// the 401 that makes the client refresh: refresh once and ask again.
		if tok, err = a.Client.Tokens.Refresh(ctx, tok); err == nil {
			err = c.getJSON(ctx, a, "/oauth/v1/access-tokens/"+url.PathEscape(tok.AccessToken), &info)
		}
	}
	if err != nil {
		return crm.Identity{}, fmt.Errorf("hubspot: identity (connection %d): %w", a.ConnectionID, err)
	}
	if info.HubID == 0 {
		return crm.Identity{}, fmt.Errorf("hubspot: identity (connection %d): token info has no hub_id", a.ConnectionID)
	}
	id := strconv.FormatInt(info.HubID, 10)
	label := fmt.Sprintf("Hub ID %s", id)
	if info.HubDomain != "" {
		label = fmt.Sprintf("%s (Hub ID %s)", info.HubDomain, id)
	}
	return crm.Identity{AccountID: id, Label: label, UserEmail: info.User}, nil
}

// BatchSize implements crm.Connector.
func (c *Connector) BatchSize() int { return MaxBatch }

// DefaultRateLimit is HubSpot's documented allowance for a public OAuth app:
// 110 requests per rolling 10 seconds per installing account, with no daily
// cap on OAuth traffic. (Private apps on Professional and Enterprise get 190
// per 10 seconds; set Config.RateLimit for those.)
var DefaultRateLimit = crm.RateLimit{Requests: 110, Per: 10 * time.Second}

// RateLimit implements crm.Connector.
func (c *Connector) RateLimit() crm.RateLimit { return c.limit }

// Protocol implements crm.Connector.
func (c *Connector) Protocol() crm.Protocol { return protocol{} }

// HubSpot's object type ids, used in record URLs.
var objectTypeIDs = map[crmsync.ActivityKind]string{
	crmsync.ActivityCall:    "0-48",
	crmsync.ActivityEmail:   "0-49",
	crmsync.ActivityMeeting: "0-47",
}

// RecordURL implements crm.Connector:
// {app}/contacts/{hubId}/record/{objectTypeId}/{id}, with 0-1 for contacts.
func (c *Connector) RecordURL(a *crm.Account, object crmsync.ObjectType, kind crmsync.ActivityKind, crmID string) string {
	typeID := "0-1"
	if object == crmsync.ObjectActivity {
		t, ok := objectTypeIDs[kind]
		if !ok {
			return ""
		}
		typeID = t
	}
	return fmt.Sprintf("%s/contacts/%s/record/%s/%s", c.app, url.PathEscape(a.AccountID), typeID, url.PathEscape(crmID))
}

// getJSON sends an authorized GET to path (relative to the API base) and
// decodes the JSON answer into out.
func (c *Connector) getJSON(ctx context.Context, a *crm.Account, path string, out any) error {
	resp, err := a.Client.Do(ctx, http.MethodGet, c.api+path, "", nil)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return fmt.Errorf("decode %s: %w", redact(path), err)
	}
	return nil
}

// postJSON sends an authorized POST of in as JSON to path and returns the
// answer; a non-2xx answer is an error carrying the response.
func (c *Connector) postJSON(ctx context.Context, a *crm.Account, path string, in any) (*crm.Response, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", path, err)
	}
	return a.Client.Do(ctx, http.MethodPost, c.api+path, "application/json", body)
}

// redact drops the token from token-info paths before they reach logs.
func redact(path string) string {
	if strings.HasPrefix(path, "/oauth/") {
		if i := strings.LastIndexByte(path, '/'); i >= 0 {
			return path[:i+1] + "…"
		}
	}
	return path
}
