package hubspot

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// HubID is the portal (hub) id of the emulated account, returned as hub_id
// by the token endpoint and used in record URLs.
const HubID = 62515

// Rate-limit window names (PUT /_sandbox/hubspot/rate-limits uses them).
const (
	// WindowTenSecondly is the 10-second rolling window of a public OAuth
	// app: 110 requests per installing account (usage-details page).
	WindowTenSecondly = "ten_secondly_rolling"
	// WindowDaily is the daily limit, which OAuth apps do not have: its max
	// is 0 (off) until a test sets one to see the DAILY policy.
	WindowDaily = "daily"
	// WindowSearch is the CRM Search API's 5 requests per second, which
	// answers without rate-limit headers.
	WindowSearch = "search_secondly"
)

// Scopes a connector asks for (crm-api-facts §2.1). Engagement objects are
// governed by the contacts scopes.
const (
	ScopeOAuth          = "oauth"
	ScopeContactsRead   = "crm.objects.contacts.read"
	ScopeContactsWrite  = "crm.objects.contacts.write"
	ScopeSchemasRead    = "crm.schemas.contacts.read"
	ScopeSchemasWrite   = "crm.schemas.contacts.write"
	ScopeOwnersRead     = "crm.objects.owners.read"
	accessTokenLifetime = 30 * time.Minute
)

// DefaultScopes are the scopes crmsync's HubSpot connector requests.
var DefaultScopes = []string{ScopeOAuth, ScopeContactsRead, ScopeContactsWrite, ScopeSchemasRead, ScopeSchemasWrite, ScopeOwnersRead}

// CRM is the HubSpot emulator: OAuth (app.hubspot.com and api.hubapi.com
// both under one base URL), the CRM v3 object, property and owner APIs for
// contacts, calls, emails, meetings and notes, rate limits, and the contact
// record page.
type CRM struct {
	env *emu.Env
	mux *http.ServeMux
}

var _ emu.CRM = (*CRM)(nil)

// New returns a HubSpot emulator configured by cfg.
func New(cfg emu.Config) *CRM {
	c := &CRM{mux: http.NewServeMux()}
	c.env = emu.NewEnv(cfg, emu.EnvOptions{
		Name:            "hubspot",
		Title:           "HubSpot",
		AccessTokenTTL:  accessTokenLifetime,
		NewAccessToken:  newAccessToken,
		NewRefreshToken: emu.NewUUID,
		NewID:           newID,
		DefaultScopes:   DefaultScopes,
		Seed:            seed,
	})
	c.routes()
	return c
}

// Name implements emu.CRM.
func (c *CRM) Name() string { return "hubspot" }

// Env implements emu.CRM.
func (c *CRM) Env() *emu.Env { return c.env }

// Handler implements emu.CRM.
func (c *CRM) Handler() http.Handler { return c.mux }

// WriteFault implements emu.CRM: HubSpot's error body for a server error.
func (c *CRM) WriteFault(w http.ResponseWriter, r *http.Request, status int) {
	msg := "internal error"
	if status == http.StatusServiceUnavailable {
		msg = "Service Unavailable"
	}
	writeError(w, status, apiError{Message: msg})
}

