// Package emu is the machinery the CRM sandboxes (sandbox/hubspot,
// sandbox/salesforce, sandbox/pipedrive, sandbox/zoho) are built from: an
// in-memory record store with unique indexes, an OAuth 2.0 server, fault
// injection, rate-limit windows, a bounded request log, counters, and HTML
// consent and record pages. It speaks no vendor's wire format: each CRM
// package renders its own paths, JSON and error bodies on top of it.
//
// # The contract between a CRM package and the root sandbox
//
// Each CRM package exposes exactly one constructor,
//
//	func New(cfg emu.Config) *CRM
//
// whose *CRM implements CRM (Name, Env, Handler, WriteFault). The root
// package lists the constructors explicitly and mounts each one as
//
//	emu.Mount("/"+c.Name(), emu.Serve(c))
//
// so Handler sees the vendor's own paths ("/crm/v3/owners"), and Serve adds
// request counting, the request log and injected faults in front of it. The
// control API (/_sandbox/{crm}/...) works only through Env: Store, OAuth,
// Faults, Limits, Requests, Stats and Reset. A CRM therefore keeps no state
// outside its Env that the control API would need to see or reset.
//
// # A CRM package in outline
//
//	package acme
//
//	type CRM struct{ env *emu.Env; mux *http.ServeMux }
//
//	var _ emu.CRM = (*CRM)(nil)
//
//	func New(cfg emu.Config) *CRM {
//		c := &CRM{mux: http.NewServeMux()}
//		c.env = emu.NewEnv(cfg, emu.EnvOptions{
//			Name: "acme", Title: "Acme CRM",
//			AccessTokenTTL: time.Hour,
//			NewID: func(object string, n int64) string { return strconv.FormatInt(1000+n, 10) },
//			Seed:  c.seed, // runs now and after every Reset
//		})
//		c.mux.HandleFunc("GET /oauth/authorize", c.handleAuthorize)
//		c.mux.HandleFunc("POST /oauth/authorize", c.handleAuthorize)
//		c.mux.HandleFunc("POST /api/contacts", c.handleContactCreate)
//		return c
//	}
//
//	func (c *CRM) Name() string          { return "acme" }
//	func (c *CRM) Env() *emu.Env         { return c.env }
//	func (c *CRM) Handler() http.Handler { return c.mux }
//	func (c *CRM) WriteFault(w http.ResponseWriter, r *http.Request, status int) {
//		emu.WriteJSON(w, status, map[string]any{"error": "internal error"}) // the vendor's body
//	}
//
// # Store
//
// Seed defines fields and seeds users; a field with Unique gets a unique
// index, and AddIndex adds a plain lookup index:
//
//	func (c *CRM) seed(e *emu.Env) {
//		_ = e.Store.DefineField("contacts", emu.Field{Name: "email", Label: "Email", Type: "string", Unique: true, CaseInsensitive: true})
//		for _, u := range e.Config.Users {
//			_ = e.Store.Atomic(func(tx *emu.Tx) error {
//				_, err := tx.Insert("users", u.ID, map[string]any{"email": u.Email, "active": u.Active})
//				return err
//			})
//		}
//		e.Limits.Define("burst", emu.Window{Max: 80, PeriodMS: 2000, Rolling: true})
//	}
//
// Batch writes that must be all-or-nothing run in Store.Atomic: return an
// error and every write of the batch is undone. Inside Atomic use only the
// Tx's methods (Create, Insert, Patch, Link, Get, FindUnique, FindAll,
// Field, RequiredFields): the Store's own methods would wait for the lock
// Atomic holds, forever. A unique conflict is a
// *UniqueError (with ExistingID). Look up by external id with FindUnique
// (indexed; never scans), list with List(object, offset, limit), attach an
// activity to a contact with tx.Link and read a contact's activities with
// LinkedFrom. Store.RequiredFields(object) is the field's own Required flag
// plus what the control API made required: check it on create.
//
// # OAuth
//
// The authorize endpoint parses the vendor's parameters, checks the client
// id and redirect URI itself (answering in the vendor's error format), then
// hands over to ServeConsent, which shows the consent page on GET and
// redirects with code+state (or error=access_denied) on POST:
//
//	emu.ServeConsent(w, r, c.env.OAuth, emu.Consent{
//		Vendor: "Acme CRM", AccountName: c.env.Config.AccountName, AppName: q.Get("client_id"),
//		CodeRequest: emu.CodeRequest{ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"),
//			Scopes: strings.Fields(q.Get("scope")), UserID: ownerID,
//			CodeChallenge: q.Get("code_challenge"), CodeChallengeMethod: q.Get("code_challenge_method")},
//		State: q.Get("state"),
//	})
//
// The token endpoint calls OAuth.ExchangeCode or OAuth.Refresh and maps
// ErrInvalidClient, ErrInvalidGrant, ErrRedirectMismatch and ErrPKCE to the
// vendor's error body. API handlers call OAuth.Authenticate with
// BearerToken(r, "Bearer") and map ErrTokenUnknown, ErrTokenExpired (the
// Token's ExpiresAt says how long ago) and ErrTokenRevoked. Revoke endpoints
// call RevokeRefresh (with or without the access tokens issued from it) or
// RevokeAccess. The control API calls RevokeAll and ExpireAll; tests that
// skip the consent flow get tokens from OAuth.Mint. Config.RotateRefreshTokens
// turns on refresh-token rotation.
//
// # Faults
//
// Nothing to do in the CRM: Serve applies Faults (latency with jitter, a
// share of error statuses written by the CRM's WriteFault, and "drop after
// commit", which runs the handler and then closes the connection
// unanswered). The random draws come from Config.Seed, so they repeat.
//
// # Rate limits
//
// Define named windows in Seed and, per request, take from them with the
// key the vendor meters by; write the vendor's headers from the Usages and
// its throttling answer when not Allowed (Stats.throttled is counted for you):
//
//	d := c.env.Limits.Take(accountID, 1, "burst")
//	u := d.Usages[0]
//	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(u.Remaining))
//	if !d.Allowed { /* 429 with the vendor's body; d.Denied.ResetIn for Retry-After */ }
//
// The control API body of PUT /_sandbox/{crm}/rate-limits is
// {"disabled": bool, "windows": {"burst": {"max": 5, "period_ms": 2000, "rolling": true}}};
// so name windows after what the vendor calls them.
//
// # Record page
//
// The record URL handler looks the record up and calls WriteRecordPage with
// labelled fields and, for a contact, a section of its activities
// (LinkedFrom); a missing record gets WriteNotFoundPage. Absolute URLs the
// CRM returns (instance_url, api_domain, record links) come from
// BaseURL(r), which already includes the mount prefix.
//
// # Tests
//
// Package emutest has what every CRM's tests share: emutest.Client (JSON
// or form requests with the CRM's Authorization scheme, redirects not
// followed) and emutest.Golden (request and response bodies of one
// exchange in testdata/NAME.golden, UUIDs and the server address masked,
// -update to rewrite).
//
// # Time
//
// Every time comes from Env.Now (Config.Clock), which tests advance to
// expire tokens or empty windows without sleeping. Helpers: WriteJSON,
// DecodeJSON (numbers decode as json.Number), BearerToken, RandomHex,
// NewUUID, AddQuery.
package emu
