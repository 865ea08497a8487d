package sandbox

import (
	"github.com/saleshive/crmsync/sandbox/hubspot"
	"github.com/saleshive/crmsync/sandbox/pipedrive"
	"github.com/saleshive/crmsync/sandbox/salesforce"
	"github.com/saleshive/crmsync/sandbox/zoho"
)

// providers is the explicit list of CRMs the sandbox serves, in display
// order. Adding a CRM is one line: crm("name", pkg.New).
var providers = []provider{
	crm("salesforce", salesforce.New),
	crm("hubspot", hubspot.New),
	crm("pipedrive", pipedrive.New),
	crm("zoho", zoho.New),
}
