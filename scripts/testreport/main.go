package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output events
	Test       string
	Output     string
	Elapsed    float64
}

// pkgResult collects what happened in one package.
type pkgResult struct {
	passed  map[string]bool // test name → passed
	failed  []string
	skipped []string
	output  map[string]*strings.Builder // test name ("" for the package) → output
}

func main() {
	failed, err := report(os.Stdin, os.Stdout, os.Getenv("CRMSYNC_REQUIRE_POSTGRES") == "1")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}

// report reads events from r and writes the report to w. It returns whether
// the run failed.
func report(r io.Reader, w io.Writer, requirePostgres bool) (failed bool, err error) {
	pkgs := map[string]*pkgResult{}
	get := func(name string) *pkgResult {
		p := pkgs[name]
		if p == nil {
			p = &pkgResult{passed: map[string]bool{}, output: map[string]*strings.Builder{}}
			pkgs[name] = p
		}
		return p
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		var ev event
		if err := json.Unmarshal(line, &ev); err != nil || ev.Action == "" {
			fmt.Fprintf(w, "%s\n", line) // not an event: pass it through
			continue
		}
		if ev.Action == "build-output" || ev.Action == "build-fail" {
			fmt.Fprint(w, ev.Output)
			if ev.Action == "build-fail" {
				failed = true
			}
			continue
		}
		p := get(ev.Package)
		switch ev.Action {
		case "output":
			b := p.output[ev.Test]
			if b == nil {
				b = new(strings.Builder)
				p.output[ev.Test] = b
			}
			b.WriteString(ev.Output)
		case "pass":
			if ev.Test == "" {
				fmt.Fprintf(w, "ok    %s\t%.1fs\n", ev.Package, ev.Elapsed)
			} else {
				p.passed[ev.Test] = true
			}
		case "skip":
			if ev.Test == "" {
				fmt.Fprintf(w, "?     %s\t[no test files]\n", ev.Package)
			} else {
				p.skipped = append(p.skipped, ev.Test)
			}
		case "fail":
			failed = true
			if ev.Test != "" {
				p.failed = append(p.failed, ev.Test)
				fmt.Fprintf(w, "--- FAIL: %s (%s)\n", ev.Test, ev.Package)
				if b := p.output[ev.Test]; b != nil {
					fmt.Fprint(w, indent(b.String()))
				}
			} else {
				if b := p.output[""]; b != nil {
					fmt.Fprint(w, indent(b.String()))
				}
				fmt.Fprintf(w, "FAIL  %s\t%.1fs\n", ev.Package, ev.Elapsed)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return true, err
	}
	if summarize(w, pkgs, requirePostgres) {
		failed = true
	}
	return failed, nil
}

// summarize prints the per-database table and reports whether a required
// PostgreSQL test was skipped.
func summarize(w io.Writer, pkgs map[string]*pkgResult, requirePostgres bool) (bad bool) {
	names := make([]string, 0, len(pkgs))
	for name := range pkgs {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "\nTests per database (leaf tests passed; a test counts for a database when its name has that element):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  PACKAGE\tPASSED\tSQLITE\tPOSTGRES\tSKIPPED")
	for _, name := range names {
		p := pkgs[name]
		leaves := leafTests(p.passed)
		if len(leaves) == 0 && len(p.skipped) == 0 {
			continue
		}
		var sqlite, postgres int
		for _, t := range leaves {
			if hasElement(t, "sqlite") {
				sqlite++
			}
			if hasElement(t, "postgres") {
				postgres++
			}
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\n", name, len(leaves), sqlite, postgres, len(p.skipped))
	}
	tw.Flush()
	var passed, failed, skipped int
	for _, p := range pkgs {
		passed += len(leafTests(p.passed))
		failed += len(p.failed)
		skipped += len(p.skipped)
	}
	// The closing line in the plain form CI reads.
	fmt.Fprintf(w, "\ntests: %d passed, %d failed, %d skipped\n", passed, failed, skipped)
	for _, name := range names {
		for _, t := range pkgs[name].skipped {
			if hasElement(t, "postgres") || strings.Contains(pkgs[name].output[t].String(), "POSTGRESQL TESTS SKIPPED") {
				fmt.Fprintf(w, "SKIPPED on PostgreSQL: %s %s\n", name, t)
				if requirePostgres {
					bad = true
				}
			}
		}
	}
	return bad
}

// leafTests returns the passed tests that have no passed subtests.
func leafTests(passed map[string]bool) []string {
	var leaves []string
	for t := range passed {
		leaf := true
		for u := range passed {
			if strings.HasPrefix(u, t+"/") {
				leaf = false
				break
			}
		}
		if leaf {
			leaves = append(leaves, t)
		}
	}
	return leaves
}

// hasElement reports whether one "/"-separated element of a test name is
// db, "<db>ql", or db followed by a separator ("TestStore/postgres/Contacts",
// "TestX/sqlite_wal", "TestY/PostgreSQL"); "PostgresSkip" is not one.
func hasElement(test, db string) bool {
	for _, el := range strings.Split(strings.ToLower(test), "/") {
		rest, ok := strings.CutPrefix(el, db)
		if ok && (rest == "" || rest == "ql" || rest[0] == '_' || rest[0] == '-' || rest[0] == '#') {
			return true
		}
	}
	return false
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") + "\n"
}
