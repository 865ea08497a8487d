package zoho

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// protocol is Zoho's crm.Protocol: the Zoho-oauthtoken header, Zoho's error
// bodies, and 429 without any reset header.
type protocol struct{}

// Authorize implements crm.Protocol. Zoho rejects "Bearer".
func (protocol) Authorize(req *http.Request, tok *crmsync.Token) {
	req.Header.Set("Authorization", "Zoho-oauthtoken "+tok.AccessToken)
}

// Classify implements crm.Protocol.
func (protocol) Classify(status int, header http.Header, body []byte) *crm.Error {
	return classify(status, header, body)
}

// Throttle implements crm.Protocol. Zoho sends no reset time: only
// X-API-CREDITS-REMAINING once half the daily credits are used, and a 429
// when credits or the concurrency cap run out. There is nothing to pause
// for ahead of time; the 429 itself carries the wait (see rateLimitWait).
func (protocol) Throttle(status int, header http.Header) time.Duration { return 0 }

// rateLimitWait is how long to wait after a 429: Retry-After if Zoho ever
// sends one, else a short pause. Zoho's 429 does not say whether the org's
// concurrency cap (clears in seconds) or its 24-hour credits (clear as the
// rolling window moves) ran out; the concurrency cap is the common case for
// a batch pusher, so the wait is short and a job that keeps meeting 429s
// keeps snoozing.
func rateLimitWait(header http.Header) time.Duration {
	if d := crm.RetryAfter(header); d > 0 {
		return d
	}
	return 2 * time.Second
}

// apiError is Zoho's error object (request level, or one item of data[],
// fields[] or Emails[]).
type apiError struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Status  string          `json:"status"`
	Details json.RawMessage `json:"details"`
}

// errorDetails are the parts of details the connector reads.
type errorDetails struct {
	APIName         string `json:"api_name"`
	JSONPath        string `json:"json_path"`
	ID              string `json:"id"`
	DuplicateRecord *struct {
		ID string `json:"id"`
	} `json:"duplicate_record"`
	Errors []apiError `json:"errors"`
}

func (e apiError) details() errorDetails {
	var d errorDetails
	_ = json.Unmarshal(e.Details, &d)
	return d
}

// classify turns a non-2xx answer into a *crm.Error. Zoho puts a
// request-level error at the top of the body, and per-record errors in a
// list (data, fields or Emails) when it refused every record: then the first
// refusal stands for the call.
func classify(status int, header http.Header, body []byte) *crm.Error {
	var top struct {
		apiError
		Data   []apiError `json:"data"`
		Fields []apiError `json:"fields"`
		Emails []apiError `json:"Emails"`
	}
	if err := json.Unmarshal(body, &top); err != nil || (top.Code == "" && len(top.Data)+len(top.Fields)+len(top.Emails) == 0) {
		return &crm.Error{Problem: problemForStatus(status), StatusCode: status, RetryAfter: waitFor(status, header),
			CRMMessage: fmt.Sprintf("Zoho answered HTTP %d %s.", status, http.StatusText(status))}
	}
	e := top.apiError
	if e.Code == "" {
		for _, list := range [][]apiError{top.Data, top.Fields, top.Emails} {
			for _, item := range list {
				if item.Status == "error" && e.Code == "" {
					e = item
				}
			}
		}
	}
	return classifyError(status, header, e)
}

// waitFor is the RetryAfter of a status that is worth waiting out.
func waitFor(status int, header http.Header) time.Duration {
	switch {
	case status == http.StatusTooManyRequests:
		return rateLimitWait(header)
	case status >= 500:
		return crm.RetryAfter(header)
	}
	return 0
}

