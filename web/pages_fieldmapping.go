package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// fixedSource is the "send" choice of a field-mapping form meaning "A fixed
// value" rather than a SalesHive field.
const fixedSource = "fixed"

// fieldMappingInput is a field mapping as a form or the API sends it.
type fieldMappingInput struct {
	SourceField string `json:"source_field"`
	FixedValue  string `json:"fixed_value"`
	CRMField    string `json:"crm_field"`
}

// saveFieldMapping creates (id 0) or updates a field mapping of conn after
// checking everything that needs the CRM's field list and the other
// mappings: the CRM field exists, it is not the SalesHive External ID field,
// no other mapping already fills it. It is the one place both the page and
// the API save mappings through. EINVALID lists every problem by field.
func (s *Server) saveFieldMapping(ctx context.Context, workspaceID int64, conn *crmsync.Connection, id int64, in fieldMappingInput) (*crmsync.FieldMapping, error) {
	m := &crmsync.FieldMapping{ID: id, ConnectionID: conn.ID, SourceField: strings.TrimSpace(in.SourceField),
		FixedValue: in.FixedValue, CRMField: strings.TrimSpace(in.CRMField)}
	if m.SourceField != "" {
		m.FixedValue = ""
	} else {
		m.FixedValue = strings.TrimSpace(m.FixedValue)
	}
	var v crmsync.Validation
	v.Merge("", m.Validate())
	existing, err := s.cfg.FieldMappings.FindFieldMappings(ctx, workspaceID, conn.ID)
	if err != nil {
		return nil, err
	}
	if id != 0 && findMapping(existing, id) == nil {
		return nil, crmsync.Errorf(crmsync.ENOTFOUND, "There is no field mapping %d for %s.", id, conn.Provider.Name())
	}
	if m.CRMField != "" {
		fields, err := s.cfg.Engine.ContactFields(ctx, workspaceID, conn.ID)
		if err != nil {
			return nil, err
		}
		switch f := findField(fields, m.CRMField); {
		case m.CRMField == conn.Schema.ContactExternalID:
			v.Add("crm_field", "%q holds the %s that keeps contacts from being duplicated; choose another field", m.CRMField, crm.ExternalIDLabel)
		case f == nil:
			v.Add("crm_field", "%q is not a contact field in your %s; choose one from the list", m.CRMField, conn.Provider.Name())
		case f.ReadOnly:
			v.Add("crm_field", "%q is read-only in your %s; choose a field SalesHive can write", f.Label, conn.Provider.Name())
		}
		for _, other := range existing {
			if other.ID != id && other.CRMField == m.CRMField {
				v.Add("crm_field", "%q already receives %s; edit or remove that mapping instead", m.CRMField, mappingSourceLabel(other))
			}
		}
	}
	if err := v.Err("The field mapping was not saved."); err != nil {
		return nil, err
	}
	if id == 0 {
		err = s.cfg.FieldMappings.CreateFieldMapping(ctx, workspaceID, m)
	} else {
		err = s.cfg.FieldMappings.UpdateFieldMapping(ctx, workspaceID, m)
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// deleteFieldMapping removes a mapping of conn; ENOTFOUND for a mapping of
// another connection or workspace.
func (s *Server) deleteFieldMapping(ctx context.Context, workspaceID int64, conn *crmsync.Connection, id int64) error {
	existing, err := s.cfg.FieldMappings.FindFieldMappings(ctx, workspaceID, conn.ID)
	if err != nil {
		return err
	}
	if findMapping(existing, id) == nil {
		return crmsync.Errorf(crmsync.ENOTFOUND, "There is no field mapping %d for %s.", id, conn.Provider.Name())
	}
	return s.cfg.FieldMappings.DeleteFieldMapping(ctx, workspaceID, id)
}

func findMapping(ms []*crmsync.FieldMapping, id int64) *crmsync.FieldMapping {
	for _, m := range ms {
		if m.ID == id {
			return m
		}
	}
	return nil
}

func findField(fs []crm.Field, name string) *crm.Field {
	for i := range fs {
		if fs[i].Name == name {
			return &fs[i]
		}
	}
	return nil
}

func mappingSourceLabel(m *crmsync.FieldMapping) string {
	if m.IsFixed() {
		return "the fixed value " + strconv.Quote(m.FixedValue)
	}
	return "SalesHive's " + fieldLabel(m.SourceField)
}

// mappingRow is one mapping in the Field Mapping table.
type mappingRow struct {
	*crmsync.FieldMapping
	Source   string // what the table shows on the SalesHive side
	CRMLabel string
	Errors   map[string]string // inline errors of this row's edit form
	Open     bool              // the edit form is shown open
	Form     fieldMappingInput // values of the edit form
}

// fieldMappingPage is the hub's Field Mapping tab for one CRM.
type fieldMappingPage struct {
	layout
	Providers    []crmsync.Provider
	Provider     crmsync.Provider
	Conn         *crmsync.Connection
	CanPush      bool
	Rows         []mappingRow
	CRMFields    []crm.Field
	FieldsError  string
	SourceFields []string
	ExternalID   string // the CRM field holding the SalesHive External ID

	// Add form state.
	Add       fieldMappingInput
	AddErrors map[string]string
	AddOpen   bool
}

func fieldMappingPath(p crmsync.Provider) string {
	return "/integrations/field-mapping?crm=" + url.QueryEscape(string(p))
}

func (s *Server) handleFieldMappingShow(w http.ResponseWriter, r *http.Request, v *viewer) error {
	provider := r.URL.Query().Get("crm")
	if provider == "" {
		provider = string(s.defaultProvider(r.Context(), v))
	}
	conn, err := s.connectionFor(r.Context(), v.WorkspaceID(), provider)
	if err != nil {
		return err
	}
	if canPush(conn) && !conn.FieldMappingViewed {
		if err := s.cfg.Engine.MarkFieldMappingReviewed(r.Context(), v.WorkspaceID(), conn.ID); err != nil {
			return err
		}
		conn.FieldMappingViewed = true
	}
	return s.showFieldMapping(w, r, v, conn, http.StatusOK, nil, 0)
}

// defaultProvider is the first connected CRM of the workspace, else the
// first CRM.
func (s *Server) defaultProvider(ctx context.Context, v *viewer) crmsync.Provider {
	conns, err := s.cfg.Connections.FindConnections(ctx, v.WorkspaceID())
	if err == nil {
		for _, p := range crmsync.Providers {
			for _, c := range conns {
				if c.Provider == p && canPush(c) {
					return p
				}
			}
		}
	}
	return crmsync.Providers[0]
}

// showFieldMapping renders the tab; formErr (EINVALID) is shown inline on
// the add form (rowID 0) or on the edit form of mapping rowID.
func (s *Server) showFieldMapping(w http.ResponseWriter, r *http.Request, v *viewer, conn *crmsync.Connection, status int, formErr error, rowID int64) error {
	ctx := r.Context()
	p := &fieldMappingPage{
		layout:    s.layoutFor(w, r, v, "Field Mapping: "+conn.Provider.Name(), "field-mapping"),
		Providers: crmsync.Providers, Provider: conn.Provider, Conn: conn, CanPush: canPush(conn),
		SourceFields: crmsync.ContactFields, ExternalID: conn.Schema.ContactExternalID, AddErrors: map[string]string{},
	}
	mappings, err := s.cfg.FieldMappings.FindFieldMappings(ctx, v.WorkspaceID(), conn.ID)
	if err != nil {
		return err
	}
	if p.CanPush {
		p.CRMFields, err = s.cfg.Engine.ContactFields(ctx, v.WorkspaceID(), conn.ID)
		if code := crmsync.ErrorCode(err); code == crmsync.EINTERNAL || code == crmsync.ENOTFOUND {
			return err
		} else if err != nil {
			p.FieldsError = crmsync.ErrorMessage(err)
		}
	}
	labels := map[string]string{}
	for _, f := range p.CRMFields {
		labels[f.Name] = f.Label
	}
	for _, m := range mappings {
		row := mappingRow{FieldMapping: m, CRMLabel: labels[m.CRMField], Errors: map[string]string{},
			Form: fieldMappingInput{SourceField: m.SourceField, FixedValue: m.FixedValue, CRMField: m.CRMField}}
		if m.IsFixed() {
			row.Source, row.Form.SourceField = "A fixed value: "+strconv.Quote(m.FixedValue), fixedSource
		} else {
			row.Source = fieldLabel(m.SourceField)
		}
		p.Rows = append(p.Rows, row)
	}
	if formErr != nil {
		p.Flash = &flash{Kind: "error", Message: crmsync.ErrorMessage(formErr)}
		in := formMapping(r)
		if in.SourceField == "" {
			in.SourceField = fixedSource
		}
		target := p.AddErrors
		if rowID == 0 {
			p.Add, p.AddOpen = in, true
		} else {
			for i := range p.Rows {
				if p.Rows[i].ID == rowID {
					p.Rows[i].Open, p.Rows[i].Form, target = true, in, p.Rows[i].Errors
				}
			}
		}
		for _, f := range crmsync.ErrorFields(formErr) {
			if target[f.Field] == "" {
				target[f.Field] = f.Message
			} else {
				target[f.Field] += "; " + f.Message
			}
		}
	}
	s.render(w, r, status, "fieldmapping", p)
	return nil
}

// formMapping reads a field-mapping form: "send" is a SalesHive field or
// "fixed" for A fixed value.
func formMapping(r *http.Request) fieldMappingInput {
	in := fieldMappingInput{FixedValue: r.PostFormValue("fixed_value"), CRMField: r.PostFormValue("crm_field")}
	if src := r.PostFormValue("send"); src != fixedSource {
		in.SourceField = src
	}
	return in
}

// mappingAction runs one Field Mapping form: success flashes and
// redirects to the tab, EINVALID shows the tab again with inline errors.
func (s *Server) mappingAction(w http.ResponseWriter, r *http.Request, v *viewer, rowID int64, run func(ctx context.Context, conn *crmsync.Connection) (string, error)) error {
	conn, err := s.connectionFor(r.Context(), v.WorkspaceID(), r.PostFormValue("crm"))
	if err != nil {
		return err
	}
	msg, err := run(r.Context(), conn)
	switch crmsync.ErrorCode(err) {
	case "":
		return s.done(w, r, v, fieldMappingPath(conn.Provider), success("%s", msg))
	case crmsync.EINVALID:
		return s.showFieldMapping(w, r, v, conn, http.StatusUnprocessableEntity, err, rowID)
	case crmsync.ECONFLICT, crmsync.EUNAVAILABLE, crmsync.ENOTIMPLEMENTED:
		return s.done(w, r, v, fieldMappingPath(conn.Provider), &flash{Kind: "error", Message: crmsync.ErrorMessage(err)})
	}
	return err
}

func (s *Server) handleFieldMappingCreate(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.mappingAction(w, r, v, 0, func(ctx context.Context, conn *crmsync.Connection) (string, error) {
		m, err := s.saveFieldMapping(ctx, v.WorkspaceID(), conn, 0, formMapping(r))
		if err != nil {
			return "", err
		}
		return "Added: " + mappingSourceLabel(m) + " → " + m.CRMField + ".", nil
	})
}

func (s *Server) handleFieldMappingUpdate(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id, err := parseID(r, "field mapping")
	if err != nil {
		return err
	}
	return s.mappingAction(w, r, v, id, func(ctx context.Context, conn *crmsync.Connection) (string, error) {
		m, err := s.saveFieldMapping(ctx, v.WorkspaceID(), conn, id, formMapping(r))
		if err != nil {
			return "", err
		}
		return "Saved: " + mappingSourceLabel(m) + " → " + m.CRMField + ".", nil
	})
}

func (s *Server) handleFieldMappingDelete(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id, err := parseID(r, "field mapping")
	if err != nil {
		return err
	}
	return s.mappingAction(w, r, v, id, func(ctx context.Context, conn *crmsync.Connection) (string, error) {
		if err := s.deleteFieldMapping(ctx, v.WorkspaceID(), conn, id); err != nil {
			return "", err
		}
		return "Removed the field mapping.", nil
	})
}

// mappingFormView is what the "mapping-form" template needs: the page, the
// form's values and inline errors, and how the form is named and posted.
type mappingFormView struct {
	Page   *fieldMappingPage
	Form   fieldMappingInput
	Errors map[string]string
	Prefix string // element-id prefix, unique per form on the page
	Action string
	Button string
}

func newMappingFormView(p *fieldMappingPage, f fieldMappingInput, errs map[string]string, prefix, action, button string) mappingFormView {
	if f.SourceField == "" {
		f.SourceField = fixedSource
	}
	return mappingFormView{Page: p, Form: f, Errors: errs, Prefix: prefix, Action: action, Button: button}
}
