package ops

import (
	"log/slog"

	"github.com/saleshive/crmsync/store"
	"github.com/saleshive/crmsync/syncer"
	"github.com/saleshive/crmsync/web"
)

// WebConfig is the web server's configuration over one store and engine:
// every service is db, readiness is db.Ping. Callers set what is theirs
// (secure cookies, live-update polling).
func WebConfig(db *store.DB, eng *syncer.Engine, log *slog.Logger) web.Config {
	return web.Config{
		Workspaces:    db,
		Contacts:      db,
		Activities:    db,
		Sessions:      db,
		Connections:   db,
		FieldMappings: db,
		Sync:          db,
		Engine:        eng,
		ReadyFunc:     db.Ping,
		Logger:        log,
	}
}
