-- The ledger's state indexes hold only the rows their queries look for, so
-- the common write (a pending item becoming synced) removes one index entry
-- instead of moving two entries of two indexes. Queries name the state as a
-- literal, which is what lets the planner use a partial index.
DROP INDEX sync_items_state;
DROP INDEX sync_items_state_updated;
-- Pending items in push order (contacts first, each by id), and their counts.
CREATE INDEX sync_items_pending ON sync_items (workspace_id, connection_id, object_type, id)
	WHERE state = 'pending';
-- Failed items of the last 24 hours (health), and Retry.
CREATE INDEX sync_items_failed ON sync_items (workspace_id, connection_id, updated_at)
	WHERE state = 'failed';
-- Activities skipped because their contact was not in the CRM (Retry).
CREATE INDEX sync_items_contact_not_synced ON sync_items (workspace_id, connection_id)
	WHERE state = 'skipped' AND reason = 'contact not synced';
