package hubspot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// ExternalIDProperty is the contact property crmsync upserts by. It holds
// the SalesHive external id and is created with hasUniqueValue, which
// HubSpot cannot change later.
const ExternalIDProperty = "saleshive_external_id"

// property is HubSpot's property definition (the fields crmsync reads and
// writes).
type property struct {
	Name                 string                `json:"name"`
	Label                string                `json:"label"`
	Type                 string                `json:"type"`
	FieldType            string                `json:"fieldType"`
	GroupName            string                `json:"groupName,omitempty"`
	Description          string                `json:"description,omitempty"`
	HasUniqueValue       bool                  `json:"hasUniqueValue"`
	Hidden               bool                  `json:"hidden,omitempty"`
	Calculated           bool                  `json:"calculated,omitempty"`
	Archived             bool                  `json:"archived,omitempty"`
	ModificationMetadata *modificationMetadata `json:"modificationMetadata,omitempty"`
}

type modificationMetadata struct {
	ReadOnlyValue bool `json:"readOnlyValue"`
}

// ErrNotUnique is returned by EnsureSchema when a contact property named
// saleshive_external_id already exists without unique values, so HubSpot
// cannot upsert by it (and cannot be told to make it unique).
var ErrNotUnique = errors.New("hubspot: the contact property saleshive_external_id exists but does not require unique values; delete it in HubSpot (Settings → Properties) so crmsync can recreate it")

// EnsureSchema implements crm.Connector: it creates the unique contact
// property saleshive_external_id, or checks the existing one (409: a
// property of that name exists).
//
// HubSpot documents unique-value properties for contacts, companies, deals,
// tickets and custom objects only, so engagements cannot be upserted and
// Schema.ActivityExternalID stays empty: the sync ledger's CRM ids keep
// re-pushed activities from being duplicated. EnsureSchema still adds a
// plain saleshive_external_id property to calls, emails and meetings where
// HubSpot allows it (listed in Schema.Extra by object), so LogActivities can
// find an activity whose create answer was lost before creating it again.
func (c *Connector) EnsureSchema(ctx context.Context, a *crm.Account) (crm.Schema, error) {
	s, err := c.ensureContactProperty(ctx, a)
	if err != nil {
		return crm.Schema{}, err
	}
	for _, kind := range kinds {
		eng := engagements[kind]
		ok, err := c.ensureActivityProperty(ctx, a, eng)
		if err != nil {
			return crm.Schema{}, err
		}
		if ok {
			if s.Extra == nil {
				s.Extra = map[string]string{}
			}
			s.Extra[eng.object] = ActivityExternalIDProperty
		}
	}
	return s, nil
}

// ActivityExternalIDProperty is the plain (not unique) property of calls,
// emails and meetings that holds the SalesHive activity id.
const ActivityExternalIDProperty = "saleshive_external_id"

// ensureActivityProperty creates the activity id property on one engagement
// object and reports whether it exists. A refusal of the property itself
// (400, 403, 404) means this portal cannot have it: activities then rely on
// the ledger alone. Transient and auth failures are errors.
func (c *Connector) ensureActivityProperty(ctx context.Context, a *crm.Account, eng engagement) (bool, error) {
	want := property{
		Name:        ActivityExternalIDProperty,
		Label:       crm.ExternalIDLabel,
		Type:        "string",
		FieldType:   "text",
		GroupName:   eng.group,
		Description: "Set by the SalesHive sync; identifies the SalesHive activity this record mirrors.",
	}
	resp, err := c.postJSON(ctx, a, "/crm/v3/properties/"+eng.object, want)
	switch {
	case err == nil:
		return true, nil
	case resp != nil && resp.StatusCode == http.StatusConflict:
		return true, nil
	case resp != nil && (resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound):
		return false, nil
	}
	return false, fmt.Errorf("hubspot: ensure schema (connection %d): create %s property: %w", a.ConnectionID, eng.object, err)
}

