package salesforce_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
	"github.com/saleshive/crmsync/crm/crmtest"
	"github.com/saleshive/crmsync/crm/salesforce"
	"github.com/saleshive/crmsync/sandbox"
	"github.com/saleshive/crmsync/sandbox/emu"
	sbsalesforce "github.com/saleshive/crmsync/sandbox/salesforce"
)

const (
	crmName     = "salesforce"
	redirectURL = "https://crmsync.example/oauth/salesforce/callback"
)

// env is a connector signed in to a fresh Salesforce sandbox.
type env struct {
	conn    *salesforce.Connector
	account *crm.Account
	ctl     *sandbox.Client
	base    string
}

func testContext(tb testing.TB) context.Context { return crmtest.Context(tb) }

// mustConnect starts a Salesforce sandbox, signs in through its consent page with PKCE the
// way a user would, and returns a connected Account with its schema ensured.
func mustConnect(tb testing.TB, cfg sandbox.Config) *env {
	tb.Helper()
	cfg.Only = []string{crmName}
	srv, ctl := sandbox.MustStart(tb, cfg)
	info, err := ctl.CRMInfo(testContext(tb), crmName)
	if err != nil {
		tb.Fatal(err)
	}
	conn := salesforce.New(salesforce.Config{
		App:       crm.OAuthApp{ClientID: info.ClientID, ClientSecret: info.ClientSecret, RedirectURL: redirectURL},
		LoginURL:  info.BaseURL,
		HTTP:      srv.Client(),
		LimitWait: time.Second,
	})
	a := crmtest.Connect(tb, ctl, srv.Client(), conn, crmtest.ConnectOptions{
		Verifier: "verifier-0123456789-0123456789-0123456789-abcdefgh",
		CheckToken: func(tok *crmsync.Token) error {
			if tok.APIBase != info.BaseURL {
				return fmt.Errorf("APIBase = %q, want the instance_url %q", tok.APIBase, info.BaseURL)
			}
			return nil
		},
	})
	return &env{conn: conn, account: a, ctl: ctl, base: info.BaseURL}
}

func activityObject(k crmsync.ActivityKind) string {
	if k == crmsync.ActivityMeeting {
		return "Event"
	}
	return "Task"
}

func (e *env) crmtestEnv() *crmtest.Env {
	throttle, unthrottle := crmtest.SandboxThrottle(e.ctl, crmName, sbsalesforce.WindowDailyAPIRequests)
	return &crmtest.Env{
		Connector:      e.conn,
		Account:        e.account,
		Control:        crmtest.SandboxControl{Client: e.ctl, CRM: crmName},
		ContactObject:  "Contact",
		ActivityObject: activityObject,
		GetContact: func(ctx context.Context, id string) (crmtest.Record, error) {
			rec, err := e.ctl.Record(ctx, crmName, "Contact", id)
			if err != nil {
				return crmtest.Record{}, err
			}
			return crmtest.Record{Fields: crmtest.Canonical(e.conn, rec.Record), OwnerID: rec.String("OwnerId")}, nil
		},
		GetActivity: func(ctx context.Context, kind crmsync.ActivityKind, id string) (crmtest.Record, error) {
			rec, err := e.ctl.Record(ctx, crmName, activityObject(kind), id)
			if err != nil {
				return crmtest.Record{}, err
			}
			return crmtest.Record{Fields: map[string]string{"subject": rec.String("Subject")}, OwnerID: rec.String("OwnerId"), ContactCRMID: rec.String("WhoId")}, nil
		},
		Throttle:   throttle,
		Unthrottle: unthrottle,
	}
}

func TestConformance(t *testing.T) {
	crmtest.Run(t, crmtest.Harness{Setup: func(t *testing.T) *crmtest.Env {
		return mustConnect(t, sandbox.Config{}).crmtestEnv()
	}})
}

func TestConnector_Identity(t *testing.T) {
	e := mustConnect(t, sandbox.Config{})
	id, err := e.conn.Identity(testContext(t), e.account)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(id.AccountID, "00D") || len(id.AccountID) != 18 {
		t.Errorf("AccountID = %q, want an 18-character org id", id.AccountID)
	}
	if id.Label != "Acme Demo (Salesforce)" || id.UserEmail != "grace.hopper@acme.example" {
		t.Errorf("Identity = %+v", id)
	}
}

