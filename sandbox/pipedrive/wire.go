package pipedrive

// Wire types: the JSON bodies Pipedrive sends, field for field as in the vendor
// OpenAPI files (reference/openapi/pipedrive/openapi-v{1,2}.yaml). Optional
// numbers that Pipedrive answers as null when unset are pointers without
// omitempty, because the live API sends the key with null rather than dropping it.

// ContactItem is one entry of a person's emails or phones (v2 PersonItemEmail /
// PersonItemPhone): a value, whether it is the primary one, and a label.
type ContactItem struct {
	Value   string `json:"value"`
	Primary bool   `json:"primary"`
	Label   string `json:"label"`
}

// Person is a v2 person (GET/POST/PATCH /api/v2/persons answers this under data).
type Person struct {
	ID         int64         `json:"id"`
	Name       string        `json:"name"`
	FirstName  string        `json:"first_name"`
	LastName   string        `json:"last_name"`
	OwnerID    int64         `json:"owner_id"`
	OrgID      *int64        `json:"org_id"`
	AddTime    string        `json:"add_time"`
	UpdateTime string        `json:"update_time"`
	Emails     []ContactItem `json:"emails"`
	Phones     []ContactItem `json:"phones"`
	IsDeleted  bool          `json:"is_deleted"`
	VisibleTo  int           `json:"visible_to"`
	LabelIDs   []int64       `json:"label_ids"`
	PictureID  *int64        `json:"picture_id"`
	// JobTitle is one of the contact-sync fields v2 includes when contact
	// sync is enabled for the company; the sandbox always has it enabled.
	JobTitle     *string        `json:"job_title"`
	CustomFields map[string]any `json:"custom_fields"`
}

// Participant links an activity to a person (v2 activity participants[]).
type Participant struct {
	PersonID int64 `json:"person_id"`
	Primary  bool  `json:"primary"`
}

// Attendee is an external attendee of a meeting activity (v2 attendees[]).
type Attendee struct {
	Email       string `json:"email"`
	Name        string `json:"name,omitempty"`
	Status      string `json:"status,omitempty"`
	IsOrganizer bool   `json:"is_organizer,omitempty"`
	PersonID    *int64 `json:"person_id,omitempty"`
	UserID      *int64 `json:"user_id,omitempty"`
}

// Location is an activity's location (v2 ActivityItemLocation). Only value is
// interpreted; the address parts are kept as sent.
type Location struct {
	Value           string `json:"value"`
	Country         string `json:"country,omitempty"`
	AdminAreaLevel1 string `json:"admin_area_level_1,omitempty"`
	AdminAreaLevel2 string `json:"admin_area_level_2,omitempty"`
	Locality        string `json:"locality,omitempty"`
	Sublocality     string `json:"sublocality,omitempty"`
	Route           string `json:"route,omitempty"`
	StreetNumber    string `json:"street_number,omitempty"`
	Subpremise      string `json:"subpremise,omitempty"`
	PostalCode      string `json:"postal_code,omitempty"`
}

// Activity is a v2 activity (GET/POST /api/v2/activities answers this under data).
type Activity struct {
	ID                int64         `json:"id"`
	Subject           string        `json:"subject"`
	Type              string        `json:"type"`
	OwnerID           int64         `json:"owner_id"`
	CreatorUserID     int64         `json:"creator_user_id"`
	IsDeleted         bool          `json:"is_deleted"`
	AddTime           string        `json:"add_time"`
	UpdateTime        string        `json:"update_time"`
	DealID            *int64        `json:"deal_id"`
	LeadID            *string       `json:"lead_id"`
	PersonID          *int64        `json:"person_id"`
	OrgID             *int64        `json:"org_id"`
	ProjectID         *int64        `json:"project_id"`
	DueDate           *string       `json:"due_date"`
	DueTime           *string       `json:"due_time"`
	Duration          *string       `json:"duration"`
	Busy              bool          `json:"busy"`
	Done              bool          `json:"done"`
	MarkedAsDoneTime  *string       `json:"marked_as_done_time"`
	Location          *Location     `json:"location"`
	Participants      []Participant `json:"participants"`
	Attendees         []Attendee    `json:"attendees,omitempty"`
	PublicDescription *string       `json:"public_description"`
	Priority          *int64        `json:"priority"`
	Note              *string       `json:"note"`
}

