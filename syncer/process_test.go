package syncer_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm/crmtest"
	"github.com/saleshive/crmsync/sandbox"
	"github.com/saleshive/crmsync/secret"
	"github.com/saleshive/crmsync/store"
	"github.com/saleshive/crmsync/store/pgtest"
	"github.com/saleshive/crmsync/syncer"
)

// Child worker processes are this test binary run again with
// workerEnv set: they open the test's database and run jobs until killed.
const (
	workerEnv     = "CRMSYNC_TEST_WORKER"
	workerDBEnv   = "CRMSYNC_TEST_WORKER_DB"
	workerSBEnv   = "CRMSYNC_TEST_WORKER_SANDBOX"
	workerLogEnv  = "CRMSYNC_TEST_WORKER_RUNLOG"
	childTimeout  = 20 * time.Second // job timeout: a killed run's lock expires soon after
	childRescueIn = 25 * time.Second
)

func TestMain(m *testing.M) {
	if os.Getenv(sandboxChildEnv) == "1" {
		if err := runChildSandbox(); err != nil {
			fmt.Fprintln(os.Stderr, "child sandbox:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Getenv(workerEnv) == "1" {
		if err := runChildWorker(); err != nil {
			fmt.Fprintln(os.Stderr, "child worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	pgtest.Main(m)
}

// sandboxChildEnv makes this test binary a sandbox server process, so a
// benchmark can measure crmsync's memory without the emulated CRM's.
const sandboxChildEnv = "CRMSYNC_TEST_SANDBOX_CHILD"

// sandboxProfileEnv names a file for the sandbox child's CPU profile.
const sandboxProfileEnv = "CRMSYNC_TEST_SANDBOX_CPUPROFILE"

// runChildSandbox serves the sandboxes (rate limits off) on a loopback
// port, prints its URL on the first line of stdout, and serves until
// stdin closes. With CRMSYNC_TEST_SANDBOX_CPUPROFILE set it writes a CPU
// profile of its whole life there.
func runChildSandbox() error {
	if path := os.Getenv(sandboxProfileEnv); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("http://%s\n", ln.Addr())
	srv := &http.Server{Handler: sandbox.New(sandbox.Config{RateLimitsDisabled: true}).Handler()}
	go func() {
		io.Copy(io.Discard, os.Stdin)
		srv.Close()
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// startSandboxProcess starts the sandboxes in a child process and returns
// their URL and the process id; the process ends with the test.
func startSandboxProcess(tb testing.TB) (url string, pid int) {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), sandboxChildEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		tb.Fatalf("child sandbox: %v", err)
	}
	return strings.TrimSpace(line), cmd.Process.Pid
}

// runChildWorker is a crmsync worker process: the engine with every
// connector, against the parent's database and sandbox. Each sync run's
// start and end is appended to the run log, for the overlap check.
func runChildWorker() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	kr, err := secret.NewKeyring(testKey())
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, os.Getenv(workerDBEnv), store.Options{Keyring: kr})
	if err != nil {
		return err
	}
	defer db.Close()
	jobsDB, closeJobs, err := syncer.OpenDatabase(ctx, db)
	if err != nil {
		return err
	}
	defer closeJobs()
	runLog, err := os.OpenFile(os.Getenv(workerLogEnv), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer runLog.Close()
	var mu sync.Mutex
	pid := os.Getpid()
	eng, err := syncer.New(syncer.Config{
		Store: db, Database: jobsDB, Sealer: kr, Connectors: allConnectors(os.Getenv(workerSBEnv)),
		Interval: time.Hour, RunBudget: time.Second, JobTimeout: childTimeout, RescueAfter: childRescueIn,
		Work: true, Logger: testLogger(),
		OnRun: func(connectionID int64, start bool) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(runLog, "%d %d %t %d\n", pid, connectionID, start, time.Now().UnixNano())
		},
	})
	if err != nil {
		return err
	}
	if err := eng.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return eng.Stop(sctx)
}

// startWorker starts a child worker process for e and returns it; it is
// stopped when the test ends.
func startWorker(t *testing.T, e *env, runLog string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), workerEnv+"=1", workerDBEnv+"="+e.dbURL, workerSBEnv+"="+e.sandboxURL, workerLogEnv+"="+runLog)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
		}
	})
	return cmd
}

// externalIDs lists the SalesHive external ids of every record of object,
// with repeats.
func (e *env) externalIDs(object, field string) []string {
	e.t.Helper()
	var ids []string
	for offset := 0; ; offset += 500 {
		page, err := e.sb.Records(e.ctx, e.c.name, object, offset, 500)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, r := range page.Records {
			ids = append(ids, str(r.Fields[field]))
		}
		if len(page.Records) < 500 {
			return ids
		}
	}
}

