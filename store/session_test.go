package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/store"
)

func TestSessionService(t *testing.T) {
	clock := &testClock{}
	opts := func() store.Options {
		o := testOptions()
		clock.now = time.Date(2026, 7, 2, 9, 0, 0, 0, time.UTC)
		o.Now = clock.Now
		return o
	}
	forEachDBWith(t, opts, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ws, other := mustWorkspace(t, db), mustWorkspace(t, db)
		u := &crmsync.User{WorkspaceID: ws.ID, Email: fmt.Sprintf("ada-%d@example.com", ws.ID), Name: "Ada", Role: crmsync.RoleClient}
		if err := db.CreateUser(ctx, u, "correct horse"); err != nil {
			t.Fatal(err)
		}
		token, s, err := db.CreateSession(ctx, u.ID, ws.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("Create", func(t *testing.T) {
			if raw, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(raw) != 32 {
				t.Fatalf("token %q is not 32 bytes of base64url (%v)", token, err)
			}
			if s.ID == 0 || s.UserID != u.ID || s.WorkspaceID != ws.ID || len(s.CSRFToken) < 32 ||
				!s.CreatedAt.Equal(clock.Now()) || !s.ExpiresAt.Equal(clock.Now().Add(time.Hour)) {
				t.Fatalf("session = %+v", s)
			}
			sum := sha256.Sum256([]byte(token))
			if n := db.QueryIntForTest(t, "SELECT count(*) FROM sessions WHERE token_hash = ?", sum[:]); n != 1 {
				t.Fatalf("%d sessions store the token's SHA-256, want 1", n)
			}
			token2, s2, err := db.CreateSession(ctx, u.ID, ws.ID, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if token2 == token || s2.CSRFToken == s.CSRFToken {
				t.Fatal("two sessions share a token or CSRF token")
			}
		})
		t.Run("Find", func(t *testing.T) {
			got, err := db.FindSession(ctx, token)
			if err != nil {
				t.Fatal(err)
			}
			if *got != *s {
				t.Fatalf("FindSession = %+v, want %+v", got, s)
			}
		})
		t.Run("ErrUnknownToken", func(t *testing.T) {
			otherTok, _, err := db.CreateSession(ctx, u.ID, ws.ID, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			forged := []byte(otherTok)
			forged[0] ^= 1 // still 43 characters, a different token
			for _, bad := range []string{"", "nonsense", string(forged), token + "x"} {
				_, err := db.FindSession(ctx, bad)
				wantCode(t, err, crmsync.EUNAUTHORIZED)
				wantCode(t, db.SwitchSessionWorkspace(ctx, bad, other.ID), crmsync.EUNAUTHORIZED)
			}
		})
		t.Run("Switch", func(t *testing.T) {
			if err := db.SwitchSessionWorkspace(ctx, token, other.ID); err != nil {
				t.Fatal(err)
			}
			got, err := db.FindSession(ctx, token)
			if err != nil || got.WorkspaceID != other.ID {
				t.Fatalf("after switch FindSession = %+v, %v", got, err)
			}
			wantCode(t, db.SwitchSessionWorkspace(ctx, token, 1<<40), crmsync.ENOTFOUND)
			if got, _ := db.FindSession(ctx, token); got.WorkspaceID != other.ID {
				t.Fatalf("a failed switch changed the workspace to %d", got.WorkspaceID)
			}
		})
		t.Run("ErrCreate", func(t *testing.T) {
			_, _, err := db.CreateSession(ctx, u.ID, ws.ID, 0)
			wantCode(t, err, crmsync.EINVALID)
			_, _, err = db.CreateSession(ctx, 1<<40, ws.ID, time.Hour)
			wantCode(t, err, crmsync.ENOTFOUND)
			_, _, err = db.CreateSession(ctx, u.ID, 1<<40, time.Hour)
			wantCode(t, err, crmsync.ENOTFOUND)
		})
		t.Run("Delete", func(t *testing.T) {
			tok, _, err := db.CreateSession(ctx, u.ID, ws.ID, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.DeleteSession(ctx, tok); err != nil {
				t.Fatal(err)
			}
			_, err = db.FindSession(ctx, tok)
			wantCode(t, err, crmsync.EUNAUTHORIZED)
			if err := db.DeleteSession(ctx, tok); err != nil {
				t.Fatalf("deleting twice: %v", err)
			}
			if _, err := db.FindSession(ctx, token); err != nil {
				t.Fatalf("deleting one session ended another: %v", err)
			}
		})
		t.Run("Expire", func(t *testing.T) {
			clock.Advance(time.Hour - time.Microsecond)
			if _, err := db.FindSession(ctx, token); err != nil {
				t.Fatalf("session ended before its expiry: %v", err)
			}
			clock.Advance(time.Microsecond)
			_, err := db.FindSession(ctx, token)
			wantCode(t, err, crmsync.EUNAUTHORIZED)
			wantCode(t, db.SwitchSessionWorkspace(ctx, token, ws.ID), crmsync.EUNAUTHORIZED)
			// Creating a session prunes expired ones.
			before := db.QueryIntForTest(t, "SELECT count(*) FROM sessions")
			fresh, _, err := db.CreateSession(ctx, u.ID, ws.ID, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if n := db.QueryIntForTest(t, "SELECT count(*) FROM sessions"); n != 1 || before < 2 {
				t.Fatalf("sessions before, after pruning = %d, %d; want ≥2, 1", before, n)
			}
			if _, err := db.FindSession(ctx, fresh); err != nil {
				t.Fatal(err)
			}
		})
	})
}
