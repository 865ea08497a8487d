package syncer

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
)

// stateTTL bounds how long a sign-in may take between Connect and the
// CRM's callback.
const stateTTL = 15 * time.Minute

// oauthState travels sealed in the OAuth state parameter: the callback
// cannot be forged, replayed after it expires, or redeemed by another
// workspace, and no server-side storage is needed.
type oauthState struct {
	WorkspaceID  int64                  `json:"w"`
	ConnectionID int64                  `json:"c"`
	Provider     crmsync.Provider       `json:"p"`
	Datacenter   crmsync.ZohoDatacenter `json:"d,omitempty"`
	Verifier     string                 `json:"v"`
	Expires      int64                  `json:"e"`
	Nonce        string                 `json:"n"`
}

// StartConnect returns the CRM sign-in URL for a workspace's connection to
// provider. For Zoho, datacenter picks the region's accounts server and is
// required.
func (e *Engine) StartConnect(ctx context.Context, workspaceID int64, provider crmsync.Provider, datacenter crmsync.ZohoDatacenter) (string, error) {
	c, err := e.connector(provider)
	if err != nil {
		return "", err
	}
	if provider == crmsync.ProviderZoho && !validDatacenter(datacenter) {
		return "", &crmsync.Error{Code: crmsync.EINVALID, Message: "Pick your Zoho datacenter before signing in.",
			Fields: []crmsync.FieldError{{Field: "datacenter", Message: "choose United States, Europe, India, Australia or Japan"}}}
	}
	conn, err := e.store.EnsureConnection(ctx, workspaceID, provider)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, 12)
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	st := oauthState{
		WorkspaceID: workspaceID, ConnectionID: conn.ID, Provider: provider, Datacenter: datacenter,
		Verifier: oauth2.GenerateVerifier(), Expires: e.cfg.Now().Add(stateTTL).Unix(),
		Nonce: base64.RawURLEncoding.EncodeToString(nonce),
	}
	plain, err := json.Marshal(st)
	if err != nil {
		return "", err
	}
	sealed, err := e.cfg.Sealer.Seal(plain, oauthStateAD)
	if err != nil {
		return "", fmt.Errorf("syncer: seal oauth state: %w", err)
	}
	return c.AuthCodeURL(base64.RawURLEncoding.EncodeToString(sealed), st.Verifier, crm.AuthOptions{Datacenter: datacenter})
}

func validDatacenter(d crmsync.ZohoDatacenter) bool {
	for _, x := range crmsync.ZohoDatacenters {
		if d == x {
			return true
		}
	}
	return false
}

