package zoho

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// Object (module) names the sandbox stores; they are Zoho's module API names
// and the {object} segment of the control API.
const (
	ModuleContacts = "Contacts"
	ModuleCalls    = "Calls"
	ModuleEvents   = "Events"
	// ObjectEmails holds emails associated with records (associate_email).
	ObjectEmails = "Emails"
	// objectUsers holds the seeded CRM users.
	objectUsers = "users"
)

// Rate-limit window names (the keys of PUT /_sandbox/zoho/rate-limits).
const (
	// WindowCredits is the org's API credits per rolling 24 hours.
	WindowCredits = "credits"
	// WindowConcurrency caps the org's requests in flight; only Max is used.
	WindowConcurrency = "concurrency"
	// WindowSubConcurrency caps heavy calls in flight (record writes of more
	// than 10 records); only Max is used.
	WindowSubConcurrency = "sub_concurrency"
	// WindowTokenRefresh caps access tokens minted per refresh token per
	// rolling 10 minutes.
	WindowTokenRefresh = "token_refresh"
)

// Default limits: an Enterprise org with 10 user licenses. Credits
// 50,000 + 1,000 × licenses per 24 h, concurrency 20, sub-concurrency 10
// (crm-api-facts.md §4.7); ≤ 10 access tokens per refresh token per 10
// minutes (§4.1).
const (
	DefaultCredits        = 60000
	DefaultConcurrency    = 20
	DefaultSubConcurrency = 10
	DefaultTokenRefreshes = 10
)

// DefaultScopes are the scopes crmsync asks for (crm-api-facts.md §4.1),
// granted to tokens the control API mints without naming scopes.
var DefaultScopes = []string{
	"ZohoCRM.modules.contacts.ALL", "ZohoCRM.modules.calls.ALL", "ZohoCRM.modules.events.ALL",
	"ZohoCRM.modules.emails.ALL", "ZohoCRM.settings.fields.ALL", "ZohoCRM.users.READ", "ZohoCRM.org.READ",
}

// tokenDC is the datacenter a grant belongs to: the one recorded at
// consent, or the org's for a grant minted without one (control API).
func (c *CRM) tokenDC(t emu.Token) string {
	if dc := t.Extra["dc"]; dc != "" {
		return dc
	}
	return c.Datacenter().Code
}

// orgZGID is the sandbox org's zgid; its domain_name (and the record-page
// path segment) is "org" + orgZGID.
const orgZGID = "74822955"

// idPrefix starts every id the sandbox hands out, like the org-specific
// prefix of real Zoho ids ("5725767000000524157").
const idPrefix = "5725767"

// objectCodes keep the ids of different modules apart.
var objectCodes = map[string]int{ModuleContacts: 1, ModuleCalls: 2, ModuleEvents: 3, objectUsers: 4}

// moduleIDs are the modules' own ids (module.id in lookups and duplicates).
var moduleIDs = map[string]string{
	ModuleContacts: idPrefix + "000000002179",
	ModuleCalls:    idPrefix + "000000002201",
	ModuleEvents:   idPrefix + "000000002195",
}

// CRM is the Zoho CRM sandbox: every datacenter's accounts server and API
// domain, served under {root}/zoho/{dc}/accounts and {root}/zoho/{dc}/api.
type CRM struct {
	env *emu.Env
	mux *http.ServeMux

	mu   sync.RWMutex
	home Datacenter

	// inflight and heavy count requests being served, for the concurrency
	// caps (WindowConcurrency, WindowSubConcurrency).
	inflight, heavy atomic.Int64
	fieldSeq        atomic.Int64
}

var _ emu.CRM = (*CRM)(nil)

// New returns the Zoho sandbox. Its org lives in the "us" datacenter (see
// SetDatacenter); tokens are 1 hour, refresh tokens never rotate.
func New(cfg emu.Config) *CRM {
	c := &CRM{mux: http.NewServeMux(), home: datacenters["us"]}
	// Zoho never rotates refresh tokens, whatever the config says.
	cfg.RotateRefreshTokens = false
	c.env = emu.NewEnv(cfg, emu.EnvOptions{
		Name:            "zoho",
		Title:           "Zoho CRM",
		AccessTokenTTL:  time.Hour,
		NewAccessToken:  func() string { return "1000." + emu.RandomHex(16) + "." + emu.RandomHex(16) },
		NewRefreshToken: func() string { return "1000." + emu.RandomHex(16) + "." + emu.RandomHex(16) },
		NewID:           newID,
		DefaultScopes:   DefaultScopes,
		Seed:            c.seed,
	})
	c.routes()
	return c
}

// newID makes the n-th id of an object in Zoho's 19-digit format.
func newID(object string, n int64) string {
	code, ok := objectCodes[object]
	if !ok {
		code = 9
	}
	return fmt.Sprintf("%s%03d%09d", idPrefix, code, n)
}

// Name is "zoho", the mount prefix and control-API segment.
func (c *CRM) Name() string { return "zoho" }

// Env is the shared emulator state.
func (c *CRM) Env() *emu.Env { return c.env }

// Handler serves every datacenter's accounts and API paths.
func (c *CRM) Handler() http.Handler { return c.mux }

// WriteFault writes Zoho's INTERNAL_ERROR body with the injected status.
func (c *CRM) WriteFault(w http.ResponseWriter, _ *http.Request, status int) {
	emu.WriteJSON(w, status, newError("INTERNAL_ERROR", "Internal server error occurred.", nil))
}

// Datacenter returns the datacenter the sandbox org lives in.
func (c *CRM) Datacenter() Datacenter {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.home
}

