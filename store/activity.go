package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/saleshive/crmsync"
)

// activitiesTable is how UpsertActivities writes activities.
var activitiesTable = &batchTable{
	name: "activities",
	cols: []column{
		{"workspace_id", colInt}, {"source_id", colText}, {"contact_id", colInt}, {"kind", colText},
		{"subject", colText}, {"body", colText}, {"direction", colText}, {"occurred_at", colTime},
		{"duration_seconds", colInt}, {"outcome", colText}, {"ends_at", colTimeNull}, {"attendees", colText},
		{"change_seq", colInt}, {"created_at", colTime}, {"updated_at", colTime},
	},
	update: []string{"contact_id", "kind", "subject", "body", "direction", "occurred_at", "duration_seconds",
		"outcome", "ends_at", "attendees", "change_seq", "updated_at"},
}

const activityReadCols = "a.id, a.workspace_id, a.source_id, a.contact_id, c.source_id, a.kind, a.subject, a.body, a.direction, a.occurred_at, a.duration_seconds, a.outcome, a.ends_at, a.attendees, a.created_at, a.updated_at"

const activityFrom = " FROM activities a JOIN contacts c ON c.id = a.contact_id "

// UpsertActivities validates every activity, resolves each ContactSourceID
// to the workspace's contact in one query, and creates or updates the
// activities by SourceID in one transaction with one change-log entry each.
// Nothing is written if any activity is invalid (EINVALID) or names a
// contact the workspace does not have (EUNPROCESSABLE naming each as
// activities[i].contact_source_id). An unknown workspace is ENOTFOUND. Each
// activity gets its ID, WorkspaceID, ContactID, CreatedAt and UpdatedAt.
func (db *DB) UpsertActivities(ctx context.Context, workspaceID int64, activities []*crmsync.Activity) (crmsync.UpsertResult, error) {
	var res crmsync.UpsertResult
	if err := validateBatch("activities", activities, func(a *crmsync.Activity) (string, error) { return a.SourceID, a.Validate() }); err != nil {
		return res, err
	}
	if len(activities) == 0 {
		return res, nil
	}
	attendees := make([]string, len(activities))
	kinds := make([]crmsync.ActivityKind, len(activities))
	for i, a := range activities {
		kinds[i] = a.Kind
		if len(a.Attendees) > 0 {
			b, err := json.Marshal(a.Attendees)
			if err != nil {
				return res, wrap("upsert activities: encode attendees", err)
			}
			attendees[i] = string(b)
		}
	}
	now := db.nowUTC()
	contactIDs := make([]int64, len(activities))
	var ups []upserted
	err := db.withTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Bump the counter first: it also proves the workspace exists and
		// serialises this workspace's writers before we read its contacts.
		first, err := db.allocSeqs(ctx, tx, workspaceID, len(activities))
		if err != nil {
			return err
		}
		if err := db.resolveContacts(ctx, tx, workspaceID, activities, contactIDs); err != nil {
			return err
		}
		nowArg := db.t(now)
		rows, cells := make([][]any, len(activities)), make([]any, 0, len(activities)*len(activitiesTable.cols))
		for i, a := range activities {
			rows[i], cells = appendRow(cells, workspaceID, a.SourceID, contactIDs[i], string(a.Kind), a.Subject, a.Body, string(a.Direction),
				db.t(normTime(a.OccurredAt)), a.DurationSeconds, a.Outcome, db.tp(a.EndsAt), attendees[i], first+int64(i), nowArg, nowArg)
		}
		if ups, err = db.d.upsertBatch(ctx, tx, activitiesTable, rows); err != nil {
			return err
		}
		return db.appendChanges(ctx, tx, workspaceID, first, crmsync.ObjectActivity, ups, kinds, now)
	})
	if err != nil {
		return crmsync.UpsertResult{}, wrap(fmt.Sprintf("upsert activities (workspace %d)", workspaceID), err)
	}
	for i, a := range activities {
		a.ID, a.WorkspaceID, a.ContactID, a.CreatedAt = ups[i].id, workspaceID, contactIDs[i], ups[i].createdAt
		a.OccurredAt = normTime(a.OccurredAt)
		if a.EndsAt != nil {
			t := normTime(*a.EndsAt)
			a.EndsAt = &t
		}
		a.UpdatedAt = now
		if ups[i].created {
			res.Created++
		} else {
			res.Updated++
		}
	}
	return res, nil
}

