package pipedrive

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// Rate-limit window names, as the control API's PUT /_sandbox/pipedrive/rate-limits takes them.
const (
	// WindowBurst is the per-token 2-second burst window of every API call.
	WindowBurst = "burst"
	// WindowSearch is the per-token 2-second window of the search endpoints
	// (10 requests per 2 s on every plan); search calls count in both.
	WindowSearch = "search"
	// WindowDaily is the company's daily token budget, counted in token
	// costs (x-token-cost), resetting at midnight UTC.
	WindowDaily = "daily"
)

// Defaults from reference/crm-api-facts.md §3.7 for a typical paid plan:
// an OAuth app on Growth (formerly "Advanced") with 5 seats.
const (
	// DefaultBurstLimit is requests per 2 s per OAuth access token on Growth.
	DefaultBurstLimit = 160
	// DefaultSearchLimit is search requests per 2 s per token (all plans).
	DefaultSearchLimit = 10
	// DefaultDailyTokens is 30,000 base tokens × Growth multiplier 2 × 5 seats.
	DefaultDailyTokens = 30000 * 2 * 5
	// DefaultCompanyID is the seeded company's id.
	DefaultCompanyID = 13371337
)

// DefaultScopes are the scopes the sandbox's app has (fixed on the app in
// Pipedrive's Developer Hub; the user accepts all of them).
var DefaultScopes = []string{"base", "contacts:full", "activities:full", "users:read", "search:read", "admin"}

// Options are the Pipedrive-specific settings. Zero values take the defaults.
type Options struct {
	// CompanyID is the company's id (users/me company_id, refresh-token prefix). Default DefaultCompanyID.
	CompanyID int64
	// CompanyDomain is the company subdomain (users/me company_domain). Default derived from the account name.
	CompanyDomain string
	// Scopes are the app's scopes, granted on consent. Default DefaultScopes.
	Scopes []string
	// BurstLimit is requests per 2 s per token. Default DefaultBurstLimit.
	BurstLimit int
	// SearchLimit is search requests per 2 s per token. Default DefaultSearchLimit.
	SearchLimit int
	// DailyTokens is the company's daily token budget. Default DefaultDailyTokens.
	DailyTokens int
}

// CRM is the Pipedrive sandbox: it implements emu.CRM.
type CRM struct {
	env       *emu.Env
	opts      Options
	companyID int64
	domain    string
	scopes    []string
	mux       *http.ServeMux
	// fieldMu serialises field creation so v1 field ids stay unique.
	fieldMu sync.Mutex
}

var _ emu.CRM = (*CRM)(nil)

// Name of the CRM as mounted and in the control API.
const Name = "pipedrive"

// New returns a Pipedrive sandbox with the default Options: the root
// sandbox package's constructor.
func New(cfg emu.Config) *CRM { return NewWithOptions(cfg, Options{}) }

// NewWithOptions returns a Pipedrive sandbox seeded with the configured
// users, the standard person fields and the rate-limit windows.
func NewWithOptions(cfg emu.Config, opts Options) *CRM {
	if opts.CompanyID == 0 {
		opts.CompanyID = DefaultCompanyID
	}
	if opts.Scopes == nil {
		opts.Scopes = DefaultScopes
	}
	if opts.BurstLimit == 0 {
		opts.BurstLimit = DefaultBurstLimit
	}
	if opts.SearchLimit == 0 {
		opts.SearchLimit = DefaultSearchLimit
	}
	if opts.DailyTokens == 0 {
		opts.DailyTokens = DefaultDailyTokens
	}
	c := &CRM{opts: opts, companyID: opts.CompanyID, scopes: opts.Scopes}
	c.env = emu.NewEnv(cfg, emu.EnvOptions{
		Name:  Name,
		Title: "Pipedrive",
		// expires_in 3599 as the token endpoint answers it (§3.1: ≈ 60 min).
		AccessTokenTTL: 3599 * time.Second,
		// A refresh token expires after 60 days unused (§3.1). The emulator
		// counts the 60 days from issue, not from last use.
		RefreshTokenTTL: 60 * 24 * time.Hour,
		NewAccessToken:  func() string { return "v1u:" + emu.RandomHex(32) },
		NewRefreshToken: func() string { return strconv.FormatInt(c.companyID, 10) + ":" + emu.RandomHex(24) },
		Seed:            c.seed,
	})
	c.domain = opts.CompanyDomain
	if c.domain == "" {
		c.domain = slug(c.env.Config.AccountName)
	}
	c.routes()
	return c
}

// slug turns an account name into a company subdomain ("Acme Demo (Pipedrive)" → "acme-demo-pipedrive").
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// seed fills a fresh store: users, person fields, rate-limit windows.
func (c *CRM) seed(e *emu.Env) {
	c.seedUsers(e)
	c.seedFields(e)
	// Activities are listed by person (GET /api/v2/activities?person_id=) from an index.
	e.Store.AddIndex(objActivities, "person_id", false)
	e.Limits.Define(WindowBurst, emu.Window{Max: c.opts.BurstLimit, PeriodMS: 2000, Rolling: true})
	e.Limits.Define(WindowSearch, emu.Window{Max: c.opts.SearchLimit, PeriodMS: 2000, Rolling: true})
	// Fixed 24 h windows start at multiples of 24 h since the Unix epoch: midnight UTC.
	e.Limits.Define(WindowDaily, emu.Window{Max: c.opts.DailyTokens, PeriodMS: int64(24 * time.Hour / time.Millisecond)})
}

