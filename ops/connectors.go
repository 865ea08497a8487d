package ops

import (
	"net/http"
	"strings"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
	"github.com/saleshive/crmsync/crm/hubspot"
	"github.com/saleshive/crmsync/crm/pipedrive"
	"github.com/saleshive/crmsync/crm/salesforce"
	"github.com/saleshive/crmsync/crm/zoho"
)

// OAuthClient is crmsync's registration with one CRM, and optionally where
// that CRM is (a sandbox) instead of the vendor's real hosts.
type OAuthClient struct {
	ClientID     string // empty: the CRM is not offered
	ClientSecret string
	// BaseURL, when set, replaces every host of the CRM: a `crmsync
	// sandbox` serves HubSpot at {sandbox}/hubspot, Salesforce at
	// {sandbox}/salesforce, Pipedrive at {sandbox}/pipedrive and Zoho's
	// datacenters at {sandbox}/zoho/{dc}/accounts and /api.
	BaseURL string
}

// ConnectorConfig is everything the connector list is built from.
type ConnectorConfig struct {
	// PublicURL is crmsync's public base URL; every connector's OAuth
	// redirect is PublicURL + "/oauth/callback".
	PublicURL string
	Clients   map[crmsync.Provider]OAuthClient
	// HTTP is used for token requests; nil means http.DefaultClient.
	HTTP *http.Client
}

// CallbackPath is the route the CRMs send users back to after consent.
const CallbackPath = "/oauth/callback"

// SandboxConnectors configures every CRM against the sandbox served at
// sandboxURL, with the sandbox's OAuth clients (crmsync-{crm} /
// crmsync-{crm}-secret).
func SandboxConnectors(sandboxURL, publicURL string) ConnectorConfig {
	cfg := ConnectorConfig{PublicURL: publicURL, Clients: map[crmsync.Provider]OAuthClient{}}
	root := strings.TrimRight(sandboxURL, "/")
	for _, p := range crmsync.Providers {
		cfg.Clients[p] = OAuthClient{
			ClientID:     "crmsync-" + string(p),
			ClientSecret: "crmsync-" + string(p) + "-secret",
			BaseURL:      root + "/" + string(p),
		}
	}
	return cfg
}

// Connectors builds the explicit connector list: one per CRM that has a
// client id. This is the only place connectors are wired.
func Connectors(cfg ConnectorConfig) []crm.Connector {
	redirect := strings.TrimRight(cfg.PublicURL, "/") + CallbackPath
	var out []crm.Connector
	for _, p := range crmsync.Providers {
		c, ok := cfg.Clients[p]
		if !ok || c.ClientID == "" {
			continue
		}
		app := crm.OAuthApp{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: redirect}
		base := strings.TrimRight(c.BaseURL, "/")
		switch p {
		case crmsync.ProviderHubSpot:
			out = append(out, hubspot.New(hubspot.Config{App: app, APIBaseURL: base, AppBaseURL: base, HTTP: cfg.HTTP}))
		case crmsync.ProviderSalesforce:
			out = append(out, salesforce.New(salesforce.Config{App: app, LoginURL: base, HTTP: cfg.HTTP}))
		case crmsync.ProviderPipedrive:
			out = append(out, pipedrive.New(pipedrive.Config{App: app, OAuthBaseURL: base, APIBaseURL: base, HTTP: cfg.HTTP}))
		case crmsync.ProviderZoho:
			zc := zoho.Config{App: app, HTTP: cfg.HTTP}
			if base != "" {
				zc.Datacenters = zoho.SandboxDatacenters(base)
			}
			out = append(out, zoho.New(zc))
		}
	}
	return out
}
