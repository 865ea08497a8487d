package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// RequireEnv is the environment variable that turns a missing PostgreSQL
// into a test failure instead of a skip.
const RequireEnv = "CRMSYNC_REQUIRE_POSTGRES"

// BinEnv is the environment variable naming the directory holding initdb,
// pg_ctl and postgres.
const BinEnv = "CRMSYNC_PG_BIN"

// startTimeout bounds how long the server may take to accept connections.
const startTimeout = 60 * time.Second

var (
	mu      sync.Mutex
	cluster *Cluster
	err0    error // the error of the one start attempt, reported to every caller
	started bool
	dbSeq   atomic.Int64
)

// Cluster is a running throwaway PostgreSQL server.
type Cluster struct {
	Port    int    // TCP port on 127.0.0.1
	Dir     string // temporary directory holding the data dir, socket and log
	binDir  string
	dataDir string
	logPath string
	cmd     *exec.Cmd
	asUser  *syscall.Credential // non-nil when running as root
	waited  chan struct{}
}

// DSN returns the URL of a new, empty database on the shared test cluster,
// starting the cluster on first use. It skips tb if PostgreSQL is not
// installed (fails instead when CRMSYNC_REQUIRE_POSTGRES=1) and fails tb if
// the cluster cannot be started or the database created.
func DSN(tb testing.TB) string {
	tb.Helper()
	c, err := Shared()
	if errors.Is(err, ErrNoBinaries) {
		msg := fmt.Sprintf("\n\n*** POSTGRESQL TESTS SKIPPED: %v ***\n*** Install PostgreSQL or set %s; set %s=1 to make this a failure. ***\n\n", err, BinEnv, RequireEnv)
		if os.Getenv(RequireEnv) == "1" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	name := fmt.Sprintf("t_%d", dbSeq.Add(1))
	if err := c.CreateDatabase(context.Background(), name); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return c.URL(name)
}

// Shared returns the cluster shared by the tests of this process, starting
// it on the first call. A failed start is not retried.
func Shared() (*Cluster, error) {
	mu.Lock()
	defer mu.Unlock()
	if !started {
		started = true
		cluster, err0 = Start()
	}
	return cluster, err0
}

// Main runs the tests of m, stops the shared cluster if one was started, and
// exits with the tests' status. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if err := StopShared(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
	}
	os.Exit(code)
}

// StopShared stops the shared cluster if one was started; a later DSN call
// would fail. For a TestMain that cannot use Main.
func StopShared() error {
	mu.Lock()
	c := cluster
	cluster, err0 = nil, errors.New("the shared cluster was stopped")
	started = true
	mu.Unlock()
	if c == nil {
		return nil
	}
	return c.Stop()
}

// ErrNoBinaries is returned (wrapped) by Start and Shared when initdb, pg_ctl
// or postgres cannot be found.
var ErrNoBinaries = errors.New("PostgreSQL binaries (initdb, pg_ctl, postgres) not found")

