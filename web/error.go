package web

import (
	"log/slog"
	"net/http"

	"github.com/saleshive/crmsync"
)

// codeBadRequest is the API error code of a request that is not well-formed
// JSON of the documented shape (malformed JSON, an unknown field, a value of
// the wrong type, a malformed query parameter). It belongs to HTTP, not to
// the domain, so it lives here rather than beside crmsync's codes.
const codeBadRequest = "bad_request"

// errorStatus maps an error code to its HTTP status. It is the one place
// where that mapping lives.
func errorStatus(code string) int {
	switch code {
	case codeBadRequest:
		return http.StatusBadRequest
	case crmsync.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case crmsync.EFORBIDDEN:
		return http.StatusForbidden
	case crmsync.ENOTFOUND:
		return http.StatusNotFound
	case crmsync.ECONFLICT:
		return http.StatusConflict
	case crmsync.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case crmsync.EINVALID, crmsync.EUNPROCESSABLE:
		return http.StatusUnprocessableEntity
	case crmsync.ENOTIMPLEMENTED:
		return http.StatusNotImplemented
	case crmsync.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// errorBody is the JSON shape of every API error.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string               `json:"code"`
	Message string               `json:"message"`
	Fields  []crmsync.FieldError `json:"fields,omitempty"`
}

// writeError writes err as a JSON error response. Internal errors are logged
// with their full text and answered with a generic message, so no internals
// reach the client.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := crmsync.ErrorCode(err)
	status := errorStatus(code)
	if status >= http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "request failed",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("error", err.Error()))
	}
	if code == crmsync.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="crmsync"`)
	}
	writeJSON(w, status, errorBody{Error: errorDetail{
		Code:    code,
		Message: crmsync.ErrorMessage(err),
		Fields:  crmsync.ErrorFields(err),
	}})
}

// badRequest returns a bad_request error about field (which may be empty).
func badRequest(field, message string) *crmsync.Error {
	e := &crmsync.Error{Code: codeBadRequest, Message: "The request is malformed: " + message}
	if field != "" {
		e.Message = "The request is malformed: " + field + " " + message
		e.Fields = []crmsync.FieldError{{Field: field, Message: message}}
	}
	return e
}
