package hubspot

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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

// TestClassify classifies HubSpot's documented (and recorded) error bodies,
// kept verbatim in testdata, into problem types.
func TestClassify(t *testing.T) {
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	tests := []struct {
		file   string
		status int
		header http.Header
		want   crm.Error // Err is not compared
	}{
		{"expired_authentication.json", 401, nil, crm.Error{Problem: crmsync.ProblemAuthRevoked, StatusCode: 401, Code: "EXPIRED_AUTHENTICATION",
			CRMMessage: "The OAuth token used to make this call expired 5 minute(s) ago."}},
		{"invalid_authentication.json", 401, nil, crm.Error{Problem: crmsync.ProblemAuthRevoked, StatusCode: 401, Code: "INVALID_AUTHENTICATION",
			CRMMessage: "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"}},
		{"missing_scopes.json", 403, nil, crm.Error{Problem: crmsync.ProblemPermissionDenied, StatusCode: 403, Code: "MISSING_SCOPES",
			CRMMessage: "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes."}},
		{"invalid_email.json", 400, nil, crm.Error{Problem: crmsync.ProblemInvalidValue, StatusCode: 400, Code: "INVALID_EMAIL", Field: "email",
			CRMMessage: "Email address example.lcom is invalid"}},
		{"property_doesnt_exist.json", 400, nil, crm.Error{Problem: crmsync.ProblemFieldMissing, StatusCode: 400, Code: "PROPERTY_DOESNT_EXIST", Field: "favorite_color",
			CRMMessage: `Property "favorite_color" does not exist`}},
		{"required_property.json", 400, nil, crm.Error{Problem: crmsync.ProblemRequiredFieldMissing, StatusCode: 400, Code: "REQUIRED_PROPERTY", Field: "hs_timestamp",
			CRMMessage: `Property "hs_timestamp" is required`}},
		{"required_message_only.json", 400, nil, crm.Error{Problem: crmsync.ProblemRequiredFieldMissing, StatusCode: 400, Code: "VALIDATION_ERROR",
			CRMMessage: "hs_timestamp is required"}},
		{"validation_unknown_code.json", 400, nil, crm.Error{Problem: crmsync.ProblemInvalidValue, StatusCode: 400, Code: "INVALID_LIFECYCLE_STAGE", Field: "lifecyclestage",
			CRMMessage: "Lifecycle stage cannot move backwards"}},
		{"duplicate_ids.json", 400, nil, crm.Error{Problem: crmsync.ProblemInvalidValue, StatusCode: 400, Code: "VALIDATION_ERROR",
			CRMMessage: "Duplicate IDs found in batch input: [SH-1001]. IDs must be unique"}},
		{"rate_limit_ten_secondly.json", 429, hdr("X-HubSpot-RateLimit-Interval-Milliseconds", "10000"), crm.Error{Problem: crmsync.ProblemRateLimited, StatusCode: 429,
			Code: "TEN_SECONDLY_ROLLING", RetryAfter: 10 * time.Second, CRMMessage: "You have reached your ten_secondly_rolling limit."}},
		{"rate_limit_ten_secondly.json", 429, hdr("Retry-After", "3"), crm.Error{Problem: crmsync.ProblemRateLimited, StatusCode: 429,
			Code: "TEN_SECONDLY_ROLLING", RetryAfter: 3 * time.Second, CRMMessage: "You have reached your ten_secondly_rolling limit."}},
		{"rate_limit_secondly.json", 429, nil, crm.Error{Problem: crmsync.ProblemRateLimited, StatusCode: 429,
			Code: "RATE_LIMIT", RetryAfter: time.Second, CRMMessage: "You have reached your secondly limit."}},
		{"contact_exists.json", 409, nil, crm.Error{Problem: crmsync.ProblemDuplicateRule, StatusCode: 409, Code: "CONTACT_EXISTS",
			CRMMessage: "Contact already exists. Existing ID: 2926551"}},
		{"property_exists.json", 409, nil, crm.Error{Problem: crmsync.ProblemDuplicateRule, StatusCode: 409, Code: "Properties.PROPERTY_WITH_NAME_EXISTS",
			CRMMessage: "A property named 'saleshive_external_id' already exists."}},
		{"oauth_invalid_grant.json", 400, nil, crm.Error{Problem: crmsync.ProblemAuthRevoked, StatusCode: 400, Code: "invalid_grant",
			CRMMessage: "refresh token is invalid, expired or revoked"}},
		{"internal_error.json", 500, nil, crm.Error{Problem: crmsync.ProblemCRMUnavailable, StatusCode: 500, CRMMessage: "internal error"}},
		{"bad_gateway.html", 502, nil, crm.Error{Problem: crmsync.ProblemCRMUnavailable, StatusCode: 502, CRMMessage: "HubSpot answered HTTP 502 Bad Gateway."}},
		{"locked.json", 423, nil, crm.Error{Problem: crmsync.ProblemRecordLocked, StatusCode: 423, RetryAfter: 2 * time.Second,
			CRMMessage: "This record is being updated by another request. Please retry."}},
		{"internal_error.json", 477, hdr("Retry-After", "60"), crm.Error{Problem: crmsync.ProblemCRMUnavailable, StatusCode: 477, RetryAfter: time.Minute, CRMMessage: "internal error"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := classify(tt.status, tt.header, readTestdata(t, tt.file))
			got.Err = nil
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("classify(%d, %s) mismatch (-want +got):\n%s", tt.status, tt.file, diff)
			}
		})
	}
	t.Run("DailyWaitsForTheNextDay", func(t *testing.T) {
		got := classify(429, nil, readTestdata(t, "rate_limit_daily.json"))
		if got.Problem != crmsync.ProblemRateLimited || got.Code != "DAILY" {
			t.Fatalf("got %s %s, want rate_limited DAILY", got.Problem, got.Code)
		}
		if got.RetryAfter < time.Minute || got.RetryAfter > 24*time.Hour {
			t.Errorf("RetryAfter = %v, want until the next day (1 min to 24 h)", got.RetryAfter)
		}
	})
}