// ensureContactProperty creates or checks the contact external-id property.
func (c *Connector) ensureContactProperty(ctx context.Context, a *crm.Account) (crm.Schema, error) {
	want := property{
		Name:           ExternalIDProperty,
		Label:          crm.ExternalIDLabel,
		Type:           "string",
		FieldType:      "text",
		GroupName:      "contactinformation",
		HasUniqueValue: true,
		Description:    "Set by the SalesHive sync; identifies the SalesHive contact this record mirrors.",
	}
	resp, err := c.postJSON(ctx, a, "/crm/v3/properties/contacts", want)
	switch {
	case err == nil:
	case resp != nil && resp.StatusCode == http.StatusConflict:
		var got property
		if err := c.getJSON(ctx, a, "/crm/v3/properties/contacts/"+url.PathEscape(ExternalIDProperty), &got); err != nil {
			return crm.Schema{}, fmt.Errorf("hubspot: ensure schema (connection %d): read existing property: %w", a.ConnectionID, err)
		}
		if !got.HasUniqueValue {
			return crm.Schema{}, fmt.Errorf("hubspot: ensure schema (connection %d): %w", a.ConnectionID, ErrNotUnique)
		}
	default:
		return crm.Schema{}, fmt.Errorf("hubspot: ensure schema (connection %d): create property: %w", a.ConnectionID, err)
	}
	return crm.Schema{ContactExternalID: ExternalIDProperty}, nil
}

// ContactFields implements crm.Connector: every contact property HubSpot
// shows in its own UI (not archived, not hidden), for the mapping picker.
func (c *Connector) ContactFields(ctx context.Context, a *crm.Account) ([]crm.Field, error) {
	var out struct {
		Results []property `json:"results"`
	}
	if err := c.getJSON(ctx, a, "/crm/v3/properties/contacts", &out); err != nil {
		return nil, fmt.Errorf("hubspot: list contact properties (connection %d): %w", a.ConnectionID, err)
	}
	fields := make([]crm.Field, 0, len(out.Results))
	for _, p := range out.Results {
		if p.Archived || p.Hidden {
			continue
		}
		ro := p.Calculated || (p.ModificationMetadata != nil && p.ModificationMetadata.ReadOnlyValue)
		fields = append(fields, crm.Field{Name: p.Name, Label: p.Label, Type: p.Type, ReadOnly: ro})
	}
	return fields, nil
}

// owner is one entry of GET /crm/v3/owners.
type owner struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Type      string `json:"type"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Archived  bool   `json:"archived"`
}

// Users implements crm.Connector from the owners API (the id to put in
// hubspot_owner_id is the owner id, not the user id). Without the
// crm.objects.owners.read scope HubSpot answers 403, reported as
// crm.ErrUsersUnsupported.
func (c *Connector) Users(ctx context.Context, a *crm.Account) ([]crm.User, error) {
	var users []crm.User
	after := ""
	for {
		q := url.Values{"limit": {"100"}, "archived": {"false"}}
		if after != "" {
			q.Set("after", after)
		}
		var page struct {
			Results []owner `json:"results"`
			Paging  struct {
				Next struct {
					After string `json:"after"`
				} `json:"next"`
			} `json:"paging"`
		}
		if err := c.getJSON(ctx, a, "/crm/v3/owners?"+q.Encode(), &page); err != nil {
			if ce := crm.AsError(err); ce.StatusCode == http.StatusForbidden {
				return nil, fmt.Errorf("hubspot: list owners (connection %d): %w: %w", a.ConnectionID, crm.ErrUsersUnsupported, err)
			}
			return nil, fmt.Errorf("hubspot: list owners (connection %d): %w", a.ConnectionID, err)
		}
		for _, o := range page.Results {
			if o.Archived || (o.Type != "" && o.Type != "PERSON") {
				continue
			}
			name := strings.TrimSpace(o.FirstName + " " + o.LastName)
			if name == "" {
				name = o.Email
			}
			users = append(users, crm.User{ID: o.ID, Name: name, Email: o.Email})
		}
		if page.Paging.Next.After == "" || page.Paging.Next.After == after {
			return users, nil
		}
		after = page.Paging.Next.After
	}
}

// DefaultMappings implements crm.Connector with HubSpot's standard contact
// properties. lead_source has no standard writable HubSpot property (the
// "Original Source" hs_analytics_source is set by HubSpot itself), so it is
// not mapped by default.
func (c *Connector) DefaultMappings() []crmsync.FieldMapping {
	return crm.FieldMappings([][2]string{
		{"first_name", "firstname"},
		{"last_name", "lastname"},
		{"email", "email"},
		{"phone", "phone"},
		{"title", "jobtitle"},
		{"company", "company"},
		{"website", "website"},
		{"city", "city"},
		{"state", "state"},
		{"country", "country"},
	})
}
