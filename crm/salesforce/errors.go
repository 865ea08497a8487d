package salesforce

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// apiError is one entry of Salesforce's REST error array ({"message","errorCode","fields"});
// inside sObject Collections results the code key is "statusCode".
type apiError struct {
	Message    string   `json:"message"`
	ErrorCode  string   `json:"errorCode"`
	StatusCode string   `json:"statusCode"`
	Fields     []string `json:"fields"`
}

// code is the error's code under either key.
func (e apiError) code() string {
	if e.ErrorCode != "" {
		return e.ErrorCode
	}
	return e.StatusCode
}

// oauthError is the token endpoint's error body.
type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// protocol is Salesforce's crm.Protocol: Bearer tokens, Salesforce's error bodies and its
// Sforce-Limit-Info header.
type protocol struct {
	crm.BearerAuth
	limitWait time.Duration
}

// Classify implements crm.Protocol.
func (p protocol) Classify(status int, header http.Header, body []byte) *crm.Error {
	return classify(status, body, p.limitWait)
}

// Throttle implements crm.Protocol. Salesforce meters a rolling 24-hour request count and
// reports it as "Sforce-Limit-Info: api-usage=N/M" on every response, without saying when
// budget frees up. When the count is spent the account pauses a tenth of the limit wait
// before probing again; if Salesforce still refuses, the 403 brings the full wait.
func (p protocol) Throttle(status int, header http.Header) time.Duration {
	used, max, ok := apiUsage(header.Get("Sforce-Limit-Info"))
	if ok && max > 0 && used >= max {
		return p.limitWait / 10
	}
	return 0
}

// apiUsage parses "api-usage=18/15000" (possibly among other comma-separated entries).
func apiUsage(v string) (used, max int, ok bool) {
	for _, part := range strings.Split(v, ",") {
		k, val, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found || k != "api-usage" {
			continue
		}
		u, m, found := strings.Cut(val, "/")
		if !found {
			return 0, 0, false
		}
		used, err1 := strconv.Atoi(strings.TrimSpace(u))
		max, err2 := strconv.Atoi(strings.TrimSpace(m))
		return used, max, err1 == nil && err2 == nil
	}
	return 0, 0, false
}

// concurrentLimitWait is how long to wait after a REQUEST_LIMIT_EXCEEDED that is about
// concurrent long-running requests (those last at least 20 seconds) rather than the
// daily count.
const concurrentLimitWait = 30 * time.Second

// classify turns a non-2xx REST answer into a *crm.Error. limitWait is the wait reported
// when the org's daily API requests are spent (Salesforce sends no Retry-After).
func classify(status int, body []byte, limitWait time.Duration) *crm.Error {
	var errs []apiError
	if json.Unmarshal(body, &errs) == nil && len(errs) > 0 {
		e := classifyCode(status, errs[0], limitWait)
		e.StatusCode = status
		return e
	}
	var oe oauthError
	if json.Unmarshal(body, &oe) == nil && oe.Error != "" {
		return &crm.Error{Problem: oauthProblem(oe.Error), StatusCode: status, Code: oe.Error, CRMMessage: oe.ErrorDescription,
			Err: fmt.Errorf("salesforce: HTTP %d %s", status, oe.Error)}
	}
	e := &crm.Error{Problem: crmsync.ProblemUnknown, StatusCode: status, CRMMessage: strings.TrimSpace(truncate(string(body), 300)),
		Err: fmt.Errorf("salesforce: HTTP %d", status)}
	switch {
	case status == http.StatusUnauthorized:
		e.Problem = crmsync.ProblemAuthRevoked
	case status >= 500:
		e.Problem = crmsync.ProblemCRMUnavailable
		if e.CRMMessage == "" {
			e.CRMMessage = "Salesforce did not answer the request (HTTP " + strconv.Itoa(status) + ")."
		}
	case status == http.StatusNotFound:
		e.Problem = crmsync.ProblemFieldMissing
	}
	return e
}

// oauthProblem classifies a token-endpoint error code.
func oauthProblem(code string) crmsync.Problem {
	switch code {
	case "invalid_grant", "invalid_token":
		return crmsync.ProblemAuthRevoked
	case "invalid_client", "invalid_client_id", "unauthorized_client":
		return crmsync.ProblemPermissionDenied
	}
	return crmsync.ProblemUnknown
}

