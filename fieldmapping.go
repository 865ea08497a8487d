package crmsync

import "context"

// FieldMapping sends a SalesHive contact field, or a fixed value, into a CRM
// contact field. Exactly one of SourceField and FixedValue is set.
type FieldMapping struct {
	ID           int64  `json:"id"`
	WorkspaceID  int64  `json:"-"`
	ConnectionID int64  `json:"connection_id"`
	SourceField  string `json:"source_field,omitempty"` // a name from ContactFields or "custom.<key>"
	FixedValue   string `json:"fixed_value,omitempty"`  // stamped on every synced contact
	CRMField     string `json:"crm_field"`              // the CRM's field API name
}

// IsFixed reports whether m stamps a fixed value.
func (m *FieldMapping) IsFixed() bool { return m.SourceField == "" }

// ValueFor is what the mapping writes to its CRM field for c: the fixed
// value, or c's source field ("" when c has no such field).
func (m *FieldMapping) ValueFor(c *Contact) string {
	if m.IsFixed() {
		return m.FixedValue
	}
	v, _ := c.FieldValue(m.SourceField)
	return v
}

// Validate checks the mapping on its own; rules that need the CRM's field
// list or the other mappings (unknown CRM field, two mappings into one field,
// overwriting the external id) are checked by the service that has them.
func (m *FieldMapping) Validate() error {
	var v Validation
	switch {
	case m.SourceField == "" && m.FixedValue == "":
		v.Add("fixed_value", "is required; enter the value every synced contact should get, for example SalesHive")
	case m.SourceField != "" && m.FixedValue != "":
		v.Add("source_field", "choose either a SalesHive field or a fixed value, not both")
	case m.SourceField != "":
		probe := Contact{}
		if _, ok := probe.FieldValue(m.SourceField); !ok {
			v.Add("source_field", "%q is not a SalesHive contact field", m.SourceField)
		}
	}
	checkLen(&v, "fixed_value", m.FixedValue, MaxTextLen)
	checkRequired(&v, "crm_field", m.CRMField, 255)
	return v.Err("The field mapping has invalid fields.")
}

// FieldMappingService stores field mappings. Every method is scoped to one
// workspace. Create and Update return EINVALID for a mapping whose CRMField is
// already mapped by another mapping of the same connection.
type FieldMappingService interface {
	FindFieldMappings(ctx context.Context, workspaceID, connectionID int64) ([]*FieldMapping, error)
	CreateFieldMapping(ctx context.Context, workspaceID int64, m *FieldMapping) error
	UpdateFieldMapping(ctx context.Context, workspaceID int64, m *FieldMapping) error
	DeleteFieldMapping(ctx context.Context, workspaceID, id int64) error
}
