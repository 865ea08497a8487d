package hubspot

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// protocol is HubSpot's crm.Protocol: Bearer tokens, HubSpot's error bodies
// and its rate-limit headers.
type protocol struct{ crm.BearerAuth }

// Classify implements crm.Protocol.
func (protocol) Classify(status int, header http.Header, body []byte) *crm.Error {
	return classify(status, header, body)
}

// Throttle implements crm.Protocol. HubSpot meters a rolling 10-second
// window and reports it on every response; when the window is spent the
// account must pause for the interval (or what Retry-After says), so the
// next request is not sent only to be refused.
func (protocol) Throttle(status int, header http.Header) time.Duration {
	if status == http.StatusTooManyRequests || status == 477 {
		if d := crm.RetryAfter(header); d > 0 {
			return d
		}
	}
	rem := header.Get("X-HubSpot-RateLimit-Remaining")
	if rem == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(rem)); err == nil && n <= 0 {
		// The window is full. A rolling window frees a slot as its oldest
		// request ages out; HubSpot does not say when, so wait one slot's
		// share of the window rather than idling a whole interval. If the
		// slot is still taken, the 429's wait (the interval) applies.
		win := interval(header)
		if m, err := strconv.Atoi(strings.TrimSpace(header.Get("X-HubSpot-RateLimit-Max"))); err == nil && m > 0 {
			return win / time.Duration(m)
		}
		return win / 100
	}
	return 0
}

// defaultInterval is HubSpot's documented rolling window.
const defaultInterval = 10 * time.Second

// interval is the window HubSpot reports in
// X-HubSpot-RateLimit-Interval-Milliseconds, or 10 seconds.
func interval(header http.Header) time.Duration {
	if ms, err := strconv.Atoi(strings.TrimSpace(header.Get("X-HubSpot-RateLimit-Interval-Milliseconds"))); err == nil && ms > 0 {
		return time.Duration(ms) * time.Millisecond
	}
	return defaultInterval
}

// errorBody is HubSpot's error body. Every key is optional: the rate-limit
// bodies carry errorType and policyName instead of category, OAuth errors
// carry error and error_description, and 207 batch answers carry a list of
// these (without HTTP status) under "errors".
type errorBody struct {
	Status           string         `json:"status"`
	Message          string         `json:"message"`
	CorrelationID    string         `json:"correlationId"`
	Category         string         `json:"category"`
	SubCategory      string         `json:"subCategory"`
	ErrorType        string         `json:"errorType"`
	PolicyName       string         `json:"policyName"`
	Error            string         `json:"error"`
	ErrorDescription string         `json:"error_description"`
	Errors           []errorDetail  `json:"errors"`
	Context          map[string]any `json:"context"`
}

// errorDetail is one entry of an error body's "errors".
type errorDetail struct {
	Message string         `json:"message"`
	In      string         `json:"in"`
	Code    string         `json:"code"`
	Context map[string]any `json:"context"`
}

// propertyError is one entry of the JSON list HubSpot embeds in a
// VALIDATION_ERROR message: "Property values were not valid: [{...}]".
type propertyError struct {
	IsValid bool   `json:"isValid"`
	Message string `json:"message"`
	Error   string `json:"error"`
	Name    string `json:"name"`
}

// propertyErrors extracts the embedded property errors of a validation
// message, or nil.
func propertyErrors(msg string) []propertyError {
	i := strings.IndexByte(msg, '[')
	j := strings.LastIndexByte(msg, ']')
	if i < 0 || j < i {
		return nil
	}
	var pe []propertyError
	if json.Unmarshal([]byte(msg[i:j+1]), &pe) != nil {
		return nil
	}
	return pe
}

// classify turns a HubSpot error answer into a *crm.Error. status is 0 for
// an entry of a 207 answer's errors list, whose category alone decides.
func classify(status int, header http.Header, body []byte) *crm.Error {
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err != nil || (eb.Message == "" && eb.Category == "" && eb.Error == "" && eb.ErrorType == "") {
		e := &crm.Error{Problem: problemForStatus(status), StatusCode: status, CRMMessage: plainMessage(status, body)}
		if e.Problem == crmsync.ProblemRateLimited {
			e.RetryAfter = rateLimitWait(header, "", "")
		}
		return e
	}
	return classifyBody(status, header, eb)
}

// classifyBody classifies a decoded error body.
func classifyBody(status int, header http.Header, eb errorBody) *crm.Error {
	e := &crm.Error{StatusCode: status, CRMMessage: eb.Message, Code: eb.Category}
	if e.CRMMessage == "" {
		e.CRMMessage = eb.ErrorDescription
	}
	if eb.SubCategory != "" {
		e.Code = eb.SubCategory
	}
	switch {
	case eb.ErrorType == "RATE_LIMIT" || status == http.StatusTooManyRequests:
		e.Problem = crmsync.ProblemRateLimited
		e.Code = "RATE_LIMIT"
		if eb.PolicyName != "" {
			e.Code = eb.PolicyName
		}
		e.RetryAfter = rateLimitWait(header, eb.PolicyName, eb.Message)
	case eb.Error != "" && eb.Category == "":
		// An OAuth endpoint's standardized error.
		e.Code = eb.Error
		switch eb.Error {
		case "invalid_grant", "invalid_token":
			e.Problem = crmsync.ProblemAuthRevoked
		case "invalid_client", "unauthorized_client", "invalid_scope":
			e.Problem = crmsync.ProblemPermissionDenied
		default:
			e.Problem = problemForStatus(status)
		}
	case eb.Category == "EXPIRED_AUTHENTICATION" || eb.Category == "INVALID_AUTHENTICATION" || status == http.StatusUnauthorized:
		e.Problem = crmsync.ProblemAuthRevoked
	case eb.Category == "MISSING_SCOPES" || status == http.StatusForbidden:
		e.Problem = crmsync.ProblemPermissionDenied
	case eb.Category == "VALIDATION_ERROR":
		classifyValidation(e, eb)
	case eb.Category == "OBJECT_ALREADY_EXISTS" || eb.Category == "CONFLICT" || status == http.StatusConflict:
		e.Problem = crmsync.ProblemDuplicateRule
		if eb.Error != "" {
			e.Code = eb.Error
		}
	case eb.Category == "LOCKED" || status == http.StatusLocked:
		e.Problem = crmsync.ProblemRecordLocked
		e.RetryAfter = 2 * time.Second // HubSpot's advice for 423
	case status == 477:
		// The portal is being migrated between data centers.
		e.Problem = crmsync.ProblemCRMUnavailable
		e.RetryAfter = crm.RetryAfter(header)
	default:
		e.Problem = problemForStatus(status)
	}
	return e
}

