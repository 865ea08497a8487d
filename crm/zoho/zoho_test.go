package zoho_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
	"github.com/saleshive/crmsync/crm/crmtest"
	"github.com/saleshive/crmsync/crm/zoho"
	"github.com/saleshive/crmsync/sandbox"
	"github.com/saleshive/crmsync/sandbox/emu"
	sbzoho "github.com/saleshive/crmsync/sandbox/zoho"
)

const (
	crmName     = "zoho"
	redirectURL = "https://crmsync.example/oauth/zoho/callback"
)

// env is a connector signed in to a fresh Zoho sandbox.
type env struct {
	conn    *zoho.Connector
	account *crm.Account
	ctl     *sandbox.Client
	sb      *sbzoho.CRM
	base    string // {root}/zoho
}

func testContext(tb testing.TB) context.Context { return crmtest.Context(tb) }

// startSandbox serves a Zoho-only sandbox whose org lives in dc; users,
// when not nil, replaces the seeded users.
func startSandbox(tb testing.TB, dc string, users []emu.User) (*sbzoho.CRM, *httptest.Server, *sandbox.Client) {
	tb.Helper()
	s := sandbox.New(sandbox.Config{Only: []string{crmName}, Configure: func(_ string, cfg *emu.Config) {
		if users != nil {
			cfg.Users = users
		}
	}})
	c, _ := s.CRM(crmName)
	sb := c.(*sbzoho.CRM)
	if err := sb.SetDatacenter(dc); err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	tb.Cleanup(srv.Close)
	return sb, srv, sandbox.NewClient(srv.URL)
}

// mustConnect signs in through the sandbox's consent page the way a user
// would (starting at the accounts server of pick, the datacenter the user
// chose), and returns a connected Account with its schema ensured.
func mustConnect(tb testing.TB, orgDC, pick string) *env {
	tb.Helper()
	return mustConnectUsers(tb, orgDC, pick, nil)
}

func mustConnectUsers(tb testing.TB, orgDC, pick string, users []emu.User) *env {
	tb.Helper()
	sb, srv, ctl := startSandbox(tb, orgDC, users)
	info, err := ctl.CRMInfo(testContext(tb), crmName)
	if err != nil {
		tb.Fatal(err)
	}
	conn := zoho.New(zoho.Config{
		App:         crm.OAuthApp{ClientID: info.ClientID, ClientSecret: info.ClientSecret, RedirectURL: redirectURL},
		Datacenters: zoho.SandboxDatacenters(info.BaseURL),
		HTTP:        srv.Client(),
	})
	a := crmtest.Connect(tb, ctl, srv.Client(), conn, crmtest.ConnectOptions{
		Auth:           crm.AuthOptions{Datacenter: crmsync.ZohoDatacenter(pick)},
		CallbackWant:   map[string]string{"location": orgDC},
		CallbackParams: []string{"accounts-server", "location"},
	})
	return &env{conn: conn, account: a, ctl: ctl, sb: sb, base: info.BaseURL}
}

// control is crmtest.Control over the sandbox's control API. Emails have
// no external-id field in Zoho: their key is original_message_id, so a
// count of Emails by the activity external id counts that instead.
type control struct {
	crmtest.SandboxControl
	activityField string
}

func (k control) Count(ctx context.Context, object, field, value string) (int, error) {
	if object == sbzoho.ObjectEmails && field == k.activityField {
		field, value = "original_message_id", zoho.MessageID(value)
	}
	return k.SandboxControl.Count(ctx, object, field, value)
}

// refID is the id of a stored lookup ({"name","id"}).
func refID(v any) string {
	m, _ := v.(map[string]any)
	id, _ := m["id"].(string)
	return id
}

var activityObjects = map[crmsync.ActivityKind]string{
	crmsync.ActivityCall:    sbzoho.ModuleCalls,
	crmsync.ActivityEmail:   sbzoho.ObjectEmails,
	crmsync.ActivityMeeting: sbzoho.ModuleEvents,
}

