package pipedrive

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// DefaultOAuthBaseURL is Pipedrive's OAuth server.
const DefaultOAuthBaseURL = "https://oauth.pipedrive.com"

// apiDomainSuffix is the host suffix every Pipedrive company API domain has
// ("https://acme.pipedrive.com").
const apiDomainSuffix = ".pipedrive.com"

// DefaultRateLimit is the burst allowance of an OAuth app on Pipedrive's
// Growth plan: 160 requests per 2 seconds per access token
// (core-api-concepts-rate-limiting; Lite 80, Premium 400, Ultimate 480).
var DefaultRateLimit = crm.RateLimit{Requests: 160, Per: 2 * time.Second}

// SearchRateLimit is the separate allowance of the search endpoints: 10
// requests per 2 seconds on every plan.
var SearchRateLimit = crm.RateLimit{Requests: 10, Per: 2 * time.Second, Burst: 1}

// MaxBatch is how many contacts or activities one UpsertContacts or
// LogActivities call takes. Pipedrive writes one record per request; the
// batch is what the connector resolves external ids for at once (one
// paginated listing instead of a search per record).
const MaxBatch = 100

// Config configures a Connector.
type Config struct {
	// App is crmsync's OAuth app. Pipedrive fixes the scopes on the app in
	// its Developer Hub, so App.Scopes is not sent.
	App crm.OAuthApp
	// OAuthBaseURL is oauth.pipedrive.com (default DefaultOAuthBaseURL); the
	// sandbox's is "{root}/pipedrive".
	OAuthBaseURL string
	// APIBaseURL, when set, is the only api_domain a token may carry (the
	// sandbox's "{root}/pipedrive"). When empty, api_domain must be an https
	// host under .pipedrive.com.
	APIBaseURL string
	// HTTP is used for the token endpoint and revocation; nil means
	// http.DefaultClient. Account calls use the Account's client.
	HTTP *http.Client
	// RateLimit overrides DefaultRateLimit (plans other than Growth).
	RateLimit crm.RateLimit
	// IndexTTL is how long a learned external-id → person map is trusted
	// (default 10 minutes).
	IndexTTL time.Duration
	// SearchMaxWait is the longest a search waits for its rate limit before
	// reporting rate_limited (default 10 s).
	SearchMaxWait time.Duration
}

// Connector is the Pipedrive crm.Connector. It is safe for concurrent use.
// Per account (keyed by connection id) it keeps a search limiter, the
// learned external-id → person map and the activity creates whose answer
// was lost; all of it is a cache that a new process rebuilds.
type Connector struct {
	oauthBase, apiBase string
	flow               crm.OAuthFlow
	http               *http.Client
	limit              crm.RateLimit
	indexTTL           time.Duration
	searchWait         time.Duration
	searchLimiters     crm.Limiters

	mu      sync.Mutex
	indexes map[int64]*personIndex
	// uncertainActivities are activity creates whose answer was lost.
	uncertainActivities map[activityKey]bool
}

var _ crm.Connector = (*Connector)(nil)

// New returns a Connector for cfg.
func New(cfg Config) *Connector {
	oauthBase := strings.TrimRight(cfg.OAuthBaseURL, "/")
	if oauthBase == "" {
		oauthBase = DefaultOAuthBaseURL
	}
	app := cfg.App
	app.Scopes = nil // fixed on the app; the authorize URL takes none
	c := &Connector{
		oauthBase: oauthBase,
		apiBase:   strings.TrimRight(cfg.APIBaseURL, "/"),
		flow: crm.OAuthFlow{
			App: app,
			Endpoint: oauth2.Endpoint{
				AuthURL:  oauthBase + "/oauth/authorize",
				TokenURL: oauthBase + "/oauth/token",
				// Pipedrive takes the client credentials only as HTTP Basic.
				AuthStyle: oauth2.AuthStyleInHeader,
			},
			// Pipedrive documents no PKCE; the client secret authenticates.
			PKCE:    false,
			BaseKey: "api_domain",
			HTTP:    cfg.HTTP,
		},
		http:       cfg.HTTP,
		limit:      cfg.RateLimit,
		indexTTL:   cfg.IndexTTL,
		searchWait: cfg.SearchMaxWait,
		indexes:    map[int64]*personIndex{},

		uncertainActivities: map[activityKey]bool{},
	}
	if c.limit.Requests == 0 {
		c.limit = DefaultRateLimit
	}
	if c.indexTTL <= 0 {
		c.indexTTL = 10 * time.Minute
	}
	if c.searchWait <= 0 {
		c.searchWait = 10 * time.Second
	}
	return c
}

