package hubspot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
	"github.com/saleshive/crmsync/crm/crmtest"
	"github.com/saleshive/crmsync/crm/hubspot"
	"github.com/saleshive/crmsync/sandbox"
	"github.com/saleshive/crmsync/sandbox/emu"
	sbhubspot "github.com/saleshive/crmsync/sandbox/hubspot"
)

const (
	crmName     = "hubspot"
	redirectURL = "https://crmsync.example/oauth/hubspot/callback"
)

// env is a connector signed in to a fresh HubSpot sandbox.
type env struct {
	conn    *hubspot.Connector
	account *crm.Account
	ctl     *sandbox.Client
	base    string
}

func testContext(tb testing.TB) context.Context { return crmtest.Context(tb) }

// mustConnect starts a HubSpot sandbox, signs in through its consent page
// the way a user would, and returns a connected Account with its schema
// ensured and its Hub ID from Identity.
func mustConnect(tb testing.TB, cfg sandbox.Config) *env {
	tb.Helper()
	return connect(tb, cfg, false)
}

// mustSignIn is mustConnect without EnsureSchema.
func mustSignIn(tb testing.TB, cfg sandbox.Config) *env {
	tb.Helper()
	return connect(tb, cfg, true)
}

func connect(tb testing.TB, cfg sandbox.Config, skipSchema bool) *env {
	tb.Helper()
	cfg.Only = []string{crmName}
	srv, ctl := sandbox.MustStart(tb, cfg)
	info, err := ctl.CRMInfo(testContext(tb), crmName)
	if err != nil {
		tb.Fatal(err)
	}
	conn := hubspot.New(hubspot.Config{
		App:        crm.OAuthApp{ClientID: info.ClientID, ClientSecret: info.ClientSecret, RedirectURL: redirectURL},
		APIBaseURL: info.BaseURL,
		AppBaseURL: info.BaseURL,
		HTTP:       srv.Client(),
	})
	a := crmtest.Connect(tb, ctl, srv.Client(), conn, crmtest.ConnectOptions{SkipSchema: skipSchema})
	return &env{conn: conn, account: a, ctl: ctl, base: info.BaseURL}
}

var activityObjects = map[crmsync.ActivityKind]string{
	crmsync.ActivityCall:    "calls",
	crmsync.ActivityEmail:   "emails",
	crmsync.ActivityMeeting: "meetings",
}