func (c *CRM) routes() {
	m := c.mux
	// OAuth (app.hubspot.com for the consent page, api.hubapi.com for the rest).
	m.HandleFunc("GET /oauth/authorize", c.handleAuthorize)
	m.HandleFunc("POST /oauth/authorize", c.handleAuthorize)
	m.HandleFunc("GET /oauth/{hubId}/authorize", c.handleAuthorize)
	m.HandleFunc("POST /oauth/{hubId}/authorize", c.handleAuthorize)
	for _, v := range []string{"v1", "v3", "2026-03"} {
		m.HandleFunc("POST /oauth/"+v+"/token", c.handleToken)
	}
	m.HandleFunc("GET /oauth/v1/access-tokens/{token}", c.handleAccessTokenInfo)
	m.HandleFunc("GET /oauth/v1/refresh-tokens/{token}", c.handleRefreshTokenInfo)
	m.HandleFunc("DELETE /oauth/v1/refresh-tokens/{token}", c.handleRefreshTokenDelete)
	for _, v := range []string{"v3", "2026-03"} {
		m.HandleFunc("POST /oauth/"+v+"/token/revoke", c.handleTokenRevoke)
		m.HandleFunc("POST /oauth/"+v+"/token/introspect", c.handleTokenIntrospect)
	}

	// CRM v3 objects.
	read := []string{ScopeContactsRead, ScopeContactsWrite}
	write := []string{ScopeContactsWrite}
	m.HandleFunc("GET /crm/v3/objects/{objectType}", c.api(read, c.handleObjectList))
	m.HandleFunc("POST /crm/v3/objects/{objectType}", c.api(write, c.handleObjectCreate))
	m.HandleFunc("GET /crm/v3/objects/{objectType}/{objectId}", c.api(read, c.handleObjectShow))
	m.HandleFunc("PATCH /crm/v3/objects/{objectType}/{objectId}", c.api(write, c.handleObjectUpdate))
	m.HandleFunc("POST /crm/v3/objects/{objectType}/batch/create", c.api(write, c.handleBatchCreate))
	m.HandleFunc("POST /crm/v3/objects/{objectType}/batch/read", c.api(read, c.handleBatchRead))
	m.HandleFunc("POST /crm/v3/objects/{objectType}/batch/upsert", c.api(write, c.handleBatchUpsert))
	m.HandleFunc("POST /crm/v3/objects/{objectType}/search", c.search(read, c.handleSearch))

	m.HandleFunc("POST /crm/v3/objects/{objectType}/batch/update", c.api(write, c.handleBatchUpdate))

	// Associations v4.
	m.HandleFunc("PUT /crm/v4/objects/{objectType}/{objectId}/associations/default/{toObjectType}/{toObjectId}", c.api(write, c.handleAssociationDefault))
	m.HandleFunc("PUT /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}", c.api(write, c.handleAssociationCreate))
	m.HandleFunc("GET /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}", c.api(read, c.handleAssociationList))

	// Properties.
	m.HandleFunc("GET /crm/v3/properties/{objectType}", c.api([]string{ScopeSchemasRead, ScopeSchemasWrite, ScopeContactsRead}, c.handlePropertyList))
	m.HandleFunc("GET /crm/v3/properties/{objectType}/{propertyName}", c.api([]string{ScopeSchemasRead, ScopeSchemasWrite, ScopeContactsRead}, c.handlePropertyShow))
	m.HandleFunc("POST /crm/v3/properties/{objectType}", c.api([]string{ScopeSchemasWrite}, c.handlePropertyCreate))
	m.HandleFunc("DELETE /crm/v3/properties/{objectType}/{propertyName}", c.api([]string{ScopeSchemasWrite}, c.handlePropertyArchive))

	// Owners and account.
	m.HandleFunc("GET /crm/v3/owners", c.api([]string{ScopeOwnersRead}, c.handleOwnerList))
	m.HandleFunc("GET /crm/v3/owners/{$}", c.api([]string{ScopeOwnersRead}, c.handleOwnerList)) // the SDKs' path
	m.HandleFunc("GET /crm/v3/owners/{ownerId}", c.api([]string{ScopeOwnersRead}, c.handleOwnerShow))
	m.HandleFunc("GET /account-info/v3/details", c.api(nil, c.handleAccountDetails))

	// Web UI record pages (app.hubspot.com).
	m.HandleFunc("GET /contacts/{hubId}/record/{objectTypeId}/{recordId}", c.handleRecordPage)
	m.HandleFunc("GET /contacts/{hubId}/contact/{recordId}", c.handleLegacyRecordPage)

	m.HandleFunc("/", c.handleNotFound)
}

// handleNotFound answers paths HubSpot does not have the way its gateway does.
func (c *CRM) handleNotFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, apiError{Message: "resource not found"})
}

// seed defines the built-in properties, the owners and the rate-limit windows.
func seed(e *emu.Env) {
	for _, ot := range objectTypes {
		for _, p := range ot.builtins() {
			if err := e.Store.DefineField(ot.name, p); err != nil {
				panic(fmt.Sprintf("hubspot: seed %s: %v", ot.name, err))
			}
		}
	}
	seedOwners(e)
	e.Limits.Define(WindowTenSecondly, emu.Window{Max: 110, PeriodMS: 10_000, Rolling: true})
	e.Limits.Define(WindowDaily, emu.Window{Max: 0, PeriodMS: 24 * 3_600_000})
	e.Limits.Define(WindowSearch, emu.Window{Max: 5, PeriodMS: 1000, Rolling: true})
}

// idBase keeps each object's ids in its own numeric range, as HubSpot's are
// distinct across engagement types.
var idBase = map[string]int64{
	"contacts": 1000,
	"calls":    41_000_000_000,
	"emails":   42_000_000_000,
	"meetings": 43_000_000_000,
	"notes":    44_000_000_000,
	"owners":   41_629_778,
}

func newID(object string, n int64) string { return strconv.FormatInt(idBase[object]+n, 10) }

// newAccessToken looks like HubSpot's: region-prefixed, base64url-ish, ~80 chars.
func newAccessToken() string {
	return "CN" + emu.RandomHex(8) + "-na1-" + emu.RandomHex(28)
}
