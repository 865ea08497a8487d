package zoho

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// DefaultScopes are the OAuth scopes crmsync asks for (crm-api-facts.md
// §4.1): contacts, calls, meetings and email association, field metadata
// (to create the external-id fields), users (owner picker) and org (the
// "Connected to" name and record links).
var DefaultScopes = []string{
	"ZohoCRM.modules.contacts.ALL",
	"ZohoCRM.modules.calls.ALL",
	"ZohoCRM.modules.events.ALL",
	"ZohoCRM.modules.emails.ALL",
	"ZohoCRM.settings.fields.ALL",
	"ZohoCRM.users.READ",
	"ZohoCRM.org.READ",
}

// MaxBatch is the most records Zoho takes in one insert, update or upsert.
const MaxBatch = 100

// DefaultRateLimit is an Enterprise org with 10 user licenses: 50,000 +
// 1,000 × 10 API credits per rolling 24 hours, one credit per call
// (crm-api-facts.md §4.7). Zoho's concurrency cap (20 calls in flight) is
// not a rate; a 429 for it is retried after a short wait.
var DefaultRateLimit = crm.RateLimit{Requests: 60000, Per: 24 * time.Hour}

// Config configures a Connector.
type Config struct {
	// App is crmsync's OAuth client; Scopes default to DefaultScopes.
	App crm.OAuthApp
	// Datacenters is the allowlist of datacenters; nil means Datacenters
	// (Zoho's real hosts). The sandbox's is SandboxDatacenters(base).
	Datacenters []Datacenter
	// HTTP is used for the token endpoint and revocation; nil means
	// http.DefaultClient. Account calls use the Account's client.
	HTTP *http.Client
	// RateLimit overrides DefaultRateLimit.
	RateLimit crm.RateLimit
}

// Connector is the Zoho CRM crm.Connector. Apart from a bounded cache of
// contact addresses it holds no per-account state; it is safe for
// concurrent use.
type Connector struct {
	app   crm.OAuthApp
	dcs   []Datacenter
	http  *http.Client
	limit crm.RateLimit
	// addresses remembers contacts' email addresses from UpsertContacts,
	// so logging an email to a contact just pushed needs no lookup.
	addresses addressCache
	// types remembers connections' Contacts field types (fieldtypes.go).
	types fieldTypesCache
}

var _ crm.Connector = (*Connector)(nil)

// New returns a Connector for cfg.
func New(cfg Config) *Connector {
	app := cfg.App
	if len(app.Scopes) == 0 {
		app.Scopes = DefaultScopes
	}
	dcs := cfg.Datacenters
	if dcs == nil {
		dcs = Datacenters
	}
	limit := cfg.RateLimit
	if limit.Requests == 0 {
		limit = DefaultRateLimit
	}
	return &Connector{app: app, dcs: dcs, http: cfg.HTTP, limit: limit, addresses: addressCache{m: map[string]address{}}, types: fieldTypesCache{m: map[string]fieldTypesEntry{}}}
}

// Provider implements crm.Connector.
func (c *Connector) Provider() crmsync.Provider { return crmsync.ProviderZoho }

