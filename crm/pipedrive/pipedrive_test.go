package pipedrive

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/saleshive/crmsync"
	"github.com/saleshive/crmsync/crm"
	"github.com/saleshive/crmsync/crm/crmtest"
	"github.com/saleshive/crmsync/sandbox"
	"github.com/saleshive/crmsync/sandbox/emu"
	pdsandbox "github.com/saleshive/crmsync/sandbox/pipedrive"
)

const (
	crmName          = "pipedrive"
	testClientID     = "crmsync-pipedrive"
	testClientSecret = "crmsync-pipedrive-secret"
	testRedirect     = "https://crmsync.example/oauth/pipedrive/callback"
)

// harness is a connector connected to a fresh sandbox over HTTP.
type harness struct {
	sb      *pdsandbox.CRM
	srv     *httptest.Server
	ctl     *sandbox.Client
	base    string
	conn    *Connector
	account *crm.Account
}

// mustConnect starts a Pipedrive sandbox, mints a token as the consent flow
// would, and ensures the schema.
func mustConnect(t testing.TB) *harness {
	t.Helper()
	s := sandbox.New(sandbox.Config{Only: []string{crmName}})
	c, _ := s.CRM(crmName)
	sb := c.(*pdsandbox.CRM)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	ctl := sandbox.NewClient(srv.URL)
	base := ctl.URL(crmName)
	conn := New(Config{
		App:          crm.OAuthApp{ClientID: testClientID, ClientSecret: testClientSecret, RedirectURL: testRedirect},
		OAuthBaseURL: base, APIBaseURL: base, HTTP: srv.Client(),
	})
	minted := sb.MintToken()
	tok := &crmsync.Token{AccessToken: minted.AccessToken, RefreshToken: minted.RefreshToken, TokenType: "Bearer", Expiry: minted.ExpiresAt, APIBase: base}
	acct := crmtest.Connect(t, ctl, srv.Client(), conn, crmtest.ConnectOptions{Token: tok})
	return &harness{sb: sb, srv: srv, ctl: ctl, base: base, conn: conn, account: acct}
}

// record reads a stored record back for the suite.
func (h *harness) record(object, id string) (emu.Record, error) {
	rec, ok := h.sb.Env().Store.Get(object, id)
	if !ok {
		return emu.Record{}, fmt.Errorf("%s %s not found", object, id)
	}
	return rec, nil
}

func number(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatInt(int64(f), 10)
	}
	return ""
}

func TestConformance(t *testing.T) {
	crmtest.Run(t, crmtest.Harness{Setup: func(t *testing.T) *crmtest.Env {
		h := mustConnect(t)
		return &crmtest.Env{
			Connector: h.conn, Account: h.account, Control: crmtest.SandboxControl{Client: h.ctl, CRM: crmName},
			ContactObject:  "persons",
			ActivityObject: func(crmsync.ActivityKind) string { return "activities" },
			GetContact: func(_ context.Context, id string) (crmtest.Record, error) {
				rec, err := h.record("persons", id)
				if err != nil {
					return crmtest.Record{}, err
				}
				email := ""
				if es, ok := rec.Fields["emails"].([]any); ok && len(es) > 0 {
					email, _ = es[0].(map[string]any)["value"].(string)
				}
				return crmtest.Record{
					Fields: map[string]string{
						"first_name": rec.String("first_name"), "last_name": rec.String("last_name"),
						"email": email, "title": rec.String("job_title"),
					},
					OwnerID: number(rec.Fields["owner_id"]),
				}, nil
			},
			GetActivity: func(_ context.Context, _ crmsync.ActivityKind, id string) (crmtest.Record, error) {
				rec, err := h.record("activities", id)
				if err != nil {
					return crmtest.Record{}, err
				}
				return crmtest.Record{Fields: map[string]string{"subject": rec.String("subject"), "type": rec.String("type")}, OwnerID: number(rec.Fields["owner_id"]), ContactCRMID: number(rec.Fields["person_id"])}, nil
			},
			Throttle: func(ctx context.Context) error {
				if err := h.sb.Env().Limits.Set(pdsandbox.WindowBurst, emu.Window{Max: 2, PeriodMS: 1000, Rolling: true}); err != nil {
					return err
				}
				// The connector pauses whenever x-ratelimit-remaining reaches
				// 0, so on its own it never meets a 429. Spend the token's
				// window as another process sharing the token would, so the
				// next request is refused and the 429 path is exercised.
				tok, err := h.account.Client.Tokens.Token(ctx)
				if err != nil {
					return err
				}
				h.sb.Env().Limits.Take(tok.AccessToken, 2, pdsandbox.WindowBurst)
				return nil
			},
			Unthrottle: func(context.Context) error {
				return h.sb.Env().Limits.Set(pdsandbox.WindowBurst, emu.Window{Max: pdsandbox.DefaultBurstLimit, PeriodMS: 2000, Rolling: true})
			},
		}
	}})
}

