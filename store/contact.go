package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/saleshive/crmsync"
)

// contactsTable is how UpsertContacts writes contacts.
var contactsTable = &batchTable{
	name: "contacts",
	cols: []column{
		{"workspace_id", colInt}, {"source_id", colText}, {"first_name", colText}, {"last_name", colText},
		{"email", colText}, {"phone", colText}, {"title", colText}, {"company", colText}, {"website", colText},
		{"city", colText}, {"state", colText}, {"country", colText}, {"lead_source", colText},
		{"custom_fields", colText}, {"change_seq", colInt}, {"created_at", colTime}, {"updated_at", colTime},
	},
	update: []string{"first_name", "last_name", "email", "phone", "title", "company", "website", "city", "state",
		"country", "lead_source", "custom_fields", "change_seq", "updated_at"},
}

// changeLogTable is how change-log entries are written.
var changeLogTable = &batchTable{
	name: "change_log",
	cols: []column{{"workspace_id", colInt}, {"seq", colInt}, {"object_type", colText}, {"object_id", colInt}, {"kind", colText}, {"changed_at", colTime}},
}

// contactReadCols are the columns scanContact reads.
const contactReadCols = "id, workspace_id, source_id, first_name, last_name, email, phone, title, company, website, city, state, country, lead_source, custom_fields, created_at, updated_at"

// UpsertContacts validates every contact and, if all are valid, creates or
// updates them by SourceID in one transaction, appending one change-log
// entry per contact. Nothing is written if any contact is invalid (EINVALID
// naming each as contacts[i].field) or the same SourceID appears twice. An
// unknown workspace is ENOTFOUND. Each contact gets its ID, WorkspaceID,
// CreatedAt and UpdatedAt.
func (db *DB) UpsertContacts(ctx context.Context, workspaceID int64, contacts []*crmsync.Contact) (crmsync.UpsertResult, error) {
	var res crmsync.UpsertResult
	if err := validateBatch("contacts", contacts, func(c *crmsync.Contact) (string, error) { return c.SourceID, c.Validate() }); err != nil {
		return res, err
	}
	if len(contacts) == 0 {
		return res, nil
	}
	custom := make([]string, len(contacts))
	for i, c := range contacts {
		if len(c.CustomFields) > 0 {
			b, err := json.Marshal(c.CustomFields)
			if err != nil {
				return res, wrap("upsert contacts: encode custom fields", err)
			}
			custom[i] = string(b)
		}
	}
	now := db.nowUTC()
	var ups []upserted
	err := db.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		first, err := db.allocSeqs(ctx, tx, workspaceID, len(contacts))
		if err != nil {
			return err
		}
		nowArg := db.t(now)
		rows, cells := make([][]any, len(contacts)), make([]any, 0, len(contacts)*len(contactsTable.cols))
		for i, c := range contacts {
			rows[i], cells = appendRow(cells, workspaceID, c.SourceID, c.FirstName, c.LastName, c.Email, c.Phone, c.Title, c.Company,
				c.Website, c.City, c.State, c.Country, c.LeadSource, custom[i], first+int64(i), nowArg, nowArg)
		}
		if ups, err = db.d.upsertBatch(ctx, tx, contactsTable, rows); err != nil {
			return err
		}
		return db.appendChanges(ctx, tx, workspaceID, first, crmsync.ObjectContact, ups, nil, now)
	})
	if err != nil {
		return crmsync.UpsertResult{}, wrap(fmt.Sprintf("upsert contacts (workspace %d)", workspaceID), err)
	}
	for i, c := range contacts {
		c.ID, c.WorkspaceID, c.CreatedAt, c.UpdatedAt = ups[i].id, workspaceID, ups[i].createdAt, now
		if ups[i].created {
			res.Created++
		} else {
			res.Updated++
		}
	}
	return res, nil
}

// sourced is a record with a platform source id.
type sourced interface {
	*crmsync.Contact | *crmsync.Activity
}

// validateBatch validates every record and rejects repeated source ids,
// returning one EINVALID error naming each bad record as name[i].field.
func validateBatch[T sourced](name string, records []T, check func(T) (string, error)) error {
	var v crmsync.Validation
	seen := make(map[string]int, len(records))
	for i, r := range records {
		prefix := name + "[" + strconv.Itoa(i) + "]"
		if r == nil {
			v.Add(prefix, "is null; send an object")
			continue
		}
		sourceID, err := check(r)
		v.Merge(prefix, err)
		if sourceID == "" {
			continue
		}
		if j, dup := seen[sourceID]; dup {
			v.Add(prefix+".source_id", "%q is also used by %s[%d]; send each source_id once per batch", sourceID, name, j)
		} else {
			seen[sourceID] = i
		}
	}
	return v.Err(fmt.Sprintf("The batch has invalid %s; nothing was written.", name))
}