// CompleteConnect finishes the sign-in the CRM redirected back from:
// exchanges the code, learns the linked account, creates the external-id
// fields, stores the token encrypted, and marks the connection Connected.
// workspaceID is the signed-in user's; a state minted for another workspace
// is refused. params are the callback's query parameters.
func (e *Engine) CompleteConnect(ctx context.Context, workspaceID int64, state string, params map[string]string) (*crmsync.Connection, error) {
	st, err := e.openState(state)
	if err != nil {
		return nil, err
	}
	if st.WorkspaceID != workspaceID {
		return nil, crmsync.Errorf(crmsync.EFORBIDDEN, "This sign-in was started in another workspace.")
	}
	if params["error"] != "" {
		msg := "You did not allow SalesHive access to your CRM, so nothing was connected."
		if params["error"] != "access_denied" {
			msg = "Your CRM refused the sign-in: " + params["error"] + "."
		}
		return nil, crmsync.Errorf(crmsync.EUNPROCESSABLE, "%s", msg)
	}
	if params["code"] == "" {
		return nil, crmsync.Errorf(crmsync.EINVALID, "The CRM's answer had no authorization code; click Connect to try again.")
	}
	c, err := e.connector(st.Provider)
	if err != nil {
		return nil, err
	}
	tok, err := c.Exchange(ctx, params["code"], st.Verifier, crm.AuthOptions{Datacenter: st.Datacenter}, params)
	if err != nil {
		return nil, connectError(err)
	}
	conn, err := e.store.FindConnectionByID(ctx, workspaceID, st.ConnectionID)
	if err != nil {
		return nil, err
	}
	if _, err := e.store.SaveConnectionToken(ctx, workspaceID, conn.ID, tok, 0, true); err != nil {
		return nil, err
	}
	e.forgetTokens(conn.ID)
	_, acct, err := e.account(conn)
	if err != nil {
		return nil, err
	}
	id, err := c.Identity(ctx, acct)
	if err != nil {
		return nil, connectError(err)
	}
	acct.AccountID = id.AccountID
	schema, err := c.EnsureSchema(ctx, acct)
	if err != nil {
		return nil, connectError(err)
	}
	if err := e.ensureDefaultMappings(ctx, conn, c); err != nil {
		return nil, err
	}
	now := e.cfg.Now().UTC()
	prev := conn.Status
	st2, empty := crmsync.StatusConnected, ""
	upd := crmsync.ConnectionUpdate{
		Status: &st2, AccountLabel: &id.Label, AccountID: &id.AccountID, Schema: &schema,
		LastError: &empty, DisconnectReason: &empty, ConnectedAt: &now,
	}
	if st.Provider == crmsync.ProviderZoho {
		upd.ZohoDatacenter = &st.Datacenter
	}
	if conn.ImportChoice == "" {
		p := crmsync.ImportPending
		upd.ImportChoice = &p
	}
	conn, err = e.store.UpdateConnection(ctx, workspaceID, conn.ID, upd)
	if err != nil {
		return nil, err
	}
	if prev == crmsync.StatusDisconnected {
		if err := e.alert(ctx, conn, crmsync.AlertRecovered, ""); err != nil {
			e.log.Error("queue recovery alert", "connection_id", conn.ID, "err", err)
		}
	}
	e.notify(conn.ID, crmsync.UpdateStatus)
	if syncable(conn) {
		// Reconnected: resume where it stopped; pending items were kept.
		if err := e.SyncNow(ctx, workspaceID, conn.ID); err != nil {
			return nil, err
		}
	}
	return conn, nil
}

func (e *Engine) openState(state string) (*oauthState, error) {
	bad := crmsync.Errorf(crmsync.EINVALID, "This sign-in link is invalid or has expired; click Connect to start again.")
	raw, err := base64.RawURLEncoding.DecodeString(state)
	if err != nil {
		return nil, bad
	}
	plain, err := e.cfg.Sealer.Open(raw, oauthStateAD)
	if err != nil {
		return nil, bad
	}
	var st oauthState
	if err := json.Unmarshal(plain, &st); err != nil || e.cfg.Now().Unix() > st.Expires {
		return nil, bad
	}
	return &st, nil
}

// connectError turns a CRM failure during sign-in into a message for the
// page.
func connectError(err error) error {
	if crm.IsContextError(err) {
		return err
	}
	ce := crm.AsError(err)
	msg := ce.Problem.Info().Meaning
	if ce.CRMMessage != "" {
		msg += " The CRM said: " + ce.CRMMessage
	}
	return &crmsync.Error{Code: crmsync.EUNAVAILABLE, Message: msg}
}

// ensureDefaultMappings gives a connection the connector's default field
// mappings the first time it connects.
func (e *Engine) ensureDefaultMappings(ctx context.Context, conn *crmsync.Connection, c crm.Connector) error {
	existing, err := e.store.FindFieldMappings(ctx, conn.WorkspaceID, conn.ID)
	if err != nil || len(existing) > 0 {
		return err
	}
	for _, m := range c.DefaultMappings() {
		m := m
		m.ConnectionID = conn.ID
		if err := e.store.CreateFieldMapping(ctx, conn.WorkspaceID, &m); err != nil {
			return fmt.Errorf("syncer: default mapping %s→%s: %w", m.SourceField, m.CRMField, err)
		}
	}
	return nil
}
