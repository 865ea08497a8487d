// Command testreport reads `go test -json` events on standard input and
// prints a readable report: one line per package, the full output of every
// failing test, and a summary of how many tests ran on SQLite and on
// PostgreSQL in each package (a test counts for a database when its name
// has a "sqlite" or "postgres" element, the convention of this repository's
// conformance suites). It exits 1 if any test or package failed or if a
// PostgreSQL test was skipped while CRMSYNC_REQUIRE_POSTGRES=1.
//
//	go test -json ./... | go run ./scripts/testreport
package main
