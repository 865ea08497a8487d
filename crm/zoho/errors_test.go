package zoho

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestClassify classifies Zoho's error bodies (the documented shapes of
// crm-api-facts.md §4.6, kept in testdata) into problem types.
func TestClassify(t *testing.T) {
	retry := http.Header{"Retry-After": {"30"}}
	tests := []struct {
		file   string
		status int
		header http.Header
		want   crm.Error
	}{
		{"invalid_token.json", 401, nil, crm.Error{Problem: crmsync.ProblemAuthRevoked, StatusCode: 401, Code: "INVALID_TOKEN", CRMMessage: "invalid oauth token"}},
		{"invalid_token_no_details.json", 401, nil, crm.Error{Problem: crmsync.ProblemAuthRevoked, StatusCode: 401, Code: "INVALID_TOKEN", CRMMessage: "invalid oauth token"}},
		{"authentication_failure.json", 401, nil, crm.Error{Problem: crmsync.ProblemAuthRevoked, StatusCode: 401, Code: "AUTHENTICATION_FAILURE", CRMMessage: "Authentication failed"}},
		{"oauth_scope_mismatch.json", 401, nil, crm.Error{Problem: crmsync.ProblemPermissionDenied, StatusCode: 401, Code: "OAUTH_SCOPE_MISMATCH", CRMMessage: "invalid oauth scope to access this URL"}},
		{"no_permission.json", 403, nil, crm.Error{Problem: crmsync.ProblemPermissionDenied, StatusCode: 403, Code: "NO_PERMISSION", CRMMessage: "permission denied"}},
		{"mandatory_not_found.json", 400, nil, crm.Error{Problem: crmsync.ProblemRequiredFieldMissing, StatusCode: 400, Code: "MANDATORY_NOT_FOUND", Field: "Last_Name", CRMMessage: "required field not found"}},
		{"invalid_email.json", 400, nil, crm.Error{Problem: crmsync.ProblemInvalidValue, StatusCode: 400, Code: "INVALID_DATA", Field: "Email", CRMMessage: "invalid data"}},
		{"max_length.json", 400, nil, crm.Error{Problem: crmsync.ProblemInvalidValue, StatusCode: 400, Code: "INVALID_DATA", Field: "Last_Name", CRMMessage: "invalid data"}},
		{"dependent_mismatch.json", 400, nil, crm.Error{Problem: crmsync.ProblemInvalidValue, StatusCode: 400, Code: "DEPENDENT_MISMATCH", Field: "Call_Duration", CRMMessage: "Call Duration can not be zero"}},
		{"duplicate_data.json", 400, nil, crm.Error{Problem: crmsync.ProblemDuplicateRule, StatusCode: 400, Code: "DUPLICATE_DATA", Field: "SalesHive_External_ID", CRMMessage: "duplicate data"}},
		{"multiple_errors.json", 400, nil, crm.Error{Problem: crmsync.ProblemDuplicateRule, StatusCode: 400, Code: "MULTIPLE_OR_MULTI_ERRORS", Field: "Email", CRMMessage: "multiple errors occurred"}},
		{"too_many_requests.json", 429, nil, crm.Error{Problem: crmsync.ProblemRateLimited, StatusCode: 429, Code: "TOO_MANY_REQUESTS", RetryAfter: 2 * time.Second,
			CRMMessage: "Too many requests: the API credits of the org are exhausted"}},
		{"too_many_requests.json", 429, retry, crm.Error{Problem: crmsync.ProblemRateLimited, StatusCode: 429, Code: "TOO_MANY_REQUESTS", RetryAfter: 30 * time.Second,
			CRMMessage: "Too many requests: the API credits of the org are exhausted"}},
		{"record_locked.json", 400, nil, crm.Error{Problem: crmsync.ProblemRecordLocked, StatusCode: 400, Code: "RECORD_LOCKED", RetryAfter: 2 * time.Second, CRMMessage: "The record under merge is locked"}},
		{"internal_error.json", 500, nil, crm.Error{Problem: crmsync.ProblemCRMUnavailable, StatusCode: 500, Code: "INTERNAL_ERROR", CRMMessage: "Internal server error occurred."}},
		{"internal_error.json", 503, retry, crm.Error{Problem: crmsync.ProblemCRMUnavailable, StatusCode: 503, Code: "INTERNAL_ERROR", RetryAfter: 30 * time.Second, CRMMessage: "Internal server error occurred."}},
		{"bad_gateway.html", 502, nil, crm.Error{Problem: crmsync.ProblemCRMUnavailable, StatusCode: 502, CRMMessage: "Zoho answered HTTP 502 Bad Gateway."}},
		{"bad_gateway.html", 429, nil, crm.Error{Problem: crmsync.ProblemRateLimited, StatusCode: 429, RetryAfter: 2 * time.Second, CRMMessage: "Zoho answered HTTP 429 Too Many Requests."}},
		{"invalid_module.json", 400, nil, crm.Error{Problem: crmsync.ProblemInvalidValue, StatusCode: 400, Code: "INVALID_MODULE", CRMMessage: "the module name given seems to be invalid"}},
		{"fields_limit.json", 400, nil, crm.Error{Problem: crmsync.ProblemInvalidValue, StatusCode: 400, Code: "LIMIT_EXCEEDED", CRMMessage: "Max field limit exceeded"}},
		{"emails_no_permission.json", 403, nil, crm.Error{Problem: crmsync.ProblemPermissionDenied, StatusCode: 403, Code: "NO_PERMISSION", CRMMessage: "Only Admin Role/Profile Users will have permission"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := classify(tt.status, tt.header, readTestdata(t, tt.file))
			if diff := cmp.Diff(tt.want, *got, cmpopts.IgnoreFields(crm.Error{}, "Err")); diff != "" {
				t.Errorf("classify mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRecordResult checks how a refused record is read: the duplicate of
// our external id (also nested in MULTIPLE_OR_MULTI_ERRORS) becomes an
// update, an unknown id an insert, anything else a per-record error.
func TestRecordResult(t *testing.T) {
	item := func(file string) recordResult {
		var body struct {
			Data []recordResult `json:"data"`
		}
		if err := json.Unmarshal(readTestdata(t, file), &body); err != nil || len(body.Data) != 1 {
			t.Fatalf("%s: %v", file, err)
		}
		return body.Data[0]
	}
	tests := []struct {
		file      string
		duplicate string
		stale     bool
		problem   crmsync.Problem
	}{
		{"duplicate_data.json", "5725767000000498001", false, crmsync.ProblemDuplicateRule},
		{"multiple_errors.json", "5725767000000498001", false, crmsync.ProblemDuplicateRule},
		{"stale_id.json", "", true, crmsync.ProblemInvalidValue},
		{"invalid_email.json", "", false, crmsync.ProblemInvalidValue},
		{"mandatory_not_found.json", "", false, crmsync.ProblemRequiredFieldMissing},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r := item(tt.file)
			if got := r.duplicateOf("SalesHive_External_ID"); got != tt.duplicate {
				t.Errorf("duplicateOf = %q, want %q", got, tt.duplicate)
			}
			if got := r.staleID(); got != tt.stale {
				t.Errorf("staleID = %v, want %v", got, tt.stale)
			}
			// A refused record in a 207 is a 400-class refusal of that record.
			if got := itemError(http.StatusMultiStatus, r.apiError); got.Problem != tt.problem || got.StatusCode != http.StatusBadRequest {
				t.Errorf("itemError = %+v, want %s (400)", got, tt.problem)
			}
		})
	}
	// A duplicate on another unique field is the client's duplicate rule, not ours.
	if got := item("duplicate_data.json").duplicateOf("Other_Field"); got != "" {
		t.Errorf("duplicateOf(Other_Field) = %q", got)
	}
}

// TestTokenError checks the token-endpoint answers: Zoho's throttle on
// minting access tokens (HTTP 200 {"error":"Access Denied"}) is a wait.
func TestTokenError(t *testing.T) {
	throttled := &crm.Error{Problem: crmsync.ProblemUnknown, StatusCode: 200, Code: "Access Denied", CRMMessage: "You have made too many requests continuously. Please try again after some time."}
	err := tokenError(throttled)
	if ce := crm.AsError(err); ce.Problem != crmsync.ProblemRateLimited || ce.RetryAfter != time.Minute {
		t.Errorf("Access Denied = %+v, want rate_limited after a minute", ce)
	}
	revoked := &crm.Error{Problem: crmsync.ProblemAuthRevoked, StatusCode: 200, Code: "invalid_code"}
	if got := crm.AsError(tokenError(revoked)); got.Problem != crmsync.ProblemAuthRevoked {
		t.Errorf("invalid_code = %s, want auth_revoked", got.Problem)
	}
	plain := errors.New("boom")
	if tokenError(plain) != plain {
		t.Error("tokenError changed a non-CRM error")
	}
}

func TestCoerce(t *testing.T) {
	tests := []struct {
		typ, in string
		want    any
		wantErr bool
	}{
		{"text", "hello", "hello", false},
		{"", "anything", "anything", false},
		{"boolean", "Yes", true, false},
		{"boolean", "0", false, false},
		{"boolean", "maybe", nil, true},
		{"integer", " 42 ", int64(42), false},
		{"integer", "4.2", nil, true},
		{"double", "4.25", 4.25, false},
		{"currency", "x", nil, true},
		{"multiselectpicklist", "a; b;;c", []string{"a", "b", "c"}, false},
		{"lookup", "Acme", nil, true},
	}
	for _, tt := range tests {
		got, err := coerce("F", tt.typ, tt.in)
		if (err != nil) != tt.wantErr || !cmp.Equal(got, tt.want) {
			t.Errorf("coerce(%s, %q) = %v, %v; want %v (error %v)", tt.typ, tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
