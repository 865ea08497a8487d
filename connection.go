package crmsync

import (
	"context"
	"time"
)

// Provider names a supported CRM.
type Provider string

// Supported CRMs, in the order the Integrations hub lists them.
const (
	ProviderSalesforce Provider = "salesforce"
	ProviderHubSpot    Provider = "hubspot"
	ProviderPipedrive  Provider = "pipedrive"
	ProviderZoho       Provider = "zoho"
)

// Providers lists every supported CRM in display order.
var Providers = []Provider{ProviderSalesforce, ProviderHubSpot, ProviderPipedrive, ProviderZoho}

// Name is the CRM's name as clients know it.
func (p Provider) Name() string {
	switch p {
	case ProviderSalesforce:
		return "Salesforce"
	case ProviderHubSpot:
		return "HubSpot"
	case ProviderPipedrive:
		return "Pipedrive"
	case ProviderZoho:
		return "Zoho CRM"
	}
	return string(p)
}

// Valid reports whether p is a supported CRM.
func (p Provider) Valid() bool {
	for _, q := range Providers {
		if p == q {
			return true
		}
	}
	return false
}

// ConnectionStatus is where a connection stands.
type ConnectionStatus string

// Connection states. A connection starts NotConnected; OAuth makes it
// Connected; the CRM rejecting its login makes it Disconnected (shown with
// Reconnect); a persistent non-auth failure is Error (with LastError); the
// client disconnecting returns it to NotConnected.
const (
	StatusNotConnected ConnectionStatus = "not_connected"
	StatusConnected    ConnectionStatus = "connected"
	StatusDisconnected ConnectionStatus = "disconnected"
	StatusError        ConnectionStatus = "error"
)

// ImportChoice records the one-time choice offered right after connecting.
type ImportChoice string

// Import choices.
const (
	ImportPending  ImportChoice = "pending"  // not chosen yet
	ImportImported ImportChoice = "imported" // "Import N contacts" was run
	ImportSkipped  ImportChoice = "skipped"  // "Skip, only sync new activity"
)

// ZohoDatacenter is the Zoho region a Zoho CRM account lives in.
type ZohoDatacenter string

// Zoho datacenters offered on the page (the connector knows more).
const (
	ZohoUS ZohoDatacenter = "us"
	ZohoEU ZohoDatacenter = "eu"
	ZohoIN ZohoDatacenter = "in"
	ZohoAU ZohoDatacenter = "au"
	ZohoJP ZohoDatacenter = "jp"
)

// ZohoDatacenters lists the datacenters the page offers, in display order.
var ZohoDatacenters = []ZohoDatacenter{ZohoUS, ZohoEU, ZohoIN, ZohoAU, ZohoJP}

// Label is the datacenter's name as shown to clients.
func (d ZohoDatacenter) Label() string {
	switch d {
	case ZohoUS:
		return "United States"
	case ZohoEU:
		return "Europe"
	case ZohoIN:
		return "India"
	case ZohoAU:
		return "Australia"
	case ZohoJP:
		return "Japan"
	}
	return string(d)
}

// SyncToggles say which kinds of record are pushed. All default to on.
type SyncToggles struct {
	Contacts bool `json:"contacts"`
	Emails   bool `json:"emails"`
	Calls    bool `json:"calls"`
	Meetings bool `json:"meetings"`
}

// DefaultSyncToggles has every type on.
var DefaultSyncToggles = SyncToggles{Contacts: true, Emails: true, Calls: true, Meetings: true}

// Allows reports whether an activity of kind k is pushed.
func (t SyncToggles) Allows(k ActivityKind) bool {
	switch k {
	case ActivityEmail:
		return t.Emails
	case ActivityCall:
		return t.Calls
	case ActivityMeeting:
		return t.Meetings
	}
	return false
}

// Connection is one workspace's link to one CRM.
type Connection struct {
	ID             int64            `json:"id"`
	WorkspaceID    int64            `json:"workspace_id"`
	Provider       Provider         `json:"provider"`
	Status         ConnectionStatus `json:"status"`
	AccountLabel   string           `json:"account_label,omitempty"` // "Connected to …"
	AccountID      string           `json:"account_id,omitempty"`    // the CRM's org / portal / company id
	ZohoDatacenter ZohoDatacenter   `json:"zoho_datacenter,omitempty"`
	ImportChoice   ImportChoice     `json:"import_choice"`
	Toggles        SyncToggles      `json:"toggles"`
	// OwnerID is the CRM user new records are assigned to; empty means the
	// CRM's own assignment rules. OwnerName is kept for display.
	OwnerID            string     `json:"owner_id,omitempty"`
	OwnerName          string     `json:"owner_name,omitempty"`
	GuideDismissed     bool       `json:"guide_dismissed"`
	FieldMappingViewed bool       `json:"field_mapping_reviewed"`
	TestContactSentAt  *time.Time `json:"test_contact_sent_at,omitempty"`
	TestContactCRMID   string     `json:"test_contact_crm_id,omitempty"`
	SyncCursor         int64      `json:"-"` // change-log seq up to which changes were collected
	LastSyncAt         *time.Time `json:"last_sync_at,omitempty"`
	LastError          string     `json:"last_error,omitempty"`        // plain English, shown on the page
	DisconnectReason   string     `json:"disconnect_reason,omitempty"` // why the CRM rejected the login
	ConnectedAt        *time.Time `json:"connected_at,omitempty"`
	// Schema names the fields crmsync created in the CRM account.
	Schema CRMSchema `json:"schema"`
	// Import tracks the one-time import or a resync while it runs.
	Import    ImportRun `json:"import"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Token is a connection's OAuth credential. The store encrypts it at rest;
// it never appears in logs, pages or API responses.
type Token struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry,omitempty"`
	// APIBase is the per-account API root the CRM returned with the token:
	// Salesforce instance_url, Pipedrive or Zoho api_domain.
	APIBase string `json:"api_base,omitempty"`
	// Extra holds other token-response fields a connector needs later.
	Extra map[string]string `json:"extra,omitempty"`
}

