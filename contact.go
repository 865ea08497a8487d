package crmsync

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"time"
)

// Contact is a person in a client's SalesHive workspace: the record crmsync
// mirrors into the CRM's contact (HubSpot contact, Salesforce Contact,
// Pipedrive person, Zoho Contacts).
type Contact struct {
	ID          int64  `json:"id"`
	WorkspaceID int64  `json:"-"`
	SourceID    string `json:"source_id"` // the platform's own id; unique per workspace
	FirstName   string `json:"first_name,omitempty"`
	LastName    string `json:"last_name,omitempty"`
	Email       string `json:"email,omitempty"`
	Phone       string `json:"phone,omitempty"`
	Title       string `json:"title,omitempty"`
	Company     string `json:"company,omitempty"`
	Website     string `json:"website,omitempty"`
	City        string `json:"city,omitempty"`
	State       string `json:"state,omitempty"`
	Country     string `json:"country,omitempty"`
	LeadSource  string `json:"lead_source,omitempty"`
	// CustomFields holds extra SalesHive fields by key; field mappings can
	// send them to CRM fields.
	CustomFields map[string]string `json:"custom_fields,omitempty"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
}

// Field-size limits shared by validation and the store.
const (
	MaxSourceIDLen    = 255
	MaxNameLen        = 80 // Salesforce FirstName is 40 and LastName 80; longer names are rejected by some CRMs
	MaxTextLen        = 255
	MaxCustomFields   = 50
	MaxCustomValueLen = 1000
)

var customKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// Validate reports every invalid field of c.
func (c *Contact) Validate() error {
	var v Validation
	checkRequired(&v, "source_id", c.SourceID, MaxSourceIDLen)
	if c.FirstName == "" && c.LastName == "" && c.Email == "" {
		v.Add("last_name", "is required when first_name and email are empty; every CRM needs a name or an email")
	}
	checkLen(&v, "first_name", c.FirstName, MaxNameLen)
	checkLen(&v, "last_name", c.LastName, MaxNameLen)
	checkLen(&v, "email", c.Email, 254)
	checkEmail(&v, "email", c.Email)
	for _, f := range []struct{ name, value string }{
		{"phone", c.Phone}, {"title", c.Title}, {"company", c.Company}, {"website", c.Website},
		{"city", c.City}, {"state", c.State}, {"country", c.Country}, {"lead_source", c.LeadSource},
	} {
		checkLen(&v, f.name, f.value, MaxTextLen)
	}
	checkURL(&v, "website", c.Website)
	if len(c.CustomFields) > MaxCustomFields {
		v.Add("custom_fields", "has %d fields; send at most %d", len(c.CustomFields), MaxCustomFields)
	}
	keys := make([]string, 0, len(c.CustomFields))
	for k := range c.CustomFields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := fmt.Sprintf("custom_fields.%s", k)
		if !customKeyPattern.MatchString(k) {
			v.Add(name, "key must start with a lowercase letter and use only a-z, 0-9 and _ (at most 64 characters)")
		}
		checkLen(&v, name, c.CustomFields[k], MaxCustomValueLen)
	}
	return v.Err("The contact has invalid fields.")
}

// ContactFields lists the SalesHive contact fields a field mapping can read,
// in display order. Custom fields are addressed as "custom.<key>".
var ContactFields = []string{
	"first_name", "last_name", "email", "phone", "title", "company",
	"website", "city", "state", "country", "lead_source",
}

// FieldValue returns the value of a SalesHive contact field by its mapping
// name ("email", "custom.industry"), and whether that name is known.
func (c *Contact) FieldValue(name string) (string, bool) {
	switch name {
	case "first_name":
		return c.FirstName, true
	case "last_name":
		return c.LastName, true
	case "email":
		return c.Email, true
	case "phone":
		return c.Phone, true
	case "title":
		return c.Title, true
	case "company":
		return c.Company, true
	case "website":
		return c.Website, true
	case "city":
		return c.City, true
	case "state":
		return c.State, true
	case "country":
		return c.Country, true
	case "lead_source":
		return c.LeadSource, true
	}
	if len(name) > len("custom.") && name[:len("custom.")] == "custom." {
		return c.CustomFields[name[len("custom."):]], true
	}
	return "", false
}

// ContactFilter selects contacts of one workspace. Results are ordered by id;
// AfterID pages through them.
type ContactFilter struct {
	AfterID int64
	Limit   int // 0 means the store's default (100); at most 1000
}

// ContactService stores contacts. Every method is scoped to one workspace.
//
// UpsertContacts validates every contact first and writes nothing if any is
// invalid (EINVALID listing each bad record by index). It is idempotent on
// SourceID: an existing contact is updated in place, keeping its ID. Each
// write appends to the change log in the same transaction. On return each
// contact has its ID, CreatedAt and UpdatedAt set.
type ContactService interface {
	UpsertContacts(ctx context.Context, workspaceID int64, contacts []*Contact) (UpsertResult, error)
	FindContactByID(ctx context.Context, workspaceID, id int64) (*Contact, error)
	FindContactBySourceID(ctx context.Context, workspaceID int64, sourceID string) (*Contact, error)
	FindContacts(ctx context.Context, workspaceID int64, filter ContactFilter) ([]*Contact, error)
	// FindContactIDs returns the IDs of the page FindContacts would return
	// for filter, without reading the contacts.
	FindContactIDs(ctx context.Context, workspaceID int64, filter ContactFilter) ([]int64, error)
	// FindContactsByIDs returns the contacts of the workspace among ids, in
	// no particular order; unknown ids are left out.
	FindContactsByIDs(ctx context.Context, workspaceID int64, ids []int64) ([]*Contact, error)
	CountContacts(ctx context.Context, workspaceID int64) (int, error)
}

// UpsertResult counts what an upsert did.
type UpsertResult struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
}
