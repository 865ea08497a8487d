package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/internal/procstat"
	"github.com/saleshive/crmsync/store"
	"github.com/saleshive/crmsync/store/pgtest"
	"github.com/saleshive/crmsync/web"
)

// Ingest benchmark shape: 100,000 contacts per operation, 1,000 per request.
const (
	benchContacts  = 100_000
	benchBatchSize = web.MaxBatchSize
)

// BenchmarkIngestContacts measures contacts/s for 100,000 new contacts
// written through the batch ingest API (real HTTP on loopback, JSON encoded
// by the client as it goes) and, as the raw limit in the same run, the same
// rows written straight through store.UpsertContacts (no HTTP, no JSON), on
// SQLite and on PostgreSQL. peak-rss-MB is the process's peak resident set
// (VmHWM), reset before each sub-benchmark, so it covers client, server,
// store and database driver (not the PostgreSQL server process);
// cpu-µs/contact is this process's user+system CPU time per contact.
//
//	go test -run '^$' -bench BenchmarkIngestContacts -benchtime 3x ./web/
func BenchmarkIngestContacts(b *testing.B) {
	backends := []struct {
		name string
		url  func(b *testing.B) string
	}{
		{"sqlite", func(b *testing.B) string { return filepath.Join(b.TempDir(), "bench.db") }},
		{"postgres", func(b *testing.B) string { return pgtest.DSN(b) }},
	}
	for _, be := range backends {
		b.Run(be.name+"/store", func(b *testing.B) {
			db := mustOpenDB(b, be.url(b))
			ws := benchWorkspace(b, db)
			runIngestBench(b, func(iter int) error {
				contacts := make([]*crmsync.Contact, benchBatchSize)
				for start := 0; start < benchContacts; start += benchBatchSize {
					for i := range contacts {
						contacts[i] = benchContact(iter, start+i)
					}
					if _, err := db.UpsertContacts(context.Background(), ws, contacts); err != nil {
						return err
					}
				}
				return nil
			})
		})
		for _, clients := range []int{1, 2} {
			name := be.name + "/api"
			if clients > 1 {
				name += "-" + strconv.Itoa(clients) + "clients"
			}
			b.Run(name, func(b *testing.B) {
				db := mustOpenDB(b, be.url(b))
				ws := benchWorkspace(b, db)
				token, _, err := db.CreateAPIToken(context.Background(), ws, "bench")
				if err != nil {
					b.Fatal(err)
				}
				srv := httptest.NewServer(web.NewServer(web.Config{Workspaces: db, Contacts: db, Activities: db}))
				defer srv.Close()
				runIngestBench(b, func(iter int) error {
					return postContacts(srv.Client(), srv.URL+"/api/v1/contacts/batch", token, iter, clients)
				})
			})
		}
	}
}