func (e *env) crmtestEnv() *crmtest.Env {
	throttle, unthrottle := crmtest.SandboxThrottle(e.ctl, crmName, sbzoho.WindowCredits)
	return &crmtest.Env{
		Connector:      e.conn,
		Account:        e.account,
		Control:        control{SandboxControl: crmtest.SandboxControl{Client: e.ctl, CRM: crmName}, activityField: e.account.Schema.ActivityExternalID},
		ContactObject:  sbzoho.ModuleContacts,
		ActivityObject: func(k crmsync.ActivityKind) string { return activityObjects[k] },
		GetContact: func(ctx context.Context, id string) (crmtest.Record, error) {
			rec, err := e.ctl.Record(ctx, crmName, sbzoho.ModuleContacts, id)
			if err != nil {
				return crmtest.Record{}, err
			}
			return crmtest.Record{Fields: crmtest.Canonical(e.conn, rec.Record), OwnerID: refID(rec.Fields["Owner"])}, nil
		},
		GetActivity: func(ctx context.Context, kind crmsync.ActivityKind, id string) (crmtest.Record, error) {
			if kind == crmsync.ActivityEmail {
				// An email's CRM id is its original_message_id.
				list, err := e.ctl.Records(ctx, crmName, sbzoho.ObjectEmails, 0, 0)
				if err != nil {
					return crmtest.Record{}, err
				}
				for _, r := range list.Records {
					if r.String("original_message_id") == id {
						return crmtest.Record{Fields: map[string]string{}, OwnerID: refID(r.Fields["owner"]), ContactCRMID: r.String("record_id")}, nil
					}
				}
				return crmtest.Record{}, nil
			}
			rec, err := e.ctl.Record(ctx, crmName, activityObjects[kind], id)
			if err != nil {
				return crmtest.Record{}, err
			}
			return crmtest.Record{Fields: map[string]string{}, OwnerID: refID(rec.Fields["Owner"]), ContactCRMID: refID(rec.Fields["Who_Id"])}, nil
		},
		Throttle:   throttle,
		Unthrottle: unthrottle,
	}
}

func TestConformance(t *testing.T) {
	crmtest.Run(t, crmtest.Harness{Setup: func(t *testing.T) *crmtest.Env {
		return mustConnect(t, "us", "us").crmtestEnv()
	}})
}

func TestConnector_Datacenters(t *testing.T) {
	for _, tt := range []struct{ org, pick string }{
		{"eu", "eu"},
		{"jp", "jp"},
		// The user picked US but the account lives in India: Zoho's
		// accounts server redirects, and the callback's accounts-server wins.
		{"in", "us"},
	} {
		t.Run(tt.org+"_from_"+tt.pick, func(t *testing.T) {
			e := mustConnect(t, tt.org, tt.pick)
			ctx := testContext(t)
			base, err := e.account.APIBase(ctx)
			if err != nil || base != e.base+"/"+tt.org+"/api" {
				t.Fatalf("api base = %q, %v", base, err)
			}
			res, err := e.conn.UpsertContacts(ctx, e.account, []crm.ContactInput{{ExternalID: "dc-1", Fields: map[string]string{"Last_Name": "Region"}}}, "")
			if err != nil || res[0].Err != nil {
				t.Fatalf("upsert: %v %+v", err, res)
			}
			tok, _ := e.account.Client.Tokens.Token(ctx)
			if _, err := e.conn.Refresh(ctx, tok); err != nil {
				t.Fatalf("refresh at %s: %v", tt.org, err)
			}
		})
	}
}

func TestConnector_RejectsUnknownHosts(t *testing.T) {
	e := mustConnect(t, "us", "us")
	ctx := testContext(t)
	if _, err := e.conn.Exchange(ctx, "code", "", crm.AuthOptions{}, map[string]string{"accounts-server": "https://accounts.evil.example"}); err == nil {
		t.Error("Exchange accepted an accounts-server off the allowlist")
	}
	tok, _ := e.account.Client.Tokens.Token(ctx)
	bad := *tok
	bad.APIBase, bad.Extra = "https://www.zohoapis.evil.example", nil
	a := crm.NewAccount(e.conn, 2, e.account.AccountID, e.account.Schema, crm.NewMemoryTokenStore(&bad), crm.NewLimiter(e.conn.RateLimit(), time.Second), nil)
	_, err := e.conn.UpsertContacts(ctx, a, []crm.ContactInput{{ExternalID: "x", Fields: map[string]string{"Last_Name": "X"}}}, "")
	if p := crm.ProblemOf(err); p != crmsync.ProblemPermissionDenied {
		t.Errorf("api_domain off the allowlist: problem %q (%v), want permission_denied", p, err)
	}
	// The real allowlist knows Zoho's hosts.
	real := zoho.New(zoho.Config{App: crm.OAuthApp{ClientID: "cid", RedirectURL: redirectURL}})
	for dc, host := range map[crmsync.ZohoDatacenter]string{"us": "accounts.zoho.com", "eu": "accounts.zoho.eu", "in": "accounts.zoho.in", "au": "accounts.zoho.com.au", "jp": "accounts.zoho.jp", "ca": "accounts.zohocloud.ca"} {
		raw, err := real.AuthCodeURL("st", "", crm.AuthOptions{Datacenter: dc})
		if err != nil {
			t.Fatal(err)
		}
		if u, _ := url.Parse(raw); u.Host != host || u.Path != "/oauth/v2/auth" {
			t.Errorf("%s authorize URL %s, want host %s", dc, raw, host)
		}
	}
	if _, err := real.AuthCodeURL("st", "", crm.AuthOptions{Datacenter: "mars"}); err == nil {
		t.Error("AuthCodeURL accepted an unknown datacenter")
	}
}

