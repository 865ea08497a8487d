package zoho

import (
	"encoding/json"
	"time"
)

// timeLayout is Zoho's wire format for date-time values: ISO-8601 with a
// numeric offset ("2025-06-10T12:00:00+00:00"), never "Z".
const timeLayout = "2006-01-02T15:04:05-07:00"

// formatTime renders t the way Zoho does (second precision, +00:00 offset).
func formatTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(timeLayout) }

// Error is Zoho's error object. It is the whole body of a request-level
// error (`{"code":"INVALID_TOKEN",…}`) and one item of a per-record result
// array (`data[i]`, `fields[i]`, `Emails[i]`). Keys are emitted in Zoho's
// (alphabetical) order: code, details, message, status.
type Error struct {
	Code    string         `json:"code"`
	Details map[string]any `json:"details"`
	Message string         `json:"message"`
	Status  string         `json:"status"`
}

// Error implements the error interface so validation helpers can return it.
func (e *Error) Error() string { return "zoho: " + e.Code + ": " + e.Message }

// newError builds an Error with status "error"; a nil details map is sent as
// {} (Zoho always sends the key in documented samples).
func newError(code, message string, details map[string]any) *Error {
	if details == nil {
		details = map[string]any{}
	}
	return &Error{Code: code, Details: details, Message: message, Status: "error"}
}

// UserRef is Zoho's minified user (`{"name":…,"id":…}`) used by Created_By,
// Modified_By and Owner.
type UserRef struct {
	Name  string `json:"name"`
	ID    string `json:"id"`
	Email string `json:"email,omitempty"`
}

// RecordDetails is the `details` object of a successful record write.
type RecordDetails struct {
	ModifiedTime string  `json:"Modified_Time"`
	ModifiedBy   UserRef `json:"Modified_By"`
	CreatedTime  string  `json:"Created_Time"`
	ID           string  `json:"id"`
	CreatedBy    UserRef `json:"Created_By"`
}

// UpsertResult is one successful item of an upsert response. DuplicateField
// is null on insert and names the matching field on update.
type UpsertResult struct {
	Code           string        `json:"code"`
	DuplicateField *string       `json:"duplicate_field"`
	Action         string        `json:"action"`
	Details        RecordDetails `json:"details"`
	Message        string        `json:"message"`
	Status         string        `json:"status"`
}

// InsertResult is one successful item of an insert (POST /{module}) response.
type InsertResult struct {
	Code    string        `json:"code"`
	Details RecordDetails `json:"details"`
	Message string        `json:"message"`
	Status  string        `json:"status"`
}

// RecordsRequest is the body of insert and upsert calls.
type RecordsRequest struct {
	Data                 []json.RawMessage `json:"data"`
	DuplicateCheckFields []string          `json:"duplicate_check_fields,omitempty"`
	Trigger              []string          `json:"trigger,omitempty"`
}

// DataResponse is `{"data":[…]}`, the body of record writes and reads.
type DataResponse struct {
	Data []any `json:"data"`
}

// Info is Zoho's list pagination object.
type Info struct {
	PerPage     int  `json:"per_page"`
	Count       int  `json:"count"`
	Page        int  `json:"page"`
	MoreRecords bool `json:"more_records"`
}

// NamedID is a `{"name":…,"id":…}` pair (role, profile).
type NamedID struct {
	Name string `json:"name"`
	ID   string `json:"id"`
}

// User is one item of GET /crm/v8/users.
type User struct {
	ID        string  `json:"id"`
	FullName  string  `json:"full_name"`
	FirstName string  `json:"first_name"`
	LastName  string  `json:"last_name"`
	Email     string  `json:"email"`
	Status    string  `json:"status"`
	Confirm   bool    `json:"confirm"`
	Role      NamedID `json:"role"`
	Profile   NamedID `json:"profile"`
	ZUID      string  `json:"zuid"`
	TimeZone  string  `json:"time_zone"`
	Language  string  `json:"language"`
	Locale    string  `json:"locale"`
	Country   string  `json:"country"`
	// CreatedTime is when the user was added to the org.
	CreatedTime  string  `json:"created_time"`
	ModifiedTime string  `json:"Modified_Time"`
	CreatedBy    UserRef `json:"created_by"`
}

// UsersResponse is the body of GET /crm/v8/users.
type UsersResponse struct {
	Users []User `json:"users"`
	Info  Info   `json:"info"`
}

// Org is the single item of GET /crm/v8/org.
type Org struct {
	ID              string  `json:"id"`
	CompanyName     string  `json:"company_name"`
	DomainName      string  `json:"domain_name"`
	ZGID            string  `json:"zgid"`
	PrimaryZUID     string  `json:"primary_zuid"`
	PrimaryEmail    string  `json:"primary_email"`
	CountryCode     string  `json:"country_code"`
	Currency        string  `json:"currency"`
	CurrencySymbol  string  `json:"currency_symbol"`
	ISOCode         string  `json:"iso_code"`
	TimeZone        string  `json:"time_zone"`
	MCStatus        bool    `json:"mc_status"`
	GappsEnabled    bool    `json:"gapps_enabled"`
	PrivacySettings bool    `json:"privacy_settings"`
	LicenseDetails  License `json:"license_details"`
}

// License is the org's `license_details`.
type License struct {
	PaidExpiry            *string `json:"paid_expiry"`
	UsersLicensePurchased int     `json:"users_license_purchased"`
	TrialType             *string `json:"trial_type"`
	TrialExpiry           *string `json:"trial_expiry"`
	Paid                  bool    `json:"paid"`
	PaidType              string  `json:"paid_type"`
}

// OrgResponse is the body of GET /crm/v8/org.
type OrgResponse struct {
	Org []Org `json:"org"`
}

// EmailAddress is a `{"user_name":…,"email":…}` pair of associate_email.
type EmailAddress struct {
	UserName string `json:"user_name"`
	Email    string `json:"email"`
}

// FieldResult is one item of the POST settings/fields response.
type FieldResult struct {
	Code    string            `json:"code"`
	Details map[string]string `json:"details"`
	Message string            `json:"message"`
	Status  string            `json:"status"`
}

// TokenResponse is a successful body of POST /oauth/v2/token. RefreshToken is
// present only on the authorization_code grant: Zoho does not rotate.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
	APIDomain    string `json:"api_domain"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

// TokenError is the body of a failed token call, sent with HTTP 200 as Zoho
// does (`{"error":"invalid_code"}`).
type TokenError struct {
	ErrorDescription string `json:"error_description,omitempty"`
	Error            string `json:"error"`
}
