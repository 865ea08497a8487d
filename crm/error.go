package crm

import (
	"errors"
	"fmt"
	"time"

	"github.com/saleshive/crmsync"
)

// Error is a CRM's refusal, classified. Problem drives what crmsync does next
// (snooze, disconnect, fail the item, retry) and which card the client sees;
// CRMMessage is the CRM's own words, shown verbatim beside the card.
type Error struct {
	Problem    crmsync.Problem
	StatusCode int           // HTTP status, 0 when no response arrived
	RetryAfter time.Duration // for ProblemRateLimited: how long to wait
	CRMMessage string        // the CRM's message, verbatim
	Code       string        // the CRM's own error code, e.g. REQUIRED_FIELD_MISSING
	Field      string        // the field at fault, when the CRM names one
	Err        error         // the underlying error, for logs
}

// Error implements error. It is for logs, not for clients.
func (e *Error) Error() string {
	s := fmt.Sprintf("crm: %s", e.Problem)
	if e.StatusCode != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.StatusCode)
	}
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.CRMMessage != "" {
		s += ": " + e.CRMMessage
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether retrying the same request later may succeed
// without anyone changing anything.
func (e *Error) Temporary() bool {
	switch e.Problem {
	case crmsync.ProblemRateLimited, crmsync.ProblemCRMUnavailable, crmsync.ProblemRecordLocked:
		return true
	}
	return false
}

// AsError returns the *Error in err's chain, or, for any other non-nil error,
// an *Error of ProblemUnknown wrapping it.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Problem: crmsync.ProblemUnknown, Err: err}
}

// ProblemOf returns the problem type of err ("" for nil).
func ProblemOf(err error) crmsync.Problem {
	if err == nil {
		return ""
	}
	return AsError(err).Problem
}

// ErrUsersUnsupported is returned by Connector.Users when this connection
// cannot list its users (missing scope or plan), so the page hides the
// record-owner picker.
var ErrUsersUnsupported = errors.New("crm: this connection cannot list its users")
