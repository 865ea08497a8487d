// Package pgtest gives tests a real, throwaway PostgreSQL server: the first
// call to DSN starts a cluster from the installed PostgreSQL binaries in a
// temporary directory on a free port, and every call creates a fresh, empty
// database in it.
//
// Use it from a test package like this:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) } // stops the cluster at the end
//
//	func TestSomething(t *testing.T) {
//		dsn := pgtest.DSN(t) // postgres://postgres@127.0.0.1:PORT/t_3?sslmode=disable
//		...
//	}
//
// The binaries are looked up in $CRMSYNC_PG_BIN, then the newest
// /usr/lib/postgresql/*/bin, then $PATH. If none is found DSN skips the test
// with a loud message, unless CRMSYNC_REQUIRE_POSTGRES=1 (set by the README
// test command and CI), in which case it fails. The server is also killed if
// the test process dies without running Main's cleanup.
package pgtest
