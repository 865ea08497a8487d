package emu

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"
)

// CRM is one emulated CRM. The root sandbox package mounts each CRM under
// "/{Name()}" on its single port and drives it through Env() from the
// control API; everything under the prefix is served by Handler().
type CRM interface {
	// Name is the CRM's short lowercase name ("hubspot"): its path prefix and
	// the {crm} segment of the control API.
	Name() string
	// Env is the shared machinery (store, OAuth, faults, limits, log, stats)
	// the control API inspects and changes.
	Env() *Env
	// Handler serves the vendor's paths, rooted at "/" (the mount prefix is
	// already stripped). Wrap it with Serve to get faults, stats and the log.
	Handler() http.Handler
	// WriteFault writes the vendor's own error body for an injected server
	// error with the given status (500 or 503).
	WriteFault(w http.ResponseWriter, r *http.Request, status int)
}

// Config configures one emulated CRM. Zero values take the defaults named on
// each field; NewEnv fills them in.
type Config struct {
	// ClientID is the only OAuth client id the CRM accepts. Default "crmsync-{crm}".
	ClientID string
	// ClientSecret is the secret that goes with ClientID. Default "crmsync-{crm}-secret".
	ClientSecret string
	// AccountName is the account (portal, org, company) shown on the consent
	// page and returned as identity. Default "Acme Demo ({Title})".
	AccountName string
	// Users are the seeded users/owners. Nil means DefaultUsers(). A user
	// with an empty ID gets one in the CRM's own id format.
	Users []User
	// Clock is the time source; nil means a new real-time Clock. Share one
	// Clock between CRMs so the control API can advance them together.
	Clock *Clock
	// Seed seeds the random source of faults so runs are repeatable. Default 1.
	Seed uint64
	// RequestLogSize caps the request log. Default 1000.
	RequestLogSize int
	// AccessTokenTTL overrides the CRM's documented access-token lifetime.
	AccessTokenTTL time.Duration
	// RotateRefreshTokens makes refresh return a new refresh token and
	// invalidate the old one, for CRMs where rotation is an app setting.
	RotateRefreshTokens bool
	// RateLimitsDisabled turns every rate limit off from the start.
	RateLimitsDisabled bool
}

// User is a seeded CRM user (HubSpot owner, Salesforce User, Pipedrive user,
// Zoho user).
type User struct {
	// ID is the user's id in the CRM's format; empty lets the CRM assign one.
	ID string `json:"id,omitempty"`
	// Email is the user's login email.
	Email string `json:"email"`
	// FirstName is the user's given name.
	FirstName string `json:"first_name"`
	// LastName is the user's family name.
	LastName string `json:"last_name"`
	// Active is false for a deactivated user.
	Active bool `json:"active"`
}

// DefaultUsers returns the standard seed: three active users and one inactive.
func DefaultUsers() []User {
	return []User{
		{Email: "grace.hopper@acme.example", FirstName: "Grace", LastName: "Hopper", Active: true},
		{Email: "alan.turing@acme.example", FirstName: "Alan", LastName: "Turing", Active: true},
		{Email: "ada.lovelace@acme.example", FirstName: "Ada", LastName: "Lovelace", Active: true},
		{Email: "charles.babbage@acme.example", FirstName: "Charles", LastName: "Babbage", Active: false},
	}
}

// EnvOptions are what a CRM package itself decides about its Env: its name,
// display title and documented token lifetime, and how it seeds itself.
type EnvOptions struct {
	// Name is the CRM's short name ("hubspot").
	Name string
	// Title is the vendor's display name ("HubSpot").
	Title string
	// AccessTokenTTL is the documented access-token lifetime; Config.AccessTokenTTL overrides it.
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is how long a refresh token lives; 0 means forever.
	RefreshTokenTTL time.Duration
	// NewAccessToken makes an access token in the vendor's look; nil means random hex.
	NewAccessToken func() string
	// NewRefreshToken makes a refresh token in the vendor's look; nil means random hex.
	NewRefreshToken func() string
	// NewID makes the id of the n-th record (n from 1) of an object; nil means decimal n.
	NewID func(object string, n int64) string
	// DefaultScopes are granted by the control API's token mint when the
	// request names none: the scopes a connector normally asks for.
	DefaultScopes []string
	// Seed fills the store (users, standard fields, rate-limit windows) after
	// creation and after every Reset. It may be nil.
	Seed func(e *Env)
}

// Env bundles the machinery one emulated CRM is built from. All fields are
// safe for concurrent use.
type Env struct {
	// Name is the CRM's short name.
	Name string
	// Title is the vendor's display name.
	Title string
	// Config is the configuration with defaults filled in.
	Config Config
	// Clock is the time source for tokens, records and rate limits.
	Clock *Clock
	// Store holds the CRM's records and field definitions.
	Store *Store
	// OAuth is the CRM's authorization server state.
	OAuth *OAuth
	// Faults holds the injected faults applied by Serve.
	Faults *Faults
	// Limits holds the CRM's rate-limit windows.
	Limits *Limits
	// Requests is the bounded request log written by Serve.
	Requests *RequestLog
	// Stats counts requests, throttled responses and token activity.
	Stats *Stats
	// DefaultScopes are what a minted token gets when no scopes are asked for.
	DefaultScopes []string

	seed  func(*Env)
	reset sync.Mutex
}

