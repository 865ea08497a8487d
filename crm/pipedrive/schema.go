package pipedrive

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/saleshive/crmsync/crm"
)

// personField is one entry of GET /api/v2/personFields.
type personField struct {
	FieldName      string `json:"field_name"`
	FieldCode      string `json:"field_code"`
	FieldType      string `json:"field_type"`
	IsCustomField  bool   `json:"is_custom_field"`
	RequiredFields *struct {
		Enabled bool `json:"enabled"`
	} `json:"required_fields"`
}

// readOnlyFields are person fields Pipedrive sets itself.
var readOnlyFields = map[string]bool{"id": true, "add_time": true, "update_time": true}

// textTypes are the field types that can hold the external id and that
// person search looks into.
var textTypes = map[string]bool{"varchar": true, "varchar_auto": true, "text": true}

// personFields lists every person field, following the cursor.
func (c *Connector) personFields(ctx context.Context, a *crm.Account) ([]personField, error) {
	var all []personField
	q := url.Values{"limit": {"500"}}
	for {
		var page []personField
		next, err := c.getPage(ctx, a, "/api/v2/personFields", q, &page)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if next == "" {
			return all, nil
		}
		q.Set("cursor", next)
	}
}

// ContactFields implements crm.Connector: the person fields, keyed by
// field_code (custom fields by their 40-character hash).
func (c *Connector) ContactFields(ctx context.Context, a *crm.Account) ([]crm.Field, error) {
	fs, err := c.personFields(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("pipedrive: contact fields (connection %d): %w", a.ConnectionID, err)
	}
	out := make([]crm.Field, 0, len(fs))
	for _, f := range fs {
		out = append(out, crm.Field{
			Name: f.FieldCode, Label: f.FieldName, Type: f.FieldType,
			Required: f.RequiredFields != nil && f.RequiredFields.Enabled,
			ReadOnly: readOnlyFields[f.FieldCode],
		})
	}
	return out, nil
}

// EnsureSchema implements crm.Connector. It finds the person custom field
// labelled "SalesHive External ID" or creates it (POST /api/v2/personFields,
// which needs the admin or contact-fields:full scope). Pipedrive allows two
// fields with one name, so the first one listed wins, and a create happens
// only when none exists. Pipedrive activities have no custom fields, so
// there is no activity external-id field.
func (c *Connector) EnsureSchema(ctx context.Context, a *crm.Account) (crm.Schema, error) {
	base, err := c.base(ctx, a)
	if err != nil {
		return crm.Schema{}, fmt.Errorf("pipedrive: ensure schema (connection %d): %w", a.ConnectionID, err)
	}
	schema := crm.Schema{Extra: map[string]string{schemaAPIDomain: base}}
	fs, err := c.personFields(ctx, a)
	if err != nil {
		return crm.Schema{}, fmt.Errorf("pipedrive: ensure schema (connection %d): %w", a.ConnectionID, err)
	}
	for _, f := range fs {
		if f.IsCustomField && f.FieldName == crm.ExternalIDLabel && textTypes[f.FieldType] {
			schema.ContactExternalID = f.FieldCode
			return schema, nil
		}
	}
	var created personField
	body := map[string]any{
		"field_name":  crm.ExternalIDLabel,
		"field_type":  "varchar",
		"description": "Set by the SalesHive sync; do not edit.",
	}
	if err := c.send(ctx, a, http.MethodPost, "/api/v2/personFields", body, &created); err != nil {
		return crm.Schema{}, fmt.Errorf("pipedrive: create %q person field (connection %d): %w", crm.ExternalIDLabel, a.ConnectionID, err)
	}
	if created.FieldCode == "" {
		return crm.Schema{}, fmt.Errorf("pipedrive: create %q person field (connection %d): answer has no field_code", crm.ExternalIDLabel, a.ConnectionID)
	}
	schema.ContactExternalID = created.FieldCode
	return schema, nil
}
