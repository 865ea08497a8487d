package pipedrive

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// How Pipedrive reports errors (crm-api-facts.md §3.6) and throttling (§3.7):
//
//   - API errors: {"success":false,"error":"…","error_info":"…","data":null,
//     "additional_data":null}, with errorCode on auth and rate-limit answers
//     and a string code on some (feature_capping_…, ERR_SCHEMA_VALIDATION_FAILED).
//   - OAuth errors: {"success":false,"message":"Invalid grant: …","error":"invalid_grant"}.
//   - 401 invalid or expired token; 403 "Scope and URL mismatch"; 400 invalid
//     data (texts vary by resource; v1's "Name must be given."); 429 "Request
//     over limit" with x-ratelimit-* headers and Retry-After.
//   - After repeated 429s Pipedrive's Cloudflare front answers 403 with an HTML
//     page: that is throttling, not a permission problem.

// protocol is Pipedrive's crm.Protocol: Bearer tokens, Pipedrive's error
// envelope and its x-ratelimit-* headers.
type protocol struct{ crm.BearerAuth }

// Classify implements crm.Protocol.
func (protocol) Classify(status int, header http.Header, body []byte) *crm.Error {
	return classify(status, header, body)
}

// Throttle implements crm.Protocol. Every answer describes the token's
// 2-second window (the search window on search endpoints); when it is spent
// the account pauses until x-ratelimit-reset rather than sending a request
// that would be refused.
func (protocol) Throttle(status int, header http.Header) time.Duration {
	if status == http.StatusTooManyRequests {
		return rateLimitWait(header)
	}
	if n, err := strconv.Atoi(strings.TrimSpace(header.Get("x-ratelimit-remaining"))); err == nil && n <= 0 {
		if s, err := strconv.Atoi(strings.TrimSpace(header.Get("x-ratelimit-reset"))); err == nil && s > 0 {
			return time.Duration(s) * time.Second
		}
		return defaultWindow
	}
	return 0
}

// defaultWindow is Pipedrive's burst window, the wait when no header says more.
const defaultWindow = 2 * time.Second

// cloudflareBlockWait is how long to back off after Pipedrive's front end
// blocked the account with an HTML 403 (it names no time). UNCONFIRMED.
const cloudflareBlockWait = time.Minute

// rateLimitWait is how long a 429 asks to wait: Retry-After, else
// x-ratelimit-reset, else the window.
func rateLimitWait(header http.Header) time.Duration {
	if d := crm.RetryAfter(header); d > 0 {
		return d
	}
	if s, err := strconv.Atoi(strings.TrimSpace(header.Get("x-ratelimit-reset"))); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return defaultWindow
}

// errorBody is Pipedrive's API or OAuth error body.
type errorBody struct {
	Success   *bool  `json:"success"`
	Error     string `json:"error"`
	ErrorInfo string `json:"error_info"`
	Message   string `json:"message"`
	ErrorCode int    `json:"errorCode"`
	Code      string `json:"code"`
}

// classify turns a Pipedrive error answer into a *crm.Error.
func classify(status int, header http.Header, body []byte) *crm.Error {
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err != nil || (eb.Error == "" && eb.Message == "") {
		return classifyPlain(status, header, body)
	}
	e := &crm.Error{StatusCode: status, CRMMessage: eb.Error, Code: eb.Code}
	if eb.Message != "" {
		// OAuth shape: error is the code, message the text.
		e.CRMMessage, e.Code = eb.Message, eb.Error
	}
	msg := e.CRMMessage
	switch {
	case status == http.StatusTooManyRequests:
		e.Problem = crmsync.ProblemRateLimited
		e.RetryAfter = rateLimitWait(header)
	case status == http.StatusUnauthorized || e.Code == "invalid_grant":
		e.Problem = crmsync.ProblemAuthRevoked
	case status == http.StatusForbidden || e.Code == "invalid_client":
		e.Problem = crmsync.ProblemPermissionDenied
	case status >= 500:
		e.Problem = crmsync.ProblemCRMUnavailable
	case status == http.StatusConflict || status == http.StatusLocked:
		e.Problem = crmsync.ProblemRecordLocked
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		e.Problem, e.Field = classifyValidation(msg)
	default:
		e.Problem = crmsync.ProblemUnknown
	}
	return e
}

// classifyValidation sorts a 400's message. The sandbox's (and v2's, as far
// as seen) messages read "Validation failed: <field>: <reason>"; v1 says
// "Name must be given." for a person without a name.
func classifyValidation(msg string) (crmsync.Problem, string) {
	field := ""
	if rest, ok := strings.CutPrefix(msg, "Validation failed: "); ok {
		if f, _, ok := strings.Cut(rest, ": "); ok {
			field = strings.TrimPrefix(f, "custom_fields.")
		}
	}
	lower := strings.ToLower(msg)
	switch {
	case strings.Contains(lower, "name must be given"):
		return crmsync.ProblemRequiredFieldMissing, "name"
	case strings.Contains(lower, "is required") || strings.Contains(lower, "must be given"):
		return crmsync.ProblemRequiredFieldMissing, field
	case strings.Contains(lower, "not a valid custom field key") || strings.Contains(lower, "is not allowed") ||
		strings.Contains(lower, "field does not exist") || strings.Contains(lower, "unknown field"):
		return crmsync.ProblemFieldMissing, field
	}
	return crmsync.ProblemInvalidValue, field
}

// classifyPlain classifies an answer without Pipedrive's JSON body (a proxy
// or Cloudflare page, or nothing at all).
func classifyPlain(status int, header http.Header, body []byte) *crm.Error {
	e := &crm.Error{StatusCode: status, CRMMessage: plainMessage(status, body)}
	switch {
	case status == http.StatusTooManyRequests:
		e.Problem, e.RetryAfter = crmsync.ProblemRateLimited, rateLimitWait(header)
	case status == http.StatusForbidden && looksHTML(header, body):
		e.Problem = crmsync.ProblemRateLimited
		e.RetryAfter = crm.RetryAfter(header)
		if e.RetryAfter <= 0 {
			e.RetryAfter = cloudflareBlockWait
		}
	case status == http.StatusUnauthorized:
		e.Problem = crmsync.ProblemAuthRevoked
	case status == http.StatusForbidden:
		e.Problem = crmsync.ProblemPermissionDenied
	case status >= 500 || status == 0:
		e.Problem = crmsync.ProblemCRMUnavailable
	default:
		e.Problem = crmsync.ProblemUnknown
	}
	return e
}

func looksHTML(header http.Header, body []byte) bool {
	if strings.Contains(header.Get("Content-Type"), "text/html") {
		return true
	}
	b := strings.ToLower(strings.TrimSpace(string(body[:min(len(body), 512)])))
	return strings.HasPrefix(b, "<!doctype html") || strings.HasPrefix(b, "<html")
}

// plainMessage is a short text for an answer without a JSON message.
func plainMessage(status int, body []byte) string {
	s := strings.TrimSpace(string(body))
	if s == "" || strings.HasPrefix(s, "<") || !utf8.ValidString(s) {
		if t := http.StatusText(status); t != "" {
			return t
		}
		return "Pipedrive answered HTTP " + strconv.Itoa(status)
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
