package pipedrive

import (
	"net/http"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// errorInfo is the fixed hint Pipedrive puts in error_info on API errors.
const errorInfo = "Please check developers.pipedrive.com for more information about Pipedrive API."

// Error texts Pipedrive uses. Sources: the OAuth/API-proxy status-code page
// (pipedrive.readme.io/docs/marketplace-oauth-and-api-proxy-status-codes), the
// v1 OpenAPI 401 example for /users/me, and error bodies quoted in
// pipedrive/client-nodejs issues. Texts marked UNCONFIRMED were not seen in a
// source; the status codes are the documented ones.
const (
	// msgUnauthorized answers a request with no credentials at all
	// (v1 OpenAPI example for GET /users/me 401).
	msgUnauthorized = "unauthorized access"
	// msgInvalidToken answers an unknown, expired or revoked access token
	// (status-code page: "Invalid token: access_token is invalid").
	msgInvalidToken = "Invalid token: access_token is invalid"
	// msgMalformedAuth answers an Authorization header that is not "Bearer TOKEN".
	msgMalformedAuth = "Invalid request: malformed authorization header"
	// msgOverLimit answers a throttled request ("Request over limit" on the
	// status-code page; Airbyte's tests model it the same way).
	msgOverLimit = "Request over limit"
	// msgNameMissing answers a person without a name; the v1 text
	// "Name must be given." is quoted in client-nodejs issue #129.
	msgNameMissing = "Name must be given."
	// msgRouteNotFound answers an unknown path. UNCONFIRMED text.
	msgRouteNotFound = "Unknown method ."
	// msgInternal answers an injected 500 (v1 OpenAPI CallLogInternalErrorResponse example).
	msgInternal = "An internal server error occurred"
	// msgUnavailable answers an injected 503 (core-api-concepts-responses example).
	msgUnavailable = "Requested service is not available"
)

// codeValidation is the string code v2 endpoints put on schema validation
// failures. Seen in third-party integration code quoting live v2 answers
// ("ERR_SCHEMA_VALIDATION_FAILED: … not a valid datetime"); whether it travels
// in "code" or only inside the message is UNCONFIRMED.
const codeValidation = "ERR_SCHEMA_VALIDATION_FAILED"

// writeJSON writes v as the JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) { emu.WriteJSON(w, status, v) }

// writeData writes Pipedrive's success envelope around data.
func writeData(w http.ResponseWriter, status int, data, additional any) {
	writeJSON(w, status, Envelope{Success: true, Data: data, AdditionalData: additional})
}

// writeError writes Pipedrive's error envelope.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, ErrorBody{Error: msg, ErrorInfo: errorInfo})
}

// writeAuthError writes a 401 with errorCode, as the auth proxy does.
func writeAuthError(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusUnauthorized, ErrorBody{Error: msg, ErrorInfo: errorInfo, ErrorCode: http.StatusUnauthorized})
}

// validationError is a 400 the v2 (or v1) validator reports to the client.
type validationError struct {
	msg string
}

func (e *validationError) Error() string { return e.msg }

// invalid returns a validationError with msg.
func invalid(msg string) error { return &validationError{msg: msg} }

// writeValidation writes a 400 for a failed v2 validation.
func writeValidation(w http.ResponseWriter, err error) {
	writeJSON(w, http.StatusBadRequest, ErrorBody{Error: err.Error(), ErrorInfo: errorInfo, Code: codeValidation})
}

// writeOAuthError writes a failed /oauth/token answer.
func writeOAuthError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, OAuthError{Message: msg, Error: code})
}
