package syncer_test

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/internal/procstat"
)

// BenchmarkImport imports contacts into the HubSpot sandbox with rate
// limits off (crmsync's and the sandbox's) and reports contacts/s, this
// process's CPU time per contact (engine, store and SQLite; the sandbox
// runs in a child process, whose CPU time is reported apart) and its peak
// resident memory. Run with -benchtime=1x;
// CRMSYNC_BENCH_CONTACTS sets the count (default 100,000). See
// docs/BENCHMARKS.md.
func BenchmarkImport(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			n := benchContacts()
			for range b.N {
				// The sandbox runs in its own process: peak-rss-MB is crmsync's.
				sandboxURL, sandboxPID := startSandboxProcess(b)
				e := newEnv(b, crmCases[0], envOpts{postgres: db == "postgres", unlimited: true, sandboxURL: sandboxURL})
				e.addContacts(n, "bench")
				e.connect()
				runtime.GC()
				procstat.ResetPeakRSS()
				cpu0, sbCPU0, start := procstat.CPU(), procstat.ProcessCPU(sandboxPID), time.Now()
				e.importAll(b)
				took, cpu, sbCPU := time.Since(start), procstat.CPU()-cpu0, procstat.ProcessCPU(sandboxPID)-sbCPU0
				if got := e.total(e.c.contactObject); got != n {
					b.Fatalf("CRM holds %d contacts, want %d", got, n)
				}
				b.ReportMetric(float64(n)/took.Seconds(), "contacts/s")
				b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/contact")
				b.ReportMetric(float64(sbCPU.Microseconds())/float64(n), "sandbox-cpu-µs/contact")
				b.ReportMetric(float64(procstat.PeakRSS())/(1<<20), "peak-rss-MB")
			}
		})
	}
}

// BenchmarkImportRateLimited imports contacts into the HubSpot sandbox with
// its documented limit on (110 requests per 10 s) and crmsync's limiter at
// the connector's default, and reports the import time against the floor
// that limit sets: one 100-contact request per allowed request.
// CRMSYNC_BENCH_CONTACTS sets the count (default 10,000 here).
func BenchmarkImportRateLimited(b *testing.B) {
	n := 10000
	if v := os.Getenv("CRMSYNC_BENCH_CONTACTS"); v != "" {
		n = benchContacts()
	}
	for range b.N {
		e := newEnv(b, crmCases[0], envOpts{limited: true})
		e.addContacts(n, "limited")
		e.connect()
		lim, err := e.sb.RateLimits(e.ctx, "hubspot")
		if err != nil {
			b.Fatal(err)
		}
		w := lim.Windows["ten_secondly_rolling"]
		if w.Max == 0 || lim.Disabled {
			b.Fatalf("sandbox rate limit not on: %+v", lim)
		}
		perSecond := float64(w.Max) / (float64(w.PeriodMS) / 1000)
		start := time.Now()
		e.importAll(b)
		took := time.Since(start)
		st, err := e.sb.Stats(e.ctx, "hubspot")
		if err != nil {
			b.Fatal(err)
		}
		floor := time.Duration(float64(n) / 100 / perSecond * float64(time.Second))
		b.ReportMetric(took.Seconds(), "s")
		b.ReportMetric(floor.Seconds(), "floor-s")
		b.ReportMetric(took.Seconds()/floor.Seconds(), "x-floor")
		b.ReportMetric(float64(st.Throttled), "throttled")
	}
}

// importAll runs "Import N contacts" and waits until it is done.
func (e *env) importAll(b *testing.B) {
	if _, err := e.eng.StartImport(e.ctx, e.ws.ID, e.connID, false); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Minute)
	for e.conn().Import.State != crmsync.ImportDone {
		if time.Now().After(deadline) {
			b.Fatalf("import not done: %+v", e.conn().Import)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func benchContacts() int {
	if v := os.Getenv("CRMSYNC_BENCH_CONTACTS"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	return 100000
}

// BenchmarkTestContact measures "Send a test contact" end to end against
// the HubSpot sandbox, with crmsync's rate limiter off (one click is never
// throttled). It reports the p50 of the whole call, of the CRM round trips
// inside it, and of the difference: crmsync's own cost.
func BenchmarkTestContact(b *testing.B) {
	e := newEnv(b, crmCases[0], envOpts{unlimited: true})
	e.connect()
	total := make([]time.Duration, 0, b.N)
	crmPart := make([]time.Duration, 0, b.N)
	over := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		r, err := e.eng.SendTestContact(e.ctx, e.ws.ID, e.connID)
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		total, crmPart, over = append(total, took), append(crmPart, r.Duration), append(over, took-r.Duration)
	}
	b.ReportMetric(p50ms(total), "p50-ms")
	b.ReportMetric(p50ms(crmPart), "crm-p50-ms")
	b.ReportMetric(p50ms(over), "overhead-p50-ms")
}

func p50ms(d []time.Duration) float64 {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return float64(d[len(d)/2].Microseconds()) / 1000
}

// BenchmarkScheduleCycle queues one sync for each of 10,000 connected
// connections: the cost of one scheduler cycle.
func BenchmarkScheduleCycle(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			e := newEnv(b, crmCases[0], envOpts{postgres: db == "postgres", interval: time.Hour})
			const conns = 10000
			connected := crmsync.StatusConnected
			skipped := crmsync.ImportSkipped
			for i := range conns {
				ws := &crmsync.Workspace{Name: fmt.Sprintf("ws %d", i), StrategistName: "S", StrategistEmail: "s@example.com"}
				if err := e.db.CreateWorkspace(e.ctx, ws); err != nil {
					b.Fatal(err)
				}
				c, err := e.db.EnsureConnection(e.ctx, ws.ID, crmsync.ProviderHubSpot)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := e.db.UpdateConnection(e.ctx, ws.ID, c.ID, crmsync.ConnectionUpdate{Status: &connected, ImportChoice: &skipped}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for range b.N {
				n, err := e.eng.ScheduleAll(e.ctx)
				if err != nil || n != conns {
					b.Fatalf("ScheduleAll = %d, %v", n, err)
				}
			}
		})
	}
}