func TestConnector_OwnerOnlyOnCreateWithLedgerID(t *testing.T) {
	e := mustConnect(t, sandbox.Config{})
	ctx := testContext(t)
	users, err := e.conn.Users(ctx, e.account)
	if err != nil || len(users) != 3 {
		t.Fatalf("Users = %v, %v; want the 3 active users", users, err)
	}
	in := crm.ContactInput{ExternalID: "shc-1", Fields: map[string]string{"LastName": "Lovelace"}}
	res, err := e.conn.UpsertContacts(ctx, e.account, []crm.ContactInput{in}, users[1].ID)
	if err != nil || res[0].Err != nil || !res[0].Created {
		t.Fatalf("create: %v %+v", err, res)
	}
	rec, _ := e.ctl.Record(ctx, crmName, "Contact", res[0].CRMID)
	if rec.String("OwnerId") != users[1].ID {
		t.Fatalf("owner %q, want %q", rec.String("OwnerId"), users[1].ID)
	}
	// With the ledger's CRM id no lookup is needed, and the owner stays.
	in.CRMID = res[0].CRMID
	in.Fields["Title"] = "Countess"
	before, _ := e.ctl.Stats(ctx, crmName)
	res2, err := e.conn.UpsertContacts(ctx, e.account, []crm.ContactInput{in}, users[2].ID)
	if err != nil || res2[0].Err != nil || res2[0].Created || res2[0].CRMID != res[0].CRMID {
		t.Fatalf("update: %v %+v", err, res2)
	}
	after, _ := e.ctl.Stats(ctx, crmName)
	if after.Requests-before.Requests != 1 {
		t.Errorf("update with a known CRM id took %d requests, want 1", after.Requests-before.Requests)
	}
	rec, _ = e.ctl.Record(ctx, crmName, "Contact", res[0].CRMID)
	if rec.String("OwnerId") != users[1].ID || rec.String("Title") != "Countess" {
		t.Errorf("after update: owner %q title %q", rec.String("OwnerId"), rec.String("Title"))
	}
}

func TestConnector_RepeatedExternalIDInBatch(t *testing.T) {
	e := mustConnect(t, sandbox.Config{})
	res, err := e.conn.UpsertContacts(testContext(t), e.account, []crm.ContactInput{
		{ExternalID: "rep-1", Fields: map[string]string{"LastName": "First"}},
		{ExternalID: "REP-1", Fields: map[string]string{"LastName": "Second"}},
		{ExternalID: "rep-2", Fields: map[string]string{"LastName": "Other"}},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("result %d: %v", i, r.Err)
		}
	}
	if res[0].CRMID != res[1].CRMID || !res[0].Created || res[1].Created {
		t.Errorf("repeats: %+v", res)
	}
}

func TestConnector_RecordURL(t *testing.T) {
	e := mustConnect(t, sandbox.Config{})
	ctx := testContext(t)
	res, err := e.conn.UpsertContacts(ctx, e.account, []crm.ContactInput{{ExternalID: "shc-url", Fields: map[string]string{"FirstName": "Ada", "LastName": "Page"}}}, "")
	if err != nil || res[0].Err != nil {
		t.Fatalf("upsert: %v %v", err, res)
	}
	u := e.conn.RecordURL(e.account, crmsync.ObjectContact, "", res[0].CRMID)
	if u != e.base+"/"+res[0].CRMID {
		t.Fatalf("RecordURL = %q", u)
	}
	resp, err := e.account.Client.HTTP.Get(u) // follows the redirect to the Lightning page
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasSuffix(resp.Request.URL.Path, "/lightning/r/Contact/"+res[0].CRMID+"/view") {
		t.Errorf("record page: %d at %s", resp.StatusCode, resp.Request.URL)
	}
}

func TestConnector_RevokeAndRotation(t *testing.T) {
	e := mustConnect(t, sandbox.Config{Configure: func(name string, c *emu.Config) { c.RotateRefreshTokens = true }})
	ctx := testContext(t)
	tok, err := e.account.Client.Tokens.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	next, err := e.conn.Refresh(ctx, tok)
	if err != nil || next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken || next.APIBase != e.base {
		t.Fatalf("Refresh with rotation: %v %+v", err, next)
	}
	_, err = e.conn.Refresh(ctx, tok)
	if p := crm.ProblemOf(err); p != crmsync.ProblemAuthRevoked {
		t.Errorf("reusing a rotated refresh token: problem %q (%v), want auth_revoked", p, err)
	}
	if err := e.conn.Revoke(ctx, next); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if _, err := e.conn.Refresh(ctx, next); crm.ProblemOf(err) != crmsync.ProblemAuthRevoked {
		t.Errorf("refresh after revoke: %v", err)
	}
	if err := e.conn.Revoke(ctx, next); err != nil {
		t.Errorf("second Revoke: %v", err)
	}
}