func TestConnector_AuthCodeURL(t *testing.T) {
	conn := zoho.New(zoho.Config{App: crm.OAuthApp{ClientID: "cid", RedirectURL: redirectURL}})
	raw, err := conn.AuthCodeURL("st", "verifier", crm.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	if q.Get("client_id") != "cid" || q.Get("state") != "st" || q.Get("redirect_uri") != redirectURL || q.Get("response_type") != "code" {
		t.Errorf("query %v", q)
	}
	if q.Get("access_type") != "offline" || q.Get("prompt") != "consent" || q.Get("code_challenge") != "" {
		t.Errorf("query %v: want offline access, consent prompt, no PKCE", q)
	}
	// Zoho wants the scopes comma-separated.
	if q.Get("scope") != strings.Join(zoho.DefaultScopes, ",") {
		t.Errorf("scope = %q", q.Get("scope"))
	}
	if _, err := conn.AuthCodeURL("", "", crm.AuthOptions{}); err == nil {
		t.Error("AuthCodeURL without state succeeded")
	}
}

func TestConnector_IdentityAndRecordURL(t *testing.T) {
	e := mustConnect(t, "eu", "eu")
	ctx := testContext(t)
	id, err := e.conn.Identity(ctx, e.account)
	if err != nil {
		t.Fatal(err)
	}
	if id.Label != "Acme Demo (Zoho CRM)" || id.AccountID == "" || id.UserEmail == "" {
		t.Errorf("Identity = %+v", id)
	}
	res, err := e.conn.UpsertContacts(ctx, e.account, []crm.ContactInput{{ExternalID: "shc-url", Fields: map[string]string{"First_Name": "Ada", "Last_Name": "Page"}}}, "")
	if err != nil || res[0].Err != nil {
		t.Fatalf("upsert: %v %v", err, res)
	}
	u := e.conn.RecordURL(e.account, crmsync.ObjectContact, "", res[0].CRMID)
	if want := sbzoho.RecordURL(e.base, "eu", sbzoho.ModuleContacts, res[0].CRMID); u != want {
		t.Fatalf("RecordURL = %q, want %q", u, want)
	}
	resp, err := e.account.Client.HTTP.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET record page: %d", resp.StatusCode)
	}
	if got := e.conn.RecordURL(e.account, crmsync.ObjectActivity, crmsync.ActivityCall, "42"); !strings.HasSuffix(got, "/tab/Calls/42") {
		t.Errorf("call RecordURL = %q", got)
	}
	if got := e.conn.RecordURL(e.account, crmsync.ObjectActivity, crmsync.ActivityEmail, "42"); got != "" {
		t.Errorf("email RecordURL = %q, want none", got)
	}
}

func TestConnector_Revoke(t *testing.T) {
	e := mustConnect(t, "us", "us")
	ctx := testContext(t)
	tok, err := e.account.Client.Tokens.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.conn.Revoke(ctx, tok); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	_, err = e.conn.Refresh(ctx, tok)
	if p := crm.ProblemOf(err); p != crmsync.ProblemAuthRevoked {
		t.Errorf("refresh after revoke: problem %q (%v), want auth_revoked", p, err)
	}
	if err := e.conn.Revoke(ctx, tok); err != nil {
		t.Errorf("second Revoke: %v", err)
	}
}

