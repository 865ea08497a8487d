package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/store"
)

// BenchmarkStoreUpsertContacts measures the raw store limit: 1,000-contact
// batches of new contacts (each with its change-log rows) straight through
// UpsertContacts, on SQLite and on PostgreSQL. "update" re-sends existing
// contacts. The contacts/s metric is what docs/BENCHMARKS-store.md quotes.
//
//	go test ./store -run '^$' -bench BenchmarkStoreUpsertContacts -benchtime 100x
func BenchmarkStoreUpsertContacts(b *testing.B) {
	const batch = 1000
	for _, dialect := range []string{"sqlite", "postgres"} {
		for _, mode := range []string{"insert", "update"} {
			b.Run(dialect+"/"+mode, func(b *testing.B) {
				db := MustOpenDB(b, dialect)
				ctx := context.Background()
				ws := mustWorkspace(b, db)
				batches := make([][]*crmsync.Contact, b.N)
				for i := range batches {
					prefix := fmt.Sprintf("b%d", i)
					if mode == "update" {
						prefix = "same"
					}
					cs := make([]*crmsync.Contact, batch)
					for j := range cs {
						cs[j] = contactN(prefix, j)
					}
					batches[i] = cs
				}
				if mode == "update" {
					mustContacts(b, db, ws.ID, "same", batch)
				}
				b.ReportAllocs()
				cpu := startCPU()
				b.ResetTimer()
				for i := range b.N {
					if _, err := db.UpsertContacts(ctx, ws.ID, batches[i]); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				reportRate(b, batch, cpu)
			})
		}
	}
}

// BenchmarkSQLitePlainLoop is the reference the store is judged against: a
// plain modernc loop of prepared single-row INSERTs of the same contacts and
// their change-log rows into the same schema, 1,000 per transaction, with no
// upsert, validation or RETURNING.
func BenchmarkSQLitePlainLoop(b *testing.B) {
	const batch = 1000
	dir := b.TempDir()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "plain.db"), testOptions())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	ws := mustWorkspace(b, db)
	db.Close()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "plain.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	batches := make([][]*crmsync.Contact, b.N)
	for i := range batches {
		batches[i] = make([]*crmsync.Contact, batch)
		for j := range batches[i] {
			batches[i][j] = contactN(fmt.Sprintf("b%d", i), j)
		}
	}
	b.ReportAllocs()
	cpu := startCPU()
	b.ResetTimer()
	var seq int64
	for i := range b.N {
		now := time.Now().UnixMicro()
		tx, err := raw.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO contacts (workspace_id, source_id, first_name, last_name, email, phone, title, company,
			website, city, state, country, lead_source, custom_fields, change_seq, created_at, updated_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
		if err != nil {
			b.Fatal(err)
		}
		logIns, err := tx.PrepareContext(ctx, "INSERT INTO change_log (workspace_id, seq, object_type, object_id, kind, changed_at) VALUES (?,?,?,?,?,?)")
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range batches[i] {
			seq++
			res, err := ins.ExecContext(ctx, ws.ID, c.SourceID, c.FirstName, c.LastName, c.Email, c.Phone, c.Title, c.Company,
				c.Website, c.City, c.State, c.Country, c.LeadSource, `{"industry":"computing"}`, seq, now, now)
			if err != nil {
				b.Fatal(err)
			}
			id, _ := res.LastInsertId()
			if _, err := logIns.ExecContext(ctx, ws.ID, seq, "contact", id, "", now); err != nil {
				b.Fatal(err)
			}
		}
		ins.Close()
		logIns.Close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRate(b, batch, cpu)
}

// startCPU returns the CPU time (user + system) this process has used.
func startCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRate reports contacts/s over wall time and, because this machine is
// shared and wall time is noisy, this process's CPU time per 1,000
// contacts (for PostgreSQL the server's CPU is not included).
func reportRate(b *testing.B, batch int, cpuStart time.Duration) {
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "contacts/s")
	b.ReportMetric(float64(startCPU()-cpuStart)/float64(time.Millisecond)/float64(b.N*batch)*1000, "cpu-ms/1k")
}
