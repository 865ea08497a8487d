package salesforce

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

// DefaultLoginURL is Salesforce's production login host; sandbox orgs sign in at
// https://test.salesforce.com.
const DefaultLoginURL = "https://login.salesforce.com"

// DefaultAPIVersion is the REST API version the connector speaks (API 46.0+ is needed for
// sObject Collections upsert).
const DefaultAPIVersion = "v60.0"

// DefaultScopes are the OAuth scopes crmsync asks for: the REST API, a refresh token and
// the identity service.
var DefaultScopes = []string{"api", "refresh_token", "id"}

// DefaultInstanceHostSuffixes are the hosts an instance_url may name: an org's My Domain
// (*.my.salesforce.com, including *.sandbox.my.salesforce.com), classic pods
// (*.salesforce.com) and Government Cloud.
var DefaultInstanceHostSuffixes = []string{".salesforce.com", ".force.com", ".salesforce.mil", ".cloudforce.com"}

// MaxBatch is the sObject Collections limit per call.
const MaxBatch = 200

// DefaultRateLimit is the daily API request allocation of an Enterprise Edition org
// (100,000 per rolling 24 hours plus 1,000 per license; the base is used).
var DefaultRateLimit = crm.RateLimit{Requests: 100_000, Per: 24 * time.Hour}

// DefaultLimitWait is how long an account waits after Salesforce refuses a request because
// the org's daily API requests are spent: the window rolls, so budget returns gradually,
// but Salesforce does not say when.
const DefaultLimitWait = 15 * time.Minute

// Field API names the connector creates.
const (
	ContactExternalIDField  = "SalesHive_External_ID__c"
	ActivityExternalIDField = "SalesHive_Activity_ID__c"
)

// Config configures a Connector.
type Config struct {
	// App is crmsync's connected app; Scopes default to DefaultScopes.
	App crm.OAuthApp
	// LoginURL is the login host (default DefaultLoginURL); the sandbox's is "{root}/salesforce".
	LoginURL string
	// InstanceHostSuffixes lists the host suffixes an instance_url may have (default
	// DefaultInstanceHostSuffixes). The LoginURL's own host is always allowed.
	InstanceHostSuffixes []string
	// APIVersion is the REST version segment (default DefaultAPIVersion).
	APIVersion string
	// HTTP is used for the token endpoint and revocation; nil means http.DefaultClient.
	HTTP *http.Client
	// RateLimit overrides DefaultRateLimit.
	RateLimit crm.RateLimit
	// LimitWait overrides DefaultLimitWait.
	LimitWait time.Duration
}

// Connector is the Salesforce crm.Connector. It holds no per-account state and is safe for
// concurrent use.
type Connector struct {
	login    string
	version  string
	suffixes []string
	flow     crm.OAuthFlow
	http     *http.Client
	limit    crm.RateLimit
	proto    protocol
}

var _ crm.Connector = (*Connector)(nil)

// New returns a Connector for cfg.
func New(cfg Config) *Connector {
	login := strings.TrimRight(cfg.LoginURL, "/")
	if login == "" {
		login = DefaultLoginURL
	}
	app := cfg.App
	if len(app.Scopes) == 0 {
		app.Scopes = DefaultScopes
	}
	c := &Connector{
		login:    login,
		version:  cfg.APIVersion,
		suffixes: cfg.InstanceHostSuffixes,
		http:     cfg.HTTP,
		limit:    cfg.RateLimit,
		proto:    protocol{limitWait: cfg.LimitWait},
		flow: crm.OAuthFlow{
			App: app,
			Endpoint: oauth2.Endpoint{
				AuthURL:   login + "/services/oauth2/authorize",
				TokenURL:  login + "/services/oauth2/token",
				AuthStyle: oauth2.AuthStyleInParams,
			},
			PKCE:    true,
			BaseKey: "instance_url",
			HTTP:    cfg.HTTP,
		},
	}
	if c.version == "" {
		c.version = DefaultAPIVersion
	}
	if c.suffixes == nil {
		c.suffixes = DefaultInstanceHostSuffixes
	}
	if c.limit.Requests == 0 {
		c.limit = DefaultRateLimit
	}
	if c.proto.limitWait <= 0 {
		c.proto.limitWait = DefaultLimitWait
	}
	return c
}

// Provider implements crm.Connector.
func (c *Connector) Provider() crmsync.Provider { return crmsync.ProviderSalesforce }

// BatchSize implements crm.Connector: sObject Collections carry 200 records.
func (c *Connector) BatchSize() int { return MaxBatch }

