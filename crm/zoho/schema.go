package zoho

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// Keys of crm.Schema.Extra the connector fills in EnsureSchema.
const (
	extraCRMURL           = "crm_url"            // the datacenter's CRM web app
	extraUserID           = "user_id"            // the signed-in user
	extraUserEmail        = "user_email"         // … and their address (sender of logged emails)
	extraCallsExternalID  = "calls_external_id"  // api_name of the Calls external-id field
	extraEventsExternalID = "events_external_id" // api_name of the Events one
)

// Zoho modules the connector writes.
const (
	moduleContacts = "Contacts"
	moduleCalls    = "Calls"
	moduleEvents   = "Events"
)

// field is one item of GET /settings/fields.
type field struct {
	ID              string `json:"id"`
	APIName         string `json:"api_name"`
	FieldLabel      string `json:"field_label"`
	DisplayLabel    string `json:"display_label"`
	DataType        string `json:"data_type"`
	SystemMandatory bool   `json:"system_mandatory"`
	ReadOnly        bool   `json:"read_only"`
	FieldReadOnly   bool   `json:"field_read_only"`
	Unique          any    `json:"unique"`
}

func (c *Connector) fields(ctx context.Context, a *crm.Account, module string) ([]field, error) {
	var out struct {
		Fields []field `json:"fields"`
	}
	if err := c.getJSON(ctx, a, "/settings/fields?module="+url.QueryEscape(module), &out); err != nil && !errors.Is(err, errNoContent) {
		return nil, err
	}
	return out.Fields, nil
}

// EnsureSchema implements crm.Connector. It creates "SalesHive External ID"
// on Contacts (text, unique, external of type org), Calls (unique: Zoho
// allows no external field there) and Events (unique) unless a field with
// that label exists, and reads back each field's api_name (Zoho's create
// answer has only the id). It also records the datacenter's web app and
// the signed-in user for record links and logged emails.
func (c *Connector) EnsureSchema(ctx context.Context, a *crm.Account) (crm.Schema, error) {
	wrap := func(err error) error {
		return fmt.Errorf("zoho: ensure schema (connection %d): %w", a.ConnectionID, err)
	}
	s := crm.Schema{Extra: map[string]string{}}
	var err error
	if s.ContactExternalID, err = c.ensureField(ctx, a, moduleContacts, true); err != nil {
		return crm.Schema{}, wrap(err)
	}
	if s.Extra[extraCallsExternalID], err = c.ensureField(ctx, a, moduleCalls, false); err != nil {
		return crm.Schema{}, wrap(err)
	}
	if s.Extra[extraEventsExternalID], err = c.ensureField(ctx, a, moduleEvents, true); err != nil {
		return crm.Schema{}, wrap(err)
	}
	if s.Extra[extraCallsExternalID] == s.Extra[extraEventsExternalID] {
		s.ActivityExternalID = s.Extra[extraCallsExternalID]
	}
	base, err := a.APIBase(ctx)
	if err != nil {
		return crm.Schema{}, wrap(err)
	}
	if dc, err := c.byAPIDomain(base); err == nil {
		s.Extra[extraCRMURL] = dc.CRMURL
	}
	u, err := c.currentUser(ctx, a)
	if err != nil {
		return crm.Schema{}, wrap(err)
	}
	s.Extra[extraUserID], s.Extra[extraUserEmail] = u.ID, u.Email
	return s, nil
}