func TestConnector_RefreshThrottled(t *testing.T) {
	e := mustConnect(t, "us", "us")
	ctx := testContext(t)
	tok, _ := e.account.Client.Tokens.Token(ctx)
	var err error
	for range sbzoho.DefaultTokenRefreshes + 1 {
		if _, err = e.conn.Refresh(ctx, tok); err != nil {
			break
		}
	}
	ce := crm.AsError(err)
	if ce.Problem != crmsync.ProblemRateLimited || ce.RetryAfter <= 0 {
		t.Fatalf("refresh past Zoho's token limit: %v, want rate_limited with a wait", err)
	}
}

func TestConnector_UsersUnsupported(t *testing.T) {
	e := mustConnect(t, "us", "us")
	ctx := testContext(t)
	tok, err := e.ctl.MintToken(ctx, crmName, sandbox.MintRequest{Scopes: []string{"ZohoCRM.modules.contacts.ALL"}})
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := e.account.Client.Tokens.Token(ctx)
	// Zoho answers a missing scope with 401, so the client refreshes once
	// (with the same scopes) before giving up.
	limited := &crmsync.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, APIBase: cur.APIBase, Extra: cur.Extra, Expiry: time.Now().Add(time.Hour)}
	a := crm.NewAccount(e.conn, 3, e.account.AccountID, e.account.Schema, crm.NewMemoryTokenStore(limited), crm.NewLimiter(e.conn.RateLimit(), time.Second), e.account.Client.HTTP)
	if _, err := e.conn.Users(ctx, a); err != crm.ErrUsersUnsupported {
		t.Errorf("Users without the users scope = %v, want ErrUsersUnsupported", err)
	}
	users, err := e.conn.Users(ctx, e.account)
	if err != nil || len(users) != 3 {
		t.Errorf("Users = %v, %v; want the 3 active users", users, err)
	}
}