// Protocol implements crm.Connector.
func (c *Connector) Protocol() crm.Protocol { return c.proto }

// RateLimit implements crm.Connector.
func (c *Connector) RateLimit() crm.RateLimit { return c.limit }

// AuthCodeURL implements crm.Connector: the web-server flow with an S256 code challenge.
func (c *Connector) AuthCodeURL(state, verifier string, opts crm.AuthOptions) (string, error) {
	if state == "" {
		return "", fmt.Errorf("salesforce: auth code url: state is required")
	}
	return c.flow.AuthCodeURL(state, verifier, nil), nil
}

// Exchange implements crm.Connector. The token's APIBase is the org's instance_url, which
// must be a Salesforce host.
func (c *Connector) Exchange(ctx context.Context, code, verifier string, opts crm.AuthOptions, callback map[string]string) (*crmsync.Token, error) {
	tok, err := c.flow.Exchange(ctx, code, verifier)
	if err != nil {
		return nil, fmt.Errorf("salesforce: exchange code: %w", err)
	}
	if err := c.checkInstance(tok.APIBase); err != nil {
		return nil, fmt.Errorf("salesforce: exchange code: %w", err)
	}
	return tok, nil
}

// Refresh implements crm.Connector. With refresh-token rotation on, the response carries
// a new refresh token, which is kept; otherwise the old one stays.
func (c *Connector) Refresh(ctx context.Context, tok *crmsync.Token) (*crmsync.Token, error) {
	next, err := c.flow.Refresh(ctx, tok)
	if err != nil {
		return nil, fmt.Errorf("salesforce: refresh token: %w", err)
	}
	if err := c.checkInstance(next.APIBase); err != nil {
		return nil, fmt.Errorf("salesforce: refresh token: %w", err)
	}
	return next, nil
}

// checkInstance rejects an instance_url that is not a Salesforce host (or the configured
// login host), so a forged token response cannot send data elsewhere.
func (c *Connector) checkInstance(instance string) error {
	u, err := url.Parse(instance)
	if err != nil || u.Host == "" {
		return &crm.Error{Problem: crmsync.ProblemUnknown, CRMMessage: "Salesforce returned no instance URL.", Err: fmt.Errorf("instance_url %q", instance)}
	}
	if lu, err := url.Parse(c.login); err == nil && strings.EqualFold(lu.Host, u.Host) {
		return nil
	}
	host := strings.ToLower(u.Hostname())
	if u.Scheme == "https" {
		for _, s := range c.suffixes {
			if strings.HasSuffix(host, s) {
				return nil
			}
		}
	}
	return &crm.Error{Problem: crmsync.ProblemPermissionDenied, CRMMessage: "The instance URL " + instance + " is not a Salesforce host.",
		Err: fmt.Errorf("instance_url %q not allowed", instance)}
}

