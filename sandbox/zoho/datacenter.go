package zoho

import "sort"

// Datacenter is one Zoho datacenter: its own accounts server, API domain and
// CRM web host. A Zoho user (and org) lives in exactly one datacenter, and
// tokens issued there are rejected everywhere else.
type Datacenter struct {
	// Code is the path segment the sandbox serves the datacenter under
	// ({root}/zoho/{Code}/…); it equals Zoho's `location` value.
	Code string
	// Name is a human label ("United States", "Europe", …).
	Name string
	// AccountsHost is the real accounts server (OAuth authorize/token/revoke).
	AccountsHost string
	// APIHost is the real API domain returned as `api_domain`.
	APIHost string
	// CRMHost is the real CRM web UI host used for record links.
	CRMHost string
	// MultiDC reports whether the datacenter takes part in Zoho's multi-DC
	// consent (a client registered at accounts.zoho.com can reach its users).
	// China does not: a China org consents at accounts.zoho.com.cn directly.
	MultiDC bool
}

// datacenters is the sandbox's datacenter table. Hosts per
// reference/crm-api-facts.md §4.1 (accounts/API hosts CONFIRMED by Zoho's
// Python SDK dc classes; CRM web hosts CONFIRMED (third-party)).
var datacenters = map[string]Datacenter{
	"us": {Code: "us", Name: "United States", AccountsHost: "accounts.zoho.com", APIHost: "www.zohoapis.com", CRMHost: "crm.zoho.com", MultiDC: true},
	"eu": {Code: "eu", Name: "Europe", AccountsHost: "accounts.zoho.eu", APIHost: "www.zohoapis.eu", CRMHost: "crm.zoho.eu", MultiDC: true},
	"in": {Code: "in", Name: "India", AccountsHost: "accounts.zoho.in", APIHost: "www.zohoapis.in", CRMHost: "crm.zoho.in", MultiDC: true},
	"au": {Code: "au", Name: "Australia", AccountsHost: "accounts.zoho.com.au", APIHost: "www.zohoapis.com.au", CRMHost: "crm.zoho.com.au", MultiDC: true},
	"jp": {Code: "jp", Name: "Japan", AccountsHost: "accounts.zoho.jp", APIHost: "www.zohoapis.jp", CRMHost: "crm.zoho.jp", MultiDC: true},
	"ca": {Code: "ca", Name: "Canada", AccountsHost: "accounts.zohocloud.ca", APIHost: "www.zohoapis.ca", CRMHost: "crm.zohocloud.ca", MultiDC: true},
	"sa": {Code: "sa", Name: "Saudi Arabia", AccountsHost: "accounts.zoho.sa", APIHost: "www.zohoapis.sa", CRMHost: "crm.zoho.sa", MultiDC: true},
	"cn": {Code: "cn", Name: "China", AccountsHost: "accounts.zoho.com.cn", APIHost: "www.zohoapis.com.cn", CRMHost: "crm.zoho.com.cn", MultiDC: false},
}

// Datacenters returns every datacenter the sandbox serves, sorted by code.
func Datacenters() []Datacenter {
	out := make([]Datacenter, 0, len(datacenters))
	for _, dc := range datacenters {
		out = append(out, dc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// LookupDatacenter returns the datacenter with the given code (us, eu, in, au,
// jp, ca, sa, cn).
func LookupDatacenter(code string) (Datacenter, bool) {
	dc, ok := datacenters[code]
	return dc, ok
}
