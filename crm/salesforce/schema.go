package salesforce

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// schemaInstanceURL is the Schema.Extra key holding the org's instance_url, so RecordURL
// needs no token.
const schemaInstanceURL = "instance_url"

// describeResult is the part of an sObject describe the connector reads.
type describeResult struct {
	Fields []describeField `json:"fields"`
}

type describeField struct {
	Name              string `json:"name"`
	Label             string `json:"label"`
	Type              string `json:"type"`
	Nillable          bool   `json:"nillable"`
	Createable        bool   `json:"createable"`
	Updateable        bool   `json:"updateable"`
	DefaultedOnCreate bool   `json:"defaultedOnCreate"`
	ExternalID        bool   `json:"externalId"`
}

func (c *Connector) describe(ctx context.Context, a *crm.Account, object string) (describeResult, error) {
	var d describeResult
	err := c.do(ctx, a, http.MethodGet, "/sobjects/"+object+"/describe", nil, &d)
	return d, err
}

// customField is the Tooling API body creating a CustomField.
type customField struct {
	FullName string              `json:"FullName"`
	Metadata customFieldMetadata `json:"Metadata"`
}

type customFieldMetadata struct {
	Label         string `json:"label"`
	Type          string `json:"type"`
	Length        int    `json:"length"`
	ExternalID    bool   `json:"externalId"`
	Unique        bool   `json:"unique"`
	CaseSensitive bool   `json:"caseSensitive"`
	Required      bool   `json:"required"`
	Description   string `json:"description"`
}

// ensureField creates entity.name as a unique, case-insensitive External ID text field
// unless describe of object already lists it.
func (c *Connector) ensureField(ctx context.Context, a *crm.Account, object, entity, name, label string) error {
	d, err := c.describe(ctx, a, object)
	if err != nil {
		return err
	}
	for _, f := range d.Fields {
		if f.Name == name {
			return nil
		}
	}
	body := customField{FullName: entity + "." + name, Metadata: customFieldMetadata{
		Label: label, Type: "Text", Length: 255, ExternalID: true, Unique: true,
		Description: "Set by SalesHive sync; do not edit",
	}}
	err = c.do(ctx, a, http.MethodPost, "/tooling/sobjects/CustomField", body, nil)
	var ce *crm.Error
	if errors.As(err, &ce) && ce.Code == "DUPLICATE_DEVELOPER_NAME" {
		return nil // created concurrently
	}
	return err
}

// EnsureSchema implements crm.Connector: the Contact field SalesHive_External_ID__c and the
// Activity (Task and Event) field SalesHive_Activity_ID__c, both External ID and unique,
// created through the Tooling API when describe does not list them, then made visible and
// editable to the connecting user's profile with FieldPermissions (a new field has no
// field-level security, so the API would not see it). The connecting user needs
// "Customize Application" and "Manage Profiles and Permission Sets".
func (c *Connector) EnsureSchema(ctx context.Context, a *crm.Account) (crm.Schema, error) {
	fail := func(step string, err error) (crm.Schema, error) {
		return crm.Schema{}, fmt.Errorf("salesforce: ensure schema: %s (connection %d): %w", step, a.ConnectionID, err)
	}
	if err := c.ensureField(ctx, a, "Contact", "Contact", ContactExternalIDField, crm.ExternalIDLabel); err != nil {
		return fail("contact external id field", err)
	}
	if err := c.ensureField(ctx, a, "Task", "Activity", ActivityExternalIDField, "SalesHive Activity ID"); err != nil {
		return fail("activity external id field", err)
	}
	ps, err := c.profilePermissionSet(ctx, a)
	if err != nil {
		return fail("find the user's permission set", err)
	}
	for _, g := range [][2]string{{"Contact", ContactExternalIDField}, {"Task", ActivityExternalIDField}, {"Event", ActivityExternalIDField}} {
		if err := c.ensureFieldAccess(ctx, a, ps, g[0], g[1]); err != nil {
			return fail("grant access to "+g[0]+"."+g[1], err)
		}
	}
	base, err := a.APIBase(ctx)
	if err != nil {
		return crm.Schema{}, fmt.Errorf("salesforce: ensure schema (connection %d): %w", a.ConnectionID, err)
	}
	return crm.Schema{
		ContactExternalID:  ContactExternalIDField,
		ActivityExternalID: ActivityExternalIDField,
		Extra:              map[string]string{schemaInstanceURL: base},
	}, nil
}

