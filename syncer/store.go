package syncer

import "github.com/saleshive/crmsync"

// Store is what the engine reads and writes. store.DB implements it.
type Store interface {
	crmsync.WorkspaceService
	crmsync.ContactService
	crmsync.ActivityService
	crmsync.ChangeLog
	crmsync.ConnectionService
	crmsync.FieldMappingService
	crmsync.SyncService
	crmsync.SyncLedger
	crmsync.AlertService
	crmsync.SyncLocks
}

// Sealer encrypts and authenticates small payloads (secret.Keyring). The
// OAuth state travels sealed, so the callback cannot be forged or replayed
// into another workspace.
type Sealer interface {
	Seal(plaintext, associatedData []byte) ([]byte, error)
	Open(sealed, associatedData []byte) ([]byte, error)
}

// oauthStateAD binds sealed OAuth states to their purpose, so no other
// sealed value can be passed off as one.
var oauthStateAD = []byte("crmsync oauth state v1")
