package zoho

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/saleshive/crmsync"
)

// Datacenter is one Zoho datacenter's hosts.
type Datacenter struct {
	// Location is Zoho's location code ("us", "eu", …), the callback's
	// `location` parameter.
	Location crmsync.ZohoDatacenter
	// AccountsURL is the accounts server (OAuth authorize, token, revoke).
	AccountsURL string
	// APIDomain is the API domain a token of this datacenter names.
	APIDomain string
	// CRMURL is the CRM web app, for record links.
	CRMURL string
}

// Datacenters is the allowlist of Zoho's real datacenters
// (crm-api-facts.md §4.1: accounts and API hosts from Zoho's SDK, web hosts
// third-party confirmed). UK is left out: Zoho's SDK knows no UK datacenter.
var Datacenters = []Datacenter{
	{Location: "us", AccountsURL: "https://accounts.zoho.com", APIDomain: "https://www.zohoapis.com", CRMURL: "https://crm.zoho.com"},
	{Location: "eu", AccountsURL: "https://accounts.zoho.eu", APIDomain: "https://www.zohoapis.eu", CRMURL: "https://crm.zoho.eu"},
	{Location: "in", AccountsURL: "https://accounts.zoho.in", APIDomain: "https://www.zohoapis.in", CRMURL: "https://crm.zoho.in"},
	{Location: "au", AccountsURL: "https://accounts.zoho.com.au", APIDomain: "https://www.zohoapis.com.au", CRMURL: "https://crm.zoho.com.au"},
	{Location: "jp", AccountsURL: "https://accounts.zoho.jp", APIDomain: "https://www.zohoapis.jp", CRMURL: "https://crm.zoho.jp"},
	{Location: "ca", AccountsURL: "https://accounts.zohocloud.ca", APIDomain: "https://www.zohoapis.ca", CRMURL: "https://crm.zohocloud.ca"},
	{Location: "sa", AccountsURL: "https://accounts.zoho.sa", APIDomain: "https://www.zohoapis.sa", CRMURL: "https://crm.zoho.sa"},
	{Location: "cn", AccountsURL: "https://accounts.zoho.com.cn", APIDomain: "https://www.zohoapis.com.cn", CRMURL: "https://crm.zoho.com.cn"},
}

// SandboxDatacenters is the allowlist for the local sandbox served at base
// ("{root}/zoho"): every datacenter's accounts server, API domain and web
// app under base/{location}.
func SandboxDatacenters(base string) []Datacenter {
	base = strings.TrimRight(base, "/")
	out := make([]Datacenter, len(Datacenters))
	for i, dc := range Datacenters {
		root := base + "/" + string(dc.Location)
		out[i] = Datacenter{Location: dc.Location, AccountsURL: root + "/accounts", APIDomain: root + "/api", CRMURL: root}
	}
	return out
}

// sameURL compares two base URLs ignoring case of scheme and host and a
// trailing slash.
func sameURL(a, b string) bool {
	ua, err1 := url.Parse(strings.TrimRight(a, "/"))
	ub, err2 := url.Parse(strings.TrimRight(b, "/"))
	if err1 != nil || err2 != nil {
		return false
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host) && ua.Path == ub.Path
}

// byLocation returns the allowlisted datacenter with the given location.
func (c *Connector) byLocation(loc crmsync.ZohoDatacenter) (Datacenter, error) {
	if loc == "" {
		loc = crmsync.ZohoUS
	}
	for _, dc := range c.dcs {
		if strings.EqualFold(string(dc.Location), string(loc)) {
			return dc, nil
		}
	}
	return Datacenter{}, fmt.Errorf("zoho: unknown datacenter %q", loc)
}

// byAccountsURL returns the datacenter whose accounts server is u.
func (c *Connector) byAccountsURL(u string) (Datacenter, error) {
	for _, dc := range c.dcs {
		if sameURL(dc.AccountsURL, u) {
			return dc, nil
		}
	}
	return Datacenter{}, fmt.Errorf("zoho: accounts server %q is not a Zoho datacenter", u)
}

// byAPIDomain returns the datacenter whose API domain is u. A token naming
// any other host is refused, so tokens and data never leave Zoho.
func (c *Connector) byAPIDomain(u string) (Datacenter, error) {
	for _, dc := range c.dcs {
		if sameURL(dc.APIDomain, u) {
			return dc, nil
		}
	}
	return Datacenter{}, fmt.Errorf("zoho: api_domain %q is not a Zoho datacenter", u)
}
