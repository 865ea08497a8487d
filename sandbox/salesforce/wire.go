package salesforce

// Wire types: the JSON bodies of Salesforce's OAuth, REST, Composite and Tooling resources as
// the sandbox reads and writes them. Field names and casing are Salesforce's own.

// TokenResponse is the body of a successful POST /services/oauth2/token. Salesforce sends no
// expires_in (the lifetime is the org's session timeout) and issued_at is a string of
// milliseconds since the epoch.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Signature    string `json:"signature"`
	Scope        string `json:"scope"`
	InstanceURL  string `json:"instance_url"`
	ID           string `json:"id"`
	TokenType    string `json:"token_type"`
	IssuedAt     string `json:"issued_at"`
}

// SaveResult is the result of creating one record (single create, or an item of an
// sObject Collections create or update). Failed items carry no id.
type SaveResult struct {
	ID      string      `json:"id,omitempty"`
	Success bool        `json:"success"`
	Errors  []ItemError `json:"errors"`
}

// UpsertResult is the result of upserting one record. Created is omitted on failed
// collection items (the sandbox's reading of "id is null when the item failed") and on
// API versions before 46.0, whose single upsert had no "created" key.
type UpsertResult struct {
	ID      string      `json:"id,omitempty"`
	Success bool        `json:"success"`
	Errors  []ItemError `json:"errors"`
	Created *bool       `json:"created,omitempty"`
}

// ToolingSaveResult is the Tooling API's create result.
type ToolingSaveResult struct {
	ID       string      `json:"id"`
	Success  bool        `json:"success"`
	Errors   []ItemError `json:"errors"`
	Warnings []any       `json:"warnings"`
	Infos    []any       `json:"infos"`
}

// Attributes is the "attributes" object of every record Salesforce returns.
type Attributes struct {
	Type string `json:"type"`
	URL  string `json:"url,omitempty"`
}

// QueryResult is the body of the query resource.
type QueryResult struct {
	TotalSize      int    `json:"totalSize"`
	Done           bool   `json:"done"`
	NextRecordsURL string `json:"nextRecordsUrl,omitempty"`
	Records        []any  `json:"records"`
}

// LimitValue is one entry of the limits resource.
type LimitValue struct {
	Max       int `json:"Max"`
	Remaining int `json:"Remaining"`
}

// CollectionRequest is the body of the sObject Collections create, update and upsert calls.
type CollectionRequest struct {
	AllOrNone bool             `json:"allOrNone"`
	Records   []map[string]any `json:"records"`
}

// CustomFieldRequest is the Tooling API body creating a CustomField.
type CustomFieldRequest struct {
	FullName string              `json:"FullName"`
	Metadata CustomFieldMetadata `json:"Metadata"`
}

// CustomFieldMetadata is the Metadata part of a CustomField (Metadata API names).
type CustomFieldMetadata struct {
	Label          string `json:"label"`
	Type           string `json:"type"`
	Length         int    `json:"length,omitempty"`
	Precision      int    `json:"precision,omitempty"`
	Scale          int    `json:"scale,omitempty"`
	VisibleLines   int    `json:"visibleLines,omitempty"`
	ExternalID     bool   `json:"externalId"`
	Unique         bool   `json:"unique"`
	CaseSensitive  bool   `json:"caseSensitive"`
	Required       bool   `json:"required"`
	Description    string `json:"description,omitempty"`
	InlineHelpText string `json:"inlineHelpText,omitempty"`
	DefaultValue   string `json:"defaultValue,omitempty"`
}

// DescribeResult is the body of GET /sobjects/{object}/describe (the keys a client uses).
type DescribeResult struct {
	Name               string            `json:"name"`
	Label              string            `json:"label"`
	LabelPlural        string            `json:"labelPlural"`
	KeyPrefix          string            `json:"keyPrefix"`
	Custom             bool              `json:"custom"`
	Createable         bool              `json:"createable"`
	Updateable         bool              `json:"updateable"`
	Deletable          bool              `json:"deletable"`
	Queryable          bool              `json:"queryable"`
	Retrieveable       bool              `json:"retrieveable"`
	Searchable         bool              `json:"searchable"`
	Layoutable         bool              `json:"layoutable"`
	Fields             []DescribeField   `json:"fields"`
	ChildRelationships []any             `json:"childRelationships"`
	RecordTypeInfos    []any             `json:"recordTypeInfos"`
	URLs               map[string]string `json:"urls"`
}