func TestThrottle(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header map[string]string
		want   time.Duration
	}{
		{"BudgetLeft", 200, map[string]string{"X-HubSpot-RateLimit-Remaining": "42", "X-HubSpot-RateLimit-Max": "110", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}, 0},
		{"NoHeaders", 200, nil, 0},
		{"WindowSpent", 200, map[string]string{"X-HubSpot-RateLimit-Remaining": "0", "X-HubSpot-RateLimit-Max": "100", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}, 100 * time.Millisecond},
		{"WindowSpentNoMax", 200, map[string]string{"X-HubSpot-RateLimit-Remaining": "0"}, 100 * time.Millisecond},
		{"RetryAfterOn429", 429, map[string]string{"Retry-After": "7", "X-HubSpot-RateLimit-Remaining": "0"}, 7 * time.Second},
		{"RetryAfterIgnoredOn200", 200, map[string]string{"Retry-After": "7"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			if got := (protocol{}).Throttle(tt.status, h); got != tt.want {
				t.Errorf("Throttle = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestMatchOutcomes pairs an unordered 207 answer with its inputs: by the
// echoed trace id, by the idProperty value when no trace id came back, and
// errors by their context's trace ids.
func TestMatchOutcomes(t *testing.T) {
	var br batchResponse
	if err := json.Unmarshal(readTestdata(t, "batch_upsert_207.json"), &br); err != nil {
		t.Fatal(err)
	}
	ins := []batchInput{
		{IDProperty: ExternalIDProperty, ID: "SH-1001", ObjectWriteTraceID: "SH-1001"},
		{IDProperty: ExternalIDProperty, ID: "SH-1002", ObjectWriteTraceID: "SH-1002"},
		{IDProperty: ExternalIDProperty, ID: "SH-1003", ObjectWriteTraceID: "SH-1003"},
		{IDProperty: ExternalIDProperty, ID: "SH-1004", ObjectWriteTraceID: "SH-1004"},
	}
	m := matcher{
		input:  func(in batchInput) string { return in.ID },
		result: func(r batchResult) string { return r.Properties.get(ExternalIDProperty) },
	}
	got := matchOutcomes(ins, br, m)
	if got[0].id != "512" || !got[0].created || got[0].err != nil {
		t.Errorf("SH-1001 = %+v, want created 512", got[0])
	}
	if got[1].err == nil || got[1].err.Problem != crmsync.ProblemInvalidValue || got[1].err.Field != "email" {
		t.Errorf("SH-1002 = %+v, want invalid_value on email", got[1])
	}
	if got[2].id != "513" || got[2].created || got[2].err != nil {
		t.Errorf("SH-1003 = %+v, want updated 513", got[2])
	}
	if got[3].err == nil || got[3].err.Problem != crmsync.ProblemUnknown {
		t.Errorf("SH-1004 (absent from the answer) = %+v, want an unknown-problem error", got[3])
	}
}