// flow is the OAuth flow against one datacenter's accounts server. Scopes
// are left out of the x/oauth2 config because Zoho wants them
// comma-separated; AuthCodeURL sets them itself.
func (c *Connector) flow(dc Datacenter) *crm.OAuthFlow {
	app := c.app
	app.Scopes = nil
	return &crm.OAuthFlow{
		App: app,
		Endpoint: oauth2.Endpoint{
			AuthURL:   dc.AccountsURL + "/oauth/v2/auth",
			TokenURL:  dc.AccountsURL + "/oauth/v2/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		// PKCE is documented for public (mobile, desktop) clients only;
		// crmsync is a confidential client and sends its secret.
		PKCE:    false,
		BaseKey: "api_domain",
		HTTP:    c.http,
	}
}

// AuthCodeURL implements crm.Connector: the accounts server of
// opts.Datacenter (US by default), with access_type=offline for a refresh
// token and prompt=consent so reconnecting issues a fresh one.
func (c *Connector) AuthCodeURL(state, verifier string, opts crm.AuthOptions) (string, error) {
	if state == "" {
		return "", fmt.Errorf("zoho: auth code url: state is required")
	}
	dc, err := c.byLocation(opts.Datacenter)
	if err != nil {
		return "", fmt.Errorf("zoho: auth code url: %w", err)
	}
	return c.flow(dc).AuthCodeURL(state, verifier, map[string]string{
		"scope":       strings.Join(c.app.Scopes, ","),
		"access_type": "offline",
		"prompt":      "consent",
	}), nil
}

// Exchange implements crm.Connector. The code is traded at the
// accounts-server the callback names (Zoho redirects a user to their own
// datacenter), provided it is on the allowlist; the token's api_domain must
// be too.
func (c *Connector) Exchange(ctx context.Context, code, verifier string, opts crm.AuthOptions, callback map[string]string) (*crmsync.Token, error) {
	dc, err := c.byLocation(opts.Datacenter)
	if err != nil {
		return nil, fmt.Errorf("zoho: exchange code: %w", err)
	}
	if as := callback["accounts-server"]; as != "" {
		if dc, err = c.byAccountsURL(as); err != nil {
			return nil, fmt.Errorf("zoho: exchange code: %w", err)
		}
	}
	tok, err := c.flow(dc).Exchange(ctx, code, verifier)
	if err != nil {
		return nil, fmt.Errorf("zoho: exchange code: %w", tokenError(err))
	}
	return c.checkToken(tok, dc)
}

// checkToken records the token's datacenter and refuses an api_domain off
// the allowlist.
func (c *Connector) checkToken(tok *crmsync.Token, dc Datacenter) (*crmsync.Token, error) {
	if tok.APIBase == "" {
		tok.APIBase = dc.APIDomain
	}
	if _, err := c.byAPIDomain(tok.APIBase); err != nil {
		return nil, &crm.Error{Problem: crmsync.ProblemPermissionDenied, CRMMessage: "Zoho returned an API domain crmsync does not know.", Err: err}
	}
	if tok.Extra == nil {
		tok.Extra = map[string]string{}
	}
	tok.Extra["accounts_server"] = dc.AccountsURL
	tok.Extra["location"] = string(dc.Location)
	// Zoho says "Bearer" but wants "Zoho-oauthtoken" (Protocol.Authorize).
	tok.TokenType = "Zoho-oauthtoken"
	return tok, nil
}

// tokenDatacenter is the datacenter a stored token belongs to.
func (c *Connector) tokenDatacenter(tok *crmsync.Token) (Datacenter, error) {
	if as := tok.Extra["accounts_server"]; as != "" {
		return c.byAccountsURL(as)
	}
	return c.byAPIDomain(tok.APIBase)
}

// Refresh implements crm.Connector at the token's own accounts server.
// Zoho does not rotate refresh tokens: the old one is kept.
func (c *Connector) Refresh(ctx context.Context, tok *crmsync.Token) (*crmsync.Token, error) {
	dc, err := c.tokenDatacenter(tok)
	if err != nil {
		return nil, fmt.Errorf("zoho: refresh token: %w", err)
	}
	next, err := c.flow(dc).Refresh(ctx, tok)
	if err != nil {
		return nil, fmt.Errorf("zoho: refresh token: %w", tokenError(err))
	}
	if next.RefreshToken == "" {
		next.RefreshToken = tok.RefreshToken
	}
	return c.checkToken(next, dc)
}

// Revoke implements crm.Connector: POST {accounts}/oauth/v2/token/revoke
// with the refresh token, which also revokes its access tokens. A token
// Zoho no longer knows (HTTP 400, an HTML page) counts as revoked.
func (c *Connector) Revoke(ctx context.Context, tok *crmsync.Token) error {
	if tok == nil || tok.RefreshToken == "" {
		return nil
	}
	dc, err := c.tokenDatacenter(tok)
	if err != nil {
		return fmt.Errorf("zoho: revoke token: %w", err)
	}
	u := dc.AccountsURL + "/oauth/v2/token/revoke?token=" + url.QueryEscape(tok.RefreshToken)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return fmt.Errorf("zoho: revoke token: %w", err)
	}
	resp, err := crm.Send(ctx, c.http, req)
	if err != nil {
		return fmt.Errorf("zoho: revoke token: %w", err)
	}
	if resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusBadRequest {
		return nil
	}
	return fmt.Errorf("zoho: revoke token: %w", &crm.Error{Problem: problemForStatus(resp.StatusCode), StatusCode: resp.StatusCode, CRMMessage: fmt.Sprintf("Zoho answered HTTP %d.", resp.StatusCode)})
}

// orgResponse is the answer of GET /crm/v8/org.
type orgResponse struct {
	Org []struct {
		ID          string `json:"id"`
		CompanyName string `json:"company_name"`
		DomainName  string `json:"domain_name"`
		ZGID        string `json:"zgid"`
	} `json:"org"`
}