// TestOAuth_ConsentExchangeRefreshRevoke runs the connector's OAuth methods
// against the sandbox's consent page and token endpoint.
func TestOAuth_ConsentExchangeRefreshRevoke(t *testing.T) {
	h := mustConnect(t)
	ctx := context.Background()
	authURL, err := h.conn.AuthCodeURL("st-1", "", crm.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(authURL)
	if u.Query().Get("client_id") != testClientID || u.Query().Get("state") != "st-1" || u.Query().Has("scope") || u.Query().Has("code_challenge") {
		t.Fatalf("auth URL %s: want client_id and state, no scope, no PKCE", authURL)
	}
	client := *h.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := client.PostForm(authURL, url.Values{"decision": {"allow"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("no code in redirect %s", loc)
	}
	tok, err := h.conn.Exchange(ctx, code, "", crm.AuthOptions{}, nil)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if tok.APIBase != h.base || tok.RefreshToken == "" || time.Until(tok.Expiry) < 50*time.Minute {
		t.Fatalf("token %+v", tok)
	}
	next, err := h.conn.Refresh(ctx, tok)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if next.RefreshToken != tok.RefreshToken || next.AccessToken == tok.AccessToken || next.APIBase != h.base {
		t.Fatalf("refreshed %+v", next)
	}
	if err := h.conn.Revoke(ctx, next); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	_, err = h.conn.Refresh(ctx, next)
	if p := crm.ProblemOf(err); p != crmsync.ProblemAuthRevoked {
		t.Fatalf("refresh after revoke: problem %q (%v), want auth_revoked", p, err)
	}
}

func TestExchange_RejectsForeignAPIDomain(t *testing.T) {
	c := New(Config{})
	for base, ok := range map[string]bool{
		"https://acme.pipedrive.com":      true,
		"https://acme.pipedrive.com.evil": false,
		"http://acme.pipedrive.com":       false,
		"https://evil.example":            false,
		"":                                false,
	} {
		if err := c.checkAPIDomain(base); (err == nil) != ok {
			t.Errorf("checkAPIDomain(%q) = %v, want ok=%v", base, err, ok)
		}
	}
}

func TestIdentityUsersFields(t *testing.T) {
	h := mustConnect(t)
	ctx := context.Background()
	id, err := h.conn.Identity(ctx, h.account)
	if err != nil {
		t.Fatal(err)
	}
	if id.AccountID != strconv.FormatInt(h.sb.CompanyID(), 10) || id.Label != "Acme Demo (Pipedrive)" || id.UserEmail != "grace.hopper@acme.example" {
		t.Fatalf("identity %+v", id)
	}
	users, err := h.conn.Users(ctx, h.account)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 3 {
		t.Fatalf("users %+v, want the 3 active ones", users)
	}
	fields, err := h.conn.ContactFields(ctx, h.account)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]crm.Field{}
	for _, f := range fields {
		byName[f.Name] = f
	}
	if f := byName[h.account.Schema.ContactExternalID]; f.Label != crm.ExternalIDLabel || f.Type != "varchar" {
		t.Fatalf("external id field %+v", f)
	}
	if !byName["name"].Required || !byName["add_time"].ReadOnly {
		t.Fatalf("name should be required and add_time read-only: %+v %+v", byName["name"], byName["add_time"])
	}
	if got := h.conn.RecordURL(h.account, crmsync.ObjectContact, "", "42"); got != h.base+"/person/42" {
		t.Fatalf("RecordURL = %q", got)
	}
}

func TestUsers_WithoutScope(t *testing.T) {
	sb := pdsandbox.NewWithOptions(emu.Config{}, pdsandbox.Options{Scopes: []string{"base", "contacts:full"}})
	mux := http.NewServeMux()
	mux.Handle("/pipedrive/", emu.Mount("/pipedrive", emu.Serve(sb)))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	base := srv.URL + "/pipedrive"
	conn := New(Config{OAuthBaseURL: base, APIBaseURL: base, HTTP: srv.Client()})
	m := sb.MintToken()
	tok := &crmsync.Token{AccessToken: m.AccessToken, RefreshToken: m.RefreshToken, Expiry: m.ExpiresAt, APIBase: base}
	acct := crm.NewAccount(conn, 1, "", crm.Schema{}, crm.NewMemoryTokenStore(tok), crm.NewLimiter(conn.RateLimit(), time.Second), srv.Client())
	if _, err := conn.Users(context.Background(), acct); err != crm.ErrUsersUnsupported {
		t.Fatalf("Users without users:read = %v, want ErrUsersUnsupported", err)
	}
}

// TestUpsertContacts_BulkUsesOneListing pushes a batch of new contacts and
// then the same batch again: the second call finds every person from one
// listing, with no search and no duplicate.
func TestUpsertContacts_BulkUsesOneListing(t *testing.T) {
	h := mustConnect(t)
	ctx := context.Background()
	var ins []crm.ContactInput
	for i := range 40 {
		ins = append(ins, crm.ContactInput{ExternalID: fmt.Sprintf("shc-%d", i), Fields: map[string]string{"first_name": "P", "last_name": strconv.Itoa(i), "email": fmt.Sprintf("p%d@example.com", i)}})
	}
	first, err := h.conn.UpsertContacts(ctx, h.account, ins, "10002")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range first {
		if r.Err != nil || !r.Created {
			t.Fatalf("first push %+v", r)
		}
	}
	before := len(h.sb.Env().Requests.List(0))
	ins[3].Fields["job_title"] = "Changed"
	second, err := h.conn.UpsertContacts(ctx, h.account, ins, "10003")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range second {
		if r.Err != nil || r.Created || r.CRMID != first[i].CRMID {
			t.Fatalf("second push %d: %+v, want update of %s", i, r, first[i].CRMID)
		}
	}
	var searches, lists, patches int
	for _, e := range h.sb.Env().Requests.List(0)[before:] {
		switch {
		case e.Path == "/api/v2/persons/search":
			searches++
		case e.Method == http.MethodGet && e.Path == "/api/v2/persons":
			lists++
		case e.Method == http.MethodPatch:
			patches++
		}
	}
	if searches != 0 || lists > 1 || patches != 40 {
		t.Fatalf("second push made %d searches, %d listings, %d patches; want 0, ≤1, 40", searches, lists, patches)
	}
	// The owner chosen on the second push did not touch existing persons.
	rec, _ := h.record("persons", first[0].CRMID)
	if number(rec.Fields["owner_id"]) != "10002" {
		t.Fatalf("owner changed on update: %v", rec.Fields["owner_id"])
	}
	if n := h.sb.Env().Store.Len("persons"); n != 40 {
		t.Fatalf("%d persons, want 40", n)
	}
}

// TestUpsertContacts_OneRefusedRecord: a contact Pipedrive refuses (no
// name) is that record's error; the others land.
func TestUpsertContacts_OneRefusedRecord(t *testing.T) {
	h := mustConnect(t)
	ins := []crm.ContactInput{
		{ExternalID: "shc-a", Fields: map[string]string{"first_name": "Ada", "last_name": "Lovelace"}},
		{ExternalID: "shc-b", Fields: map[string]string{"email": "nameless@example.com"}},
		{ExternalID: "shc-c", Fields: map[string]string{"first_name": "Grace", "last_name": "Hopper"}},
	}
	res, err := h.conn.UpsertContacts(context.Background(), h.account, ins, "")
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[2].Err != nil || res[0].CRMID == "" || res[2].CRMID == "" {
		t.Fatalf("good records: %+v %+v", res[0], res[2])
	}
	if res[1].Err == nil || res[1].Err.Problem != crmsync.ProblemRequiredFieldMissing || res[1].Err.Field != "name" || res[1].Err.CRMMessage != "Name must be given." {
		t.Fatalf("nameless record: %+v", res[1].Err)
	}
}

// TestUpsertContacts_DeletedPerson: a ledger id whose person is gone is
// created again.
func TestUpsertContacts_StaleCRMID(t *testing.T) {
	h := mustConnect(t)
	res, err := h.conn.UpsertContacts(context.Background(), h.account, []crm.ContactInput{{ExternalID: "shc-x", CRMID: "999", Fields: map[string]string{"first_name": "X", "last_name": "Y"}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || !res[0].Created || res[0].CRMID == "999" {
		t.Fatalf("result %+v", res[0])
	}
}

func TestLogActivities_Mapping(t *testing.T) {
	h := mustConnect(t)
	ctx := context.Background()
	c, err := h.conn.UpsertContacts(ctx, h.account, []crm.ContactInput{{ExternalID: "shc-1", Fields: map[string]string{"first_name": "Ada", "last_name": "L"}}}, "")
	if err != nil || c[0].Err != nil {
		t.Fatal(err, c[0].Err)
	}
	at := time.Date(2026, 7, 2, 15, 4, 5, 0, time.UTC)
	res, err := h.conn.LogActivities(ctx, h.account, []crm.ActivityInput{
		{ExternalID: "a1", ContactCRMID: c[0].CRMID, Kind: crmsync.ActivityCall, Subject: "Call", Body: "Line 1\nLine <2>", Direction: crmsync.DirectionOutbound, Outcome: "connected", OccurredAt: at, Duration: 7*time.Minute + 10*time.Second},
		{ExternalID: "a2", ContactCRMID: c[0].CRMID, Kind: crmsync.ActivityMeeting, Subject: "Demo", OccurredAt: at, EndsAt: at.Add(90 * time.Minute), Attendees: []string{"x@example.com"}},
		{ExternalID: "a3", ContactCRMID: "not-a-person", Kind: crmsync.ActivityEmail, Subject: "Hi", OccurredAt: at},
	}, "10003")
	if err != nil {
		t.Fatal(err)
	}
	if res[2].Err == nil || res[2].Err.Problem != crmsync.ProblemInvalidValue {
		t.Fatalf("bad contact id: %+v", res[2])
	}
	call, _ := h.record("activities", res[0].CRMID)
	if call.String("type") != "call" || call.String("due_date") != "2026-07-02" || call.String("due_time") != "15:04" || call.String("duration") != "00:08" ||
		number(call.Fields["owner_id"]) != "10003" || call.Fields["done"] != true {
		t.Fatalf("call %+v", call.Fields)
	}
	if note := call.String("note"); note != "<p>Direction: outbound · Outcome: connected</p><p>Line 1<br>Line &lt;2&gt;</p>" {
		t.Fatalf("note %q", note)
	}
	meeting, _ := h.record("activities", res[1].CRMID)
	if meeting.String("type") != "meeting" || meeting.String("duration") != "01:30" || number(meeting.Fields["person_id"]) != c[0].CRMID {
		t.Fatalf("meeting %+v", meeting.Fields)
	}
}

// TestRecordPageLink: the RecordURL of a pushed contact opens its sandbox page.
func TestRecordPageLink(t *testing.T) {
	h := mustConnect(t)
	res, err := h.conn.UpsertContacts(context.Background(), h.account, []crm.ContactInput{{ExternalID: "shc-p", Fields: map[string]string{"first_name": "Page", "last_name": "Person"}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.srv.Client().Get(h.conn.RecordURL(h.account, crmsync.ObjectContact, "", res[0].CRMID))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Page Person") {
		t.Fatalf("record page %d", resp.StatusCode)
	}
}