func TestConnector_AuthCodeURL(t *testing.T) {
	conn := salesforce.New(salesforce.Config{App: crm.OAuthApp{ClientID: "cid", RedirectURL: redirectURL}})
	raw, err := conn.AuthCodeURL("st", "verifier", crm.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	if u.Host != "login.salesforce.com" || u.Path != "/services/oauth2/authorize" || q.Get("code_challenge") == "" ||
		q.Get("state") != "st" || q.Get("response_type") != "code" || q.Get("scope") != "api refresh_token id" {
		t.Errorf("authorize URL %s", raw)
	}
	if _, err := conn.AuthCodeURL("", "v", crm.AuthOptions{}); err == nil {
		t.Error("AuthCodeURL without state succeeded")
	}
}

func TestConnector_ForeignInstanceURLRejected(t *testing.T) {
	// A token response naming a non-Salesforce instance must not be trusted.
	srv := http.NewServeMux()
	srv.HandleFunc("POST /services/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"x","refresh_token":"y","instance_url":"https://evil.example","id":"i","token_type":"Bearer","issued_at":"1","signature":"s"}`)
	})
	ts := newServer(t, srv)
	conn := salesforce.New(salesforce.Config{App: crm.OAuthApp{ClientID: "c", ClientSecret: "s"}, LoginURL: ts.URL, HTTP: ts.Client()})
	_, err := conn.Exchange(testContext(t), "code", "", crm.AuthOptions{}, nil)
	if p := crm.ProblemOf(err); p != crmsync.ProblemPermissionDenied {
		t.Errorf("Exchange with instance_url evil.example: %v", err)
	}
}

