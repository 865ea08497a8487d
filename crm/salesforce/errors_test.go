package salesforce

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
)

// TestClassify runs Salesforce's error bodies (testdata/*.json, in the documented shapes)
// through the protocol's Classify.
func TestClassify(t *testing.T) {
	p := protocol{limitWait: 15 * time.Minute}
	tests := []struct {
		file      string
		status    int
		problem   crmsync.Problem
		code      string
		field     string
		retry     time.Duration
		temporary bool
	}{
		{"invalid_session.json", 401, crmsync.ProblemAuthRevoked, "INVALID_SESSION_ID", "", 0, false},
		{"no_api_scope.json", 403, crmsync.ProblemPermissionDenied, "INVALID_SESSION_ID", "", 0, false},
		{"request_limit_total.json", 403, crmsync.ProblemRateLimited, "REQUEST_LIMIT_EXCEEDED", "", 15 * time.Minute, true},
		{"request_limit_concurrent.json", 403, crmsync.ProblemRateLimited, "REQUEST_LIMIT_EXCEEDED", "", concurrentLimitWait, true},
		{"required_field_missing.json", 400, crmsync.ProblemRequiredFieldMissing, "REQUIRED_FIELD_MISSING", "LastName", 0, false},
		{"invalid_email.json", 400, crmsync.ProblemInvalidValue, "INVALID_EMAIL_ADDRESS", "Email", 0, false},
		{"string_too_long.json", 400, crmsync.ProblemInvalidValue, "STRING_TOO_LONG", "Title", 0, false},
		{"duplicate_value.json", 400, crmsync.ProblemInvalidValue, "DUPLICATE_VALUE", "", 0, false},
		{"duplicates_detected.json", 400, crmsync.ProblemDuplicateRule, "DUPLICATES_DETECTED", "", 0, false},
		{"unable_to_lock_row.json", 400, crmsync.ProblemRecordLocked, "UNABLE_TO_LOCK_ROW", "", 0, true},
		{"unable_to_lock_row.json", 500, crmsync.ProblemRecordLocked, "UNABLE_TO_LOCK_ROW", "", 0, true},
		{"invalid_field.json", 400, crmsync.ProblemFieldMissing, "INVALID_FIELD", "Favourite_Colour__c", 0, false},
		{"external_id_field_missing.json", 404, crmsync.ProblemFieldMissing, "NOT_FOUND", "", 0, false},
		{"not_found.json", 404, crmsync.ProblemUnknown, "NOT_FOUND", "", 0, false},
		{"inactive_owner.json", 400, crmsync.ProblemInvalidValue, "INACTIVE_OWNER_OR_USER", "", 0, false},
		{"insufficient_access.json", 400, crmsync.ProblemPermissionDenied, "INSUFFICIENT_ACCESS_OR_READONLY", "", 0, false},
		{"unknown_exception_500.json", 500, crmsync.ProblemCRMUnavailable, "UNKNOWN_EXCEPTION", "", 0, true},
		{"maintenance_503.html", 503, crmsync.ProblemCRMUnavailable, "", "", 0, true},
		{"invalid_grant.json", 400, crmsync.ProblemAuthRevoked, "invalid_grant", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			e := p.Classify(tt.status, http.Header{}, body)
			if e.Problem != tt.problem || e.Code != tt.code || e.Field != tt.field || e.RetryAfter != tt.retry || e.StatusCode != tt.status {
				t.Errorf("Classify = problem %s code %q field %q retry %v status %d; want %s %q %q %v %d",
					e.Problem, e.Code, e.Field, e.RetryAfter, e.StatusCode, tt.problem, tt.code, tt.field, tt.retry, tt.status)
			}
			if e.Temporary() != tt.temporary {
				t.Errorf("Temporary = %v, want %v", e.Temporary(), tt.temporary)
			}
			if e.CRMMessage == "" {
				t.Error("no CRM message")
			}
		})
	}
}

// TestClassifyItem runs per-record errors of sObject Collections results.
func TestClassifyItem(t *testing.T) {
	tests := []struct {
		file    string
		problem crmsync.Problem
		field   string
	}{
		{"item_required_field_missing.json", crmsync.ProblemRequiredFieldMissing, "LastName"},
		{"item_duplicates_detected.json", crmsync.ProblemDuplicateRule, ""},
		{"item_duplicate_key_in_request.json", crmsync.ProblemInvalidValue, ""},
		{"item_all_or_none.json", crmsync.ProblemUnknown, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var item upsertResult
			if err := json.Unmarshal(body, &item); err != nil {
				t.Fatal(err)
			}
			e := classifyCode(http.StatusOK, item.Errors[0], time.Minute)
			if e.Problem != tt.problem || e.Field != tt.field || e.Code != item.Errors[0].StatusCode || e.CRMMessage != item.Errors[0].Message {
				t.Errorf("classifyCode = %+v, want problem %s field %q", e, tt.problem, tt.field)
			}
		})
	}
}

func TestThrottle(t *testing.T) {
	p := protocol{limitWait: 10 * time.Minute}
	for _, tt := range []struct {
		header string
		want   time.Duration
	}{
		{"api-usage=18/15000", 0},
		{"api-usage=15000/15000", time.Minute},
		{"per-app-api-usage=17/250(appName=sample-app), api-usage=100/100", time.Minute},
		{"", 0},
		{"api-usage=garbage", 0},
	} {
		h := http.Header{}
		h.Set("Sforce-Limit-Info", tt.header)
		if got := p.Throttle(200, h); got != tt.want {
			t.Errorf("Throttle(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestRounds(t *testing.T) {
	got := rounds([]string{"a", "B", "A", "c", "a", "b"})
	want := [][]int{{0, 1, 3}, {2, 5}, {4}}
	if len(got) != len(want) {
		t.Fatalf("rounds = %v, want %v", got, want)
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("rounds = %v, want %v", got, want)
		}
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Fatalf("rounds = %v, want %v", got, want)
			}
		}
	}
}

func TestSOQLString(t *testing.T) {
	if got := soqlString(`O'Brien \ co`); got != `'O\'Brien \\ co'` {
		t.Errorf("soqlString = %s", got)
	}
}

func TestINChunks(t *testing.T) {
	var ids []string
	for i := range 250 {
		ids = append(ids, fmt.Sprintf("shc-%03d", i))
	}
	chunks := inChunks(ids)
	if len(chunks) != 3 || len(chunks[0]) != maxINValues || len(chunks[2]) != 50 || chunks[0][0] != "'shc-000'" {
		t.Errorf("chunks of 250 short ids: %d chunks", len(chunks))
	}
	long := []string{strings.Repeat("a", 255), strings.Repeat("b", 255)}
	for range 40 {
		long = append(long, strings.Repeat("c", 255))
	}
	total := 0
	for _, ch := range inChunks(long) {
		size := 0
		for _, q := range ch {
			size += len(q) + 1
		}
		if size > maxINChars {
			t.Errorf("chunk of %d chars", size)
		}
		total += len(ch)
	}
	if total != len(long) {
		t.Errorf("chunks hold %d values, want %d", total, len(long))
	}
}