// codeProblems maps Zoho's error codes to problem types.
var codeProblems = map[string]crmsync.Problem{
	"INVALID_TOKEN":            crmsync.ProblemAuthRevoked,
	"AUTHENTICATION_FAILURE":   crmsync.ProblemAuthRevoked,
	"OAUTH_SCOPE_MISMATCH":     crmsync.ProblemPermissionDenied,
	"NO_PERMISSION":            crmsync.ProblemPermissionDenied,
	"AUTHORIZATION_FAILED":     crmsync.ProblemPermissionDenied,
	"NOT_ALLOWED":              crmsync.ProblemPermissionDenied,
	"FEATURE_NOT_SUPPORTED":    crmsync.ProblemPermissionDenied,
	"MANDATORY_NOT_FOUND":      crmsync.ProblemRequiredFieldMissing,
	"DEPENDENT_FIELD_MISSING":  crmsync.ProblemRequiredFieldMissing,
	"INVALID_DATA":             crmsync.ProblemInvalidValue,
	"DEPENDENT_MISMATCH":       crmsync.ProblemInvalidValue,
	"PATTERN_NOT_MATCHED":      crmsync.ProblemInvalidValue,
	"LIMIT_EXCEEDED":           crmsync.ProblemInvalidValue,
	"DUPLICATE_DATA":           crmsync.ProblemDuplicateRule,
	"MULTIPLE_OR_MULTI_ERRORS": crmsync.ProblemDuplicateRule,
	"TOO_MANY_REQUESTS":        crmsync.ProblemRateLimited,
	"RECORD_LOCKED":            crmsync.ProblemRecordLocked,
	"RECORD_IN_BLUEPRINT":      crmsync.ProblemRecordLocked,
	"ALREADY_MODIFIED":         crmsync.ProblemRecordLocked,
	"INTERNAL_ERROR":           crmsync.ProblemCRMUnavailable,
}

// classifyError classifies one Zoho error object.
func classifyError(status int, header http.Header, e apiError) *crm.Error {
	p, ok := codeProblems[e.Code]
	if !ok {
		p = problemForStatus(status)
	}
	d := e.details()
	out := &crm.Error{Problem: p, StatusCode: status, Code: e.Code, CRMMessage: e.Message, Field: d.APIName}
	if e.Code == "MULTIPLE_OR_MULTI_ERRORS" && len(d.Errors) > 0 && out.Field == "" {
		out.Field = d.Errors[0].details().APIName
	}
	switch p {
	case crmsync.ProblemRateLimited:
		out.RetryAfter = rateLimitWait(header)
	case crmsync.ProblemRecordLocked:
		out.RetryAfter = 2 * time.Second
	case crmsync.ProblemCRMUnavailable:
		out.RetryAfter = crm.RetryAfter(header)
	}
	if out.CRMMessage == "" {
		out.CRMMessage = fmt.Sprintf("Zoho answered %s.", e.Code)
	}
	return out
}

// problemForStatus classifies a status without a Zoho error code.
func problemForStatus(status int) crmsync.Problem {
	switch {
	case status == http.StatusUnauthorized:
		return crmsync.ProblemAuthRevoked
	case status == http.StatusForbidden:
		return crmsync.ProblemPermissionDenied
	case status == http.StatusTooManyRequests:
		return crmsync.ProblemRateLimited
	case status == http.StatusLocked, status == http.StatusPreconditionFailed:
		return crmsync.ProblemRecordLocked
	case status >= 500:
		return crmsync.ProblemCRMUnavailable
	case status == http.StatusBadRequest:
		return crmsync.ProblemInvalidValue
	}
	return crmsync.ProblemUnknown
}

// tokenError adjusts a token-endpoint failure (classified by crm.OAuthFlow)
// for Zoho: its throttle on access-token minting (more than 10 per refresh
// token in 10 minutes) answers HTTP 200 {"error":"Access Denied"}, which
// means wait, not sign in again.
func tokenError(err error) error {
	var ce *crm.Error
	if errors.As(err, &ce) && strings.EqualFold(ce.Code, "Access Denied") {
		ce.Problem = crmsync.ProblemRateLimited
		ce.RetryAfter = time.Minute
	}
	return err
}

// itemError is the *crm.Error of one refused record in a 200/207/400 list.
func itemError(status int, e apiError) *crm.Error {
	if status/100 == 2 {
		status = http.StatusBadRequest // the record was refused, not the call
	}
	return classifyError(status, nil, e)
}