// SetDatacenter moves the sandbox org to the datacenter with the given code
// (us, eu, in, au, jp, ca, sa, cn). Tokens issued in the old datacenter stop
// working, as they would for a different Zoho account. The choice survives
// Reset (it is configuration, not state).
func (c *CRM) SetDatacenter(code string) error {
	dc, ok := LookupDatacenter(code)
	if !ok {
		return fmt.Errorf("zoho: set datacenter: unknown datacenter %q", code)
	}
	c.mu.Lock()
	c.home = dc
	c.mu.Unlock()
	return nil
}

// seed defines the standard layouts, the users and the rate-limit windows;
// it runs at creation and after every Reset.
func (c *CRM) seed(e *emu.Env) {
	c.fieldSeq.Store(0)
	for _, m := range []struct {
		name   string
		fields []emu.Field
	}{{ModuleContacts, contactsFields()}, {ModuleCalls, callsFields()}, {ModuleEvents, eventsFields()}} {
		for _, f := range m.fields {
			f.Extra[extraFieldID] = c.nextFieldID()
			_ = e.Store.DefineField(m.name, f)
		}
	}
	// Upsert matches Contacts by Email (the system duplicate-check field)
	// without scanning.
	e.Store.AddIndex(ModuleContacts, "Email", true)
	// original_message_id is unique per record: the key is "{record id}|{id}".
	_ = e.Store.DefineField(ObjectEmails, emu.Field{Name: "dedupe_key", Label: "Dedupe key", Type: "text", Unique: true})
	e.Store.AddIndex(ObjectEmails, "original_message_id", false)
	for i, u := range e.Config.Users {
		id := u.ID
		if id == "" {
			id = idPrefix + "000000" + strconv.Itoa(411001+i)
		}
		role, profile := NamedID{Name: "Manager", ID: idPrefix + "000000026008"}, NamedID{Name: "Standard", ID: idPrefix + "000000026014"}
		if i == 0 {
			role, profile = NamedID{Name: "CEO", ID: idPrefix + "000000026005"}, NamedID{Name: "Administrator", ID: idPrefix + "000000026011"}
		}
		fields := map[string]any{
			"email": u.Email, "first_name": u.FirstName, "last_name": u.LastName, "active": u.Active,
			"zuid":      strconv.Itoa(71562802 + i),
			"role_name": role.Name, "role_id": role.ID, "profile_name": profile.Name, "profile_id": profile.ID,
		}
		_ = e.Store.Atomic(func(tx *emu.Tx) error {
			_, err := tx.Insert(objectUsers, id, fields)
			return err
		})
	}
	e.Limits.Define(WindowCredits, emu.Window{Max: DefaultCredits, PeriodMS: (24 * time.Hour).Milliseconds(), Rolling: true})
	e.Limits.Define(WindowConcurrency, emu.Window{Max: DefaultConcurrency, PeriodMS: 1000})
	e.Limits.Define(WindowSubConcurrency, emu.Window{Max: DefaultSubConcurrency, PeriodMS: 1000})
	e.Limits.Define(WindowTokenRefresh, emu.Window{Max: DefaultTokenRefreshes, PeriodMS: (10 * time.Minute).Milliseconds(), Rolling: true})
}

// nextFieldID hands out field ids.
func (c *CRM) nextFieldID() string {
	return fmt.Sprintf("%s%03d%09d", idPrefix, 8, 2000+c.fieldSeq.Add(1))
}

func (c *CRM) routes() {
	m := c.mux
	// Accounts server of every datacenter.
	m.HandleFunc("GET /{dc}/accounts/oauth/v2/auth", c.handleAuthorize)
	m.HandleFunc("POST /{dc}/accounts/oauth/v2/auth", c.handleAuthorize)
	m.HandleFunc("POST /{dc}/accounts/oauth/v2/token", c.handleToken)
	m.HandleFunc("POST /{dc}/accounts/oauth/v2/token/revoke", c.handleRevoke)
	m.HandleFunc("POST /{dc}/accounts/oauth/v2/revoke/token", c.handleRevoke)
	m.HandleFunc("GET /{dc}/accounts/oauth/serverinfo", c.handleServerInfo)

	// API domain of every datacenter.
	m.Handle("POST /{dc}/api/crm/{version}/{module}/upsert", c.api(c.handleUpsert))
	m.Handle("POST /{dc}/api/crm/{version}/{module}", c.api(c.handleInsert))
	m.Handle("PUT /{dc}/api/crm/{version}/{module}", c.api(c.handleUpdate))
	m.Handle("PUT /{dc}/api/crm/{version}/{module}/{id}", c.api(c.handleUpdate))
	m.Handle("GET /{dc}/api/crm/{version}/{module}/{id}", c.api(c.handleRecordGet))
	m.Handle("POST /{dc}/api/crm/{version}/{module}/{id}/actions/associate_email", c.api(c.handleAssociateEmail))
	m.Handle("GET /{dc}/api/crm/{version}/settings/fields", c.api(c.handleFieldsList))
	m.Handle("GET /{dc}/api/crm/{version}/settings/fields/{field}", c.api(c.handleFieldGet))
	m.Handle("POST /{dc}/api/crm/{version}/settings/fields", c.api(c.handleFieldsCreate))
	m.Handle("GET /{dc}/api/crm/{version}/users", c.api(c.handleUsers))
	m.Handle("GET /{dc}/api/crm/{version}/org", c.api(c.handleOrg))
	m.HandleFunc("/{dc}/api/", c.handleAPINotFound)

	// CRM web UI record pages.
	m.HandleFunc("GET /{dc}/crm/{org}/tab/{module}/{id}", c.handleRecordPage)
}

// orgCreated is when the sandbox org and its users were created.
var orgCreated = time.Date(2024, 1, 2, 9, 0, 0, 0, time.UTC)
