package store_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/secret"
	"github.com/saleshive/crmsync/store"
)

func TestConnectionService_EnsureConnection(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ws, other := mustWorkspace(t, db), mustWorkspace(t, db)
		c, err := db.EnsureConnection(ctx, ws.ID, crmsync.ProviderHubSpot)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("OK", func(t *testing.T) {
			if c.ID == 0 || c.WorkspaceID != ws.ID || c.Status != crmsync.StatusNotConnected ||
				c.ImportChoice != crmsync.ImportPending || c.Toggles != crmsync.DefaultSyncToggles {
				t.Fatalf("new connection = %+v", c)
			}
			again, err := db.EnsureConnection(ctx, ws.ID, crmsync.ProviderHubSpot)
			if err != nil || again.ID != c.ID {
				t.Fatalf("second EnsureConnection = %+v, %v; want the same connection", again, err)
			}
			byID, err := db.FindConnectionByID(ctx, ws.ID, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c, byID); diff != "" {
				t.Fatalf("FindConnectionByID differs:\n%s", diff)
			}
			byProvider, err := db.FindConnectionByProvider(ctx, ws.ID, crmsync.ProviderHubSpot)
			if err != nil || byProvider.ID != c.ID {
				t.Fatalf("FindConnectionByProvider = %+v, %v", byProvider, err)
			}
			list, err := db.FindConnections(ctx, ws.ID)
			if err != nil || len(list) != 1 {
				t.Fatalf("FindConnections = %v, %v", list, err)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			_, err := db.EnsureConnection(ctx, ws.ID, "dynamics")
			wantCode(t, err, crmsync.EINVALID)
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := db.EnsureConnection(ctx, 987654, crmsync.ProviderZoho)
			wantCode(t, err, crmsync.ENOTFOUND)
			_, err = db.FindConnectionByProvider(ctx, ws.ID, crmsync.ProviderZoho)
			wantCode(t, err, crmsync.ENOTFOUND)
		})
		t.Run("ErrOtherWorkspace", func(t *testing.T) {
			_, err := db.FindConnectionByID(ctx, other.ID, c.ID)
			wantCode(t, err, crmsync.ENOTFOUND)
			_, err = db.FindConnectionByProvider(ctx, other.ID, crmsync.ProviderHubSpot)
			wantCode(t, err, crmsync.ENOTFOUND)
			list, err := db.FindConnections(ctx, other.ID)
			if err != nil || len(list) != 0 {
				t.Fatalf("other workspace lists %d connections, %v", len(list), err)
			}
		})
	})
}