// postContacts sends the benchContacts contacts of iteration iter as
// batches of benchBatchSize, from the given number of concurrent clients.
func postContacts(client *http.Client, url, token string, iter, clients int) error {
	batches := make(chan int)
	errs := make(chan error, clients)
	for range clients {
		go func() {
			var body bytes.Buffer
			var err error
			for start := range batches {
				if err != nil {
					continue // drain
				}
				body.Reset()
				appendBenchBatch(&body, iter, start, benchBatchSize)
				err = postBatch(client, url, token, body.Bytes())
			}
			errs <- err
		}()
	}
	for start := 0; start < benchContacts; start += benchBatchSize {
		batches <- start
	}
	close(batches)
	var firstErr error
	for range clients {
		if err := <-errs; err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// runIngestBench runs ingest once per iteration and reports contacts/s and
// the peak resident memory.
func runIngestBench(b *testing.B, ingest func(iter int) error) {
	b.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	procstat.ResetPeakRSS()
	cpuBefore := procstat.CPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := ingest(i); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	contacts := float64(benchContacts * b.N)
	b.ReportMetric(contacts/b.Elapsed().Seconds(), "contacts/s")
	// CPU time is steadier than wall time on a shared machine: the
	// difference between api and store is the HTTP layer's cost.
	b.ReportMetric(float64((procstat.CPU()-cpuBefore).Microseconds())/contacts, "cpu-µs/contact")
	if peak := procstat.PeakRSS(); peak > 0 {
		b.ReportMetric(float64(peak)/(1<<20), "peak-rss-MB")
	}
}

func benchWorkspace(b *testing.B, db *store.DB) int64 {
	w := &crmsync.Workspace{Name: "Bench", StrategistEmail: "sam@saleshive.example"}
	if err := db.CreateWorkspace(context.Background(), w); err != nil {
		b.Fatal(err)
	}
	return w.ID
}

// benchContact is contact n of iteration iter, with the fields a typical
// platform contact has.
func benchContact(iter, n int) *crmsync.Contact {
	id := strconv.Itoa(iter) + "-" + strconv.Itoa(n)
	return &crmsync.Contact{
		SourceID: "src-" + id, FirstName: "Ada", LastName: "Lovelace" + id,
		Email: "ada" + id + "@example.com", Phone: "+1 555 0100", Title: "VP Engineering",
		Company: "Analytical Engines", City: "London", Country: "GB", LeadSource: "SalesHive",
		CustomFields: map[string]string{"industry": "computing"},
	}
}

// appendBenchBatch writes the JSON batch of contacts start..start+n of
// iteration iter, the same records benchContact builds, the way a lean
// client would (plain appends, no reflection), so that the client's share of
// the two cores stays small.
func appendBenchBatch(buf *bytes.Buffer, iter, start, n int) {
	buf.WriteString(`{"contacts":[`)
	for i := start; i < start+n; i++ {
		if i > start {
			buf.WriteByte(',')
		}
		id := strconv.Itoa(iter) + "-" + strconv.Itoa(i)
		buf.WriteString(`{"source_id":"src-`)
		buf.WriteString(id)
		buf.WriteString(`","first_name":"Ada","last_name":"Lovelace`)
		buf.WriteString(id)
		buf.WriteString(`","email":"ada`)
		buf.WriteString(id)
		buf.WriteString(`@example.com","phone":"+1 555 0100","title":"VP Engineering","company":"Analytical Engines",` +
			`"city":"London","country":"GB","lead_source":"SalesHive","custom_fields":{"industry":"computing"}}`)
	}
	buf.WriteString(`]}`)
}

func postBatch(client *http.Client, url, token string, body []byte) error {
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST batch: %d %.300s", resp.StatusCode, data)
	}
	return nil
}

// BenchmarkDecodeContactsBatch measures the server's JSON path alone: one
// 1,000-contact batch request decoded, validated by the handler and
// answered, against a store that accepts everything without I/O.
//
//	go test -run '^$' -bench BenchmarkDecodeContactsBatch ./web/
func BenchmarkDecodeContactsBatch(b *testing.B) {
	var body bytes.Buffer
	appendBenchBatch(&body, 0, 0, benchBatchSize)
	db := &nullStore{}
	srv := web.NewServer(web.Config{Workspaces: db, Contacts: db})
	b.SetBytes(int64(body.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		req := httptest.NewRequest("POST", "/api/v1/contacts/batch", bytes.NewReader(body.Bytes()))
		req.Header.Set("Authorization", "Bearer t")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(b.N*benchBatchSize)/b.Elapsed().Seconds(), "contacts/s")
}

// nullStore accepts any token and any contacts, to time the HTTP layer alone.
type nullStore struct {
	crmsync.WorkspaceService
	crmsync.ContactService
	nextID int64
}

func (n *nullStore) AuthenticateAPIToken(ctx context.Context, plaintext string) (*crmsync.APIToken, error) {
	return &crmsync.APIToken{WorkspaceID: 1}, nil
}

func (n *nullStore) UpsertContacts(ctx context.Context, ws int64, cs []*crmsync.Contact) (crmsync.UpsertResult, error) {
	for _, c := range cs {
		if err := c.Validate(); err != nil {
			return crmsync.UpsertResult{}, err
		}
		n.nextID++
		c.ID = n.nextID
	}
	return crmsync.UpsertResult{Created: len(cs)}, nil
}

// TestBenchBatchMatchesStoreRows checks that the API benchmark's JSON and
// the store benchmark's contacts are the same rows, so the two numbers of
// BenchmarkIngestContacts compare like with like.
func TestBenchBatchMatchesStoreRows(t *testing.T) {
	var body bytes.Buffer
	appendBenchBatch(&body, 2, 10, 3)
	var batch struct{ Contacts []*crmsync.Contact }
	if err := json.Unmarshal(body.Bytes(), &batch); err != nil {
		t.Fatalf("bench JSON: %v\n%s", err, body.Bytes())
	}
	want := []*crmsync.Contact{benchContact(2, 10), benchContact(2, 11), benchContact(2, 12)}
	if diff := cmp.Diff(want, batch.Contacts); diff != "" {
		t.Errorf("API rows differ from store rows (-store +api):\n%s", diff)
	}
}