func (e *env) crmtestEnv() *crmtest.Env {
	throttle, unthrottle := crmtest.SandboxThrottle(e.ctl, crmName, sbhubspot.WindowTenSecondly)
	return &crmtest.Env{
		Connector:      e.conn,
		Account:        e.account,
		Control:        crmtest.SandboxControl{Client: e.ctl, CRM: crmName},
		ContactObject:  "contacts",
		ActivityObject: func(k crmsync.ActivityKind) string { return activityObjects[k] },
		GetContact: func(ctx context.Context, id string) (crmtest.Record, error) {
			rec, err := e.ctl.Record(ctx, crmName, "contacts", id)
			if err != nil {
				return crmtest.Record{}, err
			}
			return crmtest.Record{Fields: crmtest.Canonical(e.conn, rec.Record), OwnerID: rec.String("hubspot_owner_id")}, nil
		},
		GetActivity: func(ctx context.Context, kind crmsync.ActivityKind, id string) (crmtest.Record, error) {
			rec, err := e.ctl.Record(ctx, crmName, activityObjects[kind], id)
			if err != nil {
				return crmtest.Record{}, err
			}
			out := crmtest.Record{Fields: map[string]string{}, OwnerID: rec.String("hubspot_owner_id")}
			for _, l := range rec.Links {
				if l.Object == "contacts" {
					out.ContactCRMID = l.ID
				}
			}
			return out, nil
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
	hub := fmt.Sprint(sbhubspot.HubID)
	if id.AccountID != hub {
		t.Errorf("AccountID = %q, want %s", id.AccountID, hub)
	}
	if !strings.HasSuffix(id.Label, "(Hub ID "+hub+")") || strings.HasPrefix(id.Label, "(") {
		t.Errorf("Label = %q, want \"<hub domain> (Hub ID %s)\"", id.Label, hub)
	}
	if id.UserEmail == "" {
		t.Errorf("UserEmail is empty; the token info names the installing user")
	}
}

func TestConnector_RecordURL(t *testing.T) {
	e := mustConnect(t, sandbox.Config{})
	ctx := testContext(t)
	res, err := e.conn.UpsertContacts(ctx, e.account, []crm.ContactInput{{ExternalID: "shc-url", Fields: map[string]string{"firstname": "Ada", "lastname": "Page"}}}, "")
	if err != nil || res[0].Err != nil {
		t.Fatalf("upsert: %v %v", err, res)
	}
	u := e.conn.RecordURL(e.account, crmsync.ObjectContact, "", res[0].CRMID)
	want := fmt.Sprintf("%s/contacts/%d/record/0-1/%s", e.base, sbhubspot.HubID, res[0].CRMID)
	if u != want {
		t.Fatalf("RecordURL = %q, want %q", u, want)
	}
	resp, err := e.account.Client.HTTP.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET record page: %d", resp.StatusCode)
	}
	if got := e.conn.RecordURL(e.account, crmsync.ObjectActivity, crmsync.ActivityCall, "41000000001"); !strings.Contains(got, "/record/0-48/41000000001") {
		t.Errorf("call RecordURL = %q, want object type 0-48", got)
	}
}

func TestConnector_Revoke(t *testing.T) {
	e := mustConnect(t, sandbox.Config{})
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
	// Revoking again is not an error: the token is already gone.
	if err := e.conn.Revoke(ctx, tok); err != nil {
		t.Errorf("second Revoke: %v", err)
	}
}

func TestConnector_AuthCodeURL(t *testing.T) {
	conn := hubspot.New(hubspot.Config{App: crm.OAuthApp{ClientID: "cid", RedirectURL: redirectURL}})
	raw, err := conn.AuthCodeURL("st", "verifier", crm.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if u.Host != "app.hubspot.com" || u.Path != "/oauth/authorize" {
		t.Errorf("authorize URL %s, want https://app.hubspot.com/oauth/authorize", raw)
	}
	q := u.Query()
	if q.Get("client_id") != "cid" || q.Get("state") != "st" || q.Get("redirect_uri") != redirectURL {
		t.Errorf("query %v lacks client_id, state or redirect_uri", q)
	}
	if got, want := strings.Fields(q.Get("scope")), hubspot.DefaultScopes; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("scope = %v, want %v", got, want)
	}
	if _, err := conn.AuthCodeURL("", "", crm.AuthOptions{}); err == nil {
		t.Errorf("AuthCodeURL without state succeeded")
	}
}

func TestConnector_IdentityAfterExpiry(t *testing.T) {
	e := mustConnect(t, sandbox.Config{})
	ctx := testContext(t)
	if err := e.ctl.ExpireAllTokens(ctx, crmName); err != nil {
		t.Fatal(err)
	}
	// The token-info endpoint answers an expired token with 404, not 401.
	id, err := e.conn.Identity(ctx, e.account)
	if err != nil {
		t.Fatalf("Identity with an expired token: %v", err)
	}
	if id.AccountID != fmt.Sprint(sbhubspot.HubID) {
		t.Errorf("AccountID = %q", id.AccountID)
	}
}

func TestConnector_Users(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := mustConnect(t, sandbox.Config{})
		users, err := e.conn.Users(testContext(t), e.account)
		if err != nil {
			t.Fatal(err)
		}
		// The sandbox seeds three active owners and one deactivated one.
		if len(users) != 3 {
			t.Fatalf("Users = %+v, want the 3 active owners", users)
		}
		for _, u := range users {
			if u.ID == "" || u.Email == "" || u.Name == "" || strings.Contains(u.Name, "Babbage") {
				t.Errorf("user %+v: want id, email and name of an active owner", u)
			}
		}
	})
	t.Run("ErrMissingScope", func(t *testing.T) {
		e := mustConnect(t, sandbox.Config{})
		ctx := testContext(t)
		scopes := []string{"oauth", "crm.objects.contacts.read", "crm.objects.contacts.write"}
		minted, err := e.ctl.MintToken(ctx, crmName, sandbox.MintRequest{Scopes: scopes})
		if err != nil {
			t.Fatal(err)
		}
		tok := &crmsync.Token{AccessToken: minted.AccessToken, RefreshToken: minted.RefreshToken, Expiry: minted.ExpiresAt}
		a := crm.NewAccount(e.conn, 2, e.account.AccountID, e.account.Schema, crm.NewMemoryTokenStore(tok), crm.NewLimiter(e.conn.RateLimit(), time.Second), e.account.Client.HTTP)
		_, err = e.conn.Users(ctx, a)
		if !errors.Is(err, crm.ErrUsersUnsupported) {
			t.Errorf("Users without the owners scope: %v, want ErrUsersUnsupported", err)
		}
	})
}