// Name implements emu.CRM.
func (c *CRM) Name() string { return Name }

// Env implements emu.CRM.
func (c *CRM) Env() *emu.Env { return c.env }

// Handler implements emu.CRM: Pipedrive's OAuth host, API domain and web
// pages, rooted at "/".
func (c *CRM) Handler() http.Handler { return c.mux }

// WriteFault implements emu.CRM with Pipedrive's error envelope.
func (c *CRM) WriteFault(w http.ResponseWriter, _ *http.Request, status int) {
	msg := msgInternal
	if status == http.StatusServiceUnavailable {
		msg = msgUnavailable
	}
	writeError(w, status, msg)
}

// CompanyID is the seeded company's id.
func (c *CRM) CompanyID() int64 { return c.companyID }

// CompanyDomain is the company subdomain users/me reports.
func (c *CRM) CompanyDomain() string { return c.domain }

// route is one API endpoint: the scopes that grant it (any one), its cost in
// the daily token budget (x-token-cost in the vendor OpenAPI files) and
// whether it counts against the search window.
type route struct {
	scopes []string
	cost   int
	search bool
}

// routes registers every path.
func (c *CRM) routes() {
	m := http.NewServeMux()
	c.mux = m
	m.HandleFunc("GET /oauth/authorize", c.handleAuthorize)
	m.HandleFunc("POST /oauth/authorize", c.handleAuthorizeDecision)
	m.HandleFunc("POST /oauth/token", c.handleToken)
	m.HandleFunc("POST /oauth/revoke", c.handleRevoke)
	m.HandleFunc("GET /person/{id}", c.handleRecordPage)

	contactsRead := []string{"contacts:read", "contacts:full"}
	fieldsRead := []string{"contacts:read", "contacts:full", "admin", "contact-fields:full"}
	fieldsWrite := []string{"admin", "contact-fields:full"}
	activitiesRead := []string{"activities:read", "activities:full"}
	api := func(pattern string, rt route, h http.HandlerFunc) {
		m.Handle(pattern, c.api(rt, h))
	}
	api("GET /api/v2/persons", route{contactsRead, 10, false}, c.handlePersonList)
	api("POST /api/v2/persons", route{[]string{"contacts:full"}, 5, false}, c.handlePersonCreate)
	api("GET /api/v2/persons/search", route{[]string{"contacts:read", "contacts:full", "search:read"}, 20, true}, c.handlePersonSearch)
	api("GET /api/v2/persons/{id}", route{contactsRead, 1, false}, c.handlePersonGet)
	api("PATCH /api/v2/persons/{id}", route{[]string{"contacts:full"}, 5, false}, c.handlePersonUpdate)
	api("GET /api/v2/personFields", route{fieldsRead, 10, false}, c.handlePersonFieldsV2)
	api("POST /api/v2/personFields", route{fieldsWrite, 5, false}, c.handlePersonFieldCreateV2)
	api("GET /api/v2/activities", route{activitiesRead, 10, false}, c.handleActivityList)
	api("POST /api/v2/activities", route{[]string{"activities:full"}, 5, false}, c.handleActivityCreate)
	api("GET /api/v2/activities/{id}", route{activitiesRead, 1, false}, c.handleActivityGet)
	api("PATCH /api/v2/activities/{id}", route{[]string{"activities:full"}, 5, false}, c.handleActivityUpdate)
	// v1 is served under /v1 and /api/v1 (the v2 migration guide: "Previously
	// both /api/v1/... and /v1/... could be used").
	for _, p := range []string{"/v1", "/api/v1"} {
		api("GET "+p+"/personFields", route{fieldsRead, 20, false}, c.handlePersonFieldsV1)
		api("POST "+p+"/personFields", route{fieldsWrite, 10, false}, c.handlePersonFieldCreateV1)
		api("GET "+p+"/users", route{[]string{"users:read"}, 20, false}, c.handleUsers)
		api("GET "+p+"/users/me", route{[]string{"base"}, 2, false}, c.handleUsersMe)
	}
	m.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, msgRouteNotFound)
	})
}

// tokenKey carries the authenticated token in the request context.
type tokenKey struct{}

func withToken(ctx context.Context, tok emu.Token) context.Context {
	return context.WithValue(ctx, tokenKey{}, tok)
}

// tokenFrom returns the token api put in the context.
func tokenFrom(ctx context.Context) emu.Token {
	tok, _ := ctx.Value(tokenKey{}).(emu.Token)
	return tok
}

