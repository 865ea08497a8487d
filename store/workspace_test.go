package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/store"
)

func TestWorkspaceService_CreateWorkspace(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t.Run("OK", func(t *testing.T) {
			w := mustWorkspace(t, db)
			got, err := db.FindWorkspaceByID(ctx, w.ID)
			if err != nil {
				t.Fatal(err)
			}
			if *got != *w {
				t.Fatalf("found %+v, want %+v", got, w)
			}
			all, err := db.FindWorkspaces(ctx)
			if err != nil || len(all) == 0 || all[len(all)-1].ID != w.ID {
				t.Fatalf("FindWorkspaces = %v, %v; want the new workspace last", all, err)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			err := db.CreateWorkspace(ctx, &crmsync.Workspace{StrategistEmail: "nope"})
			wantCode(t, err, crmsync.EINVALID)
			if got := strings.Join(fieldNames(err), ","); got != "name,strategist_email" {
				t.Fatalf("fields = %s", got)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := db.FindWorkspaceByID(ctx, 424242)
			wantCode(t, err, crmsync.ENOTFOUND)
		})
	})
}

func TestWorkspaceService_Users(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ws := mustWorkspace(t, db)
		client := &crmsync.User{WorkspaceID: ws.ID, Email: "Client@Example.com", Name: "Cli Ent", Role: crmsync.RoleClient}
		if err := db.CreateUser(ctx, client, "correct horse"); err != nil {
			t.Fatal(err)
		}

		t.Run("AuthenticateOK", func(t *testing.T) {
			u, err := db.AuthenticateUser(ctx, "client@example.COM", "correct horse")
			if err != nil {
				t.Fatal(err)
			}
			if u.ID != client.ID || u.Email != "client@example.com" || u.Role != crmsync.RoleClient {
				t.Fatalf("authenticated %+v", u)
			}
			if got, err := db.FindUserByID(ctx, client.ID); err != nil || got.Email != u.Email {
				t.Fatalf("FindUserByID = %+v, %v", got, err)
			}
		})
		t.Run("ErrUnauthorized", func(t *testing.T) {
			_, err := db.AuthenticateUser(ctx, "client@example.com", "wrong horse")
			wantCode(t, err, crmsync.EUNAUTHORIZED)
			_, err = db.AuthenticateUser(ctx, "nobody@example.com", "correct horse")
			wantCode(t, err, crmsync.EUNAUTHORIZED)
		})
		t.Run("PasswordNotStoredInClear", func(t *testing.T) {
			if strings.Contains(db.DumpForTest(t), "correct horse") {
				t.Fatal("the password is in the database")
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			err := db.CreateUser(ctx, &crmsync.User{WorkspaceID: ws.ID, Email: "x@example.com", Role: "admin"}, "short")
			wantCode(t, err, crmsync.EINVALID)
			if got := strings.Join(fieldNames(err), ","); got != "role,password" {
				t.Fatalf("fields = %s", got)
			}
		})
		t.Run("ErrConflict", func(t *testing.T) {
			err := db.CreateUser(ctx, &crmsync.User{WorkspaceID: ws.ID, Email: "client@example.com", Role: crmsync.RoleClient}, "another password")
			wantCode(t, err, crmsync.ECONFLICT)
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			err := db.CreateUser(ctx, &crmsync.User{WorkspaceID: 987654, Email: "y@example.com", Role: crmsync.RoleClient}, "long enough")
			wantCode(t, err, crmsync.ENOTFOUND)
			_, err = db.FindUserByID(ctx, 987654)
			wantCode(t, err, crmsync.ENOTFOUND)
		})
	})
}

func TestWorkspaceService_AssignStrategist(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		home, assigned, unrelated := mustWorkspace(t, db), mustWorkspace(t, db), mustWorkspace(t, db)
		strategist := &crmsync.User{WorkspaceID: home.ID, Email: "sam@saleshive.example", Role: crmsync.RoleStrategist}
		client := &crmsync.User{WorkspaceID: unrelated.ID, Email: "c@example.com", Role: crmsync.RoleClient}
		for _, u := range []*crmsync.User{strategist, client} {
			if err := db.CreateUser(ctx, u, "password123"); err != nil {
				t.Fatal(err)
			}
		}
		t.Run("OK", func(t *testing.T) {
			for range 2 { // idempotent
				if err := db.AssignStrategist(ctx, assigned.ID, strategist.ID); err != nil {
					t.Fatal(err)
				}
			}
			ws, err := db.FindWorkspacesForUser(ctx, strategist.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(ws) != 2 || ws[0].ID != home.ID || ws[1].ID != assigned.ID {
				t.Fatalf("strategist sees %v, want home and assigned", ws)
			}
		})
		t.Run("ErrOtherWorkspace", func(t *testing.T) {
			ws, err := db.FindWorkspacesForUser(ctx, client.ID)
			if err != nil || len(ws) != 1 || ws[0].ID != unrelated.ID {
				t.Fatalf("client sees %v, %v; want only its own workspace", ws, err)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			wantCode(t, db.AssignStrategist(ctx, assigned.ID, client.ID), crmsync.EINVALID)
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			wantCode(t, db.AssignStrategist(ctx, 987654, strategist.ID), crmsync.ENOTFOUND)
			wantCode(t, db.AssignStrategist(ctx, assigned.ID, 987654), crmsync.ENOTFOUND)
			_, err := db.FindWorkspacesForUser(ctx, 987654)
			wantCode(t, err, crmsync.ENOTFOUND)
		})
	})
}

func TestWorkspaceService_APITokens(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ws := mustWorkspace(t, db)
		plain, tok, err := db.CreateAPIToken(ctx, ws.ID, "platform ingest")
		if err != nil {
			t.Fatal(err)
		}
		t.Run("OK", func(t *testing.T) {
			if !strings.HasPrefix(plain, store.APITokenPrefix) || !strings.HasPrefix(plain, tok.Prefix) || tok.ID == 0 {
				t.Fatalf("token %q / %+v", plain, tok)
			}
			got, err := db.AuthenticateAPIToken(ctx, plain)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != tok.ID || got.WorkspaceID != ws.ID || got.LastUsedAt == nil {
				t.Fatalf("authenticated %+v", got)
			}
		})
		t.Run("OnlyHashStored", func(t *testing.T) {
			if strings.Contains(db.DumpForTest(t), plain[len(tok.Prefix):]) {
				t.Fatal("the token's secret part is in the database")
			}
		})
		t.Run("ErrUnauthorized", func(t *testing.T) {
			for _, bad := range []string{"", "crms_short", plain[:len(plain)-1] + "A", "x" + plain[1:]} {
				if bad == plain {
					continue
				}
				_, err := db.AuthenticateAPIToken(ctx, bad)
				wantCode(t, err, crmsync.EUNAUTHORIZED)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			_, _, err := db.CreateAPIToken(ctx, ws.ID, " ")
			wantCode(t, err, crmsync.EINVALID)
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, _, err := db.CreateAPIToken(ctx, 987654, "x")
			wantCode(t, err, crmsync.ENOTFOUND)
		})
	})
}