// ContactFields implements crm.Connector from describe: a field is required when it is
// not nillable, createable and not defaulted on create (LastName, plus any the admin made
// required).
func (c *Connector) ContactFields(ctx context.Context, a *crm.Account) ([]crm.Field, error) {
	d, err := c.describe(ctx, a, "Contact")
	if err != nil {
		return nil, fmt.Errorf("salesforce: contact fields (connection %d): %w", a.ConnectionID, err)
	}
	out := make([]crm.Field, 0, len(d.Fields))
	for _, f := range d.Fields {
		out = append(out, crm.Field{
			Name: f.Name, Label: f.Label, Type: f.Type,
			Required: !f.Nillable && f.Createable && !f.DefaultedOnCreate,
			ReadOnly: !f.Createable && !f.Updateable,
		})
	}
	return out, nil
}

// Users implements crm.Connector: active standard users by SOQL. A user without access to
// User records gets ErrUsersUnsupported.
func (c *Connector) Users(ctx context.Context, a *crm.Account) ([]crm.User, error) {
	type user struct {
		ID    string `json:"Id"`
		Name  string `json:"Name"`
		Email string `json:"Email"`
	}
	users, err := queryAll[user](ctx, c, a, "SELECT Id, Name, Email FROM User WHERE IsActive = true AND UserType = 'Standard' ORDER BY Name")
	if err != nil {
		if p := crm.ProblemOf(err); p == crmsync.ProblemPermissionDenied {
			return nil, crm.ErrUsersUnsupported
		}
		return nil, fmt.Errorf("salesforce: list users (connection %d): %w", a.ConnectionID, err)
	}
	out := make([]crm.User, 0, len(users))
	for _, u := range users {
		out = append(out, crm.User{ID: u.ID, Name: u.Name, Email: u.Email})
	}
	return out, nil
}

// DefaultMappings implements crm.Connector. Contact has no company or website field of
// its own (those live on Account), so they start unmapped.
func (c *Connector) DefaultMappings() []crmsync.FieldMapping {
	return crm.FieldMappings([][2]string{
		{"first_name", "FirstName"}, {"last_name", "LastName"}, {"email", "Email"}, {"phone", "Phone"},
		{"title", "Title"}, {"city", "MailingCity"}, {"state", "MailingState"}, {"country", "MailingCountry"},
		{"lead_source", "LeadSource"},
	})
}

// profilePermissionSet returns the id of the permission set owned by the connecting
// user's profile, which holds the profile's field-level security.
func (c *Connector) profilePermissionSet(ctx context.Context, a *crm.Account) (string, error) {
	info, err := c.userInfo(ctx, a)
	if err != nil {
		return "", err
	}
	type idRow struct {
		ID        string `json:"Id"`
		ProfileID string `json:"ProfileId"`
	}
	users, err := queryAll[idRow](ctx, c, a, "SELECT Id, ProfileId FROM User WHERE Id = "+soqlString(info.UserID))
	if err != nil {
		return "", err
	}
	if len(users) == 0 || users[0].ProfileID == "" {
		return "", &crm.Error{Problem: crmsync.ProblemPermissionDenied, CRMMessage: "The connecting user's profile could not be read."}
	}
	sets, err := queryAll[idRow](ctx, c, a, "SELECT Id FROM PermissionSet WHERE IsOwnedByProfile = true AND ProfileId = "+soqlString(users[0].ProfileID))
	if err != nil {
		return "", err
	}
	if len(sets) == 0 {
		return "", &crm.Error{Problem: crmsync.ProblemPermissionDenied, CRMMessage: "The connecting user's profile has no permission set."}
	}
	return sets[0].ID, nil
}

// ensureFieldAccess grants read and edit on object.field to permission set ps unless a
// FieldPermissions record already does.
func (c *Connector) ensureFieldAccess(ctx context.Context, a *crm.Account, ps, object, field string) error {
	full := object + "." + field
	type perm struct {
		ID              string `json:"Id"`
		PermissionsRead bool   `json:"PermissionsRead"`
		PermissionsEdit bool   `json:"PermissionsEdit"`
	}
	rows, err := queryAll[perm](ctx, c, a, "SELECT Id, PermissionsRead, PermissionsEdit FROM FieldPermissions WHERE ParentId = "+
		soqlString(ps)+" AND Field = "+soqlString(full))
	if err != nil {
		return err
	}
	grant := map[string]any{"PermissionsRead": true, "PermissionsEdit": true}
	if len(rows) > 0 {
		if rows[0].PermissionsRead && rows[0].PermissionsEdit {
			return nil
		}
		return c.do(ctx, a, http.MethodPatch, "/sobjects/FieldPermissions/"+rows[0].ID, grant, nil)
	}
	grant["ParentId"], grant["SobjectType"], grant["Field"] = ps, object, full
	err = c.do(ctx, a, http.MethodPost, "/sobjects/FieldPermissions", grant, nil)
	var ce *crm.Error
	if errors.As(err, &ce) && ce.Code == "DUPLICATE_VALUE" {
		return nil // granted concurrently
	}
	return err
}