// api wraps an endpoint with authentication, scope checks and rate limits.
// Order as Pipedrive's proxy: credentials first (400/401), then scope (403),
// then the rate limits (429), then the endpoint.
func (c *CRM) api(rt route, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := c.authenticate(w, r)
		if !ok {
			return
		}
		if !hasAnyScope(tok.Scopes, rt.scopes) {
			writeJSON(w, http.StatusForbidden, ErrorBody{Error: "Scope and URL mismatch", ErrorInfo: errorInfo, ErrorCode: http.StatusForbidden})
			return
		}
		if !c.admit(w, tok.AccessToken, rt) {
			return
		}
		h(w, r.WithContext(withToken(r.Context(), tok)))
	})
}

// authenticate checks the bearer token and writes Pipedrive's error when it fails.
func (c *CRM) authenticate(w http.ResponseWriter, r *http.Request) (emu.Token, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		writeAuthError(w, msgUnauthorized)
		return emu.Token{}, false
	}
	scheme, tokStr, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tokStr) == "" {
		writeError(w, http.StatusBadRequest, msgMalformedAuth)
		return emu.Token{}, false
	}
	tok, err := c.env.OAuth.Authenticate(strings.TrimSpace(tokStr))
	if err != nil {
		writeAuthError(w, msgInvalidToken)
		return emu.Token{}, false
	}
	return tok, true
}

func hasAnyScope(have, want []string) bool {
	for _, w := range want {
		for _, h := range have {
			if h == w {
				return true
			}
		}
	}
	return false
}

// admit applies the daily budget and the burst (and search) windows, sets
// the rate-limit headers and writes the 429 when a window is exhausted.
//
// Headers (core-api-concepts-rate-limiting): x-ratelimit-limit,
// x-ratelimit-remaining and x-ratelimit-reset (seconds) describe the burst
// window, or the search window on search endpoints (a live 429 from a search
// endpoint showed x-ratelimit-limit: 10). x-daily-requests-left is documented
// for api_token POST/PUT calls only; the sandbox sends it on every API answer
// with the company's remaining daily token budget (an approximation). A 429
// carries Retry-After, as a live search 429 did (not documented).
func (c *CRM) admit(w http.ResponseWriter, token string, rt route) bool {
	company := strconv.FormatInt(c.companyID, 10)
	daily := c.env.Limits.Peek(company, WindowDaily)
	windows := []string{WindowBurst}
	if rt.search {
		windows = append(windows, WindowSearch)
	}
	var d emu.Decision
	dailyLeft := -1
	if len(daily.Usages) == 1 && daily.Usages[0].Max > 0 && daily.Usages[0].Remaining < rt.cost && !c.env.Limits.Disabled() {
		// Budget exhausted: 429 until the daily reset, burst not counted.
		// Take (rather than Peek) so the throttled counter goes up.
		dd := c.env.Limits.Take(company, rt.cost, WindowDaily)
		d = emu.Decision{Allowed: dd.Allowed, Denied: dd.Denied, Usages: c.env.Limits.Peek(token, windows...).Usages}
		dailyLeft = daily.Usages[0].Remaining
	} else {
		d = c.env.Limits.Take(token, 1, windows...)
		if d.Allowed {
			dd := c.env.Limits.Take(company, rt.cost, WindowDaily)
			if len(dd.Usages) == 1 {
				dailyLeft = dd.Usages[0].Remaining
			}
		} else if len(daily.Usages) == 1 {
			dailyLeft = daily.Usages[0].Remaining
		}
	}
	// The headers describe the tightest window of this endpoint: search on search endpoints.
	var shown *emu.Usage
	for i := range d.Usages {
		u := &d.Usages[i]
		if u.Max > 0 && (shown == nil || u.Window == WindowSearch) {
			shown = u
		}
	}
	if !d.Allowed && d.Denied != nil && d.Denied.Window != WindowDaily {
		shown = d.Denied
	}
	if shown != nil {
		remaining := shown.Remaining
		if !d.Allowed {
			remaining = 0
		}
		w.Header().Set("x-ratelimit-limit", strconv.Itoa(shown.Max))
		w.Header().Set("x-ratelimit-remaining", strconv.Itoa(remaining))
		w.Header().Set("x-ratelimit-reset", strconv.Itoa(ceilSeconds(shown.ResetIn)))
	}
	if dailyLeft >= 0 {
		w.Header().Set("x-daily-requests-left", strconv.Itoa(dailyLeft))
	}
	if d.Allowed {
		return true
	}
	retry := ceilSeconds(d.Denied.ResetIn)
	w.Header().Set("Retry-After", strconv.Itoa(retry))
	writeJSON(w, http.StatusTooManyRequests, ErrorBody{Error: msgOverLimit, ErrorInfo: errorInfo, ErrorCode: http.StatusTooManyRequests})
	return false
}

// ceilSeconds rounds a wait up to whole seconds, at least 1.
func ceilSeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(1, s)
}

// apiDomain is the api_domain handed out with tokens: the sandbox's
// Pipedrive mount point as the client reaches it.
func apiDomain(r *http.Request) string { return emu.BaseURL(r) }

// userIDOf parses a token's user id.
func userIDOf(tok emu.Token) int64 {
	n, _ := strconv.ParseInt(tok.UserID, 10, 64)
	return n
}

// errorf wraps an internal error with the operation.
func errorf(op string, err error) error { return fmt.Errorf("pipedrive: %s: %w", op, err) }