// classifyValidation refines a VALIDATION_ERROR from the property errors
// HubSpot embeds in the message, or from its errors list.
func classifyValidation(e *crm.Error, eb errorBody) {
	e.Problem = crmsync.ProblemInvalidValue
	var codes, fields, msgs []string
	for _, pe := range propertyErrors(eb.Message) {
		codes, fields, msgs = append(codes, pe.Error), append(fields, pe.Name), append(msgs, pe.Message)
	}
	for _, d := range eb.Errors {
		if d.Code == "" {
			continue
		}
		codes, msgs = append(codes, d.Code), append(msgs, d.Message)
		fields = append(fields, d.In)
	}
	if len(msgs) > 0 && msgs[0] != "" {
		// The record's own complaint, in HubSpot's words, rather than the
		// wrapper around its JSON.
		e.CRMMessage = strings.Join(nonEmpty(msgs), "; ")
	}
	for i, code := range codes {
		if p, ok := validationProblems[code]; ok {
			e.Problem, e.Code, e.Field = p, code, fields[i]
			return
		}
	}
	if len(codes) > 0 {
		e.Code, e.Field = codes[0], fields[0]
	}
	if isRequiredMessage(eb.Message) {
		e.Problem = crmsync.ProblemRequiredFieldMissing
	}
}

// validationProblems maps HubSpot's property error codes to problems.
var validationProblems = map[string]crmsync.Problem{
	"PROPERTY_DOESNT_EXIST":     crmsync.ProblemFieldMissing,
	"REQUIRED":                  crmsync.ProblemRequiredFieldMissing,
	"REQUIRED_FIELD":            crmsync.ProblemRequiredFieldMissing,
	"MISSING_REQUIRED_PROPERTY": crmsync.ProblemRequiredFieldMissing,
	"REQUIRED_PROPERTY":         crmsync.ProblemRequiredFieldMissing,
	"INVALID_EMAIL":             crmsync.ProblemInvalidValue,
	"INVALID_OPTION":            crmsync.ProblemInvalidValue,
	"INVALID_INTEGER":           crmsync.ProblemInvalidValue,
	"INVALID_LONG":              crmsync.ProblemInvalidValue,
	"INVALID_DATE":              crmsync.ProblemInvalidValue,
	"INVALID_DATETIME":          crmsync.ProblemInvalidValue,
	"INVALID_OWNER_ID":          crmsync.ProblemInvalidValue,
	"INVALID_PROPERTY_VALUE":    crmsync.ProblemInvalidValue,
}

// isRequiredMessage reports whether a validation message says a required
// value is missing; HubSpot's wording for this case is not documented, so
// match the word.
func isRequiredMessage(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "required") && !strings.Contains(m, "scopes")
}

// nonEmpty drops empty and repeated messages (HubSpot states each problem
// both in the embedded list and in errors).
func nonEmpty(ss []string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// problemForStatus is the fallback when the body says nothing useful.
func problemForStatus(status int) crmsync.Problem {
	switch {
	case status == http.StatusUnauthorized:
		return crmsync.ProblemAuthRevoked
	case status == http.StatusForbidden:
		return crmsync.ProblemPermissionDenied
	case status == http.StatusTooManyRequests:
		return crmsync.ProblemRateLimited
	case status == http.StatusConflict:
		return crmsync.ProblemDuplicateRule
	case status == http.StatusLocked:
		return crmsync.ProblemRecordLocked
	case status == 477 || status >= 500:
		return crmsync.ProblemCRMUnavailable
	case status == http.StatusBadRequest:
		return crmsync.ProblemInvalidValue
	}
	return crmsync.ProblemUnknown
}

// plainMessage is the CRM's message for a body that is not HubSpot JSON
// (a gateway's HTML page, say).
func plainMessage(status int, body []byte) string {
	s := strings.TrimSpace(string(body))
	if s == "" || strings.HasPrefix(s, "<") {
		return fmt.Sprintf("HubSpot answered HTTP %d %s.", status, http.StatusText(status))
	}
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}

// rateLimitWait is how long to wait after a 429: Retry-After if HubSpot
// sent one (it is not guaranteed), else by policy the way HubSpot's own
// SDK does: the rolling window for TEN_SECONDLY_ROLLING, one second for the
// Search API's "secondly" limit, and until the next day for DAILY.
func rateLimitWait(header http.Header, policy, msg string) time.Duration {
	if d := crm.RetryAfter(header); d > 0 {
		return d
	}
	switch {
	case policy == "DAILY":
		now := time.Now().UTC()
		next := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
		return max(next.Sub(now), time.Minute)
	case strings.Contains(msg, "secondly limit") && !strings.Contains(msg, "ten_secondly"):
		return time.Second
	}
	return interval(header)
}