// DescribeField is one field of a describe result.
type DescribeField struct {
	Name               string          `json:"name"`
	Label              string          `json:"label"`
	Type               string          `json:"type"`
	SoapType           string          `json:"soapType"`
	Length             int             `json:"length"`
	ByteLength         int             `json:"byteLength"`
	Precision          int             `json:"precision"`
	Scale              int             `json:"scale"`
	Digits             int             `json:"digits"`
	Nillable           bool            `json:"nillable"`
	Createable         bool            `json:"createable"`
	Updateable         bool            `json:"updateable"`
	DefaultedOnCreate  bool            `json:"defaultedOnCreate"`
	DefaultValue       any             `json:"defaultValue"`
	ExternalID         bool            `json:"externalId"`
	Unique             bool            `json:"unique"`
	CaseSensitive      bool            `json:"caseSensitive"`
	Custom             bool            `json:"custom"`
	Calculated         bool            `json:"calculated"`
	NameField          bool            `json:"nameField"`
	IDLookup           bool            `json:"idLookup"`
	Filterable         bool            `json:"filterable"`
	Sortable           bool            `json:"sortable"`
	Groupable          bool            `json:"groupable"`
	RestrictedPicklist bool            `json:"restrictedPicklist"`
	PicklistValues     []PicklistValue `json:"picklistValues"`
	ReferenceTo        []string        `json:"referenceTo"`
	RelationshipName   *string         `json:"relationshipName"`
	InlineHelpText     *string         `json:"inlineHelpText"`
}

// PicklistValue is one value of a picklist field.
type PicklistValue struct {
	Active       bool    `json:"active"`
	DefaultValue bool    `json:"defaultValue"`
	Label        string  `json:"label"`
	ValidFor     *string `json:"validFor"`
	Value        string  `json:"value"`
}

// Identity is the body of the identity URL (the token response's "id").
type Identity struct {
	ID               string            `json:"id"`
	AssertedUser     bool              `json:"asserted_user"`
	UserID           string            `json:"user_id"`
	OrganizationID   string            `json:"organization_id"`
	Username         string            `json:"username"`
	NickName         string            `json:"nick_name"`
	DisplayName      string            `json:"display_name"`
	Email            string            `json:"email"`
	EmailVerified    bool              `json:"email_verified"`
	FirstName        string            `json:"first_name"`
	LastName         string            `json:"last_name"`
	Timezone         string            `json:"timezone"`
	Active           bool              `json:"active"`
	UserType         string            `json:"user_type"`
	Language         string            `json:"language"`
	Locale           string            `json:"locale"`
	UTCOffset        int               `json:"utcOffset"`
	LastModifiedDate string            `json:"last_modified_date"`
	IsAppInstalled   bool              `json:"is_app_installed"`
	URLs             map[string]string `json:"urls"`
}

// UserInfo is the OpenID Connect body of GET /services/oauth2/userinfo.
type UserInfo struct {
	Sub               string            `json:"sub"`
	UserID            string            `json:"user_id"`
	OrganizationID    string            `json:"organization_id"`
	PreferredUsername string            `json:"preferred_username"`
	Nickname          string            `json:"nickname"`
	Name              string            `json:"name"`
	Email             string            `json:"email"`
	EmailVerified     bool              `json:"email_verified"`
	GivenName         string            `json:"given_name"`
	FamilyName        string            `json:"family_name"`
	Zoneinfo          string            `json:"zoneinfo"`
	Active            bool              `json:"active"`
	UserType          string            `json:"user_type"`
	Language          string            `json:"language"`
	Locale            string            `json:"locale"`
	UTCOffset         int               `json:"utcOffset"`
	UpdatedAt         string            `json:"updated_at"`
	IsAppInstalled    bool              `json:"is_app_installed"`
	URLs              map[string]string `json:"urls"`
}