func TestConnector_TypedCustomFields(t *testing.T) {
	e := mustConnect(t, "us", "us")
	ctx := testContext(t)
	base, _ := e.account.APIBase(ctx)
	body := `{"fields":[{"field_label":"Newsletter","data_type":"boolean"},{"field_label":"Seats","data_type":"integer"}]}`
	if _, err := e.account.Client.Do(ctx, "POST", base+"/crm/v8/settings/fields?module=Contacts", "application/json", []byte(body)); err != nil {
		t.Fatalf("create fields: %v", err)
	}
	res, err := e.conn.UpsertContacts(ctx, e.account, []crm.ContactInput{
		{ExternalID: "typed-1", Fields: map[string]string{"Last_Name": "Typed", "Newsletter": "yes", "Seats": "12"}},
		{ExternalID: "typed-2", Fields: map[string]string{"Last_Name": "Typed", "Seats": "twelve"}},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[1].Err == nil || res[1].Err.Problem != crmsync.ProblemInvalidValue {
		t.Fatalf("results = %+v %+v", res[0], res[1].Err)
	}
	rec, err := e.ctl.Record(ctx, crmName, sbzoho.ModuleContacts, res[0].CRMID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Fields["Newsletter"] != true || rec.Fields["Seats"] != float64(12) {
		t.Errorf("stored %v / %v, want true / 12", rec.Fields["Newsletter"], rec.Fields["Seats"])
	}
}

func TestConnector_UsersPaginate(t *testing.T) {
	users := make([]emu.User, 250)
	for i := range users {
		users[i] = emu.User{Email: fmt.Sprintf("user%03d@acme.example", i), FirstName: "User", LastName: fmt.Sprint(i), Active: i != 7}
	}
	e := mustConnectUsers(t, "us", "us", users)
	got, err := e.conn.Users(testContext(t), e.account)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 249 {
		t.Fatalf("Users returned %d users, want the 249 active over two pages", len(got))
	}
	seen := map[string]bool{}
	for _, u := range got {
		if seen[u.ID] || u.Email == "user007@acme.example" {
			t.Fatalf("duplicate or inactive user %+v", u)
		}
		seen[u.ID] = true
	}
}

func TestConnector_StaleCRMID(t *testing.T) {
	e := mustConnect(t, "us", "us")
	ctx := testContext(t)
	// The ledger holds an id the record no longer has in Zoho: the update
	// is refused and the record is created again.
	res, err := e.conn.UpsertContacts(ctx, e.account, []crm.ContactInput{{ExternalID: "stale-1", CRMID: "5725767001999999999", Fields: map[string]string{"Last_Name": "Again"}}}, "")
	if err != nil || res[0].Err != nil || !res[0].Created || res[0].CRMID == "5725767001999999999" {
		t.Fatalf("stale id: %v %+v", err, res)
	}
	acts := []crm.ActivityInput{{ExternalID: "stale-call", CRMID: "5725767002999999999", ContactCRMID: res[0].CRMID, Kind: crmsync.ActivityCall,
		Subject: "Call", Direction: crmsync.DirectionOutbound, OccurredAt: time.Now(), Duration: time.Minute}}
	out, err := e.conn.LogActivities(ctx, e.account, acts, "")
	if err != nil || out[0].Err != nil || !out[0].Created {
		t.Fatalf("stale call id: %v %+v", err, out)
	}
}

func TestConnector_ActivityOwnerAndShape(t *testing.T) {
	e := mustConnect(t, "us", "us")
	ctx := testContext(t)
	users, err := e.conn.Users(ctx, e.account)
	if err != nil {
		t.Fatal(err)
	}
	owner := users[2].ID // not the signed-in administrator
	res, err := e.conn.UpsertContacts(ctx, e.account, []crm.ContactInput{{ExternalID: "own-1", Fields: map[string]string{"First_Name": "Ada", "Last_Name": "Lovelace", "Email": "ada@example.com"}}}, "")
	if err != nil || res[0].Err != nil {
		t.Fatalf("contact: %v %+v", err, res)
	}
	at := time.Date(2026, 7, 2, 15, 4, 5, 0, time.UTC)
	acts := []crm.ActivityInput{
		{ExternalID: "own-call", ContactCRMID: res[0].CRMID, Kind: crmsync.ActivityCall, Subject: "Missed", Direction: crmsync.DirectionInbound, OccurredAt: at},
		{ExternalID: "own-meet", ContactCRMID: res[0].CRMID, Kind: crmsync.ActivityMeeting, Subject: "Demo", OccurredAt: at, Duration: 45 * time.Minute, Attendees: []string{"guest@example.com"}},
		{ExternalID: "own-mail", ContactCRMID: res[0].CRMID, Kind: crmsync.ActivityEmail, Subject: "Re: hello", Body: "Thanks", Direction: crmsync.DirectionInbound, OccurredAt: at},
	}
	out, err := e.conn.LogActivities(ctx, e.account, acts, owner)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range out {
		if r.Err != nil || !r.Created {
			t.Fatalf("activity %d: %+v %v", i, r, r.Err)
		}
	}
	call, _ := e.ctl.Record(ctx, crmName, sbzoho.ModuleCalls, out[0].CRMID)
	if call.String("Call_Type") != "Missed" || refID(call.Fields["Owner"]) != owner {
		t.Errorf("call = %v", call.Fields)
	}
	meet, _ := e.ctl.Record(ctx, crmName, sbzoho.ModuleEvents, out[1].CRMID)
	if meet.String("End_DateTime") != "2026-07-02T15:49:05+00:00" || len(meet.Fields["Participants"].([]any)) != 2 {
		t.Errorf("meeting = %v", meet.Fields)
	}
	mails, _ := e.ctl.Records(ctx, crmName, sbzoho.ObjectEmails, 0, 0)
	if len(mails.Records) != 1 {
		t.Fatalf("%d emails", len(mails.Records))
	}
	m := mails.Records[0]
	from, _ := m.Fields["from"].(map[string]any)
	if m.Fields["sent"] != false || from["email"] != "ada@example.com" || refID(m.Fields["owner"]) != owner {
		t.Errorf("inbound email = %v", m.Fields)
	}
	// A re-push with the CRM ids updates the call and meeting, leaves the
	// owner alone, and leaves the email as it is.
	for i := range acts {
		acts[i].CRMID = out[i].CRMID
	}
	again, err := e.conn.LogActivities(ctx, e.account, acts, users[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range again {
		if r.Err != nil || r.Created || r.CRMID != out[i].CRMID {
			t.Errorf("re-push %d: %+v", i, r)
		}
	}
	call, _ = e.ctl.Record(ctx, crmName, sbzoho.ModuleCalls, out[0].CRMID)
	if refID(call.Fields["Owner"]) != owner {
		t.Errorf("owner changed on update: %v", call.Fields["Owner"])
	}
}
