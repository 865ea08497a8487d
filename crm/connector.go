package crm

import (
	"context"
	"time"

	"github.com/saleshive/crmsync"
)

// ExternalIDLabel is the label of the custom field crmsync adds to contact
// records (and, where the CRM allows, activity records) so that a record it
// pushes twice is found and updated rather than duplicated.
const ExternalIDLabel = "SalesHive External ID"

// Connector speaks one CRM's API. Implementations are safe for concurrent
// use; per-account state travels in the *Account argument.
//
// Write methods return one Result per input, in input order, and an error
// only when the whole call failed (then no Result is meaningful). A Result's
// Err is a per-record refusal; the other records of the batch still land.
type Connector interface {
	// Provider names the CRM.
	Provider() crmsync.Provider

	// AuthCodeURL returns the CRM's sign-in URL for the OAuth 2.0
	// authorization-code flow. state is echoed back to the callback; verifier
	// is a PKCE code verifier, sent as an S256 challenge where the CRM
	// supports PKCE. For Zoho, opts.Datacenter picks the accounts server.
	AuthCodeURL(state, verifier string, opts AuthOptions) (string, error)
	// Exchange trades the callback's code for a token. callback holds the
	// callback's query parameters (Zoho's accounts-server and location).
	Exchange(ctx context.Context, code, verifier string, opts AuthOptions, callback map[string]string) (*crmsync.Token, error)
	// Refresh returns a new token for tok's refresh token. A rejected
	// refresh token is an *Error with ProblemAuthRevoked. If the CRM rotates
	// refresh tokens the result carries the new one.
	Refresh(ctx context.Context, tok *crmsync.Token) (*crmsync.Token, error)
	// Revoke invalidates tok at the CRM (best effort on disconnect).
	Revoke(ctx context.Context, tok *crmsync.Token) error

	// Identity returns the linked account, for "Connected to …".
	Identity(ctx context.Context, a *Account) (Identity, error)
	// EnsureSchema creates the external-id fields if they are missing and
	// returns the names to use; idempotent.
	EnsureSchema(ctx context.Context, a *Account) (Schema, error)
	// ContactFields lists the CRM's contact fields for the mapping picker.
	ContactFields(ctx context.Context, a *Account) ([]Field, error)
	// Users lists active CRM users for the owner picker, or returns
	// ErrUsersUnsupported when this connection cannot list them.
	Users(ctx context.Context, a *Account) ([]User, error)
	// DefaultMappings are the SalesHive field → CRM field mappings a new
	// connection starts with.
	DefaultMappings() []crmsync.FieldMapping

	// UpsertContacts creates or updates contacts by external id, at most
	// BatchSize() per call (the caller splits). ownerID, if not empty, is
	// set on the records this call created and on no other.
	UpsertContacts(ctx context.Context, a *Account, contacts []ContactInput, ownerID string) ([]Result, error)
	// LogActivities creates activities (or updates those with a CRMID)
	// attached to their contact, at most BatchSize() per call. ownerID is
	// set on created activities only.
	LogActivities(ctx context.Context, a *Account, activities []ActivityInput, ownerID string) ([]Result, error)
	// BatchSize is how many records one write call carries.
	BatchSize() int

	// Protocol is how this CRM authorizes requests, reports errors and
	// signals throttling; Client uses it.
	Protocol() Protocol
	// RateLimit is the documented request allowance of a typical paid plan
	// (overridable by configuration).
	RateLimit() RateLimit

	// RecordURL is the CRM web page of a record.
	RecordURL(a *Account, object crmsync.ObjectType, kind crmsync.ActivityKind, crmID string) string
}

// FieldMappings turns {SalesHive field, CRM field} pairs into mappings, in
// order: the usual body of a connector's DefaultMappings.
func FieldMappings(pairs [][2]string) []crmsync.FieldMapping {
	out := make([]crmsync.FieldMapping, len(pairs))
	for i, p := range pairs {
		out[i] = crmsync.FieldMapping{SourceField: p[0], CRMField: p[1]}
	}
	return out
}

// AuthOptions carries per-connection sign-in choices.
type AuthOptions struct {
	Datacenter crmsync.ZohoDatacenter // Zoho only
}

// Account is one connected CRM account: how to reach it and the state the
// connector learned about it. Build it with NewAccount.
type Account struct {
	ConnectionID int64
	// AccountID is the CRM's id of the account (Salesforce org id, HubSpot
	// hub id, Pipedrive company id, Zoho org id), used in record URLs.
	AccountID string
	// Schema holds what EnsureSchema returned, if the caller saved it.
	Schema Schema
	// Client is the authenticated, rate-limited HTTP client for this account.
	Client *Client
}

// APIBase is the per-account API root from the current token (Salesforce
// instance_url, Pipedrive or Zoho api_domain), or "" if the CRM has one
// global API host.
func (a *Account) APIBase(ctx context.Context) (string, error) {
	tok, err := a.Client.Tokens.Token(ctx)
	if err != nil {
		return "", err
	}
	return tok.APIBase, nil
}

// Identity is the account a connection is linked to.
type Identity struct {
	AccountID string // org / hub / company id
	Label     string // shown as "Connected to <Label>"
	UserEmail string // who signed in, if known
}

// Schema names the fields crmsync relies on in one CRM account; it is
// stored on the connection.
type Schema = crmsync.CRMSchema

// Field is one CRM contact field.
type Field struct {
	Name     string `json:"name"`  // API name or key
	Label    string `json:"label"` // as the CRM shows it
	Type     string `json:"type"`
	Required bool   `json:"required"`
	ReadOnly bool   `json:"read_only,omitempty"`
}

// User is a CRM user who can own records.
type User struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// ContactInput is one contact to push, already mapped to CRM field names.
type ContactInput struct {
	ExternalID string            // the SalesHive external id value
	CRMID      string            // the CRM id from the ledger, if known
	Fields     map[string]string // CRM field name → value; "" clears nothing and is left out
	// Retry says an earlier push of this record was attempted and its
	// answer never arrived, so it may exist in the CRM without its CRM id
	// being known: a connector without a native upsert must look for it
	// before creating. The ledger knows this across processes; a connector
	// must not rely on its own memory alone.
	Retry bool
}

// ActivityInput is one activity to push.
type ActivityInput struct {
	ExternalID   string
	CRMID        string // the CRM id from the ledger, if already pushed
	Retry        bool   // as ContactInput.Retry
	ContactCRMID string // the contact's CRM id; required
	Kind         crmsync.ActivityKind
	Subject      string
	Body         string
	Direction    crmsync.Direction
	OccurredAt   time.Time
	Duration     time.Duration
	Outcome      string
	EndsAt       time.Time // meetings; zero means OccurredAt + Duration (or 30 minutes)
	Attendees    []string
}

// Result is the outcome for one input record.
type Result struct {
	ExternalID string
	CRMID      string
	Created    bool   // the call created the record (false: updated)
	Err        *Error // per-record refusal, nil on success
}
