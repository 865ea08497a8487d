package main

import (
	"strings"
	"testing"
)

func TestHasElement(t *testing.T) {
	for test, want := range map[string]bool{
		"TestStore/postgres/Contacts": true,
		"TestStore/PostgreSQL":        true,
		"TestX/sqlite_wal":            true,
		"TestX/sqlite#01":             true,
		"TestReport/PostgresSkip":     false,
		"TestPostgres":                false,
	} {
		if got := hasElement(test, "postgres") || hasElement(test, "sqlite"); got != want {
			t.Errorf("hasElement(%q) = %v, want %v", test, got, want)
		}
	}
}

func TestReport(t *testing.T) {
	const pkg = `"Package":"example.com/store"`
	events := strings.Join([]string{
		`{"Action":"run",` + pkg + `,"Test":"TestStore"}`,
		`{"Action":"pass",` + pkg + `,"Test":"TestStore/sqlite/Contacts"}`,
		`{"Action":"pass",` + pkg + `,"Test":"TestStore/sqlite"}`,
		`{"Action":"pass",` + pkg + `,"Test":"TestStore/postgres/Contacts"}`,
		`{"Action":"pass",` + pkg + `,"Test":"TestStore/postgres/Activities"}`,
		`{"Action":"pass",` + pkg + `,"Test":"TestStore/postgres"}`,
		`{"Action":"pass",` + pkg + `,"Test":"TestStore"}`,
		`{"Action":"pass",` + pkg + `,"Elapsed":1.5}`,
	}, "\n")

	tests := []struct {
		name            string
		extra           string
		requirePostgres bool
		wantFailed      bool
		want            []string
	}{
		{name: "OK", want: []string{"ok    example.com/store\t1.5s", "example.com/store  3       1       2         0", "\ntests: 3 passed, 0 failed, 0 skipped\n"}},
		{name: "FailedTest", wantFailed: true,
			extra: `{"Action":"output",` + pkg + `,"Test":"TestX","Output":"    x_test.go:9: boom\n"}` + "\n" +
				`{"Action":"fail",` + pkg + `,"Test":"TestX"}`,
			want: []string{"--- FAIL: TestX (example.com/store)", "x_test.go:9: boom", "tests: 3 passed, 1 failed, 0 skipped"}},
		{name: "PostgresSkipRequired", requirePostgres: true, wantFailed: true,
			extra: `{"Action":"skip",` + pkg + `,"Test":"TestY/postgres"}`,
			want:  []string{"SKIPPED on PostgreSQL: example.com/store TestY/postgres"}},
		{name: "PostgresSkipAllowed", requirePostgres: false, wantFailed: false,
			extra: `{"Action":"skip",` + pkg + `,"Test":"TestY/postgres"}`,
			want:  []string{"SKIPPED on PostgreSQL"}},
		{name: "BuildFailure", wantFailed: true,
			extra: `{"ImportPath":"example.com/web","Action":"build-output","Output":"web/x.go:1: syntax error\n"}` + "\n" +
				`{"ImportPath":"example.com/web","Action":"build-fail"}`,
			want: []string{"web/x.go:1: syntax error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			failed, err := report(strings.NewReader(events+"\n"+tt.extra+"\n"), &out, tt.requirePostgres)
			if err != nil {
				t.Fatal(err)
			}
			if failed != tt.wantFailed {
				t.Errorf("failed = %v, want %v\n%s", failed, tt.wantFailed, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("report lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