// NewEnv returns the Env for one CRM: Config defaults filled in, an empty
// store, the OAuth server for the configured client, and Seed applied.
func NewEnv(cfg Config, o EnvOptions) *Env {
	if cfg.ClientID == "" {
		cfg.ClientID = "crmsync-" + o.Name
	}
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = "crmsync-" + o.Name + "-secret"
	}
	if cfg.AccountName == "" {
		cfg.AccountName = "Acme Demo (" + o.Title + ")"
	}
	if cfg.Users == nil {
		cfg.Users = DefaultUsers()
	}
	if cfg.Clock == nil {
		cfg.Clock = NewClock(nil)
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.RequestLogSize <= 0 {
		cfg.RequestLogSize = 1000
	}
	ttl := o.AccessTokenTTL
	if cfg.AccessTokenTTL > 0 {
		ttl = cfg.AccessTokenTTL
	}
	e := &Env{
		Name:     o.Name,
		Title:    o.Title,
		Config:   cfg,
		Clock:    cfg.Clock,
		Stats:    &Stats{},
		Faults:   NewFaults(cfg.Seed),
		Requests: NewRequestLog(cfg.RequestLogSize),
		seed:     o.Seed,

		DefaultScopes: o.DefaultScopes,
	}
	e.Store = NewStore(e.Clock, o.NewID)
	e.Limits = NewLimits(e.Clock, e.Stats)
	e.OAuth = NewOAuth(OAuthConfig{
		ClientID:        cfg.ClientID,
		ClientSecret:    cfg.ClientSecret,
		AccessTTL:       ttl,
		RefreshTTL:      o.RefreshTokenTTL,
		RotateRefresh:   cfg.RotateRefreshTokens,
		NewAccessToken:  o.NewAccessToken,
		NewRefreshToken: o.NewRefreshToken,
		Clock:           e.Clock,
		Stats:           e.Stats,
	})
	e.Limits.SetDisabled(cfg.RateLimitsDisabled)
	if e.seed != nil {
		e.seed(e)
	}
	return e
}

// Reset returns the CRM to its just-created state: records, tokens, faults,
// rate-limit usage, the request log and stats are cleared and Seed runs
// again. Rate-limit windows go back to the values Seed defines.
func (e *Env) Reset() {
	e.reset.Lock()
	defer e.reset.Unlock()
	e.Store.Reset()
	e.OAuth.Reset()
	e.Faults.Clear()
	e.Limits.Reset()
	e.Limits.SetDisabled(e.Config.RateLimitsDisabled)
	e.Requests.Clear()
	e.Stats.Reset()
	if e.seed != nil {
		e.seed(e)
	}
}

// Now is the CRM's current time.
func (e *Env) Now() time.Time { return e.Clock.Now() }

// Clock is a time source that tests can move forward (to expire tokens or
// empty rate-limit windows) without sleeping. A nil *Clock reads real time.
type Clock struct {
	mu     sync.Mutex
	now    func() time.Time
	offset time.Duration
}

// NewClock returns a Clock reading now (time.Now when nil).
func NewClock(now func() time.Time) *Clock {
	if now == nil {
		now = time.Now
	}
	return &Clock{now: now}
}

// Now returns the base time plus every Advance so far, in UTC.
func (c *Clock) Now() time.Time {
	if c == nil {
		return time.Now().UTC()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now().Add(c.offset).UTC()
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

type prefixKey struct{}

// Mount serves h under prefix (like "/hubspot"): it strips the prefix and
// remembers it so BaseURL can build absolute URLs.
func Mount(prefix string, h http.Handler) http.Handler {
	prefix = strings.TrimRight(prefix, "/")
	strip := http.StripPrefix(prefix, h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), prefixKey{}, prefix)
		strip.ServeHTTP(w, r.WithContext(ctx))
	})
}

// BaseURL is the absolute URL of the CRM's mount point as the client sees
// it ("http://127.0.0.1:4321/hubspot"), from the request's Host (or
// X-Forwarded-Host), the scheme (X-Forwarded-Proto, else TLS) and the prefix
// given to Mount. CRMs use it for instance_url, api_domain and record links.
func BaseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		scheme = strings.TrimSpace(strings.Split(p, ",")[0])
	}
	host := r.Host
	if h := r.Header.Get("X-Forwarded-Host"); h != "" {
		host = strings.TrimSpace(strings.Split(h, ",")[0])
	}
	prefix, _ := r.Context().Value(prefixKey{}).(string)
	return scheme + "://" + host + prefix
}