// Revoke implements crm.Connector: POST /services/oauth2/revoke with the refresh token,
// which also revokes the access tokens issued from it. A token Salesforce no longer knows
// counts as revoked.
func (c *Connector) Revoke(ctx context.Context, tok *crmsync.Token) error {
	if tok == nil {
		return nil
	}
	t := tok.RefreshToken
	if t == "" {
		t = tok.AccessToken
	}
	if t == "" {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.login+"/services/oauth2/revoke",
		strings.NewReader(url.Values{"token": {t}}.Encode()))
	if err != nil {
		return fmt.Errorf("salesforce: revoke token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := crm.Send(ctx, c.http, req)
	if err != nil {
		return fmt.Errorf("salesforce: revoke token: %w", err)
	}
	var oe oauthError
	_ = json.Unmarshal(res.Body, &oe)
	switch {
	case res.StatusCode == http.StatusOK, oe.Error == "invalid_token":
		return nil
	}
	return fmt.Errorf("salesforce: revoke token: %w", &crm.Error{Problem: crmsync.ProblemUnknown, StatusCode: res.StatusCode,
		Code: oe.Error, CRMMessage: oe.ErrorDescription, Err: fmt.Errorf("HTTP %d", res.StatusCode)})
}

// dataURL is the REST URL of path under the account's instance.
func (c *Connector) dataURL(ctx context.Context, a *crm.Account, path string) (string, error) {
	base, err := a.APIBase(ctx)
	if err != nil {
		return "", err
	}
	if base == "" {
		return "", &crm.Error{Problem: crmsync.ProblemAuthRevoked, CRMMessage: "The stored token has no instance URL; sign in again."}
	}
	return strings.TrimRight(base, "/") + "/services/data/" + c.version + path, nil
}

// do sends a JSON request to path under the data API and decodes the answer into out.
func (c *Connector) do(ctx context.Context, a *crm.Account, method, path string, in, out any) error {
	u, err := c.dataURL(ctx, a, path)
	if err != nil {
		return err
	}
	return c.doURL(ctx, a, method, u, in, out)
}

func (c *Connector) doURL(ctx context.Context, a *crm.Account, method, u string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
	}
	res, err := a.Client.Do(ctx, method, u, "application/json", body)
	if err != nil {
		return err
	}
	if out != nil && len(res.Body) > 0 {
		if err := json.Unmarshal(res.Body, out); err != nil {
			return &crm.Error{Problem: crmsync.ProblemUnknown, StatusCode: res.StatusCode, CRMMessage: "Salesforce's answer could not be read.",
				Err: fmt.Errorf("decode %s answer: %w", method, err)}
		}
	}
	return nil
}

// Identity implements crm.Connector: the org (id and name, from userinfo and the
// Organization record) and the user who signed in.
func (c *Connector) Identity(ctx context.Context, a *crm.Account) (crm.Identity, error) {
	info, err := c.userInfo(ctx, a)
	if err != nil {
		return crm.Identity{}, fmt.Errorf("salesforce: identity (connection %d): %w", a.ConnectionID, err)
	}
	var org queryResult[struct {
		ID   string `json:"Id"`
		Name string `json:"Name"`
	}]
	if err := c.do(ctx, a, http.MethodGet, "/query?q="+url.QueryEscape("SELECT Id, Name FROM Organization"), nil, &org); err != nil {
		return crm.Identity{}, fmt.Errorf("salesforce: identity (connection %d): %w", a.ConnectionID, err)
	}
	id := crm.Identity{AccountID: info.OrganizationID, Label: info.OrganizationID, UserEmail: info.Email}
	if len(org.Records) > 0 && org.Records[0].Name != "" {
		id.Label = org.Records[0].Name
	}
	return id, nil
}

// userInfo is the part of the OpenID Connect userinfo the connector reads.
type userInfo struct {
	UserID         string `json:"user_id"`
	OrganizationID string `json:"organization_id"`
	Email          string `json:"email"`
}

// userInfo reads /services/oauth2/userinfo on the instance: the signed-in user and org.
func (c *Connector) userInfo(ctx context.Context, a *crm.Account) (userInfo, error) {
	var info userInfo
	base, err := a.APIBase(ctx)
	if err != nil {
		return info, err
	}
	err = c.doURL(ctx, a, http.MethodGet, strings.TrimRight(base, "/")+"/services/oauth2/userinfo", nil, &info)
	return info, err
}

// RecordURL implements crm.Connector: the short record link {instance_url}/{id}, which
// Salesforce redirects to the record's Lightning page for every object (the Lightning
// host cannot be derived from instance_url with certainty).
func (c *Connector) RecordURL(a *crm.Account, object crmsync.ObjectType, kind crmsync.ActivityKind, crmID string) string {
	base := a.Schema.Extra[schemaInstanceURL]
	if base == "" {
		if b, err := a.APIBase(context.Background()); err == nil {
			base = b
		}
	}
	return strings.TrimRight(base, "/") + "/" + url.PathEscape(crmID)
}

// queryResult is one batch of a SOQL answer.
type queryResult[T any] struct {
	TotalSize      int    `json:"totalSize"`
	Done           bool   `json:"done"`
	NextRecordsURL string `json:"nextRecordsUrl"`
	Records        []T    `json:"records"`
}

// queryAll runs a SOQL query and follows nextRecordsUrl to the end.
func queryAll[T any](ctx context.Context, c *Connector, a *crm.Account, soql string) ([]T, error) {
	var out []T
	var page queryResult[T]
	if err := c.do(ctx, a, http.MethodGet, "/query?q="+url.QueryEscape(soql), nil, &page); err != nil {
		return nil, err
	}
	for {
		out = append(out, page.Records...)
		if page.Done || page.NextRecordsURL == "" {
			return out, nil
		}
		base, err := a.APIBase(ctx)
		if err != nil {
			return nil, err
		}
		next := page.NextRecordsURL
		page = queryResult[T]{}
		if err := c.doURL(ctx, a, http.MethodGet, strings.TrimRight(base, "/")+next, nil, &page); err != nil {
			return nil, err
		}
	}
}

// soqlString quotes s as a SOQL string literal.
func soqlString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return "'" + r.Replace(s) + "'"
}