// allocSeqs reserves n change-log seqs of the workspace and returns the
// first. Bumping the workspace row inside the writing transaction holds its
// lock until commit, so seqs of one workspace commit in order. An unknown
// workspace is ENOTFOUND.
func (db *DB) allocSeqs(ctx context.Context, tx *sql.Tx, workspaceID int64, n int) (int64, error) {
	var last int64
	err := tx.QueryRowContext(ctx, db.q("UPDATE workspaces SET change_seq = change_seq + ? WHERE id = ? RETURNING change_seq"), n, workspaceID).Scan(&last)
	if isNoRows(err) {
		return 0, notFound("Workspace %d not found.", workspaceID)
	}
	if err != nil {
		return 0, fmt.Errorf("allocate change seqs: %w", err)
	}
	return last - int64(n) + 1, nil
}

// appendRow appends vals to cells and returns them as a row slice of cells,
// so a batch's rows share one allocation. cells must have room for vals.
func appendRow(cells []any, vals ...any) (row, rest []any) {
	n := len(cells)
	cells = append(cells, vals...)
	return cells[n:len(cells):len(cells)], cells
}

// appendChanges writes one change-log entry per upserted object, with seqs
// first, first+1, … in batch order. kinds is nil for contacts.
func (db *DB) appendChanges(ctx context.Context, tx *sql.Tx, workspaceID, first int64, objectType crmsync.ObjectType,
	ups []upserted, kinds []crmsync.ActivityKind, at time.Time) error {
	atArg := db.t(at)
	rows, cells := make([][]any, len(ups)), make([]any, 0, len(ups)*len(changeLogTable.cols))
	for i, u := range ups {
		kind := ""
		if kinds != nil {
			kind = string(kinds[i])
		}
		rows[i], cells = appendRow(cells, workspaceID, first+int64(i), string(objectType), u.id, kind, atArg)
	}
	if err := db.d.insertBatch(ctx, tx, changeLogTable, rows); err != nil {
		return fmt.Errorf("append change log: %w", err)
	}
	return nil
}

func scanContact(row interface{ Scan(...any) error }) (*crmsync.Contact, error) {
	var c crmsync.Contact
	var custom string
	err := row.Scan(&c.ID, &c.WorkspaceID, &c.SourceID, &c.FirstName, &c.LastName, &c.Email, &c.Phone, &c.Title,
		&c.Company, &c.Website, &c.City, &c.State, &c.Country, &c.LeadSource, &custom,
		timeScan{&c.CreatedAt}, timeScan{&c.UpdatedAt})
	if err != nil {
		return nil, err
	}
	if custom != "" {
		if err := json.Unmarshal([]byte(custom), &c.CustomFields); err != nil {
			return nil, fmt.Errorf("contact %d: decode custom fields: %w", c.ID, err)
		}
	}
	return &c, nil
}

// FindContactByID returns the workspace's contact, or ENOTFOUND.
func (db *DB) FindContactByID(ctx context.Context, workspaceID, id int64) (*crmsync.Contact, error) {
	c, err := scanContact(db.read.QueryRowContext(ctx, db.q("SELECT "+contactReadCols+" FROM contacts WHERE workspace_id = ? AND id = ?"), workspaceID, id))
	if isNoRows(err) {
		return nil, notFound("Contact %d not found.", id)
	}
	return c, wrap(fmt.Sprintf("find contact %d (workspace %d)", id, workspaceID), err)
}

// FindContactBySourceID returns the workspace's contact with that source
// id, or ENOTFOUND.
func (db *DB) FindContactBySourceID(ctx context.Context, workspaceID int64, sourceID string) (*crmsync.Contact, error) {
	c, err := scanContact(db.read.QueryRowContext(ctx, db.q("SELECT "+contactReadCols+" FROM contacts WHERE workspace_id = ? AND source_id = ?"), workspaceID, sourceID))
	if isNoRows(err) {
		return nil, notFound("Contact with source_id %q not found.", sourceID)
	}
	return c, wrap(fmt.Sprintf("find contact by source id (workspace %d)", workspaceID), err)
}

