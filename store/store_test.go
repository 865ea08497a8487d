package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/secret"
	"github.com/saleshive/crmsync/store"
	"github.com/saleshive/crmsync/store/pgtest"
)

// ranOn counts the suite's runs per dialect, for the summary line CI shows.
var ranOn = map[string]*atomic.Int64{"sqlite": {}, "postgres": {}}

func TestMain(m *testing.M) {
	code := m.Run()
	s, p := ranOn["sqlite"].Load(), ranOn["postgres"].Load()
	switch {
	case s > 0 && p > 0:
		fmt.Printf("store suite: ran on sqlite and postgres (%d sqlite runs, %d postgres runs)\n", s, p)
	case s > 0:
		fmt.Printf("store suite: ran on sqlite ONLY; postgres did NOT run (skipped or failed) (%d sqlite runs)\n", s)
		if os.Getenv(pgtest.RequireEnv) == "1" && code == 0 {
			fmt.Printf("store suite: %s=1 but no test ran on postgres\n", pgtest.RequireEnv)
			code = 1
		}
	}
	if err := pgtest.StopShared(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// testKeyring is one keyring for the whole suite.
var testKeyring = func() *secret.Keyring {
	k, err := secret.GenerateKey()
	if err != nil {
		panic(err)
	}
	kr, err := secret.NewKeyring(k)
	if err != nil {
		panic(err)
	}
	return kr
}()

// testOptions keeps password hashing cheap in tests.
func testOptions() store.Options {
	return store.Options{Keyring: testKeyring, PasswordIterations: 1000}
}

// MustOpenDB opens and migrates a fresh database of the dialect ("sqlite":
// a file in a temp dir; "postgres": a new database on the test cluster),
// closed when tb ends.
func MustOpenDB(tb testing.TB, dialect string) *store.DB {
	tb.Helper()
	return MustOpenDBWith(tb, dialect, testOptions())
}

// MustOpenDBWith is MustOpenDB with options.
func MustOpenDBWith(tb testing.TB, dialect string, opts store.Options) *store.DB {
	tb.Helper()
	var url string
	switch dialect {
	case "sqlite":
		url = filepath.Join(tb.TempDir(), "crmsync.db")
	case "postgres":
		url = pgtest.DSN(tb)
	default:
		tb.Fatalf("unknown dialect %q", dialect)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, url, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return db
}

// forEachDB runs fn on a fresh SQLite database and a fresh PostgreSQL
// database, as subtests "sqlite" and "postgres": the conformance suite.
func forEachDB(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	forEachDBWith(t, testOptions, fn)
}

// forEachDBWith is forEachDB with options made fresh for each database.
func forEachDBWith(t *testing.T, opts func() store.Options, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			db := MustOpenDBWith(t, dialect, opts())
			if db.Dialect() != dialect {
				t.Fatalf("Dialect() = %q, want %q", db.Dialect(), dialect)
			}
			ranOn[dialect].Add(1)
			fn(t, db)
		})
	}
}

// testClock is a settable clock for Options.Now.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var wsSeq atomic.Int64

// mustWorkspace creates a workspace with a unique name.
func mustWorkspace(t testing.TB, db *store.DB) *crmsync.Workspace {
	t.Helper()
	w := &crmsync.Workspace{Name: fmt.Sprintf("Acme %d", wsSeq.Add(1)), StrategistName: "Sam Strategist", StrategistEmail: "sam@saleshive.example"}
	if err := db.CreateWorkspace(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	return w
}

// contactN returns a valid contact with source id prefix-i.
func contactN(prefix string, i int) *crmsync.Contact {
	return &crmsync.Contact{
		SourceID: fmt.Sprintf("%s-%d", prefix, i), FirstName: "Ada", LastName: fmt.Sprintf("Lovelace %d", i),
		Email: fmt.Sprintf("ada%d@example.com", i), Phone: "+1 555 0100", Title: "CTO", Company: "Analytical Engines",
		Website: "https://example.com", City: "London", State: "LDN", Country: "UK", LeadSource: "SalesHive",
		CustomFields: map[string]string{"industry": "computing"},
	}
}

// mustContacts upserts n contacts prefix-0 … prefix-(n-1).
func mustContacts(t testing.TB, db *store.DB, workspaceID int64, prefix string, n int) []*crmsync.Contact {
	t.Helper()
	cs := make([]*crmsync.Contact, n)
	for i := range cs {
		cs[i] = contactN(prefix, i)
	}
	if _, err := db.UpsertContacts(context.Background(), workspaceID, cs); err != nil {
		t.Fatal(err)
	}
	return cs
}

// activityN returns a valid call on contact contactSourceID.
func activityN(prefix string, i int, contactSourceID string) *crmsync.Activity {
	return &crmsync.Activity{
		SourceID: fmt.Sprintf("%s-%d", prefix, i), ContactSourceID: contactSourceID, Kind: crmsync.ActivityCall,
		Subject: "Intro call", Body: "Talked about engines", Direction: crmsync.DirectionOutbound,
		OccurredAt: time.Date(2026, 7, 2, 15, 4, 5, 123456789, time.UTC), DurationSeconds: 300, Outcome: "connected",
	}
}

// wantCode fails t unless err carries the application error code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := crmsync.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// fieldNames lists the fields of an application error.
func fieldNames(err error) []string {
	var names []string
	for _, f := range crmsync.ErrorFields(err) {
		names = append(names, f.Field)
	}
	return names
}
