package salesforce

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// Store object names: Salesforce's own sObject names, also used by the control API
// (GET /_sandbox/salesforce/objects/Contact).
const (
	ObjectContact = "Contact"
	ObjectTask    = "Task"
	ObjectEvent   = "Event"
	ObjectUser    = "User"
	// ObjectPermissionSet and ObjectFieldPermissions hold field-level security: a custom
	// field is visible to the API only once a FieldPermissions record grants it.
	ObjectPermissionSet    = "PermissionSet"
	ObjectFieldPermissions = "FieldPermissions"
)

// WindowDailyAPIRequests is the rate-limit window of the org's API request count: rolling
// 24 hours, 100,000 requests by default (Enterprise Edition base allocation; configurable
// through the control API under this name).
const WindowDailyAPIRequests = "DailyApiRequests"

// DefaultDailyAPIRequests is the default DailyApiRequests maximum.
const DefaultDailyAPIRequests = 100_000

// DefaultSessionTimeout is the access-token lifetime: Salesforce's default org session
// timeout of two hours (the token response does not state it).
const DefaultSessionTimeout = 2 * time.Hour

// DefaultAPIVersion is the version the sandbox advertises in URLs it builds itself.
const DefaultAPIVersion = "v60.0"

// CRM is the Salesforce sandbox: one org with a connected app, served at the mount prefix as
// both the login host and the instance (instance_url is the mount point).
type CRM struct {
	env   *emu.Env
	mux   *http.ServeMux
	orgID string

	// cursors holds open query locators for nextRecordsUrl (bounded, oldest dropped).
	cursorMu sync.Mutex
	cursors  map[string]*cursor
	order    []string
	cursorN  uint64

	// dupRule is the optional active Contact duplicate rule.
	dupMu   sync.Mutex
	dupRule *DuplicateRule
}

var _ emu.CRM = (*CRM)(nil)

// New returns a Salesforce sandbox configured by cfg (client id "crmsync-salesforce", secret
// "crmsync-salesforce-secret", org "Acme Demo (Salesforce)" unless set). Refresh-token
// rotation, the connected app's per-app switch, is cfg.RotateRefreshTokens.
func New(cfg emu.Config) *CRM {
	c := &CRM{mux: http.NewServeMux(), orgID: NewID(PrefixOrg, 1), cursors: map[string]*cursor{}}
	c.env = emu.NewEnv(cfg, emu.EnvOptions{
		Name:            "salesforce",
		Title:           "Salesforce",
		AccessTokenTTL:  DefaultSessionTimeout,
		NewAccessToken:  func() string { return c.orgID[:15] + "!AQ" + emu.RandomHex(48) },
		NewRefreshToken: func() string { return "5Aep861" + emu.RandomHex(40) },
		NewID: func(object string, n int64) string {
			return NewID(objectPrefix(object), uint64(n))
		},
		Seed: c.seed,
	})
	c.routes()
	return c
}

// Name implements emu.CRM.
func (c *CRM) Name() string { return "salesforce" }

// Env implements emu.CRM.
func (c *CRM) Env() *emu.Env { return c.env }

// Handler implements emu.CRM.
func (c *CRM) Handler() http.Handler { return c.mux }

// OrgID is the 18-character id of the emulated org.
func (c *CRM) OrgID() string { return c.orgID }

// WriteFault implements emu.CRM with Salesforce's bodies for server errors: 500
// UNKNOWN_EXCEPTION with an ErrorId message, and 503 SERVER_UNAVAILABLE (503 body
// UNCONFIRMED; Salesforce's maintenance pages are HTML).
func (c *CRM) WriteFault(w http.ResponseWriter, r *http.Request, status int) {
	if status == http.StatusServiceUnavailable {
		writeRESTError(w, newRESTError(status, "SERVER_UNAVAILABLE", "Server temporarily unavailable. Please try again later.", nil))
		return
	}
	writeRESTError(w, newRESTError(status, "UNKNOWN_EXCEPTION",
		"An unexpected error occurred. Please include this ErrorId if you contact support: 1927475913-12345 (-1534587422)", nil))
}

// objectPrefix maps a store object to its key prefix.
func objectPrefix(object string) string {
	if p := keyPrefixOf(object); p != "" {
		return p
	}
	return "a00" // custom objects
}

// seed runs at creation and after every Reset: users, activity lookup indexes and the API
// request window. Custom fields, records and the duplicate rule are gone after a reset.
func (c *CRM) seed(e *emu.Env) {
	// Every seeded user has the System Administrator profile, whose profile-owned permission
	// set holds the field-level security grants.
	profileID := NewID(PrefixProfile, 1)
	_ = e.Store.Atomic(func(tx *emu.Tx) error {
		_, err := tx.Create(ObjectPermissionSet, map[string]any{"Name": "X00e8d0000000001", "Label": "System Administrator",
			"IsOwnedByProfile": true, "ProfileId": profileID})
		return err
	})
	e.Store.AddIndex(ObjectFieldPermissions, "Field", true)
	_ = e.Store.DefineField(ObjectFieldPermissions, emu.Field{Name: fieldPermissionKey, Label: "Parent and field", Type: TypeString, Unique: true, CaseInsensitive: true})
	for _, u := range e.Config.Users {
		fields := map[string]any{
			"Username":  strings.ToLower(u.Email),
			"FirstName": u.FirstName,
			"LastName":  u.LastName,
			"Name":      strings.TrimSpace(u.FirstName + " " + u.LastName),
			"Email":     u.Email,
			"IsActive":  u.Active,
			"UserType":  "Standard",
			"ProfileId": profileID,
		}
		_ = e.Store.Atomic(func(tx *emu.Tx) error {
			_, err := tx.Insert(ObjectUser, u.ID, fields)
			return err
		})
	}
	e.Store.AddIndex(ObjectContact, "Email", true)
	e.Store.AddIndex(ObjectTask, "WhoId", false)
	e.Store.AddIndex(ObjectEvent, "WhoId", false)
	e.Limits.Define(WindowDailyAPIRequests, emu.Window{Max: DefaultDailyAPIRequests, PeriodMS: (24 * time.Hour).Milliseconds(), Rolling: true})
	c.dupMu.Lock()
	c.dupRule = nil
	c.dupMu.Unlock()
	c.cursorMu.Lock()
	c.cursors, c.order = map[string]*cursor{}, nil
	c.cursorMu.Unlock()
}

