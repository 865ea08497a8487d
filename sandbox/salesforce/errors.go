package salesforce

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Error codes the sandbox answers with. They are Salesforce's own errorCode / statusCode values.
const (
	CodeInvalidSessionID       = "INVALID_SESSION_ID"
	CodeRequestLimitExceeded   = "REQUEST_LIMIT_EXCEEDED"
	CodeRequiredFieldMissing   = "REQUIRED_FIELD_MISSING"
	CodeInvalidEmailAddress    = "INVALID_EMAIL_ADDRESS"
	CodeStringTooLong          = "STRING_TOO_LONG"
	CodeInvalidField           = "INVALID_FIELD"
	CodeInvalidFieldForInsert  = "INVALID_FIELD_FOR_INSERT_UPDATE"
	CodeDuplicateValue         = "DUPLICATE_VALUE"
	CodeDuplicatesDetected     = "DUPLICATES_DETECTED"
	CodeDuplicateExternalID    = "DUPLICATE_EXTERNAL_ID"
	CodeDuplicateDeveloperName = "DUPLICATE_DEVELOPER_NAME"
	CodeNotFound               = "NOT_FOUND"
	CodeMalformedID            = "MALFORMED_ID"
	CodeMalformedQuery         = "MALFORMED_QUERY"
	CodeInvalidType            = "INVALID_TYPE"
	CodeInvalidCrossReference  = "INVALID_CROSS_REFERENCE_KEY"
	CodeInactiveOwner          = "INACTIVE_OWNER_OR_USER"
	CodeJSONParser             = "JSON_PARSER_ERROR"
	CodeExceededIDLimit        = "EXCEEDED_ID_LIMIT"
	CodeRestrictedPicklist     = "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
	CodeFieldIntegrity         = "FIELD_INTEGRITY_EXCEPTION"
	CodeAllOrNoneRolledBack    = "ALL_OR_NONE_OPERATION_ROLLED_BACK"
	CodeInvalidQueryLocator    = "INVALID_QUERY_LOCATOR"
	CodeMethodNotAllowed       = "METHOD_NOT_ALLOWED"
)

// APIError is one entry of Salesforce's REST error array. On the REST resources it is
// rendered as {"message","errorCode","fields"} (fields omitted when nil, "[]" when empty);
// inside sObject Collections results the code key is "statusCode" instead (see ItemError).
type APIError struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode"`
	Fields    []string `json:"fields,omitzero"`
	// DuplicateResult carries the duplicate-rule match (DUPLICATES_DETECTED only). The JSON
	// key is Salesforce's own misspelling "duplicateResut", seen in recorded live responses.
	DuplicateResult *DuplicateResult `json:"duplicateResut,omitempty"`
}

// ItemError is one error of an sObject Collections result item; the code key is
// "statusCode" and fields is always present.
type ItemError struct {
	StatusCode string   `json:"statusCode"`
	Message    string   `json:"message"`
	Fields     []string `json:"fields"`
}

// DuplicateResult is the duplicate-rule match detail of a DUPLICATES_DETECTED error.
type DuplicateResult struct {
	AllowSave               bool          `json:"allowSave"`
	DuplicateRule           string        `json:"duplicateRule"`
	DuplicateRuleEntityType string        `json:"duplicateRuleEntityType"`
	ErrorMessage            string        `json:"errorMessage"`
	MatchResults            []MatchResult `json:"matchResults"`
}

// MatchResult lists the records one matching rule found.
type MatchResult struct {
	EntityType   string        `json:"entityType"`
	Errors       []any         `json:"errors"`
	MatchEngine  string        `json:"matchEngine"`
	MatchRecords []MatchRecord `json:"matchRecords"`
	Rule         string        `json:"rule"`
	Size         int           `json:"size"`
	Success      bool          `json:"success"`
}

// MatchRecord is one existing record a duplicate rule matched.
type MatchRecord struct {
	AdditionalInformation []any          `json:"additionalInformation"`
	FieldDiffs            []any          `json:"fieldDiffs"`
	MatchConfidence       float64        `json:"matchConfidence"`
	Record                map[string]any `json:"record"`
}

// Error implements error so validation helpers can return an *APIError directly.
func (e *APIError) Error() string { return e.ErrorCode + ": " + e.Message }