// ConnectionUpdate changes some fields of a connection; nil fields are left
// as they are.
type ConnectionUpdate struct {
	Status             *ConnectionStatus
	AccountLabel       *string
	AccountID          *string
	ZohoDatacenter     *ZohoDatacenter
	ImportChoice       *ImportChoice
	Toggles            *SyncToggles
	OwnerID            *string
	OwnerName          *string
	GuideDismissed     *bool
	FieldMappingViewed *bool
	TestContactSentAt  *time.Time
	TestContactCRMID   *string
	SyncCursor         *int64
	LastSyncAt         *time.Time
	LastError          *string
	DisconnectReason   *string
	ConnectedAt        *time.Time
	Schema             *CRMSchema
	Import             *ImportRun
	// ExpectStatus, if set, makes the update apply only while the stored
	// status equals it (ECONFLICT otherwise), so one state change is
	// detected, and alerted, exactly once across processes.
	ExpectStatus *ConnectionStatus
}

// CRMSchema names the fields crmsync relies on in one CRM account (see
// crm.Schema, which is this type).
type CRMSchema struct {
	// ContactExternalID is the API name or key of the contact field holding
	// the SalesHive external id.
	ContactExternalID string `json:"contact_external_id,omitempty"`
	// ActivityExternalID is the same for activity objects, "" where the CRM
	// has no such field.
	ActivityExternalID string `json:"activity_external_id,omitempty"`
	// Extra holds connector-specific names.
	Extra map[string]string `json:"extra,omitempty"`
}

// ImportState is where an import or resync stands.
type ImportState string

// Import states.
const (
	ImportIdle      ImportState = ""          // none has run
	ImportRunning   ImportState = "running"   // contacts are being pushed
	ImportDone      ImportState = "done"      // every contact was pushed (some may have failed)
	ImportCancelled ImportState = "cancelled" // stopped by the client
)

// ImportRun is an import or resync of a connection's existing contacts.
type ImportRun struct {
	State      ImportState `json:"state,omitempty"`
	Resync     bool        `json:"resync,omitempty"` // started by Resync existing contacts
	Total      int         `json:"total,omitempty"`  // contacts to push
	Queued     bool        `json:"queued,omitempty"` // every contact is in the ledger as pending
	StartedAt  *time.Time  `json:"started_at,omitempty"`
	FinishedAt *time.Time  `json:"finished_at,omitempty"`
}

// ConnectionService stores connections and their tokens. Every method is
// scoped to one workspace; another workspace's connection is ENOTFOUND.
type ConnectionService interface {
	// EnsureConnection returns the workspace's connection to provider,
	// creating it (NotConnected, toggles on, import pending) if needed.
	EnsureConnection(ctx context.Context, workspaceID int64, provider Provider) (*Connection, error)
	FindConnectionByID(ctx context.Context, workspaceID, id int64) (*Connection, error)
	FindConnectionByProvider(ctx context.Context, workspaceID int64, provider Provider) (*Connection, error)
	FindConnections(ctx context.Context, workspaceID int64) ([]*Connection, error)
	// FindConnectedConnections lists every Connected connection of every
	// workspace: the scheduler's input. It is the one cross-workspace read.
	FindConnectedConnections(ctx context.Context) ([]*Connection, error)
	UpdateConnection(ctx context.Context, workspaceID, id int64, upd ConnectionUpdate) (*Connection, error)

	// FindConnectionToken returns the decrypted token and its version, or
	// ENOTFOUND if the connection has none.
	FindConnectionToken(ctx context.Context, workspaceID, id int64) (tok *Token, version int64, err error)
	// SaveConnectionToken stores tok if the stored version still equals
	// prevVersion (0 for "no token yet" or to overwrite unconditionally with
	// force), returning the new version; ECONFLICT if another process saved
	// a newer token first, so that process's token must be re-read and used.
	SaveConnectionToken(ctx context.Context, workspaceID, id int64, tok *Token, prevVersion int64, force bool) (version int64, err error)
	// DeleteConnectionToken forgets the token (on disconnect).
	DeleteConnectionToken(ctx context.Context, workspaceID, id int64) error
}