// findBinDir returns the directory holding initdb, pg_ctl and postgres.
func findBinDir() (string, error) {
	has := func(dir string) bool {
		for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				return false
			}
		}
		return true
	}
	if dir := os.Getenv(BinEnv); dir != "" {
		if has(dir) {
			return dir, nil
		}
		return "", fmt.Errorf("%w in %s=%s", ErrNoBinaries, BinEnv, dir)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	// Newest major version first ("9.6" < "15").
	sort.Slice(dirs, func(i, j int) bool { return majorOf(dirs[i]) > majorOf(dirs[j]) })
	for _, dir := range dirs {
		if has(dir) {
			return dir, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil && has(filepath.Dir(p)) {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("%w in %s, /usr/lib/postgresql/*/bin or $PATH", ErrNoBinaries, BinEnv)
}

func majorOf(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

// Start initialises and starts a new cluster in a fresh temporary directory.
// The caller must Stop it.
func Start() (*Cluster, error) {
	binDir, err := findBinDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{binDir: binDir}
	if os.Geteuid() == 0 {
		// initdb and postgres refuse to run as root.
		c.asUser, err = postgresCredential()
		if err != nil {
			return nil, fmt.Errorf("start cluster: %w", err)
		}
	}
	c.Dir, err = os.MkdirTemp("", "crmsync-pgtest-")
	if err != nil {
		return nil, fmt.Errorf("start cluster: %w", err)
	}
	c.dataDir = filepath.Join(c.Dir, "data")
	c.logPath = filepath.Join(c.Dir, "postgres.log")
	if c.asUser != nil {
		if err := os.Chown(c.Dir, int(c.asUser.Uid), int(c.asUser.Gid)); err != nil {
			c.removeDir()
			return nil, fmt.Errorf("start cluster: chown %s: %w", c.Dir, err)
		}
	}
	if out, err := c.command(filepath.Join(binDir, "initdb"), "-D", c.dataDir, "-U", "postgres",
		"--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		c.removeDir()
		return nil, fmt.Errorf("start cluster: initdb: %w\n%s", err, out)
	}
	// A free port can be taken by someone else between probing and binding;
	// try a few.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if lastErr = c.start(); lastErr == nil {
			return c, nil
		}
	}
	c.removeDir()
	return nil, lastErr
}

func postgresCredential() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs a postgres user: %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// command returns cmd prepared to run as the postgres user when we are root.
func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.asUser != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.asUser}
	}
	return cmd
}

func (c *Cluster) start() error {
	port, err := freePort()
	if err != nil {
		return fmt.Errorf("start cluster: %w", err)
	}
	c.Port = port
	logf, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("start cluster: %w", err)
	}
	defer logf.Close()
	// postgres runs as our direct child (not daemonised by pg_ctl) so that
	// the parent-death signal kills it if the test process dies without
	// cleaning up; SIGQUIT is PostgreSQL's immediate shutdown.
	cmd := c.command(filepath.Join(c.binDir, "postgres"), "-D", c.dataDir,
		"-c", "listen_addresses=127.0.0.1", "-p", strconv.Itoa(port),
		"-c", "unix_socket_directories="+c.Dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "shared_buffers=64MB")
	cmd.Stdout, cmd.Stderr = logf, logf
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start cluster: postgres: %w", err)
	}
	c.cmd = cmd
	c.waited = make(chan struct{})
	go func() { cmd.Wait(); close(c.waited) }()

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		select {
		case <-c.waited:
			return fmt.Errorf("start cluster: postgres exited on port %d: %s", port, c.logTail())
		case <-ctx.Done():
			c.kill()
			return fmt.Errorf("start cluster: postgres not ready after %s: %v\n%s", startTimeout, err, c.logTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (c *Cluster) logTail() string {
	b, _ := os.ReadFile(c.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return strings.TrimSpace(string(b))
}

// URL returns the connection URL of database name on the cluster.
func (c *Cluster) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, name)
}

// CreateDatabase creates an empty database called name.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// Stop shuts the server down immediately (pg_ctl stop -m immediate) and
// removes its directory.
func (c *Cluster) Stop() error {
	var err error
	if c.cmd != nil {
		out, stopErr := c.command(filepath.Join(c.binDir, "pg_ctl"), "stop", "-D", c.dataDir, "-m", "immediate", "-w", "-t", "30").CombinedOutput()
		if stopErr != nil {
			err = fmt.Errorf("stop cluster: pg_ctl: %w: %s", stopErr, strings.TrimSpace(string(out)))
		}
		select {
		case <-c.waited:
		case <-time.After(30 * time.Second):
			c.kill()
		}
	}
	c.removeDir()
	return err
}

func (c *Cluster) kill() {
	if c.cmd != nil && c.cmd.Process != nil {
		// The server and its children share the process group.
		syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.waited
	}
}

func (c *Cluster) removeDir() {
	if c.Dir != "" {
		os.RemoveAll(c.Dir)
	}
}