// problemByCode maps Salesforce's error codes (REST errorCode and per-record statusCode)
// to problem types. Codes not listed are classified by HTTP status.
var problemByCode = map[string]crmsync.Problem{
	"INVALID_SESSION_ID":                            crmsync.ProblemAuthRevoked,
	"REQUEST_LIMIT_EXCEEDED":                        crmsync.ProblemRateLimited,
	"REQUIRED_FIELD_MISSING":                        crmsync.ProblemRequiredFieldMissing,
	"INVALID_EMAIL_ADDRESS":                         crmsync.ProblemInvalidValue,
	"STRING_TOO_LONG":                               crmsync.ProblemInvalidValue,
	"INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST":       crmsync.ProblemInvalidValue,
	"MALFORMED_ID":                                  crmsync.ProblemInvalidValue,
	"FIELD_INTEGRITY_EXCEPTION":                     crmsync.ProblemInvalidValue,
	"JSON_PARSER_ERROR":                             crmsync.ProblemInvalidValue,
	"INVALID_TYPE_ON_FIELD_IN_RECORD":               crmsync.ProblemInvalidValue,
	"NUMBER_OUTSIDE_VALID_RANGE":                    crmsync.ProblemInvalidValue,
	"INVALID_CROSS_REFERENCE_KEY":                   crmsync.ProblemInvalidValue,
	"INACTIVE_OWNER_OR_USER":                        crmsync.ProblemInvalidValue,
	"DUPLICATE_VALUE":                               crmsync.ProblemInvalidValue,
	"DUPLICATE_EXTERNAL_ID":                         crmsync.ProblemInvalidValue,
	"FIELD_CUSTOM_VALIDATION_EXCEPTION":             crmsync.ProblemInvalidValue,
	"FIELD_FILTER_VALIDATION_EXCEPTION":             crmsync.ProblemInvalidValue,
	"MISSING_ARGUMENT":                              crmsync.ProblemInvalidValue,
	"ENTITY_IS_DELETED":                             crmsync.ProblemInvalidValue,
	"DUPLICATES_DETECTED":                           crmsync.ProblemDuplicateRule,
	"INVALID_FIELD":                                 crmsync.ProblemFieldMissing,
	"INVALID_FIELD_FOR_INSERT_UPDATE":               crmsync.ProblemFieldMissing,
	"INVALID_TYPE":                                  crmsync.ProblemFieldMissing,
	"NOT_FOUND":                                     crmsync.ProblemFieldMissing,
	"INSUFFICIENT_ACCESS":                           crmsync.ProblemPermissionDenied,
	"INSUFFICIENT_ACCESS_OR_READONLY":               crmsync.ProblemPermissionDenied,
	"INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY": crmsync.ProblemPermissionDenied,
	"CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY":          crmsync.ProblemPermissionDenied,
	"API_DISABLED_FOR_ORG":                          crmsync.ProblemPermissionDenied,
	"API_CURRENTLY_DISABLED":                        crmsync.ProblemPermissionDenied,
	"FUNCTIONALITY_NOT_ENABLED":                     crmsync.ProblemPermissionDenied,
	"INVALID_TYPE_FOR_OPERATION":                    crmsync.ProblemPermissionDenied,
	"UNABLE_TO_LOCK_ROW":                            crmsync.ProblemRecordLocked,
	"SERVER_UNAVAILABLE":                            crmsync.ProblemCRMUnavailable,
	"UNKNOWN_EXCEPTION":                             crmsync.ProblemCRMUnavailable,
	"REQUEST_RUNNING_TOO_LONG":                      crmsync.ProblemCRMUnavailable,
}

// classifyCode classifies one REST error or per-record error. status is the HTTP status
// (200 for a collection item).
func classifyCode(status int, e apiError, limitWait time.Duration) *crm.Error {
	code := e.code()
	out := &crm.Error{Problem: crmsync.ProblemUnknown, StatusCode: status, Code: code, CRMMessage: e.Message,
		Err: fmt.Errorf("salesforce: %s", code)}
	if len(e.Fields) > 0 {
		out.Field = e.Fields[0]
	}
	if p, ok := problemByCode[code]; ok {
		out.Problem = p
	} else if status >= 500 {
		out.Problem = crmsync.ProblemCRMUnavailable
	}
	switch code {
	case "INVALID_SESSION_ID":
		// A 403 with this code is a token without the api scope, not an expired session.
		if status == http.StatusForbidden {
			out.Problem = crmsync.ProblemPermissionDenied
		}
	case "REQUEST_LIMIT_EXCEEDED":
		out.RetryAfter = limitWait
		if strings.Contains(e.Message, "Concurrent") {
			out.RetryAfter = concurrentLimitWait
		}
	case "NOT_FOUND":
		// A missing external-id field (or one without field-level security) reads as
		// "Provided external ID field does not exist or is not accessible"; any other
		// NOT_FOUND is a missing record or resource.
		if !strings.Contains(e.Message, "external ID field") {
			out.Problem = crmsync.ProblemUnknown
		}
	case "INVALID_FIELD", "INVALID_FIELD_FOR_INSERT_UPDATE":
		if out.Field == "" {
			out.Field = quotedField(e.Message)
		}
	}
	return out
}

// quotedField extracts the field name from "No such column 'X' on sobject of type Y".
func quotedField(msg string) string {
	_, rest, ok := strings.Cut(msg, "'")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "'")
	return name
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