// contactsPage is the FROM and WHERE of a page of a workspace's contacts by
// id (arguments: workspace, after id, limit); the contacts_workspace_id
// index answers it without a sort.
const contactsPage = " FROM contacts WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?"

// FindContacts returns a page of the workspace's contacts by id.
func (db *DB) FindContacts(ctx context.Context, workspaceID int64, filter crmsync.ContactFilter) ([]*crmsync.Contact, error) {
	return db.queryContacts(ctx, fmt.Sprintf("find contacts (workspace %d)", workspaceID),
		"SELECT "+contactReadCols+contactsPage, workspaceID, filter.AfterID, limit(filter.Limit, 100))
}

// FindContactIDs returns the IDs of a page of the workspace's contacts, in
// order; it reads only the (workspace_id, id) index.
func (db *DB) FindContactIDs(ctx context.Context, workspaceID int64, filter crmsync.ContactFilter) ([]int64, error) {
	op := fmt.Sprintf("find contact ids (workspace %d)", workspaceID)
	rows, err := db.read.QueryContext(ctx, db.q("SELECT id"+contactsPage),
		workspaceID, filter.AfterID, limit(filter.Limit, 100))
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	ids := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, wrap(op, err)
		}
		ids = append(ids, id)
	}
	return ids, wrap(op, rows.Err())
}

// FindContactsByIDs returns the workspace's contacts among ids, by id;
// unknown ids and other workspaces' contacts are left out.
func (db *DB) FindContactsByIDs(ctx context.Context, workspaceID int64, ids []int64) ([]*crmsync.Contact, error) {
	out := []*crmsync.Contact{}
	size := db.chunkSize(1, 1)
	for lo := 0; lo < len(ids); lo += size {
		hi := min(lo+size, len(ids))
		cs, err := db.queryContacts(ctx, fmt.Sprintf("find contacts by ids (workspace %d)", workspaceID),
			"SELECT "+contactReadCols+" FROM contacts WHERE workspace_id = ? AND id IN ("+placeholders(hi-lo)+") ORDER BY id",
			append([]any{workspaceID}, int64sArgs(ids[lo:hi])...)...)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

func (db *DB) queryContacts(ctx context.Context, op, query string, args ...any) ([]*crmsync.Contact, error) {
	rows, err := db.read.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := []*crmsync.Contact{}
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, c)
	}
	return out, wrap(op, rows.Err())
}

// CountContacts returns how many contacts the workspace has.
func (db *DB) CountContacts(ctx context.Context, workspaceID int64) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, db.q("SELECT count(*) FROM contacts WHERE workspace_id = ?"), workspaceID).Scan(&n)
	return n, wrap(fmt.Sprintf("count contacts (workspace %d)", workspaceID), err)
}

// FindChanges returns up to limit (default 100, at most 1000) change-log
// entries of the workspace with Seq > afterSeq, in Seq order.
func (db *DB) FindChanges(ctx context.Context, workspaceID, afterSeq int64, n int) ([]crmsync.Change, error) {
	op := fmt.Sprintf("find changes (workspace %d, after %d)", workspaceID, afterSeq)
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT seq, object_type, object_id, kind, changed_at FROM change_log
		WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?`), workspaceID, afterSeq, limit(n, 100))
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := []crmsync.Change{}
	for rows.Next() {
		var ch crmsync.Change
		var objectType, kind string
		if err := rows.Scan(&ch.Seq, &objectType, &ch.ObjectID, &kind, timeScan{&ch.ChangedAt}); err != nil {
			return nil, wrap(op, err)
		}
		ch.ObjectType, ch.Kind = crmsync.ObjectType(objectType), crmsync.ActivityKind(kind)
		out = append(out, ch)
	}
	return out, wrap(op, rows.Err())
}

// LatestChangeSeq returns the highest committed change seq of the
// workspace (0 if none), or ENOTFOUND for an unknown workspace.
func (db *DB) LatestChangeSeq(ctx context.Context, workspaceID int64) (int64, error) {
	var seq int64
	err := db.read.QueryRowContext(ctx, db.q("SELECT change_seq FROM workspaces WHERE id = ?"), workspaceID).Scan(&seq)
	if isNoRows(err) {
		return 0, notFound("Workspace %d not found.", workspaceID)
	}
	return seq, wrap(fmt.Sprintf("latest change seq (workspace %d)", workspaceID), err)
}