func TestConnectionService_UpdateConnection(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ws, other := mustWorkspace(t, db), mustWorkspace(t, db)
		c, err := db.EnsureConnection(ctx, ws.ID, crmsync.ProviderZoho)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("OK", func(t *testing.T) {
			connected, label, dc := crmsync.StatusConnected, "Acme Demo (Zoho)", crmsync.ZohoEU
			at := time.Date(2026, 7, 2, 10, 0, 0, 0, time.UTC)
			toggles := crmsync.SyncToggles{Contacts: true, Calls: true}
			cursor, dismissed := int64(42), true
			got, err := db.UpdateConnection(ctx, ws.ID, c.ID, crmsync.ConnectionUpdate{
				Status: &connected, AccountLabel: &label, ZohoDatacenter: &dc, ConnectedAt: &at, Toggles: &toggles,
				SyncCursor: &cursor, GuideDismissed: &dismissed, LastSyncAt: &at,
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != connected || got.AccountLabel != label || got.ZohoDatacenter != dc || !got.ConnectedAt.Equal(at) ||
				got.Toggles != toggles || got.SyncCursor != 42 || !got.GuideDismissed || got.LastSyncAt == nil || got.OwnerID != "" {
				t.Fatalf("updated connection = %+v", got)
			}
			reread, _ := db.FindConnectionByID(ctx, ws.ID, c.ID)
			if diff := cmp.Diff(got, reread); diff != "" {
				t.Fatalf("re-read differs:\n%s", diff)
			}
			all, err := db.FindConnectedConnections(ctx)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, x := range all {
				found = found || x.ID == c.ID
				if x.Status != crmsync.StatusConnected && x.Status != crmsync.StatusError {
					t.Fatalf("FindConnectedConnections returned %s connection %d", x.Status, x.ID)
				}
			}
			if !found {
				t.Fatal("FindConnectedConnections misses the connected connection")
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			bad := crmsync.ConnectionStatus("sleeping")
			_, err := db.UpdateConnection(ctx, ws.ID, c.ID, crmsync.ConnectionUpdate{Status: &bad})
			wantCode(t, err, crmsync.EINVALID)
		})
		t.Run("ErrOtherWorkspace", func(t *testing.T) {
			label := "hijacked"
			_, err := db.UpdateConnection(ctx, other.ID, c.ID, crmsync.ConnectionUpdate{AccountLabel: &label})
			wantCode(t, err, crmsync.ENOTFOUND)
			got, _ := db.FindConnectionByID(ctx, ws.ID, c.ID)
			if got.AccountLabel == label {
				t.Fatal("another workspace changed the connection")
			}
		})
	})
}

func TestConnectionService_SaveConnectionToken(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ws, other := mustWorkspace(t, db), mustWorkspace(t, db)
		c, err := db.EnsureConnection(ctx, ws.ID, crmsync.ProviderSalesforce)
		if err != nil {
			t.Fatal(err)
		}
		tok := &crmsync.Token{AccessToken: "at-1", RefreshToken: "rt-1", TokenType: "Bearer",
			Expiry: time.Date(2026, 7, 2, 11, 0, 0, 0, time.UTC), APIBase: "https://acme.my.salesforce.com", Extra: map[string]string{"id": "x"}}

		t.Run("ErrNotFoundBeforeSave", func(t *testing.T) {
			_, _, err := db.FindConnectionToken(ctx, ws.ID, c.ID)
			wantCode(t, err, crmsync.ENOTFOUND)
		})
		v1, err := db.SaveConnectionToken(ctx, ws.ID, c.ID, tok, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("OK", func(t *testing.T) {
			got, v, err := db.FindConnectionToken(ctx, ws.ID, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if v != v1 {
				t.Fatalf("version = %d, want %d", v, v1)
			}
			if diff := cmp.Diff(tok, got); diff != "" {
				t.Fatalf("token differs:\n%s", diff)
			}
		})
		t.Run("CompareAndSwap", func(t *testing.T) {
			_, v, _ := db.FindConnectionToken(ctx, ws.ID, c.ID)
			// Two processes refresh from the same version: one wins.
			v2, err := db.SaveConnectionToken(ctx, ws.ID, c.ID, &crmsync.Token{AccessToken: "at-A"}, v, false)
			if err != nil || v2 <= v {
				t.Fatalf("first save = %d, %v", v2, err)
			}
			_, err = db.SaveConnectionToken(ctx, ws.ID, c.ID, &crmsync.Token{AccessToken: "at-B"}, v, false)
			wantCode(t, err, crmsync.ECONFLICT)
			_, err = db.SaveConnectionToken(ctx, ws.ID, c.ID, &crmsync.Token{AccessToken: "at-B"}, 0, false)
			wantCode(t, err, crmsync.ECONFLICT)
			got, gotV, _ := db.FindConnectionToken(ctx, ws.ID, c.ID)
			if got.AccessToken != "at-A" || gotV != v2 {
				t.Fatalf("after the conflict the token is %q v%d, want at-A v%d", got.AccessToken, gotV, v2)
			}
			v3, err := db.SaveConnectionToken(ctx, ws.ID, c.ID, &crmsync.Token{AccessToken: "at-forced"}, 0, true)
			if err != nil || v3 != v2+1 {
				t.Fatalf("forced save = %d, %v", v3, err)
			}
		})
		t.Run("Delete", func(t *testing.T) {
			_, before, _ := db.FindConnectionToken(ctx, ws.ID, c.ID)
			if err := db.DeleteConnectionToken(ctx, ws.ID, c.ID); err != nil {
				t.Fatal(err)
			}
			if err := db.DeleteConnectionToken(ctx, ws.ID, c.ID); err != nil {
				t.Fatalf("second delete: %v", err)
			}
			_, _, err := db.FindConnectionToken(ctx, ws.ID, c.ID)
			wantCode(t, err, crmsync.ENOTFOUND)
			// A holder of the old version cannot overwrite the new login.
			_, err = db.SaveConnectionToken(ctx, ws.ID, c.ID, tok, before, false)
			wantCode(t, err, crmsync.ECONFLICT)
			v, err := db.SaveConnectionToken(ctx, ws.ID, c.ID, tok, 0, false)
			if err != nil || v <= before {
				t.Fatalf("save after delete = %d, %v; want a version above %d", v, err, before)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			_, err := db.SaveConnectionToken(ctx, ws.ID, c.ID, &crmsync.Token{}, 0, true)
			wantCode(t, err, crmsync.EINVALID)
		})
		t.Run("ErrOtherWorkspace", func(t *testing.T) {
			_, _, err := db.FindConnectionToken(ctx, other.ID, c.ID)
			wantCode(t, err, crmsync.ENOTFOUND)
			_, err = db.SaveConnectionToken(ctx, other.ID, c.ID, tok, 0, true)
			wantCode(t, err, crmsync.ENOTFOUND)
			wantCode(t, db.DeleteConnectionToken(ctx, other.ID, c.ID), crmsync.ENOTFOUND)
		})
	})
}

// TestSecrets_NotInSQLiteFile writes a token with recognisable access and
// refresh tokens and scans the raw bytes of the database file and its WAL
// for them, before and after a checkpoint.
func TestSecrets_NotInSQLiteFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "secrets.db")
	db, err := store.Open(ctx, path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ws := mustWorkspace(t, db)
	c, err := db.EnsureConnection(ctx, ws.ID, crmsync.ProviderHubSpot)
	if err != nil {
		t.Fatal(err)
	}
	access, refresh := "ACCESS-PLAINTEXT-7f3c9a", "REFRESH-PLAINTEXT-b41d07"
	if _, err := db.SaveConnectionToken(ctx, ws.ID, c.ID, &crmsync.Token{AccessToken: access, RefreshToken: refresh}, 0, false); err != nil {
		t.Fatal(err)
	}
	scan := func(stage string) {
		t.Helper()
		scanned := 0
		for _, f := range []string{path, path + "-wal"} {
			b, err := os.ReadFile(f)
			if os.IsNotExist(err) {
				continue
			} else if err != nil {
				t.Fatal(err)
			}
			scanned += len(b)
			for _, s := range []string{access, refresh} {
				if bytes.Contains(b, []byte(s)) {
					t.Fatalf("%s: %s holds the plaintext %q", stage, filepath.Base(f), s)
				}
			}
		}
		if scanned == 0 {
			t.Fatalf("%s: no database bytes to scan", stage)
		}
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("expected the token write in the WAL: %v", err)
	}
	scan("before checkpoint")
	db.CheckpointForTest(t)
	scan("after checkpoint")

	// The scan would see a plaintext: prove it by writing one in a field
	// that is not encrypted.
	label := "LABEL-PLAINTEXT-91ab"
	if _, err := db.UpdateConnection(ctx, ws.ID, c.ID, crmsync.ConnectionUpdate{AccountLabel: &label}); err != nil {
		t.Fatal(err)
	}
	db.CheckpointForTest(t)
	b, _ := os.ReadFile(path)
	if !bytes.Contains(b, []byte(label)) {
		t.Fatal("the scan cannot find even an unencrypted value; the test proves nothing")
	}

	t.Run("ErrWrongKey", func(t *testing.T) {
		k, _ := secret.GenerateKey()
		kr, _ := secret.NewKeyring(k)
		opts := testOptions()
		opts.Keyring = kr
		db2, err := store.Open(ctx, path, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		_, _, err = db2.FindConnectionToken(ctx, ws.ID, c.ID)
		if err == nil || crmsync.ErrorCode(err) != crmsync.EINTERNAL {
			t.Fatalf("reading with the wrong key = %v, want an internal error", err)
		}
		if strings.Contains(err.Error(), access) || strings.Contains(err.Error(), refresh) {
			t.Fatal("the error leaks the token")
		}
	})
}

func TestConnectionService_SchemaAndImport(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ws := mustWorkspace(t, db)
		c, err := db.EnsureConnection(ctx, ws.ID, crmsync.ProviderSalesforce)
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(c.Schema, crmsync.CRMSchema{}) || !cmp.Equal(c.Import, crmsync.ImportRun{}) {
			t.Fatalf("new connection has schema %+v, import %+v", c.Schema, c.Import)
		}
		schema := crmsync.CRMSchema{ContactExternalID: "SalesHive_ID__c", ActivityExternalID: "SalesHive_Activity_ID__c",
			Extra: map[string]string{"task_type": "Call"}}
		started := time.Date(2026, 7, 2, 10, 0, 0, 123456789, time.FixedZone("CEST", 2*3600))
		run := crmsync.ImportRun{State: crmsync.ImportRunning, Resync: true, Total: 1234, Queued: true, StartedAt: &started}
		got, err := db.UpdateConnection(ctx, ws.ID, c.ID, crmsync.ConnectionUpdate{Schema: &schema, Import: &run})
		if err != nil {
			t.Fatal(err)
		}
		wantStarted := started.UTC().Truncate(time.Microsecond)
		wantRun := run
		wantRun.StartedAt = &wantStarted
		if diff := cmp.Diff(schema, got.Schema); diff != "" {
			t.Fatalf("schema differs:\n%s", diff)
		}
		if diff := cmp.Diff(wantRun, got.Import); diff != "" {
			t.Fatalf("import differs:\n%s", diff)
		}
		reread, err := db.FindConnectionByID(ctx, ws.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(got, reread); diff != "" {
			t.Fatalf("re-read differs:\n%s", diff)
		}
		// Updating other fields keeps them.
		label := "Acme (Salesforce)"
		got, err = db.UpdateConnection(ctx, ws.ID, c.ID, crmsync.ConnectionUpdate{AccountLabel: &label})
		if err != nil || !cmp.Equal(got.Schema, schema) || !cmp.Equal(got.Import, wantRun) {
			t.Fatalf("after another update: %+v, %v", got, err)
		}
	})
}

func TestConnectionService_ExpectStatus(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ws, other := mustWorkspace(t, db), mustWorkspace(t, db)
		c, err := db.EnsureConnection(ctx, ws.ID, crmsync.ProviderHubSpot)
		if err != nil {
			t.Fatal(err)
		}
		connected, disconnected, errStatus := crmsync.StatusConnected, crmsync.StatusDisconnected, crmsync.StatusError
		notConnected := crmsync.StatusNotConnected
		if _, err := db.UpdateConnection(ctx, ws.ID, c.ID, crmsync.ConnectionUpdate{Status: &connected, ExpectStatus: &notConnected}); err != nil {
			t.Fatal(err)
		}
		t.Run("Conflict", func(t *testing.T) {
			before := db.DumpForTest(t)
			reason := "refresh token revoked"
			_, err := db.UpdateConnection(ctx, ws.ID, c.ID, crmsync.ConnectionUpdate{
				Status: &disconnected, DisconnectReason: &reason, ExpectStatus: &errStatus})
			wantCode(t, err, crmsync.ECONFLICT)
			if diff := cmp.Diff(before, db.DumpForTest(t)); diff != "" {
				t.Fatalf("a conflicting update changed the database:\n%s", diff)
			}
		})
		t.Run("OnlyOneWins", func(t *testing.T) {
			reason := "refresh token revoked"
			upd := crmsync.ConnectionUpdate{Status: &disconnected, DisconnectReason: &reason, ExpectStatus: &connected}
			got, err := db.UpdateConnection(ctx, ws.ID, c.ID, upd)
			if err != nil || got.Status != disconnected || got.DisconnectReason != reason {
				t.Fatalf("first update = %+v, %v", got, err)
			}
			_, err = db.UpdateConnection(ctx, ws.ID, c.ID, upd)
			wantCode(t, err, crmsync.ECONFLICT)
		})
		t.Run("ErrOtherWorkspace", func(t *testing.T) {
			_, err := db.UpdateConnection(ctx, other.ID, c.ID, crmsync.ConnectionUpdate{Status: &connected, ExpectStatus: &disconnected})
			wantCode(t, err, crmsync.ENOTFOUND)
			bad := crmsync.ConnectionStatus("asleep")
			_, err = db.UpdateConnection(ctx, ws.ID, c.ID, crmsync.ConnectionUpdate{Status: &connected, ExpectStatus: &bad})
			wantCode(t, err, crmsync.EINVALID)
		})
		t.Run("FindConnectedConnectionsIncludesError", func(t *testing.T) {
			if _, err := db.UpdateConnection(ctx, ws.ID, c.ID, crmsync.ConnectionUpdate{Status: &errStatus}); err != nil {
				t.Fatal(err)
			}
			pd, err := db.EnsureConnection(ctx, ws.ID, crmsync.ProviderPipedrive)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.UpdateConnection(ctx, ws.ID, pd.ID, crmsync.ConnectionUpdate{Status: &connected}); err != nil {
				t.Fatal(err)
			}
			zo, err := db.EnsureConnection(ctx, ws.ID, crmsync.ProviderZoho)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.UpdateConnection(ctx, ws.ID, zo.ID, crmsync.ConnectionUpdate{Status: &disconnected}); err != nil {
				t.Fatal(err)
			}
			all, err := db.FindConnectedConnections(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, x := range all {
				got = append(got, x.ID)
			}
			if !cmp.Equal(got, []int64{c.ID, pd.ID}) {
				t.Fatalf("FindConnectedConnections = %v, want [%d %d] (error and connected, not disconnected %d)", got, c.ID, pd.ID, zo.ID)
			}
		})
	})
}