// Identity implements crm.Connector: the org (GET /org) and the signed-in
// user (GET /users?type=CurrentUser). AccountID is the org's zgid, which
// record links use ("org{zgid}").
func (c *Connector) Identity(ctx context.Context, a *crm.Account) (crm.Identity, error) {
	var org orgResponse
	if err := c.getJSON(ctx, a, "/org", &org); err != nil {
		return crm.Identity{}, fmt.Errorf("zoho: identity (connection %d): %w", a.ConnectionID, err)
	}
	if len(org.Org) == 0 || org.Org[0].ZGID == "" {
		return crm.Identity{}, fmt.Errorf("zoho: identity (connection %d): org has no zgid", a.ConnectionID)
	}
	o := org.Org[0]
	id := crm.Identity{AccountID: o.ZGID, Label: o.CompanyName}
	if id.Label == "" {
		id.Label = o.DomainName
	}
	if u, err := c.currentUser(ctx, a); err == nil {
		id.UserEmail = u.Email
	} else if crm.IsContextError(err) {
		return crm.Identity{}, err
	}
	return id, nil
}

// BatchSize implements crm.Connector.
func (c *Connector) BatchSize() int { return MaxBatch }

// RateLimit implements crm.Connector.
func (c *Connector) RateLimit() crm.RateLimit { return c.limit }

// Protocol implements crm.Connector.
func (c *Connector) Protocol() crm.Protocol { return protocol{} }

// Zoho's web tabs per record type (crm-api-facts.md §4.8; Calls and Events
// tab names UNCONFIRMED).
var tabs = map[crmsync.ActivityKind]string{
	crmsync.ActivityCall:    "Calls",
	crmsync.ActivityMeeting: "Events",
}

// RecordURL implements crm.Connector:
// {crm host}/crm/org{zgid}/tab/{Contacts|Calls|Events}/{id}. Emails are
// shown on their contact and have no page of their own ("").
func (c *Connector) RecordURL(a *crm.Account, object crmsync.ObjectType, kind crmsync.ActivityKind, crmID string) string {
	tab := "Contacts"
	if object == crmsync.ObjectActivity {
		t, ok := tabs[kind]
		if !ok {
			return ""
		}
		tab = t
	}
	web := a.Schema.Extra[extraCRMURL]
	if web == "" {
		// The token names the datacenter; it is cached, so this does not call out.
		if base, err := a.APIBase(context.Background()); err == nil {
			if dc, err := c.byAPIDomain(base); err == nil {
				web = dc.CRMURL
			}
		}
	}
	if web == "" || a.AccountID == "" {
		return ""
	}
	return fmt.Sprintf("%s/crm/org%s/tab/%s/%s", web, url.PathEscape(a.AccountID), tab, url.PathEscape(crmID))
}

// apiBase is {api_domain}/crm/v8 for the account's current token, checked
// against the allowlist.
func (c *Connector) apiBase(ctx context.Context, a *crm.Account) (string, error) {
	base, err := a.APIBase(ctx)
	if err != nil {
		return "", err
	}
	dc, err := c.byAPIDomain(base)
	if err != nil {
		return "", &crm.Error{Problem: crmsync.ProblemPermissionDenied, CRMMessage: "The connection's Zoho API domain is not a known Zoho datacenter.", Err: err}
	}
	return dc.APIDomain + "/crm/v8", nil
}

// getJSON GETs path (under /crm/v8) and decodes the answer into out. A 204
// (Zoho's "nothing found") leaves out untouched and reports found=false
// through errNoContent.
func (c *Connector) getJSON(ctx context.Context, a *crm.Account, path string, out any) error {
	base, err := c.apiBase(ctx, a)
	if err != nil {
		return err
	}
	resp, err := a.Client.Do(ctx, http.MethodGet, base+path, "", nil)
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusNoContent || len(resp.Body) == 0 {
		return errNoContent
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return fmt.Errorf("decode %s: %w", redactPath(path), err)
	}
	return nil
}

// errNoContent is getJSON's answer to Zoho's 204 No Content.
var errNoContent = fmt.Errorf("zoho: no content")

// sendJSON sends in as JSON with method to path (under /crm/v8) and
// returns the answer. A non-2xx answer is an error that may still carry
// the response (Zoho answers 400 with per-record results when every record
// of a batch is refused).
func (c *Connector) sendJSON(ctx context.Context, a *crm.Account, method, path string, in any) (*crm.Response, error) {
	base, err := c.apiBase(ctx, a)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", redactPath(path), err)
	}
	return a.Client.Do(ctx, method, base+path, "application/json", body)
}

// redactPath drops the query string before a path reaches logs.
func redactPath(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}