// assertExactlyOnce checks that object holds each wanted external id once
// and nothing else.
func assertExactlyOnce(t *testing.T, e *env, object, field string, want map[string]bool) {
	t.Helper()
	seen := map[string]int{}
	for _, id := range e.externalIDs(object, field) {
		seen[id]++
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("%s %s: %d records, want exactly 1", object, id, seen[id])
		}
	}
	for id, n := range seen {
		if !want[id] {
			t.Errorf("%s holds %d unexpected records with external id %q", object, n, id)
		}
	}
}

// schemaField is the CRM field holding the contact external id.
func (e *env) schemaField() string {
	return e.conn().Schema.ContactExternalID
}

// TestCrashDuringImport kills a worker process with SIGKILL in the middle
// of an import into Pipedrive (which, unlike the others, has no unique
// field to catch a duplicate) and starts another: every contact ends up in
// the CRM exactly once.
func TestCrashDuringImport(t *testing.T) {
	c := crmCases[2]
	if c.name != "pipedrive" {
		t.Fatalf("crmCases[2] is %s, want pipedrive", c.name)
	}
	e := newEnv(t, c, envOpts{noWork: true})
	const n = 3000
	e.addContacts(n, "crash")
	e.connect()
	if _, err := e.eng.StartImport(e.ctx, e.ws.ID, e.connID, false); err != nil {
		t.Fatal(err)
	}
	runLog := filepath.Join(t.TempDir(), "runs.log")
	first := startWorker(t, e, runLog)
	e.waitFor("a third of the import", func() bool { return e.total(c.contactObject) >= n/3 })
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	landed := e.total(c.contactObject)
	t.Logf("killed the worker with %d of %d contacts in the CRM", landed, n)
	if landed >= n {
		t.Fatalf("the import finished before the kill; nothing was tested")
	}
	startWorker(t, e, runLog)
	deadline := time.Now().Add(3 * time.Minute)
	for e.conn().Import.State != crmsync.ImportDone {
		if time.Now().After(deadline) {
			t.Fatalf("import not done after restart: %+v, CRM holds %d", e.conn().Import, e.total(c.contactObject))
		}
		time.Sleep(100 * time.Millisecond)
	}
	want := map[string]bool{}
	for i := range n {
		want[fmt.Sprintf("crash-%d", i)] = true
	}
	assertExactlyOnce(t, e, c.contactObject, e.schemaField(), want)
}