// item converts e to its sObject Collections form.
func (e *APIError) item() ItemError {
	fields := e.Fields
	if fields == nil {
		fields = []string{}
	}
	return ItemError{StatusCode: e.ErrorCode, Message: e.Message, Fields: fields}
}

// restError is an APIError together with the HTTP status it is answered with.
type restError struct {
	status int
	errs   []*APIError
}

// Error implements error.
func (e *restError) Error() string {
	if len(e.errs) == 0 {
		return http.StatusText(e.status)
	}
	return fmt.Sprintf("%d %s", e.status, e.errs[0].Error())
}

// newRESTError wraps one APIError with its HTTP status.
func newRESTError(status int, code, message string, fields []string) *restError {
	return &restError{status: status, errs: []*APIError{{Message: message, ErrorCode: code, Fields: fields}}}
}

// errInvalidSession is the 401 answer to a missing, expired, revoked or unknown access token.
// Body confirmed (third-party) from live traffic: no "fields" key.
func errInvalidSession() *restError {
	return newRESTError(http.StatusUnauthorized, CodeInvalidSessionID, "Session expired or invalid", nil)
}

// errRequestLimit is the 403 answer once the org's rolling 24-hour API count is spent.
func errRequestLimit() *restError {
	return newRESTError(http.StatusForbidden, CodeRequestLimitExceeded, "TotalRequests Limit exceeded.", nil)
}

// errNotFound is the 404 for unknown resources, objects and record ids.
func errNotFound() *restError {
	return newRESTError(http.StatusNotFound, CodeNotFound, "The requested resource does not exist", nil)
}

// errExternalIDFieldNotFound is the 404 for an upsert or lookup naming a field that is not an
// external id field of the object. Message text UNCONFIRMED (recalled, not seen in a source).
func errExternalIDFieldNotFound(field string) *restError {
	return newRESTError(http.StatusNotFound, CodeNotFound,
		"Provided external ID field does not exist or is not accessible: "+field, nil)
}

// errMethodNotAllowed is the 405 for a known resource called with the wrong method.
func errMethodNotAllowed(method string, allowed ...string) *restError {
	return newRESTError(http.StatusMethodNotAllowed, CodeMethodNotAllowed,
		"HTTP Method '"+method+"' not allowed. Allowed are "+strings.Join(allowed, ","), nil)
}

// errJSONParser is the 400 for a body that is not valid JSON or has a value of the wrong type.
func errJSONParser(msg string) *restError {
	return newRESTError(http.StatusBadRequest, CodeJSONParser, msg, nil)
}

// errUnknownField is the 400 for a body naming a field the object does not have. The message
// is Salesforce's (confirmed third-party); the whole request fails, also inside collections
// (UNCONFIRMED for collections: Salesforce deserializes the body before saving any record).
func errUnknownField(field, object string) *restError {
	return newRESTError(http.StatusBadRequest, CodeInvalidField,
		fmt.Sprintf("No such column '%s' on sobject of type %s", field, object), nil)
}

// errUnsupportedType is the whole-call 400 for a collection record whose attributes.type
// the sandbox does not serve.
func errUnsupportedType(typ string) *restError {
	return errBadRequest(CodeInvalidType, "sObject type '"+typ+"' is not supported.")
}

// errBadRequest is a generic 400 with one error.
func errBadRequest(code, msg string) *restError {
	return newRESTError(http.StatusBadRequest, code, msg, nil)
}

// errRecord is the 400 answer to a single-record write that failed with e.
func errRecord(e *APIError) *restError {
	return &restError{status: http.StatusBadRequest, errs: []*APIError{e}}
}

// fieldError builds a record-level error naming fields.
func fieldError(code, msg string, fields ...string) *APIError {
	if fields == nil {
		fields = []string{}
	}
	return &APIError{Message: msg, ErrorCode: code, Fields: fields}
}

// writeJSON writes v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// writeRESTError writes a REST error array.
func writeRESTError(w http.ResponseWriter, e *restError) {
	writeJSON(w, e.status, e.errs)
}

// OAuthError is the token / revoke endpoints' error body.
type OAuthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// writeOAuthError writes an OAuth error body; Salesforce's token endpoint answers its errors
// with HTTP 400.
func writeOAuthError(w http.ResponseWriter, code, description string) {
	writeJSON(w, http.StatusBadRequest, OAuthError{Error: code, ErrorDescription: description})
}