// routes registers every path the sandbox serves (relative to the mount prefix).
func (c *CRM) routes() {
	m := c.mux
	// OAuth 2.0 and identity (login host).
	m.HandleFunc("GET /services/oauth2/authorize", c.handleAuthorize)
	m.HandleFunc("POST /services/oauth2/authorize", c.handleAuthorize)
	m.HandleFunc("POST /services/oauth2/token", c.handleToken)
	m.HandleFunc("POST /services/oauth2/revoke", c.handleRevoke)
	m.HandleFunc("GET /services/oauth2/revoke", c.handleRevoke)
	m.HandleFunc("GET /services/oauth2/userinfo", c.handleUserInfo)
	m.HandleFunc("POST /services/oauth2/userinfo", c.handleUserInfo)
	m.HandleFunc("POST /services/oauth2/introspect", c.handleIntrospect)
	m.HandleFunc("GET /id/{org}/{user}", c.handleIdentity)

	// REST API (instance).
	m.HandleFunc("GET /services/data", c.handleVersions)
	m.HandleFunc("GET /services/data/{$}", c.handleVersions)
	m.Handle("GET /services/data/{version}", c.api(c.handleResources))
	m.Handle("GET /services/data/{version}/{$}", c.api(c.handleResources))
	m.Handle("GET /services/data/{version}/limits", c.api(c.handleLimits))
	m.Handle("GET /services/data/{version}/limits/{$}", c.api(c.handleLimits))
	m.Handle("GET /services/data/{version}/sobjects", c.api(c.handleGlobalDescribe))
	m.Handle("GET /services/data/{version}/sobjects/{$}", c.api(c.handleGlobalDescribe))
	m.Handle("GET /services/data/{version}/sobjects/{object}", c.api(c.handleObjectInfo))
	m.Handle("POST /services/data/{version}/sobjects/{object}", c.api(c.handleCreate))
	m.Handle("GET /services/data/{version}/sobjects/{object}/describe", c.api(c.handleDescribe))
	m.Handle("GET /services/data/{version}/sobjects/{object}/describe/{$}", c.api(c.handleDescribe))
	m.Handle("GET /services/data/{version}/sobjects/{object}/{id}", c.api(c.handleGet))
	m.Handle("PATCH /services/data/{version}/sobjects/{object}/{id}", c.api(c.handleUpdate))
	m.Handle("GET /services/data/{version}/sobjects/{object}/{field}/{value}", c.api(c.handleGetByExternalID))
	m.Handle("PATCH /services/data/{version}/sobjects/{object}/{field}/{value}", c.api(c.handleUpsert))
	m.Handle("POST /services/data/{version}/composite/sobjects", c.api(c.handleCollectionCreate))
	m.Handle("PATCH /services/data/{version}/composite/sobjects", c.api(c.handleCollectionUpdate))
	m.Handle("GET /services/data/{version}/composite/sobjects/{object}", c.api(c.handleCollectionRetrieve))
	m.Handle("PATCH /services/data/{version}/composite/sobjects/{object}/{field}", c.api(c.handleCollectionUpsert))
	for _, p := range []string{"query", "queryAll"} {
		m.Handle("GET /services/data/{version}/"+p, c.api(c.handleQuery))
		m.Handle("GET /services/data/{version}/"+p+"/{$}", c.api(c.handleQuery))
		m.Handle("GET /services/data/{version}/"+p+"/{locator}", c.api(c.handleQueryMore))
	}
	m.Handle("POST /services/data/{version}/tooling/sobjects/CustomField", c.api(c.handleCustomFieldCreate))
	m.Handle("GET /services/data/{version}/tooling/sobjects/CustomField/{id}", c.api(c.handleCustomFieldGet))
	m.Handle("GET /services/data/{version}/tooling/query", c.api(c.handleToolingQuery))
	m.Handle("GET /services/data/{version}/tooling/query/{$}", c.api(c.handleToolingQuery))
	m.Handle(catchAllPattern, c.api(c.handleUnknownResource))

	// Lightning record pages and the classic short form.
	m.HandleFunc("GET /lightning/r/{object}/{id}/view", c.handleRecordPage)
	m.HandleFunc("GET /{id}", c.handleShortRecordURL)
}

// catchAllPattern answers every data path no other route serves.
const catchAllPattern = "/services/data/{version}/{rest...}"

// handleUnknownResource answers 405 with the allowed methods for a known resource called
// with another method, and 404 NOT_FOUND for anything else.
func (c *CRM) handleUnknownResource(w http.ResponseWriter, r *http.Request, _ *call) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := c.mux.Handler(probe); pattern != "" && pattern != catchAllPattern {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) == 0 {
		writeRESTError(w, errNotFound())
		return
	}
	w.Header().Set("Allow", strings.Join(allowed, ","))
	writeRESTError(w, errMethodNotAllowed(r.Method, allowed...))
}