func TestConnector_UpsertContacts(t *testing.T) {
	t.Run("DuplicateExternalIDInBatch", func(t *testing.T) {
		e := mustConnect(t, sandbox.Config{})
		ctx := testContext(t)
		ins := []crm.ContactInput{
			{ExternalID: "shc-dup", Fields: map[string]string{"firstname": "Ada", "lastname": "Old"}},
			{ExternalID: "shc-other", Fields: map[string]string{"lastname": "Other"}},
			{ExternalID: "shc-dup", Fields: map[string]string{"lastname": "New"}},
		}
		res, err := e.conn.UpsertContacts(ctx, e.account, ins, "")
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Err != nil || res[2].Err != nil || res[0].CRMID != res[2].CRMID || res[0].CRMID == "" {
			t.Fatalf("results %+v: want both shc-dup inputs on one record", res)
		}
		if n, _ := e.ctl.Count(ctx, crmName, "contacts", hubspot.ExternalIDProperty, "shc-dup"); n != 1 {
			t.Errorf("records with shc-dup = %d, want 1", n)
		}
		rec, err := e.ctl.Record(ctx, crmName, "contacts", res[0].CRMID)
		if err != nil {
			t.Fatal(err)
		}
		if rec.String("lastname") != "New" || rec.String("firstname") != "Ada" {
			t.Errorf("stored %q %q, want the later input's lastname over the earlier's fields", rec.String("firstname"), rec.String("lastname"))
		}
	})
	t.Run("ResultsInInputOrder", func(t *testing.T) {
		e := mustConnect(t, sandbox.Config{})
		ctx := testContext(t)
		var ins []crm.ContactInput
		for i := range 100 {
			ins = append(ins, crm.ContactInput{ExternalID: fmt.Sprintf("shc-order-%03d", i), Fields: map[string]string{"lastname": fmt.Sprint("Order ", i)}})
		}
		res, err := e.conn.UpsertContacts(ctx, e.account, ins, "")
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if r.Err != nil || r.ExternalID != ins[i].ExternalID {
				t.Fatalf("result %d = %+v", i, r)
			}
			rec, err := e.ctl.Record(ctx, crmName, "contacts", r.CRMID)
			if err != nil {
				t.Fatal(err)
			}
			if got := rec.String(hubspot.ExternalIDProperty); got != ins[i].ExternalID {
				t.Fatalf("result %d carries CRM id %s, which holds %s", i, r.CRMID, got)
			}
		}
	})
	t.Run("MappedOwnerOnCreateOnly", func(t *testing.T) {
		e := mustConnect(t, sandbox.Config{})
		ctx := testContext(t)
		users, err := e.conn.Users(ctx, e.account)
		if err != nil {
			t.Fatal(err)
		}
		ins := []crm.ContactInput{
			{ExternalID: "shc-o1", Fields: map[string]string{"lastname": "One", "hubspot_owner_id": users[1].ID}},
			{ExternalID: "shc-o2", Fields: map[string]string{"lastname": "Two"}},
		}
		res, err := e.conn.UpsertContacts(ctx, e.account, ins, users[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		owner := func(id string) string {
			rec, err := e.ctl.Record(ctx, crmName, "contacts", id)
			if err != nil {
				t.Fatal(err)
			}
			return rec.String("hubspot_owner_id")
		}
		if got := owner(res[0].CRMID); got != users[1].ID {
			t.Errorf("mapped owner on create = %q, want %q", got, users[1].ID)
		}
		if got := owner(res[1].CRMID); got != users[0].ID {
			t.Errorf("connection owner on create = %q, want %q", got, users[0].ID)
		}
		ins[0].Fields["hubspot_owner_id"] = users[2].ID
		if _, err := e.conn.UpsertContacts(ctx, e.account, ins[:1], ""); err != nil {
			t.Fatal(err)
		}
		if got := owner(res[0].CRMID); got != users[1].ID {
			t.Errorf("owner after an update mapping another owner = %q, want %q kept", got, users[1].ID)
		}
	})
	t.Run("ExistingEmailIsAdopted", func(t *testing.T) {
		e := mustConnect(t, sandbox.Config{})
		ctx := testContext(t)
		// A contact the client created in HubSpot before connecting.
		resp, err := e.account.Client.Do(ctx, "POST", e.base+"/crm/v3/objects/contacts", "application/json",
			[]byte(`{"properties":{"email":"grace@example.com","firstname":"Grace","lastname":"Hopper"}}`))
		if err != nil {
			t.Fatal(err)
		}
		var made struct{ ID string }
		if err := json.Unmarshal(resp.Body, &made); err != nil {
			t.Fatal(err)
		}
		users, err := e.conn.Users(ctx, e.account)
		if err != nil {
			t.Fatal(err)
		}
		in := crm.ContactInput{ExternalID: "shc-grace", Fields: map[string]string{"email": "grace@example.com", "jobtitle": "Rear Admiral"}}
		res, err := e.conn.UpsertContacts(ctx, e.account, []crm.ContactInput{in}, users[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if r := res[0]; r.Err != nil || r.CRMID != made.ID || r.Created {
			t.Fatalf("result %+v, want the existing contact %s updated", r, made.ID)
		}
		rec, err := e.ctl.Record(ctx, crmName, "contacts", made.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rec.String(hubspot.ExternalIDProperty) != "shc-grace" || rec.String("jobtitle") != "Rear Admiral" {
			t.Errorf("existing contact: external id %q, jobtitle %q; want it adopted", rec.String(hubspot.ExternalIDProperty), rec.String("jobtitle"))
		}
		if rec.String("hubspot_owner_id") != "" {
			t.Errorf("owner set on a contact crmsync did not create")
		}
		// A second SalesHive contact with the same email lands on the same
		// record without taking its external id away.
		res2, err := e.conn.UpsertContacts(ctx, e.account, []crm.ContactInput{{ExternalID: "shc-grace-2", Fields: map[string]string{"email": "grace@example.com"}}}, "")
		if err != nil || res2[0].Err != nil || res2[0].CRMID != made.ID {
			t.Fatalf("second contact, same email: %v %+v", err, res2)
		}
		if n, _ := e.ctl.Count(ctx, crmName, "contacts", hubspot.ExternalIDProperty, "shc-grace"); n != 1 {
			t.Errorf("records with shc-grace = %d, want 1 (the id must stay)", n)
		}
	})
}

func TestConnector_LogActivities(t *testing.T) {
	at := time.Date(2026, 7, 2, 15, 4, 5, 0, time.UTC)
	t.Run("Properties", func(t *testing.T) {
		e := mustConnect(t, sandbox.Config{})
		ctx := testContext(t)
		users, err := e.conn.Users(ctx, e.account)
		if err != nil {
			t.Fatal(err)
		}
		c, err := e.conn.UpsertContacts(ctx, e.account, []crm.ContactInput{{ExternalID: "shc-props", Fields: map[string]string{"lastname": "Props"}}}, "")
		if err != nil || c[0].Err != nil {
			t.Fatalf("%v %+v", err, c)
		}
		ins := []crm.ActivityInput{
			{ExternalID: "sha-call", ContactCRMID: c[0].CRMID, Kind: crmsync.ActivityCall, Subject: "Discovery", Body: "Budgets", Direction: crmsync.DirectionInbound, OccurredAt: at, Duration: 7 * time.Minute, Outcome: "Left voicemail"},
			{ExternalID: "sha-email", ContactCRMID: c[0].CRMID, Kind: crmsync.ActivityEmail, Subject: "Intro", Body: "Hello", Direction: crmsync.DirectionOutbound, OccurredAt: at},
			{ExternalID: "sha-meeting", ContactCRMID: c[0].CRMID, Kind: crmsync.ActivityMeeting, Subject: "Demo", Body: "Agenda", OccurredAt: at, Duration: 45 * time.Minute, Attendees: []string{"ada@example.com"}},
		}
		out, err := e.conn.LogActivities(ctx, e.account, ins, users[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []map[string]string{
			{"hs_timestamp": "2026-07-02T15:04:05.000Z", "hs_call_title": "Discovery", "hs_call_body": "Budgets", "hs_call_duration": "420000",
				"hs_call_direction": "INBOUND", "hs_call_status": "COMPLETED", "hs_call_disposition": "b2cf5968-551e-4856-9783-52b3da59a7d0"},
			{"hs_email_subject": "Intro", "hs_email_text": "Hello", "hs_email_direction": "EMAIL", "hs_email_status": "SENT"},
			{"hs_meeting_title": "Demo", "hs_meeting_body": "Agenda\n\nAttendees: ada@example.com", "hs_meeting_start_time": "2026-07-02T15:04:05.000Z",
				"hs_meeting_end_time": "2026-07-02T15:49:05.000Z", "hs_meeting_outcome": "COMPLETED"},
		}
		for i, r := range out {
			if r.Err != nil || !r.Created {
				t.Fatalf("%s: %+v", ins[i].Kind, r)
			}
			rec, err := e.ctl.Record(ctx, crmName, activityObjects[ins[i].Kind], r.CRMID)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range want[i] {
				if got := rec.String(k); got != v && !sameTime(got, v) {
					t.Errorf("%s %s = %q, want %q", ins[i].Kind, k, got, v)
				}
			}
			if rec.String("hubspot_owner_id") != users[0].ID {
				t.Errorf("%s owner = %q, want %q", ins[i].Kind, rec.String("hubspot_owner_id"), users[0].ID)
			}
			if rec.String(hubspot.ActivityExternalIDProperty) != ins[i].ExternalID {
				t.Errorf("%s external id = %q, want %q", ins[i].Kind, rec.String(hubspot.ActivityExternalIDProperty), ins[i].ExternalID)
			}
		}
	})
	t.Run("RetryAfterDroppedCreateMakesNoDuplicate", func(t *testing.T) {
		e := mustConnect(t, sandbox.Config{})
		ctx := testContext(t)
		c, err := e.conn.UpsertContacts(ctx, e.account, []crm.ContactInput{{ExternalID: "shc-drop", Fields: map[string]string{"lastname": "Drop"}}}, "")
		if err != nil || c[0].Err != nil {
			t.Fatalf("%v %+v", err, c)
		}
		ins := []crm.ActivityInput{
			{ExternalID: "sha-drop-1", ContactCRMID: c[0].CRMID, Kind: crmsync.ActivityCall, Subject: "First", OccurredAt: at},
			{ExternalID: "sha-drop-2", ContactCRMID: c[0].CRMID, Kind: crmsync.ActivityCall, Subject: "Second", OccurredAt: at},
		}
		if err := e.ctl.SetFaults(ctx, crmName, emu.FaultConfig{DropAfterCommitRate: 1, PathContains: "/calls/batch/create", Remaining: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.conn.LogActivities(ctx, e.account, ins, ""); crm.ProblemOf(err) != crmsync.ProblemCRMUnavailable {
			t.Fatalf("push with the answer dropped: %v, want crm_unavailable", err)
		}
		// The ledger learned no CRM ids; the retry must find the calls.
		ins[1].Subject = "Second (edited)"
		out, err := e.conn.LogActivities(ctx, e.account, ins, "")
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range out {
			if r.Err != nil || r.CRMID == "" || r.Created {
				t.Errorf("retry %d: %+v, want the committed call updated", i, r)
			}
			if n, _ := e.ctl.Count(ctx, crmName, "calls", hubspot.ActivityExternalIDProperty, ins[i].ExternalID); n != 1 {
				t.Errorf("calls with %s = %d, want 1", ins[i].ExternalID, n)
			}
		}
		rec, err := e.ctl.Record(ctx, crmName, "calls", out[1].CRMID)
		if err != nil {
			t.Fatal(err)
		}
		if rec.String("hs_call_title") != "Second (edited)" {
			t.Errorf("retried call title %q, want the update applied", rec.String("hs_call_title"))
		}
	})
	t.Run("InvalidInputsAreRefusedPerRecord", func(t *testing.T) {
		e := mustConnect(t, sandbox.Config{})
		ctx := testContext(t)
		c, err := e.conn.UpsertContacts(ctx, e.account, []crm.ContactInput{{ExternalID: "shc-inv", Fields: map[string]string{"lastname": "Inv"}}}, "")
		if err != nil || c[0].Err != nil {
			t.Fatalf("%v %+v", err, c)
		}
		ins := []crm.ActivityInput{
			{ExternalID: "sha-ok", ContactCRMID: c[0].CRMID, Kind: crmsync.ActivityEmail, Subject: "Fine", OccurredAt: at},
			{ExternalID: "sha-nocontact", Kind: crmsync.ActivityEmail, Subject: "Orphan", OccurredAt: at},
			{ExternalID: "sha-gone", ContactCRMID: "999999", Kind: crmsync.ActivityEmail, Subject: "Deleted contact", OccurredAt: at},
		}
		out, err := e.conn.LogActivities(ctx, e.account, ins, "")
		if err != nil {
			t.Fatal(err)
		}
		if out[0].Err != nil || out[0].CRMID == "" {
			t.Errorf("valid email did not land: %+v", out[0])
		}
		if out[1].Err == nil || out[1].Err.Problem != crmsync.ProblemRequiredFieldMissing {
			t.Errorf("email without a contact: %+v, want required_field_missing", out[1])
		}
		if out[2].Err == nil || out[2].Err.CRMMessage == "" {
			t.Errorf("email on a missing contact: %+v, want HubSpot's refusal", out[2])
		}
	})
}

// sameTime reports whether a and b are the same instant written two ways
// (HubSpot stores datetimes in its own format).
func sameTime(a, b string) bool {
	ta, err1 := time.Parse(time.RFC3339Nano, a)
	tb, err2 := time.Parse(time.RFC3339Nano, b)
	return err1 == nil && err2 == nil && ta.Equal(tb)
}

func TestConnector_EnsureSchema(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := mustConnect(t, sandbox.Config{})
		ctx := testContext(t)
		if e.account.Schema.ContactExternalID != hubspot.ExternalIDProperty || e.account.Schema.ActivityExternalID != "" {
			t.Errorf("schema %+v: want the contact property and no activity upsert field", e.account.Schema)
		}
		fields, err := e.ctl.Fields(ctx, crmName, "contacts")
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range fields {
			if f.Name == hubspot.ExternalIDProperty {
				found = true
				if !f.Unique || f.Label != crm.ExternalIDLabel {
					t.Errorf("contact property %+v: want unique, labelled %q", f, crm.ExternalIDLabel)
				}
			}
		}
		if !found {
			t.Fatalf("no %s property on contacts", hubspot.ExternalIDProperty)
		}
		for _, obj := range []string{"calls", "emails", "meetings"} {
			if e.account.Schema.Extra[obj] != hubspot.ActivityExternalIDProperty {
				t.Errorf("schema extra %v lacks %s", e.account.Schema.Extra, obj)
			}
		}
	})
	t.Run("ErrNotUnique", func(t *testing.T) {
		e := mustSignIn(t, sandbox.Config{})
		ctx := testContext(t)
		body := `{"name":"saleshive_external_id","label":"Made by hand","type":"string","fieldType":"text","groupName":"contactinformation"}`
		if _, err := e.account.Client.Do(ctx, "POST", e.base+"/crm/v3/properties/contacts", "application/json", []byte(body)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.conn.EnsureSchema(ctx, e.account); !errors.Is(err, hubspot.ErrNotUnique) {
			t.Errorf("EnsureSchema over a non-unique property: %v, want ErrNotUnique", err)
		}
	})
}