// ensureField returns the api_name of module's external-id field, creating
// it if no field carries the label.
func (c *Connector) ensureField(ctx context.Context, a *crm.Account, module string, external bool) (string, error) {
	find := func() (string, error) {
		fs, err := c.fields(ctx, a, module)
		if err != nil {
			return "", err
		}
		for _, f := range fs {
			if strings.EqualFold(f.FieldLabel, crm.ExternalIDLabel) || strings.EqualFold(f.APIName, externalIDAPIName) {
				return f.APIName, nil
			}
		}
		return "", nil
	}
	if name, err := find(); err != nil || name != "" {
		return name, err
	}
	def := map[string]any{
		"field_label": crm.ExternalIDLabel,
		"data_type":   "text",
		"length":      255,
		"unique":      map[string]any{"case_sensitive": true},
	}
	if external {
		def["external"] = map[string]any{"type": "org", "show": false}
	}
	if _, err := c.sendJSON(ctx, a, http.MethodPost, "/settings/fields?module="+module, map[string]any{"fields": []any{def}}); err != nil {
		// Created meanwhile by another process: use it.
		if ce := crm.AsError(err); ce.Code != "DUPLICATE_DATA" {
			return "", err
		}
	}
	name, err := find()
	if err == nil && name == "" {
		err = fmt.Errorf("%s field %q missing after creating it", module, crm.ExternalIDLabel)
	}
	return name, err
}

// externalIDAPIName is the api_name Zoho derives from crm.ExternalIDLabel.
const externalIDAPIName = "SalesHive_External_ID"

// ContactFields implements crm.Connector from the Contacts field metadata.
func (c *Connector) ContactFields(ctx context.Context, a *crm.Account) ([]crm.Field, error) {
	fs, err := c.fields(ctx, a, moduleContacts)
	if err != nil {
		return nil, fmt.Errorf("zoho: contact fields (connection %d): %w", a.ConnectionID, err)
	}
	out := make([]crm.Field, 0, len(fs))
	for _, f := range fs {
		label := f.FieldLabel
		if label == "" {
			label = f.DisplayLabel
		}
		out = append(out, crm.Field{Name: f.APIName, Label: label, Type: f.DataType, Required: f.SystemMandatory, ReadOnly: f.ReadOnly || f.FieldReadOnly})
	}
	return out, nil
}

// user is one item of GET /users.
type user struct {
	ID       string `json:"id"`
	FullName string `json:"full_name"`
	Email    string `json:"email"`
	Status   string `json:"status"`
}

type usersPage struct {
	Users []user `json:"users"`
	Info  struct {
		MoreRecords bool `json:"more_records"`
	} `json:"info"`
}

// Users implements crm.Connector: GET /users?type=ActiveUsers, 200 per
// page. Without the users scope or permission it is ErrUsersUnsupported.
func (c *Connector) Users(ctx context.Context, a *crm.Account) ([]crm.User, error) {
	var out []crm.User
	for page := 1; ; page++ {
		var p usersPage
		err := c.getJSON(ctx, a, "/users?type=ActiveUsers&per_page=200&page="+strconv.Itoa(page), &p)
		if errors.Is(err, errNoContent) {
			return out, nil
		}
		if err != nil {
			if crm.ProblemOf(err) == crmsync.ProblemPermissionDenied {
				return nil, crm.ErrUsersUnsupported
			}
			return nil, fmt.Errorf("zoho: users (connection %d): %w", a.ConnectionID, err)
		}
		for _, u := range p.Users {
			out = append(out, crm.User{ID: u.ID, Name: u.FullName, Email: u.Email})
		}
		if !p.Info.MoreRecords || len(p.Users) == 0 {
			return out, nil
		}
	}
}

// currentUser is the user the token acts for.
func (c *Connector) currentUser(ctx context.Context, a *crm.Account) (user, error) {
	var p usersPage
	if err := c.getJSON(ctx, a, "/users?type=CurrentUser", &p); err != nil {
		return user{}, err
	}
	if len(p.Users) == 0 {
		return user{}, fmt.Errorf("zoho: no current user")
	}
	return p.Users[0], nil
}

// DefaultMappings implements crm.Connector with Zoho's standard Contacts
// fields. company has no text field on Zoho contacts (Account_Name is a
// lookup to Accounts) and website none at all, so neither is mapped.
func (c *Connector) DefaultMappings() []crmsync.FieldMapping {
	return crm.FieldMappings([][2]string{
		{"first_name", "First_Name"},
		{"last_name", "Last_Name"},
		{"email", "Email"},
		{"phone", "Phone"},
		{"title", "Title"},
		{"city", "Mailing_City"},
		{"state", "Mailing_State"},
		{"country", "Mailing_Country"},
		{"lead_source", "Lead_Source"},
	})
}
