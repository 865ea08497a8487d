package web_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/saleshive/crmsync"
)

// failingStore isolates the handlers from the database: it authenticates
// the tokens it issued and fails every contact write with err. The embedded
// nil interfaces make any other call panic.
type failingStore struct {
	crmsync.WorkspaceService
	crmsync.ContactService
	crmsync.ActivityService
	crmsync.ChangeLog

	err error

	mu     sync.Mutex
	nextID int64
	tokens map[string]int64 // plaintext → workspace
}

func newFailingStore(err error) *failingStore {
	return &failingStore{err: err, tokens: map[string]int64{}}
}

func (f *failingStore) CreateWorkspace(ctx context.Context, w *crmsync.Workspace) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	w.ID = f.nextID
	return nil
}

func (f *failingStore) CreateAPIToken(ctx context.Context, workspaceID int64, name string) (string, *crmsync.APIToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	tok := fmt.Sprintf("fake-token-%d", f.nextID)
	f.tokens[tok] = workspaceID
	return tok, &crmsync.APIToken{ID: f.nextID, WorkspaceID: workspaceID, Name: name}, nil
}

func (f *failingStore) AuthenticateAPIToken(ctx context.Context, plaintext string) (*crmsync.APIToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ws, ok := f.tokens[plaintext]
	if !ok {
		return nil, crmsync.Errorf(crmsync.EUNAUTHORIZED, "Invalid API token.")
	}
	return &crmsync.APIToken{WorkspaceID: ws}, nil
}

func (f *failingStore) UpsertContacts(ctx context.Context, ws int64, cs []*crmsync.Contact) (crmsync.UpsertResult, error) {
	return crmsync.UpsertResult{}, f.err
}

var errDiskFull = errors.New("store: upsert contacts: disk I/O error at /var/lib/secret-path")
