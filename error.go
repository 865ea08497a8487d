package crmsync

import (
	"errors"
	"fmt"
	"strings"
)

// Application error codes. They describe what went wrong in terms a caller can
// act on; the web layer maps each to one HTTP status in one place.
const (
	ECONFLICT       = "conflict"        // the action conflicts with the current state
	EINTERNAL       = "internal"        // a bug or an unexpected failure
	EINVALID        = "invalid"         // the input failed validation
	ENOTFOUND       = "not_found"       // no such thing in this workspace
	EUNAUTHORIZED   = "unauthorized"    // no or bad credentials
	EFORBIDDEN      = "forbidden"       // authenticated but not allowed
	ETOOLARGE       = "too_large"       // the request is over a size limit
	EUNPROCESSABLE  = "unprocessable"   // well-formed but refers to something unusable
	EUNAVAILABLE    = "unavailable"     // a dependency (a CRM) is not reachable now
	ENOTIMPLEMENTED = "not_implemented" // the CRM connection cannot do this
)

// FieldError names one invalid field and how to fix it. Field is a JSON-style
// path such as "email" or "contacts[3].email".
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is an application error: a code, a message safe to show to a client,
// and, for validation errors, the fields at fault. Its Error string is for logs.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
}

// Error implements the error interface.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("crmsync error: code=%s message=%s", e.Code, e.Message)
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return fmt.Sprintf("crmsync error: code=%s message=%s fields=[%s]", e.Code, e.Message, strings.Join(parts, "; "))
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of the first *Error in err's
// chain, or a generic message for any other error so internals never leak.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorFields returns the field errors of the first *Error in err's chain.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Validation collects field errors; its Err method returns nil when there
// are none, or one EINVALID *Error listing them all.
type Validation struct {
	Fields []FieldError
}

// Add records that field is invalid with the given fix-oriented message.
func (v *Validation) Add(field, format string, args ...any) {
	v.Fields = append(v.Fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Merge adds every field error of err (if it is an EINVALID *Error) under the
// given prefix, e.g. "contacts[3]".
func (v *Validation) Merge(prefix string, err error) {
	for _, f := range ErrorFields(err) {
		name := f.Field
		if prefix != "" {
			name = prefix + "." + f.Field
		}
		v.Fields = append(v.Fields, FieldError{Field: name, Message: f.Message})
	}
}

// Err returns the collected errors as one EINVALID error, or nil.
func (v *Validation) Err(message string) error {
	if len(v.Fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: message, Fields: v.Fields}
}
