package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/saleshive/crmsync"
)

// FindFieldMappings lists the mappings of the workspace's connection by id;
// another workspace's connection has none.
func (db *DB) FindFieldMappings(ctx context.Context, workspaceID, connectionID int64) ([]*crmsync.FieldMapping, error) {
	op := fmt.Sprintf("find field mappings of connection %d (workspace %d)", connectionID, workspaceID)
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, workspace_id, connection_id, source_field, fixed_value, crm_field
		FROM field_mappings WHERE workspace_id = ? AND connection_id = ? ORDER BY id`), workspaceID, connectionID)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := []*crmsync.FieldMapping{}
	for rows.Next() {
		var m crmsync.FieldMapping
		if err := rows.Scan(&m.ID, &m.WorkspaceID, &m.ConnectionID, &m.SourceField, &m.FixedValue, &m.CRMField); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, &m)
	}
	return out, wrap(op, rows.Err())
}

// duplicateCRMField is the EINVALID error for a CRM field mapped twice.
func duplicateCRMField(m *crmsync.FieldMapping) error {
	var v crmsync.Validation
	v.Add("crm_field", "%q already has a mapping; edit that one or pick another CRM field", m.CRMField)
	return v.Err("The CRM field is already mapped.")
}

// CreateFieldMapping validates m and adds it to its connection, setting ID
// and WorkspaceID. A CRM field the connection already maps is EINVALID;
// another workspace's connection is ENOTFOUND.
func (db *DB) CreateFieldMapping(ctx context.Context, workspaceID int64, m *crmsync.FieldMapping) error {
	if err := m.Validate(); err != nil {
		return err
	}
	now := db.t(db.nowUTC())
	err := db.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, db.q("SELECT 1 FROM connections WHERE workspace_id = ? AND id = ?"), workspaceID, m.ConnectionID).Scan(&one)
		if isNoRows(err) {
			return notFound("Connection %d not found.", m.ConnectionID)
		} else if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, db.q(`INSERT INTO field_mappings (workspace_id, connection_id, source_field, fixed_value, crm_field, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`), workspaceID, m.ConnectionID, m.SourceField, m.FixedValue, m.CRMField, now, now).Scan(&m.ID)
		if db.d.isUniqueViolation(err) {
			return duplicateCRMField(m)
		}
		return err
	})
	if err != nil {
		return wrap(fmt.Sprintf("create field mapping (connection %d, workspace %d)", m.ConnectionID, workspaceID), err)
	}
	m.WorkspaceID = workspaceID
	return nil
}

// UpdateFieldMapping validates m and replaces the stored mapping m.ID's
// source, fixed value and CRM field (its connection stays). Another
// workspace's mapping is ENOTFOUND; a CRM field mapped by another mapping
// of the connection is EINVALID. m.ConnectionID is set from the store.
func (db *DB) UpdateFieldMapping(ctx context.Context, workspaceID int64, m *crmsync.FieldMapping) error {
	if err := m.Validate(); err != nil {
		return err
	}
	err := db.write.QueryRowContext(ctx, db.q(`UPDATE field_mappings SET source_field = ?, fixed_value = ?, crm_field = ?, updated_at = ?
		WHERE workspace_id = ? AND id = ? RETURNING connection_id`), m.SourceField, m.FixedValue, m.CRMField, db.t(db.nowUTC()),
		workspaceID, m.ID).Scan(&m.ConnectionID)
	switch {
	case isNoRows(err):
		return notFound("Field mapping %d not found.", m.ID)
	case db.d.isUniqueViolation(err):
		return duplicateCRMField(m)
	case err != nil:
		return wrap(fmt.Sprintf("update field mapping %d (workspace %d)", m.ID, workspaceID), err)
	}
	m.WorkspaceID = workspaceID
	return nil
}

// DeleteFieldMapping deletes the workspace's mapping, or returns ENOTFOUND.
func (db *DB) DeleteFieldMapping(ctx context.Context, workspaceID, id int64) error {
	res, err := db.write.ExecContext(ctx, db.q("DELETE FROM field_mappings WHERE workspace_id = ? AND id = ?"), workspaceID, id)
	if err != nil {
		return wrap(fmt.Sprintf("delete field mapping %d (workspace %d)", id, workspaceID), err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap(fmt.Sprintf("delete field mapping %d (workspace %d)", id, workspaceID), err)
	} else if n == 0 {
		return notFound("Field mapping %d not found.", id)
	}
	return nil
}