// FieldOption is one option of an enum or set field.
type FieldOption struct {
	ID    int64  `json:"id"`
	Label string `json:"label"`
}

// FieldV2 is a person field in the v2 shape (GET/POST /api/v2/personFields).
// FieldCode is the 40-character hash used as the key in custom_fields.
type FieldV2 struct {
	FieldName               string         `json:"field_name"`
	FieldCode               string         `json:"field_code"`
	Description             *string        `json:"description"`
	FieldType               string         `json:"field_type"`
	Options                 []FieldOption  `json:"options"`
	Subfields               []any          `json:"subfields"`
	IsCustomField           bool           `json:"is_custom_field"`
	IsOptionalResponseField bool           `json:"is_optional_response_field"`
	UIVisibility            *UIVisibility  `json:"ui_visibility,omitempty"`
	ImportantFields         *ImportantFlag `json:"important_fields,omitempty"`
	RequiredFields          *RequiredFlag  `json:"required_fields,omitempty"`
}

// UIVisibility is the optional ui_visibility block of a v2 field.
type UIVisibility struct {
	AddVisibleFlag     bool `json:"add_visible_flag"`
	DetailsVisibleFlag bool `json:"details_visible_flag"`
}

// ImportantFlag is the optional important_fields block of a v2 field.
type ImportantFlag struct {
	Enabled  bool    `json:"enabled"`
	StageIDs []int64 `json:"stage_ids"`
}

// RequiredFlag is the optional required_fields block of a v2 field.
type RequiredFlag struct {
	Enabled bool `json:"enabled"`
}

// FieldV1 is a person field in the v1 shape (GET/POST /v1/personFields). Key is
// the 40-character hash for custom fields and the column name for standard ones.
type FieldV1 struct {
	ID                  int64         `json:"id"`
	Key                 string        `json:"key"`
	Name                string        `json:"name"`
	OrderNr             int           `json:"order_nr"`
	FieldType           string        `json:"field_type"`
	AddTime             string        `json:"add_time"`
	UpdateTime          *string       `json:"update_time"`
	LastUpdatedByUserID *int64        `json:"last_updated_by_user_id"`
	CreatedByUserID     *int64        `json:"created_by_user_id"`
	ActiveFlag          bool          `json:"active_flag"`
	EditFlag            bool          `json:"edit_flag"`
	IndexVisibleFlag    bool          `json:"index_visible_flag"`
	DetailsVisibleFlag  bool          `json:"details_visible_flag"`
	AddVisibleFlag      bool          `json:"add_visible_flag"`
	ImportantFlag       bool          `json:"important_flag"`
	BulkEditAllowed     bool          `json:"bulk_edit_allowed"`
	SearchableFlag      bool          `json:"searchable_flag"`
	FilteringAllowed    bool          `json:"filtering_allowed"`
	SortableFlag        bool          `json:"sortable_flag"`
	MandatoryFlag       bool          `json:"mandatory_flag"`
	Options             []FieldOption `json:"options"`
}

// UserAccess is one entry of a v1 user's access list.
type UserAccess struct {
	App             string `json:"app"`
	Admin           bool   `json:"admin"`
	PermissionSetID string `json:"permission_set_id"`
}