// resolveContacts sets contactIDs[i] to the id of the workspace's contact
// with activities[i].ContactSourceID, or returns EUNPROCESSABLE listing
// every activity whose contact is unknown.
func (db *DB) resolveContacts(ctx context.Context, tx *sql.Tx, workspaceID int64, activities []*crmsync.Activity, contactIDs []int64) error {
	var unique []any
	seen := map[string]bool{}
	for _, a := range activities {
		if !seen[a.ContactSourceID] {
			seen[a.ContactSourceID] = true
			unique = append(unique, a.ContactSourceID)
		}
	}
	byRef := make(map[string]int64, len(unique))
	size := db.chunkSize(1, 1)
	for lo := 0; lo < len(unique); lo += size {
		hi := min(lo+size, len(unique))
		rows, err := tx.QueryContext(ctx, db.q("SELECT source_id, id FROM contacts WHERE workspace_id = ? AND source_id IN ("+placeholders(hi-lo)+")"),
			append([]any{workspaceID}, unique[lo:hi]...)...)
		if err != nil {
			return fmt.Errorf("resolve contacts: %w", err)
		}
		for rows.Next() {
			var ref string
			var id int64
			if err := rows.Scan(&ref, &id); err != nil {
				rows.Close()
				return fmt.Errorf("resolve contacts: %w", err)
			}
			byRef[ref] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("resolve contacts: %w", err)
		}
	}
	var missing []crmsync.FieldError
	for i, a := range activities {
		id, ok := byRef[a.ContactSourceID]
		if !ok {
			missing = append(missing, crmsync.FieldError{
				Field:   "activities[" + strconv.Itoa(i) + "].contact_source_id",
				Message: fmt.Sprintf("no contact with source_id %q in this workspace; create the contact first", a.ContactSourceID),
			})
		}
		contactIDs[i] = id
	}
	if len(missing) > 0 {
		return &crmsync.Error{Code: crmsync.EUNPROCESSABLE, Message: "Some activities name contacts that do not exist; nothing was written.", Fields: missing}
	}
	return nil
}

func scanActivity(row interface{ Scan(...any) error }) (*crmsync.Activity, error) {
	var a crmsync.Activity
	var kind, direction, attendees string
	err := row.Scan(&a.ID, &a.WorkspaceID, &a.SourceID, &a.ContactID, &a.ContactSourceID, &kind, &a.Subject, &a.Body,
		&direction, timeScan{&a.OccurredAt}, &a.DurationSeconds, &a.Outcome, nullTimeScan{&a.EndsAt}, &attendees,
		timeScan{&a.CreatedAt}, timeScan{&a.UpdatedAt})
	if err != nil {
		return nil, err
	}
	a.Kind, a.Direction = crmsync.ActivityKind(kind), crmsync.Direction(direction)
	if attendees != "" {
		if err := json.Unmarshal([]byte(attendees), &a.Attendees); err != nil {
			return nil, fmt.Errorf("activity %d: decode attendees: %w", a.ID, err)
		}
	}
	return &a, nil
}

// FindActivityByID returns the workspace's activity, or ENOTFOUND.
func (db *DB) FindActivityByID(ctx context.Context, workspaceID, id int64) (*crmsync.Activity, error) {
	a, err := scanActivity(db.read.QueryRowContext(ctx, db.q("SELECT "+activityReadCols+activityFrom+"WHERE a.workspace_id = ? AND a.id = ?"), workspaceID, id))
	if isNoRows(err) {
		return nil, notFound("Activity %d not found.", id)
	}
	return a, wrap(fmt.Sprintf("find activity %d (workspace %d)", id, workspaceID), err)
}

// FindActivities returns a page of the workspace's activities by id,
// optionally of one contact.
func (db *DB) FindActivities(ctx context.Context, workspaceID int64, filter crmsync.ActivityFilter) ([]*crmsync.Activity, error) {
	query := "SELECT " + activityReadCols + activityFrom + "WHERE a.workspace_id = ? AND a.id > ?"
	args := []any{workspaceID, filter.AfterID}
	if filter.ContactID != 0 {
		query += " AND a.contact_id = ?"
		args = append(args, filter.ContactID)
	}
	query += " ORDER BY a.id LIMIT ?"
	args = append(args, limit(filter.Limit, 100))
	return db.queryActivities(ctx, fmt.Sprintf("find activities (workspace %d)", workspaceID), query, args...)
}

// FindActivitiesByIDs returns the workspace's activities among ids, by id;
// unknown ids and other workspaces' activities are left out.
func (db *DB) FindActivitiesByIDs(ctx context.Context, workspaceID int64, ids []int64) ([]*crmsync.Activity, error) {
	out := []*crmsync.Activity{}
	size := db.chunkSize(1, 1)
	for lo := 0; lo < len(ids); lo += size {
		hi := min(lo+size, len(ids))
		as, err := db.queryActivities(ctx, fmt.Sprintf("find activities by ids (workspace %d)", workspaceID),
			"SELECT "+activityReadCols+activityFrom+"WHERE a.workspace_id = ? AND a.id IN ("+placeholders(hi-lo)+") ORDER BY a.id",
			append([]any{workspaceID}, int64sArgs(ids[lo:hi])...)...)
		if err != nil {
			return nil, err
		}
		out = append(out, as...)
	}
	return out, nil
}

func (db *DB) queryActivities(ctx context.Context, op, query string, args ...any) ([]*crmsync.Activity, error) {
	rows, err := db.read.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := []*crmsync.Activity{}
	for rows.Next() {
		a, err := scanActivity(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, a)
	}
	return out, wrap(op, rows.Err())
}
