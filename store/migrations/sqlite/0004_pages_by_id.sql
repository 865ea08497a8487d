-- A workspace's contacts and activities in id order (import, resync and the
-- API's pages walk them): without these, "WHERE workspace_id = ? AND id > ?
-- ORDER BY id LIMIT ?" reads and sorts every row of the workspace per page.
CREATE INDEX contacts_workspace_id ON contacts (workspace_id, id);
CREATE INDEX activities_workspace_id ON activities (workspace_id, id);
