package pipedrive

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
)

// TestClassify classifies Pipedrive's error bodies (testdata: the documented
// envelopes and texts, and the sandbox's) into problem types.
func TestClassify(t *testing.T) {
	tests := []struct {
		file    string
		status  int
		header  http.Header
		problem crmsync.Problem
		message string
		code    string
		field   string
		wait    time.Duration
	}{
		{"invalid_token.json", 401, nil, crmsync.ProblemAuthRevoked, "Invalid token: access_token is invalid", "", "", 0},
		{"unauthorized.json", 401, nil, crmsync.ProblemAuthRevoked, "unauthorized access", "", "", 0},
		{"scope_mismatch.json", 403, nil, crmsync.ProblemPermissionDenied, "Scope and URL mismatch", "", "", 0},
		{"feature_capping.json", 403, nil, crmsync.ProblemPermissionDenied, "Couldn't add the deal. Open deals limit reached.", "feature_capping_deals_limit", "", 0},
		{"rate_limited.json", 429, http.Header{"Retry-After": {"10"}, "X-Ratelimit-Reset": {"10"}}, crmsync.ProblemRateLimited, "Request over limit", "", "", 10 * time.Second},
		{"rate_limited.json", 429, http.Header{"X-Ratelimit-Reset": {"2"}}, crmsync.ProblemRateLimited, "Request over limit", "", "", 2 * time.Second},
		{"rate_limited.json", 429, nil, crmsync.ProblemRateLimited, "Request over limit", "", "", defaultWindow},
		{"name_missing_v1.json", 400, nil, crmsync.ProblemRequiredFieldMissing, "Name must be given.", "", "name", 0},
		{"name_missing_v2.json", 400, nil, crmsync.ProblemRequiredFieldMissing, "Name must be given.", "ERR_SCHEMA_VALIDATION_FAILED", "name", 0},
		{"required_field.json", 400, nil, crmsync.ProblemRequiredFieldMissing, "Validation failed: 0ae6aa60a7b5adacbf307c24dbbd5fda91310bc6: is required", "ERR_SCHEMA_VALIDATION_FAILED", "0ae6aa60a7b5adacbf307c24dbbd5fda91310bc6", 0},
		{"unknown_custom_field.json", 400, nil, crmsync.ProblemFieldMissing, "Validation failed: custom_fields.0123456789abcdef0123456789abcdef01234567: is not a valid custom field key", "ERR_SCHEMA_VALIDATION_FAILED", "0123456789abcdef0123456789abcdef01234567", 0},
		{"unknown_key.json", 400, nil, crmsync.ProblemFieldMissing, "Validation failed: nickname: is not allowed", "ERR_SCHEMA_VALIDATION_FAILED", "nickname", 0},
		{"not_an_integer.json", 400, nil, crmsync.ProblemInvalidValue, "Validation failed: owner_id: must be an integer", "ERR_SCHEMA_VALIDATION_FAILED", "owner_id", 0},
		{"too_long.json", 400, nil, crmsync.ProblemInvalidValue, "Validation failed: custom_fields.0ae6aa60a7b5adacbf307c24dbbd5fda91310bc6: must be at most 255 characters", "ERR_SCHEMA_VALIDATION_FAILED", "0ae6aa60a7b5adacbf307c24dbbd5fda91310bc6", 0},
		{"not_found.json", 404, nil, crmsync.ProblemUnknown, "Person not found", "", "", 0},
		{"internal_error.json", 500, nil, crmsync.ProblemCRMUnavailable, "An internal server error occurred", "", "", 0},
		{"unavailable.json", 503, nil, crmsync.ProblemCRMUnavailable, "Requested service is not available", "", "", 0},
		{"oauth_invalid_grant.json", 400, nil, crmsync.ProblemAuthRevoked, "Invalid grant: refresh token is invalid", "invalid_grant", "", 0},
		{"oauth_invalid_client.json", 400, nil, crmsync.ProblemPermissionDenied, "Invalid client: client is invalid", "invalid_client", "", 0},
		// Cloudflare's block page after repeated 429s: throttling, not permission.
		{"cloudflare_block.html", 403, http.Header{"Content-Type": {"text/html"}}, crmsync.ProblemRateLimited, "Forbidden", "", "", cloudflareBlockWait},
		{"cloudflare_block.html", 502, http.Header{"Content-Type": {"text/html"}}, crmsync.ProblemCRMUnavailable, "Bad Gateway", "", "", 0},
		{"empty.txt", 401, nil, crmsync.ProblemAuthRevoked, "Unauthorized", "", "", 0},
		{"empty.txt", 429, http.Header{"Retry-After": {"3"}}, crmsync.ProblemRateLimited, "Too Many Requests", "", "", 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			e := classify(tt.status, tt.header, body)
			if e.Problem != tt.problem || e.CRMMessage != tt.message || e.Code != tt.code || e.Field != tt.field || e.RetryAfter != tt.wait || e.StatusCode != tt.status {
				t.Errorf("classify(%d, %s) = {problem %s, message %q, code %q, field %q, wait %v, status %d}\nwant {%s, %q, %q, %q, %v, %d}",
					tt.status, tt.file, e.Problem, e.CRMMessage, e.Code, e.Field, e.RetryAfter, e.StatusCode,
					tt.problem, tt.message, tt.code, tt.field, tt.wait, tt.status)
			}
		})
	}
}

func TestThrottle(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header http.Header
		want   time.Duration
	}{
		{"WindowLeft", 200, http.Header{"X-Ratelimit-Remaining": {"39"}, "X-Ratelimit-Reset": {"2"}}, 0},
		{"WindowSpent", 200, http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1"}}, time.Second},
		{"WindowSpentNoReset", 200, http.Header{"X-Ratelimit-Remaining": {"0"}}, defaultWindow},
		{"Throttled", 429, http.Header{"Retry-After": {"10"}, "X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"10"}}, 10 * time.Second},
		{"NoHeaders", 200, http.Header{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (protocol{}).Throttle(tt.status, tt.header); got != tt.want {
				t.Errorf("Throttle = %v, want %v", got, tt.want)
			}
		})
	}
}