// Provider implements crm.Connector.
func (c *Connector) Provider() crmsync.Provider { return crmsync.ProviderPipedrive }

// AuthCodeURL implements crm.Connector. Pipedrive takes client_id,
// redirect_uri and state; no scopes, no PKCE challenge.
func (c *Connector) AuthCodeURL(state, verifier string, opts crm.AuthOptions) (string, error) {
	if state == "" {
		return "", fmt.Errorf("pipedrive: auth code url: state is required")
	}
	return c.flow.AuthCodeURL(state, verifier, nil), nil
}

// Exchange implements crm.Connector. The token's api_domain is the
// company's API host; it must be a Pipedrive host (or the configured one).
func (c *Connector) Exchange(ctx context.Context, code, verifier string, opts crm.AuthOptions, callback map[string]string) (*crmsync.Token, error) {
	tok, err := c.flow.Exchange(ctx, code, verifier)
	if err != nil {
		return nil, fmt.Errorf("pipedrive: exchange code: %w", err)
	}
	if err := c.checkAPIDomain(tok.APIBase); err != nil {
		return nil, fmt.Errorf("pipedrive: exchange code: %w", err)
	}
	return tok, nil
}

// Refresh implements crm.Connector. Pipedrive returns the same refresh
// token with its life extended.
func (c *Connector) Refresh(ctx context.Context, tok *crmsync.Token) (*crmsync.Token, error) {
	next, err := c.flow.Refresh(ctx, tok)
	if err != nil {
		return nil, fmt.Errorf("pipedrive: refresh token: %w", err)
	}
	if err := c.checkAPIDomain(next.APIBase); err != nil {
		return nil, fmt.Errorf("pipedrive: refresh token: %w", err)
	}
	return next, nil
}

// Revoke implements crm.Connector: POST /oauth/revoke with the refresh
// token, which uninstalls the app and ends every access token. Pipedrive
// answers 200 even for a token it no longer knows.
func (c *Connector) Revoke(ctx context.Context, tok *crmsync.Token) error {
	if tok == nil || tok.RefreshToken == "" {
		return nil
	}
	form := url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.oauthBase+"/oauth/revoke", strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("pipedrive: revoke token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(c.flow.App.ClientID, c.flow.App.ClientSecret)
	resp, err := crm.Send(ctx, c.http, req)
	if err != nil {
		return fmt.Errorf("pipedrive: revoke token: %w", err)
	}
	if resp.StatusCode/100 == 2 {
		return nil
	}
	return fmt.Errorf("pipedrive: revoke token: %w", classify(resp.StatusCode, resp.Header, resp.Body))
}

// checkAPIDomain accepts the configured API base, or an https Pipedrive host.
func (c *Connector) checkAPIDomain(base string) error {
	if c.apiBase != "" {
		if strings.TrimRight(base, "/") != c.apiBase {
			return fmt.Errorf("api_domain %q is not the configured %q", base, c.apiBase)
		}
		return nil
	}
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "https" || !strings.HasSuffix(strings.ToLower(u.Hostname()), apiDomainSuffix) || u.User != nil {
		return fmt.Errorf("api_domain %q is not a Pipedrive host", base)
	}
	return nil
}

// base returns the account's API root from its token, checked.
func (c *Connector) base(ctx context.Context, a *crm.Account) (string, error) {
	b, err := a.APIBase(ctx)
	if err != nil {
		return "", err
	}
	if err := c.checkAPIDomain(b); err != nil {
		return "", err
	}
	return strings.TrimRight(b, "/"), nil
}

// me is the part of GET /v1/users/me the connector reads.
type me struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	Email         string `json:"email"`
	CompanyID     int64  `json:"company_id"`
	CompanyName   string `json:"company_name"`
	CompanyDomain string `json:"company_domain"`
}

// Identity implements crm.Connector from GET /v1/users/me: the company
// (its id and name) and the user who installed the app.
func (c *Connector) Identity(ctx context.Context, a *crm.Account) (crm.Identity, error) {
	var m me
	if err := c.getData(ctx, a, "/v1/users/me", &m, nil); err != nil {
		return crm.Identity{}, fmt.Errorf("pipedrive: identity (connection %d): %w", a.ConnectionID, err)
	}
	if m.CompanyID == 0 {
		return crm.Identity{}, fmt.Errorf("pipedrive: identity (connection %d): users/me has no company_id", a.ConnectionID)
	}
	label := m.CompanyName
	if label == "" {
		label = m.CompanyDomain
	}
	return crm.Identity{AccountID: strconv.FormatInt(m.CompanyID, 10), Label: label, UserEmail: m.Email}, nil
}