// User is a v1 user (GET /v1/users). Times use Pipedrive's v1 format
// "YYYY-MM-DD HH:MM:SS".
type User struct {
	ID                int64        `json:"id"`
	Name              string       `json:"name"`
	DefaultCurrency   string       `json:"default_currency"`
	Locale            string       `json:"locale"`
	Lang              int          `json:"lang"`
	Email             string       `json:"email"`
	Phone             *string      `json:"phone"`
	Activated         bool         `json:"activated"`
	LastLogin         string       `json:"last_login"`
	Created           string       `json:"created"`
	Modified          *string      `json:"modified"`
	HasCreatedCompany bool         `json:"has_created_company"`
	Access            []UserAccess `json:"access"`
	ActiveFlag        bool         `json:"active_flag"`
	TimezoneName      string       `json:"timezone_name"`
	TimezoneOffset    string       `json:"timezone_offset"`
	RoleID            int          `json:"role_id"`
	IconURL           *string      `json:"icon_url"`
	IsYou             bool         `json:"is_you"`
	IsDeleted         bool         `json:"is_deleted"`
	IsAdmin           int          `json:"is_admin"`
}

// Language is the language block of GET /v1/users/me.
type Language struct {
	LanguageCode string `json:"language_code"`
	CountryCode  string `json:"country_code"`
}

// Me is the body of GET /v1/users/me: the token's user plus its company.
type Me struct {
	User
	CompanyID       int64    `json:"company_id"`
	CompanyName     string   `json:"company_name"`
	CompanyDomain   string   `json:"company_domain"`
	CompanyCountry  string   `json:"company_country"`
	CompanyIndustry string   `json:"company_industry"`
	Language        Language `json:"language"`
}

// SearchItem is one hit of GET /api/v2/persons/search.
type SearchItem struct {
	ResultScore float64          `json:"result_score"`
	Item        SearchPersonItem `json:"item"`
}

// SearchPersonItem is the person inside a search hit. CustomFields carries the
// values of the matched custom fields as strings, not a key → value map.
type SearchPersonItem struct {
	ID           int64       `json:"id"`
	Type         string      `json:"type"`
	Name         string      `json:"name"`
	Phones       []string    `json:"phones"`
	Emails       []string    `json:"emails"`
	VisibleTo    int         `json:"visible_to"`
	Owner        SearchOwner `json:"owner"`
	Organization *SearchOrg  `json:"organization"`
	CustomFields []string    `json:"custom_fields"`
	Notes        []string    `json:"notes"`
}

// SearchOwner is the owner reference in a search hit.
type SearchOwner struct {
	ID int64 `json:"id"`
}

// SearchOrg is the organization reference in a search hit.
type SearchOrg struct {
	ID      int64   `json:"id"`
	Name    string  `json:"name"`
	Address *string `json:"address"`
}

// CursorData is additional_data of a v2 list: next_cursor is null on the last page.
type CursorData struct {
	NextCursor *string `json:"next_cursor"`
}

// Pagination is additional_data.pagination of a v1 list.
type Pagination struct {
	Start                 int  `json:"start"`
	Limit                 int  `json:"limit"`
	MoreItemsInCollection bool `json:"more_items_in_collection"`
	NextStart             *int `json:"next_start,omitempty"`
}

// V1ListData is additional_data of a v1 list.
type V1ListData struct {
	Pagination Pagination `json:"pagination"`
}

// Envelope is Pipedrive's success body: {"success":true,"data":…,"additional_data":…}.
type Envelope struct {
	Success        bool `json:"success"`
	Data           any  `json:"data"`
	AdditionalData any  `json:"additional_data,omitempty"`
}

// ErrorBody is Pipedrive's API error body (core-api-concepts-responses):
// {"success":false,"error":…,"error_info":…,"data":null,"additional_data":null},
// plus errorCode on auth and rate-limit errors and a string code on some errors.
type ErrorBody struct {
	Success        bool   `json:"success"`
	Error          string `json:"error"`
	ErrorInfo      string `json:"error_info"`
	Data           any    `json:"data"`
	AdditionalData any    `json:"additional_data"`
	ErrorCode      int    `json:"errorCode,omitempty"`
	Code           string `json:"code,omitempty"`
}

// OAuthError is the body of a failed /oauth/token call, as Pipedrive's own Node
// client test stubs it: {"success":false,"message":…,"error":"invalid_grant"}.
type OAuthError struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
	Error   string `json:"error"`
}

// TokenResponse is the body of a successful /oauth/token call.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
	ExpiresIn    int    `json:"expires_in"`
	APIDomain    string `json:"api_domain"`
}
