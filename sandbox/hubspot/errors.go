package hubspot

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// apiError is HubSpot's error body (crm-api-facts §2.6). Field order follows
// the recorded responses: status, message, correlationId, context, errors,
// links, category, subCategory; 429s carry errorType, policyName and
// groupName instead of category.
type apiError struct {
	Status        string              `json:"status"`
	Message       string              `json:"message"`
	CorrelationID string              `json:"correlationId"`
	Context       map[string][]string `json:"context,omitempty"`
	Errors        []errorDetail       `json:"errors,omitempty"`
	Links         map[string]string   `json:"links,omitempty"`
	Category      string              `json:"category,omitempty"`
	SubCategory   string              `json:"subCategory,omitempty"`
	ErrorType     string              `json:"errorType,omitempty"`
	PolicyName    string              `json:"policyName,omitempty"`
	GroupName     string              `json:"groupName,omitempty"`
}

// errorDetail is one entry of an error body's errors[].
type errorDetail struct {
	Message string              `json:"message"`
	In      string              `json:"in,omitempty"`
	Code    string              `json:"code,omitempty"`
	Context map[string][]string `json:"context,omitempty"`
}

// httpError is an apiError with its status, returned by helpers so handlers
// can answer in one place.
type httpError struct {
	status int
	body   apiError
}

func (e *httpError) Error() string { return fmt.Sprintf("%d %s", e.status, e.body.Message) }

func newHTTPError(status int, category, msg string) *httpError {
	return &httpError{status: status, body: apiError{Message: msg, Category: category}}
}

// writeError writes body with status, filling status and correlationId.
func writeError(w http.ResponseWriter, status int, body apiError) {
	body.Status = "error"
	if body.CorrelationID == "" {
		body.CorrelationID = emu.NewUUID()
	}
	w.Header().Set("X-HubSpot-Correlation-Id", body.CorrelationID)
	emu.WriteJSON(w, status, body)
}

func writeHTTPError(w http.ResponseWriter, e *httpError) { writeError(w, e.status, e.body) }

// Property validation error codes. PROPERTY_DOESNT_EXIST and INVALID_EMAIL
// are confirmed (crm-api-facts §2.6); INVALID_OPTION and INVALID_LONG follow
// recorded responses quoted by third-party emulators. The others are
// UNCONFIRMED wording: HubSpot documents no body for them.
const (
	codeUnknownProperty = "PROPERTY_DOESNT_EXIST"
	codeInvalidEmail    = "INVALID_EMAIL"
	codeInvalidOption   = "INVALID_OPTION"
	codeInvalidLong     = "INVALID_LONG"
	codeInvalidNumber   = "INVALID_DOUBLE"          // UNCONFIRMED
	codeReadOnly        = "READ_ONLY_VALUE"         // UNCONFIRMED
	codeTooLong         = "INVALID_STRING_LENGTH"   // UNCONFIRMED
	codeRequired        = "REQUIRED_PROPERTY"       // UNCONFIRMED
	codeInvalidOwner    = "INVALID_OWNER_ID"        // UNCONFIRMED
	codeInvalidBool     = "INVALID_BOOLEAN"         // UNCONFIRMED
	codeNotString       = "INVALID_PROPERTY_FORMAT" // UNCONFIRMED
)

// propertyIssue is one invalid property value of one input.
type propertyIssue struct {
	Name    string
	Code    string
	Message string
}

// embeddedIssue is the JSON HubSpot embeds in "Property values were not
// valid: [...]".
type embeddedIssue struct {
	IsValid               bool   `json:"isValid"`
	Message               string `json:"message"`
	Error                 string `json:"error"`
	Name                  string `json:"name"`
	LocalizedErrorMessage string `json:"localizedErrorMessage,omitempty"`
	PortalID              int    `json:"portalId,omitempty"`
}

// validationError is HubSpot's 400 for invalid property values: the issues
// embedded as JSON in message. Only PROPERTY_DOESNT_EXIST is documented
// with an errors[] entry as well; a recorded INVALID_EMAIL answer has none,
// so clients must read the embedded JSON, as against HubSpot.
func validationError(issues []propertyIssue) *httpError {
	embedded := make([]embeddedIssue, 0, len(issues))
	var details []errorDetail
	for _, is := range issues {
		e := embeddedIssue{Message: is.Message, Error: is.Code, Name: is.Name}
		if is.Code == codeUnknownProperty {
			e.LocalizedErrorMessage = is.Message
			e.PortalID = HubID
		}
		embedded = append(embedded, e)
		if is.Code == codeUnknownProperty {
			details = append(details, errorDetail{Message: is.Message, Code: is.Code, Context: map[string][]string{"propertyName": {is.Name}}})
		}
	}
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(embedded)
	return &httpError{status: http.StatusBadRequest, body: apiError{
		Message:  "Property values were not valid: " + strings.TrimSpace(sb.String()),
		Errors:   details,
		Category: "VALIDATION_ERROR",
	}}
}

// invalidInput is HubSpot's 400 for a body that does not fit the input type.
func invalidInput(msg string) *httpError {
	return newHTTPError(http.StatusBadRequest, "VALIDATION_ERROR", "Invalid input JSON: "+msg)
}

// missingScopes is HubSpot's 403 MISSING_SCOPES body (crm-api-facts §2.6, CONFIRMED).
func missingScopes(required []string) *httpError {
	return &httpError{status: http.StatusForbidden, body: apiError{
		Message: "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
		Errors: []errorDetail{{
			Message: "One or more of the following scopes are required.",
			Context: map[string][]string{"requiredGranularScopes": required},
		}},
		Links:    map[string]string{"scopes": "https://developers.hubspot.com/scopes"},
		Category: "MISSING_SCOPES",
	}}
}

// notFoundObject is HubSpot's 404 for an object id that does not exist.
// A non-numeric id gets the recorded "objectId are usually numeric" text
// (two spaces included); a numeric one the gateway's "resource not found".
func notFoundObject(id string) *httpError {
	if !isDigits(id) {
		e := newHTTPError(http.StatusNotFound, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.")
		e.body.Context = map[string][]string{"id": {id}}
		return e
	}
	return newHTTPError(http.StatusNotFound, "", "resource not found")
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// oauthError is the standardized OAuth error body (crm-api-facts §2.1):
// OAuth's error/error_description plus HubSpot's status/message. The
// status values other than BAD_REFRESH_TOKEN are UNCONFIRMED.
type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	Status           string `json:"status"`
	Message          string `json:"message"`
	CorrelationID    string `json:"correlationId"`
}

func writeOAuthError(w http.ResponseWriter, status int, oauthCode, hsStatus, msg string) {
	emu.WriteJSON(w, status, oauthError{Error: oauthCode, ErrorDescription: msg, Status: hsStatus, Message: msg, CorrelationID: emu.NewUUID()})
}