func TestConnector_ActivityFields(t *testing.T) {
	e := mustConnect(t, sandbox.Config{})
	ctx := testContext(t)
	users, _ := e.conn.Users(ctx, e.account)
	c, err := e.conn.UpsertContacts(ctx, e.account, []crm.ContactInput{{ExternalID: "shc-a", Fields: map[string]string{"LastName": "Lovelace"}}}, "")
	if err != nil || c[0].Err != nil {
		t.Fatal(err, c)
	}
	at := time.Date(2026, 7, 2, 15, 4, 5, 0, time.UTC)
	ins := []crm.ActivityInput{
		{ExternalID: "a-call", ContactCRMID: c[0].CRMID, Kind: crmsync.ActivityCall, Subject: "Discovery", Body: "Budgets", Direction: crmsync.DirectionInbound, OccurredAt: at, Duration: 90 * time.Second, Outcome: "connected"},
		{ExternalID: "a-email", ContactCRMID: c[0].CRMID, Kind: crmsync.ActivityEmail, Subject: strings.Repeat("é", 300), Body: "Hello", OccurredAt: at},
		{ExternalID: "a-meet", ContactCRMID: c[0].CRMID, Kind: crmsync.ActivityMeeting, Subject: "Demo", OccurredAt: at, Duration: 45 * time.Minute, Attendees: []string{"ada@example.com"}},
		{ExternalID: "a-orphan", Kind: crmsync.ActivityCall, Subject: "No contact", OccurredAt: at},
	}
	res, err := e.conn.LogActivities(ctx, e.account, ins, users[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if res[3].Err == nil || res[3].Err.Problem != crmsync.ProblemInvalidValue {
		t.Errorf("orphan activity: %+v", res[3])
	}
	get := func(obj, id string) emu.Record {
		rec, err := e.ctl.Record(ctx, crmName, obj, id)
		if err != nil {
			t.Fatal(err)
		}
		return rec.Record
	}
	call := get("Task", res[0].CRMID)
	if call.String("TaskSubtype") != "Call" || call.String("CallType") != "Inbound" || call.String("CallDurationInSeconds") != "90" ||
		call.String("CallDisposition") != "connected" || call.String("Status") != "Completed" || call.String("ActivityDate") != "2026-07-02" ||
		call.String("WhoId") != c[0].CRMID || call.String("OwnerId") != users[0].ID {
		t.Errorf("call task %v", call.Fields)
	}
	email := get("Task", res[1].CRMID)
	if email.String("TaskSubtype") != "Email" || len([]rune(email.String("Subject"))) != 255 {
		t.Errorf("email task %v", email.Fields)
	}
	meet := get("Event", res[2].CRMID)
	if meet.String("StartDateTime") != "2026-07-02T15:04:05.000+0000" || meet.String("EndDateTime") != "2026-07-02T15:49:05.000+0000" ||
		!strings.Contains(meet.String("Description"), "ada@example.com") {
		t.Errorf("meeting event %v", meet.Fields)
	}
}

func TestConnector_ContactFields(t *testing.T) {
	e := mustConnect(t, sandbox.Config{})
	fields, err := e.conn.ContactFields(testContext(t), e.account)
	if err != nil {
		t.Fatal(err)
	}
	var required []string
	byName := map[string]crm.Field{}
	for _, f := range fields {
		byName[f.Name] = f
		if f.Required {
			required = append(required, f.Name)
		}
	}
	if strings.Join(required, ",") != "LastName" {
		t.Errorf("required = %v, want [LastName]", required)
	}
	if !byName["Name"].ReadOnly || byName["Email"].Type != "email" || byName[salesforce.ContactExternalIDField].Label != crm.ExternalIDLabel {
		t.Errorf("fields: Name %+v Email %+v ext %+v", byName["Name"], byName["Email"], byName[salesforce.ContactExternalIDField])
	}
}

func TestConnector_EnsureSchemaGrantsFieldAccess(t *testing.T) {
	e := mustConnect(t, sandbox.Config{})
	ctx := testContext(t)
	if _, err := e.conn.EnsureSchema(ctx, e.account); err != nil {
		t.Fatal(err)
	}
	list, err := e.ctl.Records(ctx, crmName, "FieldPermissions", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, r := range list.Records {
		got[r.String("Field")] = r.Fields["PermissionsEdit"] == true
	}
	for _, f := range []string{"Contact." + salesforce.ContactExternalIDField, "Task." + salesforce.ActivityExternalIDField, "Event." + salesforce.ActivityExternalIDField} {
		if !got[f] {
			t.Errorf("no edit grant on %s (grants %v)", f, got)
		}
	}
	if len(list.Records) != 3 {
		t.Errorf("%d FieldPermissions after two EnsureSchema runs, want 3", len(list.Records))
	}
}

// TestConnector_DailyLimitReportsLongWait: once Sforce-Limit-Info shows the org's daily
// requests spent, the connector does not send the next request; it returns rate_limited
// with a wait (a tenth of the configured limit wait, then probe) at once, so the job can
// snooze instead of holding a worker.
func TestConnector_DailyLimitReportsLongWait(t *testing.T) {
	e := mustConnect(t, sandbox.Config{})
	ctx := testContext(t)
	slow := salesforce.New(salesforce.Config{LoginURL: e.base, LimitWait: 10 * time.Minute})
	e.account.Client.Protocol = slow.Protocol()
	if _, err := e.ctl.SetRateLimits(ctx, crmName, sandbox.RateLimits{Windows: map[string]emu.Window{
		sbsalesforce.WindowDailyAPIRequests: {Max: 1, PeriodMS: (24 * time.Hour).Milliseconds(), Rolling: true},
	}}); err != nil {
		t.Fatal(err)
	}
	in := []crm.ContactInput{{ExternalID: "lim-1", Fields: map[string]string{"LastName": "Limited"}}}
	if _, err := e.conn.UpsertContacts(ctx, e.account, in, ""); err != nil {
		t.Fatalf("first call within the allowance: %v", err)
	}
	start := time.Now()
	_, err := e.conn.UpsertContacts(ctx, e.account, in, "")
	ce := crm.AsError(err)
	if ce == nil || ce.Problem != crmsync.ProblemRateLimited || ce.RetryAfter < 30*time.Second {
		t.Fatalf("over the daily limit: %v (retry after %v)", err, ce.RetryAfter)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v; a long wait must be reported, not slept", took)
	}
	if st, _ := e.ctl.Stats(ctx, crmName); st.Throttled != 0 {
		t.Errorf("the sandbox throttled %d requests; the connector should not have sent one", st.Throttled)
	}
}