// TestScaleOut runs three worker processes on PostgreSQL against 50
// connections spread over the four sandboxes, with a tenth of the CRMs'
// answers failing (5% 503, 5% dropped after the write committed): every
// record lands exactly once, no two runs of one connection overlap (checked
// from the workers' run logs), and nothing is left pending.
func TestScaleOut(t *testing.T) {
	const (
		connections = 50
		contactsPer = 30
		callsPer    = 3
	)
	base := newEnv(t, crmCases[0], envOpts{postgres: true, noWork: true})
	type conn struct {
		e      *env
		prefix string
	}
	var all []conn
	for i := range connections {
		c := crmCases[i%len(crmCases)]
		// Every connection is its own workspace on the shared database,
		// engine and sandbox.
		e := *base
		e.c = c
		ws := &crmsync.Workspace{Name: fmt.Sprintf("Scale %d", i), StrategistName: "Sam", StrategistEmail: "sam@saleshive.example"}
		if err := base.db.CreateWorkspace(base.ctx, ws); err != nil {
			t.Fatal(err)
		}
		e.ws = ws
		prefix := fmt.Sprintf("w%d", i)
		e.addContacts(contactsPer, prefix)
		e.connect()
		all = append(all, conn{e: &e, prefix: prefix})
	}
	for _, c := range crmCases {
		if err := base.sb.SetFaults(base.ctx, c.name, faults(0.05, 0.05)); err != nil {
			t.Fatal(err)
		}
	}
	runLog := filepath.Join(t.TempDir(), "runs.log")
	for range 3 {
		startWorker(t, base, runLog)
	}
	for _, c := range all {
		if _, err := c.e.eng.StartImport(c.e.ctx, c.e.ws.ID, c.e.connID, false); err != nil {
			t.Fatal(err)
		}
		// New activity logged while the import runs.
		for j := range callsPer {
			c.e.addActivity(fmt.Sprintf("%s-call-%d", c.prefix, j), fmt.Sprintf("%s-%d", c.prefix, j), crmsync.ActivityCall)
		}
		if err := c.e.eng.SyncNow(c.e.ctx, c.e.ws.ID, c.e.connID); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(4 * time.Minute)
	for _, c := range all {
		for {
			conn := c.e.conn()
			pc, _ := c.e.db.CountPendingItems(c.e.ctx, c.e.ws.ID, c.e.connID, crmsync.ObjectContact)
			if conn.Import.State == crmsync.ImportDone && pc == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("connection %d (%s) not done: %+v, %d pending", conn.ID, conn.Provider, conn.Import, pc)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// The faults really fired: count them in each CRM's request log.
	for _, c := range crmCases {
		if err := base.sb.ClearFaults(base.ctx, c.name); err != nil {
			t.Fatal(err)
		}
		reqs, err := base.sb.Requests(base.ctx, c.name, 10000)
		if err != nil {
			t.Fatal(err)
		}
		fired := map[string]int{}
		for _, r := range reqs {
			fired[r.Fault]++
		}
		t.Logf("%s: %d requests logged, %d answered 503, %d dropped after commit", c.name, len(reqs), fired["error"], fired["drop"])
		if fired["error"] == 0 || fired["drop"] == 0 {
			t.Errorf("%s: faults did not fire (%v); the test proves nothing", c.name, fired)
		}
	}
	// Contacts: exactly once per CRM.
	byCRM := map[string]map[string]bool{}
	for _, c := range all {
		if byCRM[c.e.c.name] == nil {
			byCRM[c.e.c.name] = map[string]bool{}
		}
		for j := range contactsPer {
			byCRM[c.e.c.name][fmt.Sprintf("%s-%d", c.prefix, j)] = true
		}
	}
	for _, c := range all[:len(crmCases)] {
		assertExactlyOnce(t, c.e, c.e.c.contactObject, c.e.schemaField(), byCRM[c.e.c.name])
	}
	// Activities and the ledger: nothing pending, nothing failed, and each
	// CRM holds one call per pushed call.
	calls := map[string]int{}
	for _, c := range all {
		c.e.waitFor("calls pushed", func() bool {
			n, _ := c.e.db.CountPendingItems(c.e.ctx, c.e.ws.ID, c.e.connID, crmsync.ObjectActivity)
			return n == 0
		})
		h, err := c.e.db.Health(c.e.ctx, c.e.ws.ID, c.e.connID, time.Now())
		if err != nil || h.Failed != 0 {
			t.Errorf("connection %d health = %+v, %v; want nothing failed", c.e.connID, h, err)
		}
		calls[c.e.c.name] += callsPer
	}
	for _, c := range all[:len(crmCases)] {
		if got := c.e.activities(crmsync.ActivityCall); got != calls[c.e.c.name] {
			t.Errorf("%s holds %d calls, want %d", c.e.c.name, got, calls[c.e.c.name])
		}
	}
	checkNoOverlap(t, runLog)
}

func faults(errRate, dropRate float64) crmtest.Faults {
	return crmtest.Faults{ErrorRate: errRate, ErrorStatus: 503, DropAfterCommitRate: dropRate}
}

// checkNoOverlap reads the workers' run log and fails if two runs of one
// connection ever overlapped, in any processes.
func checkNoOverlap(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type run struct {
		pid        string
		start, end int64
	}
	open := map[string]int64{} // pid+connection → start
	runs := map[string][]run{} // connection → runs
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 4 {
			continue
		}
		at, _ := strconv.ParseInt(fields[3], 10, 64)
		key := fields[0] + "/" + fields[1]
		if fields[2] == "true" {
			open[key] = at
		} else if start, ok := open[key]; ok {
			runs[fields[1]] = append(runs[fields[1]], run{pid: fields[0], start: start, end: at})
			delete(open, key)
		}
	}
	total, pids := 0, map[string]bool{}
	for connID, rs := range runs {
		sort.Slice(rs, func(i, j int) bool { return rs[i].start < rs[j].start })
		for i := 1; i < len(rs); i++ {
			if rs[i].start < rs[i-1].end {
				t.Errorf("connection %s: a run in process %s started %v before the run in process %s ended",
					connID, rs[i].pid, time.Duration(rs[i-1].end-rs[i].start), rs[i-1].pid)
			}
		}
		total += len(rs)
		for _, r := range rs {
			pids[r.pid] = true
		}
	}
	t.Logf("%d sync runs of %d connections in %d processes, none overlapping", total, len(runs), len(pids))
	if len(pids) < 2 {
		t.Errorf("runs happened in %d worker processes; the test needs the work spread over several", len(pids))
	}
}