// user is one entry of GET /v1/users.
type user struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	ActiveFlag bool   `json:"active_flag"`
	IsDeleted  bool   `json:"is_deleted"`
}

// Users implements crm.Connector: the active users of GET /v1/users. A
// token without the users:read scope gets ErrUsersUnsupported.
func (c *Connector) Users(ctx context.Context, a *crm.Account) ([]crm.User, error) {
	var us []user
	if err := c.getData(ctx, a, "/v1/users", &us, nil); err != nil {
		if crm.ProblemOf(err) == crmsync.ProblemPermissionDenied {
			return nil, crm.ErrUsersUnsupported
		}
		return nil, fmt.Errorf("pipedrive: users (connection %d): %w", a.ConnectionID, err)
	}
	out := make([]crm.User, 0, len(us))
	for _, u := range us {
		if u.ActiveFlag && !u.IsDeleted {
			out = append(out, crm.User{ID: strconv.FormatInt(u.ID, 10), Name: u.Name, Email: u.Email})
		}
	}
	return out, nil
}

// DefaultMappings implements crm.Connector. Pipedrive persons have no
// company text field (organizations are separate records), so company is
// not mapped by default.
func (c *Connector) DefaultMappings() []crmsync.FieldMapping {
	return []crmsync.FieldMapping{
		{SourceField: "first_name", CRMField: "first_name"},
		{SourceField: "last_name", CRMField: "last_name"},
		{SourceField: "email", CRMField: "email"},
		{SourceField: "phone", CRMField: "phone"},
		{SourceField: "title", CRMField: "job_title"},
	}
}

// BatchSize implements crm.Connector.
func (c *Connector) BatchSize() int { return MaxBatch }

// Protocol implements crm.Connector.
func (c *Connector) Protocol() crm.Protocol { return protocol{} }

// RateLimit implements crm.Connector.
func (c *Connector) RateLimit() crm.RateLimit { return c.limit }

// schemaAPIDomain is the Schema.Extra key holding the company's api_domain,
// which is also its web host (record pages).
const schemaAPIDomain = "api_domain"

// RecordURL implements crm.Connector: {company host}/person/{id} for a
// contact. Pipedrive shows activities on the person's page and has no page
// of their own, so an activity has no URL ("").
func (c *Connector) RecordURL(a *crm.Account, object crmsync.ObjectType, kind crmsync.ActivityKind, crmID string) string {
	if object == crmsync.ObjectActivity {
		return ""
	}
	base := a.Schema.Extra[schemaAPIDomain]
	if base == "" {
		base = c.apiBase
	}
	if base == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + "/person/" + url.PathEscape(crmID)
}

// envelope is Pipedrive's success body.
type envelope struct {
	Success        bool            `json:"success"`
	Data           json.RawMessage `json:"data"`
	AdditionalData json.RawMessage `json:"additional_data"`
}

// cursorData is additional_data of a v2 list.
type cursorData struct {
	NextCursor *string `json:"next_cursor"`
}

// getData GETs path (with query q) under the account's API base and decodes
// data into out; the v2 next_cursor is returned when the answer has one.
func (c *Connector) getData(ctx context.Context, a *crm.Account, path string, out any, q url.Values) error {
	_, err := c.getPage(ctx, a, path, q, out)
	return err
}

// getPage is getData returning the next cursor ("" on the last page).
func (c *Connector) getPage(ctx context.Context, a *crm.Account, path string, q url.Values, out any) (string, error) {
	base, err := c.base(ctx, a)
	if err != nil {
		return "", err
	}
	u := base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	resp, err := a.Client.Do(ctx, http.MethodGet, u, "", nil)
	if err != nil {
		return "", err
	}
	return decodeEnvelope(resp, path, out)
}

// send writes in as JSON with method to path and decodes data into out.
func (c *Connector) send(ctx context.Context, a *crm.Account, method, path string, in, out any) error {
	base, err := c.base(ctx, a)
	if err != nil {
		return err
	}
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	resp, err := a.Client.Do(ctx, method, base+path, "application/json", body)
	if err != nil {
		return err
	}
	_, err = decodeEnvelope(resp, path, out)
	return err
}

func decodeEnvelope(resp *crm.Response, path string, out any) (string, error) {
	var env envelope
	if err := json.Unmarshal(resp.Body, &env); err != nil {
		return "", fmt.Errorf("decode %s: %w", path, err)
	}
	if out != nil {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return "", fmt.Errorf("decode %s data: %w", path, err)
		}
	}
	var cd cursorData
	if len(env.AdditionalData) > 0 && json.Unmarshal(env.AdditionalData, &cd) == nil && cd.NextCursor != nil {
		return *cd.NextCursor, nil
	}
	return "", nil
}
